import type { AccessKeyService, RequestMeta } from '../access-keys/service.ts';
import { looksLikeAccessKey } from '../access-keys/token-format.ts';
import type { Principal } from './principal.ts';

/** Verifies one kind of JWT (API or session); null means "not valid", whatever the reason. */
export interface JwtVerifier {
  verify(token: string): Promise<Principal | null>;
}

import { MAX_TOKEN_LENGTH } from '../../shared/limits.ts';

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

  constructor(accessKeys: AccessKeyService, jwt: JwtVerifier) {
    this.#accessKeys = accessKeys;
    this.#jwt = jwt;
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
