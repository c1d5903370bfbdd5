import { AppError } from '../../errors.ts';
import type { HttpContext, Router } from '../../http/router.ts';
import { json } from '../../http/router.ts';
import type { Services } from '../../kernel/services.ts';

const origin = (ctx: HttpContext) => ({
  requestId: ctx.requestId,
  ip: ctx.ip,
  actorKeyId: null,
  actorUserId: null,
});

const STATUS: Readonly<Record<string, number>> = {
  SSO_ISSUER_NOT_FOUND: 404,
  SSO_PROVIDER_UNAVAILABLE: 502,
  SSO_USER_NOT_PROVISIONED: 403,
  SSO_USER_BLOCKED: 403,
  SSO_IDENTITY_CONFLICT: 409,
  RATE_LIMITED: 429,
  SERVICE_UNAVAILABLE: 503,
};

/** A failed sign-in: JSON with its stable code (and the check that failed, when there is one). */
function failure(err: unknown, clearCookie: string): Response {
  if (!(err instanceof AppError)) throw err;
  const reason = typeof err.extra.reason === 'string' ? err.extra.reason : undefined;
  return json(
    {
      errors: [
        {
          message: err.message,
          extensions: {
            code: err.code,
            ...(reason ? { reason } : {}),
            ...(err.problems.length ? { problems: err.problems } : {}),
          },
        },
      ],
      data: null,
    },
    STATUS[err.code] ?? 400,
    {
      'cache-control': 'no-store',
      'set-cookie': clearCookie,
      ...(typeof err.extra.retryAfterSeconds === 'number'
        ? { 'retry-after': String(err.extra.retryAfterSeconds) }
        : {}),
    },
  );
}

/** docs/sso.md "Signing in": the two legs of the authorization-code flow. */
export function ssoRoutes(router: Router, services: Services): void {
  const sso = services.sso;
  router.add('GET', '/sso/:workspace/login', async (request, ctx) => {
    const search = new URL(request.url).searchParams;
    try {
      const workspace = await services.workspaces.find(ctx.params.workspace!);
      if (!workspace) throw new AppError('SSO_ISSUER_NOT_FOUND', 'No such workspace');
      const { location, cookie } = await sso.beginLogin(
        workspace.id,
        search.get('issuer'),
        search.get('return_to'),
        ctx.ip,
      );
      return new Response(null, {
        status: 302,
        headers: { location, 'set-cookie': cookie, 'cache-control': 'no-store' },
      });
    } catch (err) {
      return failure(err, sso.clearLoginCookie());
    }
  });
  router.add('GET', '/sso/:workspace/callback/:issuer', async (request, ctx) => {
    try {
      const done = await sso.completeLogin(
        request,
        { workspaceId: ctx.params.workspace!, issuerName: ctx.params.issuer! },
        origin(ctx),
      );
      const headers = new Headers({ location: done.returnTo, 'cache-control': 'no-store' });
      headers.append('set-cookie', done.session.cookie);
      headers.append('set-cookie', sso.clearLoginCookie());
      return new Response(null, { status: 303, headers });
    } catch (err) {
      return failure(err, sso.clearLoginCookie());
    }
  });
  // The redirect URI every issuer once shared: a provider still registered with it gets a
  // failure naming the cause, and no code that arrives there is ever exchanged.
  router.add('GET', '/sso/callback', async () =>
    failure(
      new AppError(
        'SSO_ISSUER_NOT_FOUND',
        "This redirect URI is no longer used: each issuer has its own (the issuer's redirectUri); register that one at the provider",
        { extra: { reason: 'redirect_uri' } },
      ),
      sso.clearLoginCookie(),
    ),
  );
}
