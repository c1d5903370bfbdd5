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
  // Every attribute write is checked against the workspace's definitions (docs/attribute-definitions.md "Writes").
  uses: ['attributeDefinitions'],
  provides: ['users'],
  create: (services) => ({
    users: new UserService({
      db: services.db,
      clock: services.clock,
      domains: () => services.domains,
      workspaces: services.workspaces,
      options: {
        maxEmailsPerCall: services.config.maxEmailsPerCall,
        publicUrl: services.config.publicUrl,
        attributeRules: () => services.attributeDefinitions,
      },
    }),
  }),
  graphql: usersGraphql(),
  commands: [usersCommand],
});
