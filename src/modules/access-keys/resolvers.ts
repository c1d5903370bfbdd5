import { AppError } from '../../errors.ts';
import type { RequestContext } from '../../graphql/context.ts';
import { iso, isoRequired } from '../../graphql/format.ts';
import { defineModule } from '../../graphql/module.ts';
import { withStatus } from '../../graphql/status.ts';
import { parseTimestamp } from '../../time.ts';
import { existingWorkspace, requirePermission, targetWorkspace, workspaceMustExist } from '../auth/guards.ts';
import type { KeyPrincipal } from '../auth/principal.ts';

/** Key management needs site:admin, or iam:write for keys no stronger than the caller's own. */
function keyManager(ctx: RequestContext): KeyPrincipal {
  const p = ctx.principal;
  if (p && p.kind !== 'session' && p.permissions.has('site:admin')) return p;
  return requirePermission(p, 'iam:write');
}

export const accessKeysModule = defineModule(new URL('./schema.graphql', import.meta.url), {
  AccessKey: {
    creationTimestamp: (k) => isoRequired(k.createdAt),
    expiresAt: (k) => iso(k.expiresAt),
    revokedAt: (k) => iso(k.revokedAt),
    lastUsedAt: (k) => iso(k.lastUsedAt),
  },
  Query: {
    accessKeys: async (_, args, ctx) => {
      const principal = keyManager(ctx);
      return ctx.services.accessKeys.list(
        await existingWorkspace(ctx.services.workspaces, principal, args.workspaceId),
      );
    },
  },
  Mutation: {
    createAccessKey: async (_, args, ctx) => {
      const principal = keyManager(ctx);
      const workspaceId = targetWorkspace(principal, args.input.workspaceId);
      return withStatus('Access key created', { accessKey: null, token: null }, async () => {
        await workspaceMustExist(ctx.services.workspaces, principal, workspaceId);
        const expiresAt = args.input.expiresAt ? parseTimestamp(args.input.expiresAt) : null;
        if (args.input.expiresAt && !expiresAt) {
          throw new AppError('BAD_USER_INPUT', 'expiresAt must be an ISO 8601 timestamp', {
            problems: [
              { code: 'BAD_USER_INPUT', field: 'expiresAt', message: 'must be an ISO 8601 timestamp' },
            ],
          });
        }
        const { key, token } = await ctx.services.accessKeys.create(
          { workspaceId, name: args.input.name ?? '', permissions: args.input.permissions, expiresAt },
          { principal, origin: ctx.origin },
        );
        return { accessKey: key, token };
      });
    },
    revokeAccessKey: (_, args, ctx) => {
      const principal = keyManager(ctx);
      const workspaceId = targetWorkspace(principal, args.input.workspaceId);
      return withStatus('Access key revoked', {}, async () => {
        await workspaceMustExist(ctx.services.workspaces, principal, workspaceId);
        await ctx.services.accessKeys.revoke(workspaceId, args.input.id, ctx.origin, principal);
        return {};
      });
    },
  },
});
