import { defineModule } from '../../kernel/module.ts';
import { usersCommand } from './import/command.ts';
import { usersModule as usersGraphql } from './resolvers.ts';
import { UserService } from './service.ts';

declare module '../../kernel/services.ts' {
  interface Services {
    readonly users: UserService;
  }
}

/**
 * Users (tables `users`, `user_attributes`, `user_role_assignments`): the API's user lifecycle
 * and `tessera users import`.
 */
export const usersModule = defineModule({
  name: 'users',
  // `groups`: the importer resolves group names; `domains`: role scopes name domains.
  needs: ['workspaces', 'domains', 'groups'],
  provides: ['users'],
  create: (services) => ({
    users: new UserService(services.db, services.clock, () => services.domains, services.workspaces, {
      maxEmailsPerCall: services.config.maxEmailsPerCall,
      publicUrl: services.config.publicUrl,
    }),
  }),
  graphql: usersGraphql(),
  commands: [usersCommand],
});
