import type { RequestContext } from '../../graphql/context.ts';
import { isoRequired } from '../../graphql/format.ts';
import { defineModule } from '../../graphql/module.ts';
import { requirePermission, targetWorkspace } from '../auth/guards.ts';
import { type AuditFilter, listAuditEvents } from './queries.ts';

interface AuditRow {
  id: string;
  seq: string | number;
  occurred_at: Date;
  action: string;
  outcome: string;
  actor_key_id: string | null;
  actor_user_id: string | null;
  target_type: string | null;
  target_id: string | null;
  request_id: string | null;
  ip: string | null;
  details: unknown;
}

export const auditModule = defineModule(new URL('./schema.graphql', import.meta.url), {
  AuditEvent: {
    occurredAt: (e: AuditRow) => isoRequired(e.occurred_at),
    actorKeyId: (e: AuditRow) => e.actor_key_id,
    actorUserId: (e: AuditRow) => e.actor_user_id,
    targetType: (e: AuditRow) => e.target_type,
    targetId: (e: AuditRow) => e.target_id,
    requestId: (e: AuditRow) => e.request_id,
    details: (e: AuditRow) => JSON.stringify(e.details ?? {}),
  },
  Query: {
    auditEvents: async (
      _: unknown,
      args: {
        workspaceId?: string | null;
        filter?: AuditFilter | null;
        first: number;
        after?: string | null;
      },
      ctx: RequestContext,
    ) => {
      const principal = requirePermission(ctx.principal, 'iam:read');
      const page = await listAuditEvents(
        ctx.services.db,
        targetWorkspace(principal, args.workspaceId),
        args.filter,
        args.first ?? 50,
        args.after,
      );
      return {
        edges: page.rows.map((node) => ({ node, cursor: String(node.seq) })),
        pageInfo: { hasNextPage: page.hasNextPage, endCursor: page.endCursor },
      };
    },
  },
});
