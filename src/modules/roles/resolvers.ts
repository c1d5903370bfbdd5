import type { RequestContext } from '../../graphql/context.ts';
import { defineModule } from '../../graphql/module.ts';
import { requirePermission } from '../auth/guards.ts';
import { ROLES, type Role } from './roles.ts';

export const rolesModule = defineModule(new URL('./schema.graphql', import.meta.url), {
  Role: {
    allowsAdHocQueries: (r: Role) => r.adHocQueries,
  },
  Query: {
    roles: (_: unknown, __: unknown, ctx: RequestContext) => {
      requirePermission(ctx.principal, 'iam:read');
      return ROLES;
    },
  },
});
