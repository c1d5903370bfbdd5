import { forbidden, unauthenticated } from '../../errors.ts';
import type { RequestContext } from '../../graphql/context.ts';
import { defineModule } from '../../graphql/module.ts';
import { ok } from '../../graphql/status.ts';

export const webSessionsGraphql = defineModule(new URL('./schema.graphql', import.meta.url), {
  Mutation: {
    requestSignInLink: async (
      _: unknown,
      args: { email: string; workspaceId?: string | null },
      ctx: RequestContext,
    ) => {
      await ctx.services.webSessions.requestSignInLink(args.workspaceId ?? null, args.email, ctx.origin);
      return {
        status: ok('If the address belongs to a user of the workspace, a sign-in link is on its way'),
      };
    },
    logout: async (_: unknown, __: unknown, ctx: RequestContext) => {
      const principal = ctx.principal;
      if (!principal) throw unauthenticated();
      if (principal.kind !== 'session' || principal.credential !== 'webSession')
        throw forbidden('logout ends a web session: call it with the session cookie');
      await ctx.services.webSessions.end(principal.tokenId, principal, ctx.origin);
      return { status: ok('Signed out') };
    },
  },
});
