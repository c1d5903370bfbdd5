import { MAX_TOKEN_LENGTH } from '../../shared/limits.ts';
import type { AccessKeyService, RequestMeta } from '../access-keys/service.ts';
import { looksLikeAccessKey } from '../access-keys/token-format.ts';
import type { Principal } from './principal.ts';

/** Verifies one kind of JWT (API or session); null means "not valid", whatever the reason. */
export interface JwtVerifier {
  verify(token: string): Promise<Principal | null>;
}

/**
 * Reads a browser's session cookie (docs/sso.md "Web sessions"). `undefined`: the request carries
 * no session cookie, or carries it where a cookie does not count (a cross-site request); `null`:
 * the cookie is not (or no longer) a valid session.
 */
export interface CookieVerifier {
  verify(request: Request, meta: RequestMeta): Promise<Principal | null | undefined>;
}

/** Longest bearer token we look at (shared with the embed page). */
export { MAX_TOKEN_LENGTH };

/**
 * The one entry point for every bearer credential (docs/api-contract.md §1). The shape of the token
 * picks the verifier; each verifier accepts only its own kind, so an access key is never read as
 * a JWT or the other way round. Every failure is the same `null`: callers answer one 401 body.
 */
export class Authenticator {
  readonly #accessKeys: AccessKeyService;
  readonly #jwt: JwtVerifier;
  #cookie: CookieVerifier | null = null;

  constructor(accessKeys: AccessKeyService, jwt: JwtVerifier) {
    this.#accessKeys = accessKeys;
    this.#jwt = jwt;
  }

  /** Installs the reader of web-session cookies (the web-sessions module, at start). */
  useCookieVerifier(verifier: CookieVerifier): void {
    this.#cookie = verifier;
  }

  /**
   * The principal of a request's session cookie, for a request without an Authorization header
   * (a bearer token always wins). See CookieVerifier for `undefined` and `null`.
   */
  async authenticateCookie(request: Request, meta: RequestMeta = {}): Promise<Principal | null | undefined> {
    return this.#cookie ? this.#cookie.verify(request, meta) : undefined;
  }

  async authenticate(token: string, request: RequestMeta = {}): Promise<Principal | null> {
    if (token.length === 0 || token.length > MAX_TOKEN_LENGTH) return null;
    if (looksLikeAccessKey(token)) return this.#accessKeys.verify(token, request);
    if (token.split('.').length === 3) return this.#jwt.verify(token);
    return null;
  }
}

/** Extracts the token of an `Authorization: Bearer …` header; `undefined` when there is no header. */
export function bearerToken(header: string | null): string | null | undefined {
  if (header === null) return undefined;
  const match = /^Bearer[ ]+([^\s]+)\s*$/i.exec(header);
  return match ? match[1]! : null;
}
