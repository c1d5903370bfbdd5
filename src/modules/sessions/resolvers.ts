import { assertNoProblems, forbidden, notFound, unauthenticated } from '../../errors.ts';
import type { RequestContext } from '../../graphql/context.ts';
import { iso } from '../../graphql/format.ts';
import type { QueryImpersonateUserArgs } from '../../graphql/generated/resolvers.ts';
import { defineModule } from '../../graphql/module.ts';
import { withStatus } from '../../graphql/status.ts';
import type { AttributeDefinitions } from '../attribute-definitions/rules.ts';
import { mergeAttributes } from '../attributes/effective.ts';
import { attributeMap, attributeProblems } from '../attributes/validation.ts';
import { requirePermission, requireSession, targetWorkspace, workspaceMustExist } from '../auth/guards.ts';

const caller = (ctx: RequestContext) => ({ requestId: ctx.requestId, ip: ctx.ip });

/** The same field on Query (compat) and Mutation, with the same arguments. */
const impersonateUser = (_: unknown, args: QueryImpersonateUserArgs, ctx: RequestContext) =>
  ctx.services.sessions.impersonate(args.accessToken, args.userEmail, args.attributes, caller(ctx));

/**
 * Stored attributes and the workspace's attribute definitions are read fresh on every request
 * (docs/data-access.md "Effective attributes"); transient ones come from the token.
 */
async function effectiveOf(
  ctx: RequestContext,
  workspaceId: string,
  userId: string,
  transient?: ReadonlyMap<string, string>,
) {
  const [stored, definitions] = await Promise.all([
    ctx.loaders.attributes.load(userId),
    definitionsOf(ctx, workspaceId),
  ]);
  return [...mergeAttributes({ transient, stored, definitions }).values()];
}

/** One read of a workspace's definitions per request, however many users it resolves. */
const definitionsByRequest = new WeakMap<RequestContext, Map<string, Promise<AttributeDefinitions>>>();
function definitionsOf(ctx: RequestContext, workspaceId: string): Promise<AttributeDefinitions> {
  let byWorkspace = definitionsByRequest.get(ctx);
  if (!byWorkspace) {
    byWorkspace = new Map();
    definitionsByRequest.set(ctx, byWorkspace);
  }
  let definitions = byWorkspace.get(workspaceId);
  if (!definitions) {
    definitions = ctx.services.attributeDefinitions.definitions(workspaceId);
    byWorkspace.set(workspaceId, definitions);
  }
  return definitions;
}

export const sessionsModule = defineModule(new URL('./schema.graphql', import.meta.url), {
  Query: {
    impersonateUser,
    exchangeAccessToken: (_, args, ctx) => ctx.services.sessions.exchange(args.accessToken, caller(ctx)),
    effectiveAttributes: async (_, args, ctx) => {
      const principal = ctx.principal;
      if (!principal) throw unauthenticated();
      if (principal.kind === 'session') {
        if ((args.userId != null && args.userId !== principal.userId) || args.sessionAttributes != null) {
          throw forbidden(
            "A session sees only its own user's attributes, with its token's transient attributes",
          );
        }
        return effectiveOf(ctx, principal.workspaceId, principal.userId, principal.transientAttributes);
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
      return effectiveOf(ctx, user.workspace_id, user.id, attributeMap(given));
    },
  },
  Mutation: {
    impersonateUser,
    revokeSessions: (_, args, ctx) => {
      const principal = requirePermission(ctx.principal, 'iam:write');
      const workspaceId = targetWorkspace(principal, args.workspaceId);
      return withStatus('Sessions revoked', { revokedAt: null }, async () => ({
        revokedAt: iso(await ctx.services.sessions.revokeSessions(workspaceId, ctx.origin)),
      }));
    },
    updateWorkspaceEmbedSettings: (_, args, ctx) => {
      const principal = requirePermission(ctx.principal, 'iam:write');
      const workspaceId = targetWorkspace(principal, args.input.workspaceId);
      return withStatus('Embed settings updated', { workspace: null }, async () => {
        await workspaceMustExist(ctx.services.workspaces, principal, workspaceId);
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
    allowedEmbedOrigins: (w, _, ctx) => ctx.services.sessions.allowedEmbedOrigins(w.id),
    sessionsRevokedAt: async (w, _, ctx) => iso(await ctx.services.sessions.sessionsRevokedAt(w.id)),
  },
  User: {
    effectiveAttributes: (u, _, ctx) => {
      const p = ctx.principal;
      const transient = p?.kind === 'session' && p.userId === u.id ? p.transientAttributes : undefined;
      return effectiveOf(ctx, u.workspace_id, u.id, transient);
    },
  },
});
