import { defineModule } from '../../graphql/module.ts';
import { requirePermission } from '../auth/guards.ts';
import { ROLES } from './roles.ts';

export const rolesModule = defineModule(new URL('./schema.graphql', import.meta.url), {
  Role: {
    allowsAdHocQueries: (r) => r.adHocQueries,
  },
  Query: {
    roles: (_, __, ctx) => {
      requirePermission(ctx.principal, 'iam:read');
      return ROLES;
    },
  },
});
