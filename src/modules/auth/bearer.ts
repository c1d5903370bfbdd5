import { refuse } from '../../http/refusals.ts';
import type { HttpContext } from '../../http/router.ts';
import type { Services } from '../../kernel/services.ts';
import { recordAuditEvents } from '../audit/service.ts';
import { bearerToken } from './authenticator.ts';
import type { Principal } from './principal.ts';

type AuthServices = Pick<Services, 'authenticator' | 'accessKeys' | 'db' | 'clock'>;

/**
 * The principal behind a request's `Authorization` header, or null when it has none (a resolver
 * that needs one refuses then). A header that does not authenticate, however it fails, is audited
 * and refused with the one 401 (docs/api-contract.md §1). Without the header, a browser's session
 * cookie may name the principal (docs/sso.md "Web sessions"): only on a same-origin request, and a
 * dead cookie gets the same 401 as a bad token. A bearer token always wins over a cookie.
 */
export async function authenticateRequest(
  services: AuthServices,
  request: Request,
  ctx: HttpContext,
): Promise<Principal | null> {
  const token = bearerToken(request.headers.get('authorization'));
  if (token === undefined) {
    const fromCookie = await services.authenticator.authenticateCookie(request, ctx);
    if (fromCookie === null) throw refuse.unauthenticated();
    return fromCookie ?? null;
  }
  const principal = token === null ? null : await services.authenticator.authenticate(token, ctx);
  if (principal) return principal;
  await recordFailedAuthentication(services, ctx, token);
  throw refuse.unauthenticated();
}

async function recordFailedAuthentication(
  services: AuthServices,
  ctx: HttpContext,
  token: string | null,
): Promise<void> {
  const keyId = token ? services.accessKeys.keyIdOf(token) : null;
  const keyWorkspace = keyId ? await services.accessKeys.workspaceOf(keyId) : null;
  await recordAuditEvents(services.db, [
    {
      workspaceId: keyWorkspace,
      action: 'auth.failure',
      outcome: 'FAILURE',
      actorKeyId: keyWorkspace === null ? null : keyId,
      requestId: ctx.requestId,
      ip: ctx.ip,
      details: { credential: token === null ? 'malformed' : keyId ? 'accessKey' : 'token' },
      at: services.clock.now(),
    },
  ]);
}
