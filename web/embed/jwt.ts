// Verifies Tessera session JWTs in the browser with `jose` (docs/sessions.md "How every bearer JWT is checked", docs/embedding.md "What the embedded page guarantees"):
// the signature against our own /.well-known/jwks.json, then typ, alg, iss, aud, nbf and exp. Key
// material is only ever taken from our JWKS (never from the token's jku/x5u/jwk headers: jose
// ignores them when given a key set).

import { createRemoteJWKSet, customFetch, decodeJwt, decodeProtectedHeader, errors, jwtVerify } from 'jose';
import { CLOCK_SKEW_SECONDS, MAX_TOKEN_LENGTH } from '../../src/shared/limits.ts';
import { type EmbedSessionClaims, SESSION_TOKEN, SESSION_TOKEN_ALGORITHMS } from '../../src/shared/tokens.ts';

export type SessionClaims = EmbedSessionClaims;

export type VerifyResult =
  | { readonly ok: true; readonly claims: SessionClaims }
  | { readonly ok: false; readonly code: 'INVALID_TOKEN' | 'TOKEN_EXPIRED'; readonly reason: string };

/** Reads a JWT's parts without trusting them. */
export function decodeToken(
  token: string,
): { header: Record<string, unknown>; payload: Record<string, unknown> } | null {
  if (token.length > MAX_TOKEN_LENGTH) return null;
  try {
    return { header: decodeProtectedHeader(token), payload: decodeJwt(token) };
  } catch {
    return null;
  }
}

export class SessionTokenVerifier {
  readonly #issuer: string;
  readonly #now: () => number;
  readonly #jwks: ReturnType<typeof createRemoteJWKSet>;

  /** `now` returns milliseconds on the server's clock (see the clock offset in api.ts). */
  constructor(options: { issuer: string; jwksUrl: string; now: () => number }) {
    this.#issuer = options.issuer;
    this.#now = options.now;
    this.#jwks = createRemoteJWKSet(new URL(options.jwksUrl), {
      // An unknown kid (a key rotated in since the last fetch) refetches the set at once.
      cooldownDuration: 0,
      [customFetch]: (url, init) => fetch(url, { ...init, credentials: 'omit', cache: 'no-cache' }),
    });
  }

  /**
   * Throws only when the signing keys cannot be loaded (network, server): that says nothing
   * about the token, so the caller must not report it as invalid.
   */
  async verify(token: string): Promise<VerifyResult> {
    const decoded = decodeToken(token);
    if (!decoded || decoded.header.typ !== SESSION_TOKEN.typ) return invalid('not a session token');
    if (typeof decoded.header.kid !== 'string') return invalid('no key id');
    let payload: Record<string, unknown>;
    // WebCrypto exists only in secure contexts (https, localhost). Elsewhere the API call that
    // confirms every token (session.ts) is the signature check: the server verifies it.
    if (globalThis.crypto?.subtle) {
      try {
        const result = await jwtVerify(token, this.#jwks, {
          algorithms: [...SESSION_TOKEN_ALGORITHMS],
          issuer: this.#issuer,
          audience: SESSION_TOKEN.aud,
          typ: SESSION_TOKEN.typ,
          requiredClaims: ['sub', 'exp'],
          // nbf may be up to the skew ahead; exp gets no grace (checked below), so the page
          // never shows a session the server is about to refuse.
          clockTolerance: CLOCK_SKEW_SECONDS,
          currentDate: new Date(this.#now()),
        });
        payload = result.payload as Record<string, unknown>;
      } catch (err) {
        if (err instanceof errors.JWTExpired) return expired();
        if (isVerdictOnToken(err)) return invalid((err as Error).message);
        throw err;
      }
    } else {
      if (!SESSION_TOKEN_ALGORITHMS.some((alg) => alg === decoded.header.alg)) return invalid('algorithm');
      payload = decoded.payload;
      if (payload.iss !== this.#issuer) return invalid('wrong issuer');
      const aud = payload.aud;
      if (!(aud === SESSION_TOKEN.aud || (Array.isArray(aud) && aud.includes(SESSION_TOKEN.aud))))
        return invalid('wrong audience');
      if (typeof payload.nbf === 'number' && payload.nbf > this.#now() / 1000 + CLOCK_SKEW_SECONDS)
        return invalid('not yet valid');
    }
    const claims = sessionClaims(payload);
    if (!claims) return invalid('missing claims');
    if (claims.exp <= this.#now() / 1000) return expired();
    return { ok: true, claims };
  }
}

/**
 * jose's errors about the token itself (format, algorithm, signature, claims, no matching key);
 * anything else (the JWKS could not be fetched or parsed, a timeout) is not about the token.
 */
function isVerdictOnToken(err: unknown): boolean {
  if (!(err instanceof errors.JOSEError)) return false;
  return (
    err instanceof errors.JWTInvalid ||
    err instanceof errors.JWSInvalid ||
    err instanceof errors.JWTClaimValidationFailed ||
    err instanceof errors.JWSSignatureVerificationFailed ||
    err instanceof errors.JOSEAlgNotAllowed ||
    err instanceof errors.JOSENotSupported ||
    err instanceof errors.JWKSNoMatchingKey ||
    err instanceof errors.JWKSMultipleMatchingKeys
  );
}

function sessionClaims(p: Record<string, unknown>): SessionClaims | null {
  for (const name of ['sub', 'wid', 'iss'] as const)
    if (typeof p[name] !== 'string' || p[name] === '') return null;
  if (typeof p.exp !== 'number') return null;
  const attrs: Record<string, string> = Object.create(null);
  if (typeof p.attrs === 'object' && p.attrs !== null && !Array.isArray(p.attrs)) {
    for (const [k, v] of Object.entries(p.attrs)) if (typeof v === 'string') attrs[k] = v;
  }
  return {
    sub: p.sub as string,
    wid: p.wid as string,
    iss: p.iss as string,
    email: typeof p.email === 'string' ? p.email : '',
    exp: p.exp,
    iat: typeof p.iat === 'number' ? p.iat : 0,
    jti: typeof p.jti === 'string' ? p.jti : '',
    attrs,
  };
}

const invalid = (reason: string): VerifyResult => ({ ok: false, code: 'INVALID_TOKEN', reason });
const expired = (): VerifyResult => ({ ok: false, code: 'TOKEN_EXPIRED', reason: 'token expired' });
