import { iso, isoRequired } from '../../graphql/format.ts';
import { defineModule } from '../../graphql/module.ts';
import { existingWorkspace, requirePermission } from '../auth/guards.ts';
import { decodeCursor, encodeCursor } from './cursor.ts';

const MAX_PAGE = 500;

export const outboxModule = defineModule(new URL('./schema.graphql', import.meta.url), {
  OutboxMessage: {
    nextAttemptAt: (m) =>
      m.state === 'QUEUED' || m.state === 'SENDING' ? isoRequired(m.next_attempt_at) : null,
    lastError: (m) => m.last_error,
    createdAt: (m) => isoRequired(m.created_at),
    sentAt: (m) => iso(m.sent_at),
  },
  Query: {
    outboxMessages: async (_, args, ctx) => {
      const principal = requirePermission(ctx.principal, 'iam:read');
      const page = await ctx.services.outbox.messages({
        workspaceId: await existingWorkspace(ctx.services.workspaces, principal, args.workspaceId),
        state: args.state ?? null,
        first: Math.min(Math.max(args.first ?? 50, 0), MAX_PAGE),
        after: args.after ? decodeCursor(args.after) : null,
      });
      return {
        edges: page.rows.map((node) => ({ node, cursor: encodeCursor(node) })),
        pageInfo: {
          hasNextPage: page.hasNextPage,
          endCursor: page.rows.length > 0 ? encodeCursor(page.rows.at(-1)!) : null,
        },
      };
    },
  },
});
