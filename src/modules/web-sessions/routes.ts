import { AppError } from '../../errors.ts';
import type { HttpContext, Router } from '../../http/router.ts';
import { errorResponse, json } from '../../http/router.ts';
import type { Services } from '../../kernel/services.ts';
import { sameOrigin } from './cookies.ts';

const origin = (ctx: HttpContext) => ({
  requestId: ctx.requestId,
  ip: ctx.ip,
  actorKeyId: null,
  actorUserId: null,
});

const html = (body: string, status = 200, headers: Record<string, string> = {}) =>
  new Response(
    `<!doctype html><html><head><meta charset="utf-8"><title>Tessera sign-in</title></head><body>${body}</body></html>`,
    {
      status,
      headers: {
        'content-type': 'text/html; charset=utf-8',
        'cache-control': 'no-store',
        'content-security-policy': "default-src 'none'; form-action 'self'; frame-ancestors 'none'",
        'referrer-policy': 'no-referrer',
        ...headers,
      },
    },
  );

const TOKEN_TEXT = /^[A-Za-z0-9_-]{1,100}$/;

/** A refusal as a JSON error with its stable code; never a 500 for a bad request. */
export function refusal(err: unknown): Response {
  if (err instanceof AppError) {
    const status = err.code === 'RATE_LIMITED' ? 429 : err.code === 'SERVICE_UNAVAILABLE' ? 503 : 400;
    return errorResponse(status, err.code, err.message);
  }
  throw err;
}

/**
 * The browser side of web sessions: docs/sso.md "Email sign-in links", docs/sso.md "Signing out". Following a
 * link is two steps: GET shows a button, POST (same origin only) uses the link. Mail scanners that
 * open every link therefore do not use it up, and a cross-site page cannot sign a browser in.
 */
export function webSessionRoutes(router: Router, services: Services): void {
  const sessions = services.webSessions;
  router.add('GET', '/sso/link', (request) => {
    const token = new URL(request.url).searchParams.get('token') ?? '';
    if (!TOKEN_TEXT.test(token))
      return errorResponse(400, 'SIGN_IN_LINK_INVALID', 'This sign-in link is not valid');
    return html(
      `<form method="post" action="/sso/link"><input type="hidden" name="token" value="${token}"><button type="submit">Sign in</button></form>`,
    );
  });
  router.add('POST', '/sso/link', async (request, ctx) => {
    if (!sameOrigin(request, sessions.cookie))
      return errorResponse(403, 'FORBIDDEN', 'Cross-site request refused');
    const text = await request.text().catch(() => '');
    const token = new URLSearchParams(text.slice(0, 4096)).get('token') ?? '';
    try {
      const started = await sessions.followSignInLink(token, request, origin(ctx));
      return new Response(null, {
        status: 303,
        headers: { location: '/', 'set-cookie': started.cookie, 'cache-control': 'no-store' },
      });
    } catch (err) {
      return refusal(err);
    }
  });
  router.add('GET', '/sso/whoami', async (request) => {
    const principal = await sessions.current(request);
    const body = principal
      ? {
          signedIn: true,
          userId: principal.userId,
          email: principal.email,
          expiresAt: principal.expiresAt.toISOString(),
        }
      : { signedIn: false };
    return json(body, 200, { 'cache-control': 'no-store' });
  });
  router.add('POST', '/sso/logout', async (request, ctx) => {
    if (!sameOrigin(request, sessions.cookie))
      return errorResponse(403, 'FORBIDDEN', 'Cross-site request refused');
    const ended = await sessions.endRequestSession(request, origin(ctx));
    return json({ loggedOut: ended }, 200, {
      'set-cookie': sessions.clearCookie(),
      'cache-control': 'no-store',
    });
  });
}
