import { defineModule } from '../../kernel/module.ts';
import { groupsModule as groupsGraphql } from './resolvers.ts';
import { GroupService } from './service.ts';

declare module '../../kernel/services.ts' {
  interface Services {
    readonly groups: GroupService;
  }
}

/** User groups (tables `user_groups`, `group_members`, `group_role_assignments`). */
export const groupsModule = defineModule({
  name: 'groups',
  needs: ['domains'],
  provides: ['groups'],
  create: (services) => ({ groups: new GroupService(services.db, services.clock, () => services.domains) }),
  graphql: groupsGraphql(),
});
