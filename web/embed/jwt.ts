// Verifies Tessera session JWTs in the browser (docs/sessions.md "How every bearer JWT is checked", docs/embedding.md "The postMessage protocol"): the signature with WebCrypto
// against our own /.well-known/jwks.json, then typ, alg, iss, aud and exp. Key material is only
// ever taken from our JWKS (never from the token's jku/x5u/jwk headers).

export interface SessionClaims {
  readonly sub: string;
  readonly email: string;
  readonly wid: string;
  readonly iss: string;
  readonly exp: number;
  readonly iat: number;
  readonly jti: string;
  readonly attrs: Readonly<Record<string, string>>;
}

export type VerifyResult =
  | { readonly ok: true; readonly claims: SessionClaims }
  | { readonly ok: false; readonly code: 'INVALID_TOKEN' | 'TOKEN_EXPIRED'; readonly reason: string };

interface Jwk extends JsonWebKey {
  kid?: string;
}

const ALGORITHMS: Record<string, { import: EcKeyImportParams | Algorithm; verify: EcdsaParams | Algorithm }> =
  {
    ES256: { import: { name: 'ECDSA', namedCurve: 'P-256' }, verify: { name: 'ECDSA', hash: 'SHA-256' } },
    EdDSA: { import: { name: 'Ed25519' }, verify: { name: 'Ed25519' } },
  };
const MAX_TOKEN_LENGTH = 8192;
const CLOCK_SKEW_SECONDS = 60;

/** Reads a JWT's parts without trusting them. */
export function decodeJwt(
  token: string,
): { header: Record<string, unknown>; payload: Record<string, unknown> } | null {
  if (token.length > MAX_TOKEN_LENGTH) return null;
  const parts = token.split('.');
  if (parts.length !== 3) return null;
  try {
    const header = JSON.parse(new TextDecoder().decode(base64UrlDecode(parts[0]!)));
    const payload = JSON.parse(new TextDecoder().decode(base64UrlDecode(parts[1]!)));
    if (!isObject(header) || !isObject(payload)) return null;
    return { header, payload };
  } catch {
    return null;
  }
}

export class SessionTokenVerifier {
  readonly #issuer: string;
  readonly #jwksUrl: string;
  readonly #now: () => number;
  #keys: Promise<Jwk[]> | null = null;

  /** `now` returns milliseconds on the server's clock (see the clock offset in api.ts). */
  constructor(options: { issuer: string; jwksUrl: string; now: () => number }) {
    this.#issuer = options.issuer;
    this.#jwksUrl = options.jwksUrl;
    this.#now = options.now;
  }

  async verify(token: string): Promise<VerifyResult> {
    const decoded = decodeJwt(token);
    if (!decoded) return invalid('malformed token');
    const { header, payload } = decoded;
    const alg = typeof header.alg === 'string' ? ALGORITHMS[header.alg] : undefined;
    if (!alg || !Object.hasOwn(ALGORITHMS, header.alg as string)) return invalid('algorithm not allowed');
    if (header.typ !== 'session+jwt') return invalid('not a session token');
    if (typeof header.kid !== 'string') return invalid('no key id');
    if (!(await this.#signatureValid(token, header.kid, alg))) return invalid('bad signature');
    const claims = sessionClaims(payload);
    if (!claims) return invalid('missing claims');
    if (claims.iss !== this.#issuer) return invalid('wrong issuer');
    const aud = payload.aud;
    if (!(aud === 'tessera-session' || (Array.isArray(aud) && aud.includes('tessera-session')))) {
      return invalid('wrong audience');
    }
    const nowSeconds = this.#now() / 1000;
    if (typeof payload.nbf === 'number' && payload.nbf > nowSeconds + CLOCK_SKEW_SECONDS)
      return invalid('not yet valid');
    if (claims.exp <= nowSeconds) return { ok: false, code: 'TOKEN_EXPIRED', reason: 'token expired' };
    return { ok: true, claims };
  }

  async #signatureValid(
    token: string,
    kid: string,
    alg: { import: EcKeyImportParams | Algorithm; verify: EcdsaParams | Algorithm },
  ): Promise<boolean> {
    const subtle = globalThis.crypto?.subtle;
    // WebCrypto exists only in secure contexts (https, localhost). Elsewhere the API call that
    // confirms every token (session.ts) is the check: the server verifies the signature.
    if (!subtle) return true;
    let jwk = (await this.#jwks()).find((k) => k.kid === kid);
    if (!jwk) {
      // A key rotated in since we fetched the set: refetch once.
      this.#keys = null;
      jwk = (await this.#jwks()).find((k) => k.kid === kid);
    }
    if (!jwk) return false;
    const dot = token.lastIndexOf('.');
    try {
      const key = await subtle.importKey('jwk', publicPart(jwk), alg.import, false, ['verify']);
      return await subtle.verify(
        alg.verify,
        key,
        base64UrlDecode(token.slice(dot + 1)),
        new TextEncoder().encode(token.slice(0, dot)),
      );
    } catch {
      return false;
    }
  }

  #jwks(): Promise<Jwk[]> {
    this.#keys ??= fetch(this.#jwksUrl, { credentials: 'omit', cache: 'no-cache' })
      .then(async (r) => {
        if (!r.ok) throw new Error(`JWKS answered ${r.status}`);
        const body: unknown = await r.json();
        const keys = isObject(body) && Array.isArray(body.keys) ? body.keys : [];
        return keys.filter(isObject) as Jwk[];
      })
      .catch((err: unknown) => {
        this.#keys = null;
        throw err;
      });
    return this.#keys;
  }
}

function sessionClaims(p: Record<string, unknown>): SessionClaims | null {
  const strings = ['sub', 'wid', 'iss'] as const;
  for (const name of strings) if (typeof p[name] !== 'string' || p[name] === '') return null;
  if (typeof p.exp !== 'number') return null;
  const attrs: Record<string, string> = Object.create(null);
  if (isObject(p.attrs)) {
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

const publicPart = (jwk: Jwk): JsonWebKey => ({ kty: jwk.kty, crv: jwk.crv, x: jwk.x, y: jwk.y });

const invalid = (reason: string): VerifyResult => ({ ok: false, code: 'INVALID_TOKEN', reason });

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function base64UrlDecode(s: string): Uint8Array<ArrayBuffer> {
  if (!/^[A-Za-z0-9_-]*$/.test(s)) throw new Error('bad base64url');
  const b64 = s.replace(/-/g, '+').replace(/_/g, '/') + '='.repeat((4 - (s.length % 4)) % 4);
  const bin = atob(b64);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}
