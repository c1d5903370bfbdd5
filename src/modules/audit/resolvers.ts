import { isoRequired } from '../../graphql/format.ts';
import { defineModule } from '../../graphql/module.ts';
import { existingWorkspace, requirePermission } from '../auth/guards.ts';

export const auditModule = defineModule(new URL('./schema.graphql', import.meta.url), {
  AuditEvent: {
    occurredAt: (e) => isoRequired(e.occurred_at),
    actorKeyId: (e) => e.actor_key_id,
    actorUserId: (e) => e.actor_user_id,
    targetType: (e) => e.target_type,
    targetId: (e) => e.target_id,
    requestId: (e) => e.request_id,
    details: (e) => JSON.stringify(e.details ?? {}),
  },
  Query: {
    auditEvents: async (_, args, ctx) => {
      const principal = requirePermission(ctx.principal, 'iam:read');
      const page = await ctx.services.auditTrail.page(
        await existingWorkspace(ctx.services.workspaces, principal, args.workspaceId),
        {
          filter: args.filter,
          first: args.first ?? 50,
          after: args.after,
        },
      );
      return {
        edges: page.rows.map((node) => ({ node, cursor: String(node.seq) })),
        pageInfo: { hasNextPage: page.hasNextPage, endCursor: page.endCursor },
      };
    },
  },
});
