import { assertNoProblems, forbidden, notFound, unauthenticated } from '../../errors.ts';
import type { RequestContext } from '../../graphql/context.ts';
import { iso } from '../../graphql/format.ts';
import { defineModule } from '../../graphql/module.ts';
import { withStatus } from '../../graphql/status.ts';
import { mergeAttributes } from '../attributes/effective.ts';
import { type AttributeInput, attributeMap, attributeProblems } from '../attributes/validation.ts';
import { requirePermission, requireSession, targetWorkspace } from '../auth/guards.ts';
import type { UserRow } from '../users/queries/users.ts';
import type { WorkspaceView } from '../workspaces/service.ts';

interface ImpersonateArgs {
  accessToken: string;
  userEmail: string;
  attributes?: AttributeInput[] | null;
}

const caller = (ctx: RequestContext) => ({ requestId: ctx.requestId, ip: ctx.ip });

const impersonateUser = (_: unknown, args: ImpersonateArgs, ctx: RequestContext) =>
  ctx.services.sessions.impersonate(args.accessToken, args.userEmail, args.attributes, caller(ctx));

/** Stored attributes are read fresh on every request (docs/data-access.md "Effective attributes"); transient ones come from the token. */
async function effectiveOf(ctx: RequestContext, userId: string, transient?: ReadonlyMap<string, string>) {
  const stored = await ctx.loaders.attributes.load(userId);
  return [...mergeAttributes({ transient, stored }).values()];
}

export const sessionsModule = defineModule(new URL('./schema.graphql', import.meta.url), {
  Query: {
    impersonateUser,
    exchangeAccessToken: (_: unknown, args: { accessToken: string }, ctx: RequestContext) =>
      ctx.services.sessions.exchange(args.accessToken, caller(ctx)),
    effectiveAttributes: async (
      _: unknown,
      args: { userId?: string | null; sessionAttributes?: AttributeInput[] | null },
      ctx: RequestContext,
    ) => {
      const principal = ctx.principal;
      if (!principal) throw unauthenticated();
      if (principal.kind === 'session') {
        if ((args.userId != null && args.userId !== principal.userId) || args.sessionAttributes != null) {
          throw forbidden(
            "A session sees only its own user's attributes, with its token's transient attributes",
          );
        }
        return effectiveOf(ctx, principal.userId, principal.transientAttributes);
      }
      if (args.userId == null) requireSession(principal); // a key has no user of its own
      const key = requirePermission(principal, 'iam:read');
      const given = args.sessionAttributes ?? [];
      assertNoProblems(attributeProblems(given, 'sessionAttributes'), 'session attributes');
      const user = await ctx.loaders.users.load(args.userId!);
      // BOLA: another workspace's user is as unknown as a missing one (unless site:admin).
      if (!user || (user.workspace_id !== key.workspaceId && !key.permissions.has('site:admin'))) {
        throw notFound('User not found');
      }
      return effectiveOf(ctx, user.id, attributeMap(given));
    },
  },
  Mutation: {
    impersonateUser,
    revokeSessions: (_: unknown, args: { workspaceId?: string | null }, ctx: RequestContext) => {
      const principal = requirePermission(ctx.principal, 'iam:write');
      const workspaceId = targetWorkspace(principal, args.workspaceId);
      return withStatus('Sessions revoked', { revokedAt: null }, async () => ({
        revokedAt: iso(await ctx.services.sessions.revokeSessions(workspaceId, ctx.origin)),
      }));
    },
    updateWorkspaceEmbedSettings: (
      _: unknown,
      args: { input: { workspaceId?: string | null; allowedEmbedOrigins: string[] } },
      ctx: RequestContext,
    ) => {
      const principal = requirePermission(ctx.principal, 'iam:write');
      const workspaceId = targetWorkspace(principal, args.input.workspaceId);
      return withStatus('Embed settings updated', { workspace: null }, async () => {
        await ctx.services.sessions.setAllowedEmbedOrigins(
          workspaceId,
          args.input.allowedEmbedOrigins,
          ctx.origin,
        );
        return { workspace: await ctx.services.workspaces.get(workspaceId) };
      });
    },
  },
  Workspace: {
    allowedEmbedOrigins: (w: WorkspaceView, _: unknown, ctx: RequestContext) =>
      ctx.services.sessions.allowedEmbedOrigins(w.id),
    sessionsRevokedAt: async (w: WorkspaceView, _: unknown, ctx: RequestContext) =>
      iso(await ctx.services.sessions.sessionsRevokedAt(w.id)),
  },
  User: {
    effectiveAttributes: (u: UserRow, _: unknown, ctx: RequestContext) => {
      const p = ctx.principal;
      const transient = p?.kind === 'session' && p.userId === u.id ? p.transientAttributes : undefined;
      return effectiveOf(ctx, u.id, transient);
    },
  },
});
