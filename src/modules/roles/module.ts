import { defineModule } from '../../kernel/module.ts';
import { rolesModule as rolesGraphql } from './resolvers.ts';

/** Roles: the fixed role catalog and its GraphQL types; assignments are stored by users and groups. */
export const rolesModule = defineModule({
  name: 'roles',
  needs: [],
  provides: [],
  graphql: rolesGraphql(),
});
