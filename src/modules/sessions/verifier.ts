import { type JWTPayload, type JWTVerifyResult, jwtVerify } from 'jose';
import type { Clock } from '../../clock.ts';
import type { Db } from '../../db/index.ts';
import { CLOCK_SKEW_SECONDS, MAX_TOKEN_LIFETIME_SECONDS } from '../../shared/limits.ts';
import * as keyQueries from '../access-keys/queries.ts';
import type { JwtVerifier } from '../auth/authenticator.ts';
import { expandPermissions } from '../auth/permissions.ts';
import type { KeyPrincipal, Principal, SessionPrincipal } from '../auth/principal.ts';
import { SIGNED_OUT_STATUSES } from '../users/statuses.ts';
import { SessionStateReader } from './session-state.ts';
import { SIGNING_ALG, type SigningKeyRing } from './signing-keys.ts';
import { API_TOKEN, SESSION_TOKEN } from './tokens.ts';

// Allowed clock skew and longest token lifetime are shared with the embed page.
export { CLOCK_SKEW_SECONDS, MAX_TOKEN_LIFETIME_SECONDS };

const MAX_HEADER_CHARS = 512;
const MAX_CLAIM_CHARS = 100;
/** Header parameters that name key material elsewhere: never followed, and a token carrying one is refused. */
const KEY_MATERIAL_HEADERS = ['jku', 'x5u', 'jwk', 'x5c', 'x5t', 'x5t#S256'];
/** Verified tokens an instance remembers (see TesseraJwtVerifier): bounded, oldest out first. */
const MAX_VERIFIED_TOKENS = 5000;

/**
 * The one verifier for Tessera's JWTs (docs/sessions.md "How every bearer JWT is checked"), which the Authenticator is built with. Every
 * check failing returns null (one 401 body). The key comes only from our own key ring by `kid`;
 * the `typ` picks the kind and the kind fixes `aud`, so a session token never passes as an API
 * token or the other way round. Each kind is then checked against the database on every request:
 * a deleted or suspended user or revoked sessions end a session token, a revoked or expired key
 * ends its API tokens, on every instance at once.
 */
export class TesseraJwtVerifier implements JwtVerifier {
  readonly #db: Db;
  readonly #states: SessionStateReader;
  readonly #clock: Clock;
  readonly #keys: SigningKeyRing;
  readonly #issuer: string;
  /**
   * Tokens whose signature and claims verified, by their exact text, with the key that verified
   * them. A token's signature and claims never change, so an instance checks them once; on every
   * use the key must still be the published one by that kid and the token still within `exp`
   * (and `nbf`), and everything that can change (user, workspace cut-off, minting key) is still
   * read from the database. Only successes are kept, so a stream of bad tokens costs no memory.
   */
  readonly #verified = new Map<
    string,
    { readonly key: unknown; readonly kid: string; readonly typ: string; readonly payload: JWTPayload }
  >();

  constructor(db: Db, clock: Clock, keys: SigningKeyRing, issuer: string) {
    this.#db = db;
    this.#states = new SessionStateReader(db);
    this.#clock = clock;
    this.#keys = keys;
    this.#issuer = issuer;
  }

  /**
   * Null for any token that is not valid. A database failure is not a verdict on the token: it
   * propagates (a 500), so a client is not told to throw away a good token during an outage.
   */
  async verify(token: string): Promise<Principal | null> {
    // A token verified before had this very header (the text is the same): it is not decoded again.
    const header = this.#verified.get(token) ?? decodeHeader(token);
    if (!header) return null;
    if (header.typ === SESSION_TOKEN.typ) return this.#session(token, header.kid as string);
    if (header.typ === API_TOKEN.typ) return this.#api(token, header.kid as string);
    return null;
  }

  async #checked(token: string, kid: string, kind: { typ: string; aud: string }): Promise<JWTPayload | null> {
    // Only our own keys, by kid; never anything the token points to.
    const key = await this.#keys.find(kid);
    if (!key) return null;
    const now = this.#clock.now();
    const known = this.#verified.get(token);
    let p: JWTPayload;
    if (known && known.key === key.key && known.typ === kind.typ && withinTime(known.payload, now)) {
      p = known.payload;
    } else {
      if (known) this.#verified.delete(token);
      let result: JWTVerifyResult;
      try {
        result = await jwtVerify(token, key.key, {
          algorithms: [SIGNING_ALG],
          issuer: this.#issuer,
          audience: kind.aud,
          typ: kind.typ,
          clockTolerance: CLOCK_SKEW_SECONDS,
          currentDate: now,
          requiredClaims: ['iss', 'aud', 'sub', 'iat', 'exp', 'jti'],
        });
      } catch {
        return null;
      }
      p = result.payload;
      if (this.#verified.size >= MAX_VERIFIED_TOKENS)
        this.#verified.delete(this.#verified.keys().next().value!);
      this.#verified.set(token, { key: key.key, kid, typ: kind.typ, payload: p });
    }
    const nowSeconds = now.getTime() / 1000;
    if (typeof p.iat !== 'number' || typeof p.exp !== 'number') return null;
    if (p.iat > nowSeconds + CLOCK_SKEW_SECONDS) return null; // issued in the future
    if (p.exp - p.iat > MAX_TOKEN_LIFETIME_SECONDS) return null; // we never issue such a token
    if (!shortString(p.sub) || !shortString(p.jti)) return null;
    return p;
  }

  async #session(token: string, kid: string): Promise<SessionPrincipal | null> {
    const p = await this.#checked(token, kid, SESSION_TOKEN);
    if (!p) return null;
    const { sub, email, wid, attrs, act } = p as Record<string, unknown>;
    if (p.impersonated_user_id !== sub || !shortString(wid) || typeof email !== 'string') return null;
    const actor = act && typeof act === 'object' ? (act as Record<string, unknown>).sub : undefined;
    if (actor !== undefined && !shortString(actor)) return null;
    const transient = attributeClaim(attrs);
    if (!transient) return null;
    const row = await this.#states.read(sub as string, actor as string | undefined);
    if (!row || row.workspace_id !== wid || SIGNED_OUT_STATUSES.has(row.status)) return null;
    // A session names the key that minted it; a key that is gone or revoked vouches for nothing.
    if (actor !== undefined && (row.key_id === null || row.key_revoked_at !== null)) return null;
    const issuedAt = new Date(p.iat! * 1000);
    // Sessions revoked in the same second as issuance are refused too: `iat` has second precision.
    if (row.sessions_revoked_at && row.sessions_revoked_at.getTime() >= issuedAt.getTime()) return null;
    return {
      kind: 'session',
      userId: sub as string,
      email,
      workspaceId: wid as string,
      actorKeyId: (actor as string | undefined) ?? null,
      transientAttributes: transient,
      tokenId: p.jti!,
      issuedAt,
      expiresAt: new Date(p.exp! * 1000),
      snapshotVersion: row.snapshot_version,
    };
  }

  async #api(token: string, kid: string): Promise<KeyPrincipal | null> {
    const p = await this.#checked(token, kid, API_TOKEN);
    if (!p) return null;
    const { wid, perms } = p as Record<string, unknown>;
    if (!shortString(wid) || !Array.isArray(perms)) return null;
    // The key is read on every request: revoking it ends its API tokens at once, everywhere.
    const key = await keyQueries.findAccessKey(this.#db, p.sub!);
    const now = this.#clock.now();
    if (!key || key.workspace_id !== wid || key.revoked_at || (key.expires_at && key.expires_at <= now))
      return null;
    // Never more than the key holds now, nor more than the token was given.
    const current = expandPermissions(key.permissions);
    const granted = expandPermissions(perms.filter((x): x is string => typeof x === 'string'));
    return {
      kind: 'apiToken',
      keyId: key.id,
      workspaceId: key.workspace_id,
      permissions: new Set([...granted].filter((x) => current.has(x))),
    };
  }
}

/** jose's own time checks (`exp`, `nbf`, with the clock tolerance), for a token verified before. */
function withinTime(p: JWTPayload, now: Date): boolean {
  const nowSeconds = Math.floor(now.getTime() / 1000);
  if (typeof p.exp !== 'number' || p.exp <= nowSeconds - CLOCK_SKEW_SECONDS) return false;
  return p.nbf === undefined || (typeof p.nbf === 'number' && p.nbf <= nowSeconds + CLOCK_SKEW_SECONDS);
}

const shortString = (v: unknown): v is string =>
  typeof v === 'string' && v.length > 0 && v.length <= MAX_CLAIM_CHARS;

/** The protected header, when it is small, JSON, and names no outside key material. */
function decodeHeader(token: string): Record<string, unknown> | null {
  const dot = token.indexOf('.');
  if (dot <= 0 || dot > MAX_HEADER_CHARS) return null;
  try {
    const header = JSON.parse(Buffer.from(token.slice(0, dot), 'base64url').toString('utf8')) as unknown;
    if (!header || typeof header !== 'object' || Array.isArray(header)) return null;
    const h = header as Record<string, unknown>;
    if (KEY_MATERIAL_HEADERS.some((name) => Object.hasOwn(h, name))) return null;
    if (h.alg !== SIGNING_ALG || typeof h.kid !== 'string') return null;
    return h;
  } catch {
    return null;
  }
}

/** The `attrs` claim as a Map of strings, or null when it is not an object of strings. */
function attributeClaim(value: unknown): Map<string, string> | null {
  if (value === undefined) return new Map();
  if (!value || typeof value !== 'object' || Array.isArray(value)) return null;
  const map = new Map<string, string>();
  for (const [k, v] of Object.entries(value)) {
    if (typeof v !== 'string') return null;
    map.set(k, v);
  }
  return map;
}
