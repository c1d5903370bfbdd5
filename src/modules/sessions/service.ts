import type { JWK } from 'jose';
import type { Clock } from '../../clock.ts';
import type { Config } from '../../config.ts';
import type { SecretBox } from '../../crypto/secret-box.ts';
import type { Db } from '../../db/index.ts';
import { AppError, assertNoProblems, badInput, forbidden, notFound, unauthenticated } from '../../errors.ts';
import type { AccessKeyService } from '../access-keys/service.ts';
import type { AttributeDefinitions } from '../attribute-definitions/rules.ts';
import { type AttributeInput, attributeMap, attributeProblems } from '../attributes/validation.ts';
import { type AuditOrigin, auditRow, recordAudit } from '../audit/service.ts';
import { MAX_TOKEN_LENGTH } from '../auth/authenticator.ts';
import { PERMISSIONS } from '../auth/permissions.ts';
import { normalizeEmail } from '../users/email.ts';
import { SIGNED_OUT_STATUSES } from '../users/statuses.ts';
import {
  embedOriginsOf,
  sessionsRevokedAtOf,
  setEmbedOrigins,
  setSessionsRevokedAt,
} from '../workspaces/queries.ts';
import { normalizeEmbedOrigins } from './embed-origins.ts';
import { ImpersonationFactsReader } from './impersonation-facts.ts';
import {
  AuthFailureLimiter,
  DatabaseFailureCounter,
  type FailureCounter,
  RedisFailureCounter,
} from './rate-limit.ts';
import { SessionStartRecorder } from './session-start.ts';
import { SigningKeyRing, type SigningKeyRingOptions } from './signing-keys.ts';
import { TokenIssuer } from './tokens.ts';
import { CLOCK_SKEW_SECONDS, MAX_TOKEN_LIFETIME_SECONDS, TesseraJwtVerifier } from './verifier.ts';

/** Where a credential-checking call came from: for the audit trail and the per-IP rate limit. */
export interface CallerMeta {
  readonly requestId: string | null;
  readonly ip: string | null;
}

export interface SessionServiceDeps {
  readonly config: Config;
  readonly db: Db;
  readonly clock: Clock;
  readonly secrets: SecretBox;
  readonly accessKeys: AccessKeyService;
  /**
   * Refuses transient attributes the workspace's attribute definitions do not allow
   * (docs/attribute-definitions.md "Transient overrides"), after the key is verified.
   */
  readonly checkTransientAttributes: TransientAttributeCheck;
  readonly keyRing?: SigningKeyRingOptions;
  readonly failureCounter?: FailureCounter;
}

/**
 * Throws (ATTRIBUTE_OVERRIDE_REFUSED, ATTRIBUTE_TYPE_MISMATCH) when a session may not carry
 * `transient`; `definitions` holds the workspace's definitions of (at least) every transient key.
 */
export type TransientAttributeCheck = (check: {
  readonly workspaceId: string;
  readonly userId: string;
  readonly transient: ReadonlyMap<string, string>;
  readonly definitions: AttributeDefinitions;
}) => Promise<void>;

/**
 * Embedded sessions (docs/sessions.md): signing keys, impersonation, API token exchange, session
 * revocation and the workspace's embed origins. The JWT verifier it owns is the `jwtVerifier`
 * service the Authenticator is built with.
 */
export class SessionService {
  readonly keys: SigningKeyRing;
  readonly verifier: TesseraJwtVerifier;
  readonly #config: Config;
  readonly #db: Db;
  readonly #clock: Clock;
  readonly #accessKeys: AccessKeyService;
  readonly #issuer: TokenIssuer;
  readonly #limiter: AuthFailureLimiter;
  readonly #facts: ImpersonationFactsReader;
  readonly #sessionStarts: SessionStartRecorder;
  readonly #checkTransient: TransientAttributeCheck;

  constructor(deps: SessionServiceDeps) {
    this.#checkTransient = deps.checkTransientAttributes;
    this.#config = deps.config;
    this.#db = deps.db;
    this.#clock = deps.clock;
    this.#accessKeys = deps.accessKeys;
    this.keys = new SigningKeyRing(deps.db, deps.clock, deps.secrets, deps.keyRing);
    this.#issuer = new TokenIssuer(this.keys, deps.clock, deps.config.publicUrl);
    this.verifier = new TesseraJwtVerifier(deps.db, deps.clock, this.keys, deps.config.publicUrl);
    const counter =
      deps.failureCounter ??
      (deps.config.redisUrl
        ? new RedisFailureCounter(deps.config.redisUrl)
        : new DatabaseFailureCounter(deps.db));
    this.#limiter = new AuthFailureLimiter(counter, deps.clock, deps.config.authFailuresPerMinute);
    // PGlite runs one statement at a time; on a pool, a few batches in flight keep one slow round
    // trip (a commit waiting on the disk) from holding back every impersonation behind it.
    const inFlight =
      deps.config.database.kind === 'postgres' ? Math.min(4, deps.config.database.poolSize) : 1;
    this.#facts = new ImpersonationFactsReader(deps.db, inFlight);
    this.#sessionStarts = new SessionStartRecorder(deps.db, inFlight);
  }

  /** Creates the first signing key if needed, before anything serves. */
  async start(): Promise<void> {
    await this.keys.ensureSigner();
  }

  close(): Promise<void> {
    return this.#limiter.close();
  }

  /**
   * `impersonateUser` (docs/sessions.md "Starting a session"): an access key with `impersonate` buys a session JWT for one
   * user of its workspace. Every failure is audited and counted against the key id and the IP; a
   * success is two statements, each shared with the impersonations that arrive alongside it (the
   * read model, then the session start with its audit event).
   */
  async impersonate(
    accessToken: string,
    userEmail: string,
    attributes: readonly AttributeInput[] | null | undefined,
    caller: CallerMeta,
  ): Promise<string> {
    const keyId = this.#accessKeys.keyIdOf(accessToken);
    const attempt = this.#limiter.attempt({ keyId, ip: caller.ip });
    // Checked here, answered only once the key is verified (a bad key learns nothing about its input).
    const attributeErrors = attributeProblems(attributes ?? [], 'attributes');
    const [facts] = await Promise.all([
      this.#facts.read({
        lookup: this.#accessKeys.keyLookupOf(accessToken),
        emailNormalized: normalizeEmail(userEmail),
        // Well-formed keys only: a malformed list is refused before any definition would matter.
        attributeKeys: attributeErrors.length === 0 ? (attributes ?? []).map((a) => a.key) : [],
        failures: attempt.foldable ? attempt : null,
      }),
      attempt.foldable ? null : attempt.check(null),
    ]);
    if (attempt.foldable) await attempt.check(facts.failures);
    const key = await this.#accessKeys.verifyFound(accessToken, facts.key, caller);
    if (!key?.permissions.has('impersonate')) {
      // The same work whatever was wrong (unknown id, wrong secret, revoked, no permission).
      await Promise.all([
        attempt.failed(),
        this.#auditKeyFailure({
          action: 'user.impersonate',
          keyId,
          found: facts.key,
          caller,
          reason: 'credential',
        }),
      ]);
      throw unauthenticated();
    }
    const origin: AuditOrigin = { ...caller, actorKeyId: key.keyId, actorUserId: null };
    const fail = async (error: AppError, reason: string, userId: string | null = null) => {
      await recordAudit(this.#db, origin, {
        action: 'user.impersonate',
        workspaceId: key.workspaceId,
        target: userId,
        details: { reason, email: userEmail.slice(0, 320) },
        outcome: 'FAILURE',
        at: this.#clock.now(),
      });
      return error;
    };
    try {
      assertNoProblems(attributeErrors, 'attributes');
    } catch (err) {
      // A malformed request from a genuine key guesses nothing: it is not counted as a failure.
      throw await fail(err as AppError, 'attributes');
    }
    const user = facts.user;
    if (!user) {
      await attempt.failed();
      throw await fail(notFound('User not found'), 'unknownEmail');
    }
    if (SIGNED_OUT_STATUSES.has(user.status)) {
      await attempt.failed();
      throw await fail(forbidden('The user cannot start a session'), 'userStatus', user.id);
    }
    const transient = attributeMap(attributes ?? []);
    try {
      await this.#checkTransient({
        workspaceId: key.workspaceId,
        userId: user.id,
        transient,
        definitions: facts.definitions,
      });
    } catch (err) {
      // A genuine key asking for an override its workspace forbids: refused and audited, not counted.
      if (err instanceof AppError) throw await fail(err, 'attributeDefinitions', user.id);
      throw err;
    }
    const { token, claims } = await this.#issuer.session(
      {
        userId: user.id,
        email: user.email,
        workspaceId: key.workspaceId,
        actorKeyId: key.keyId,
        attributes: transient,
      },
      this.#config.sessionTtlSeconds,
    );
    if (token.length > MAX_TOKEN_LENGTH) {
      // A token no request could carry is refused before it is recorded as a session.
      const message = `make the session token ${token.length} characters long; at most ${MAX_TOKEN_LENGTH} can be used`;
      throw await fail(
        badInput(`Invalid attributes: ${message}`, [
          { code: 'BAD_USER_INPUT', field: 'attributes', message },
        ]),
        'attributes',
      );
    }
    const now = this.#clock.now();
    const event = auditRow(origin, {
      action: 'user.impersonate',
      workspaceId: key.workspaceId,
      target: user.id,
      details: {
        jti: claims.jti,
        expiresAt: new Date(claims.exp * 1000).toISOString(),
        // Which keys were given, not their values: transient attributes are never stored.
        transientAttributeKeys: [...transient.keys()],
      },
      at: now,
    });
    await this.#sessionStarts.record(user.id, now, event);
    return token;
  }

  /** `exchangeAccessToken`: an access key → a short-lived API JWT with the key's permissions. */
  async exchange(accessToken: string, caller: CallerMeta): Promise<string> {
    const keyId = this.#accessKeys.keyIdOf(accessToken);
    const attempt = this.#limiter.attempt({ keyId, ip: caller.ip });
    // The count and the key are read side by side: two reads, one round trip of waiting.
    const [found] = await Promise.all([this.#accessKeys.find(accessToken), attempt.check(null)]);
    const key = await this.#accessKeys.verifyFound(accessToken, found, caller);
    if (!key) {
      await Promise.all([
        attempt.failed(),
        this.#auditKeyFailure({ action: 'accessKey.exchange', keyId, found, caller, reason: 'credential' }),
      ]);
      throw unauthenticated();
    }
    const { token, claims } = await this.#issuer.api(
      {
        keyId: key.keyId,
        workspaceId: key.workspaceId,
        permissions: PERMISSIONS.filter((p) => key.permissions.has(p)),
      },
      this.#config.apiTokenTtlSeconds,
    );
    await recordAudit(
      this.#db,
      { ...caller, actorKeyId: key.keyId, actorUserId: null },
      {
        action: 'accessKey.exchange',
        workspaceId: key.workspaceId,
        target: key.keyId,
        details: { jti: claims.jti },
        at: this.#clock.now(),
      },
    );
    return token;
  }

  /** Ends every session JWT of the workspace issued up to now, on every instance at its next request. */
  async revokeSessions(workspaceId: string, origin: AuditOrigin): Promise<Date> {
    const now = this.#clock.now();
    await this.#db.transaction().execute(async (tx) => {
      if (!(await setSessionsRevokedAt(tx, workspaceId, now))) throw notFound('Workspace not found');
      await recordAudit(tx, origin, { action: 'sessions.revoke', workspaceId, target: workspaceId, at: now });
    });
    return now;
  }

  /**
   * The origins allowed to frame the workspace's embed page (its CSP `frame-ancestors`); empty =
   * none. Read through the normalization a write gets, so a list stored before origins were kept
   * in browsers' spelling (`:09833`, `127.1`) is served as browsers compare it, and an entry the
   * URL parser refuses is left out rather than written into a header.
   */
  async allowedEmbedOrigins(workspaceId: string): Promise<string[]> {
    const origins = await embedOriginsOf(this.#db, workspaceId);
    return origins ? normalizeEmbedOrigins(origins).origins : [];
  }

  async sessionsRevokedAt(workspaceId: string): Promise<Date | null> {
    return sessionsRevokedAtOf(this.#db, workspaceId);
  }

  /** Replaces the workspace's allowed embed origins (validated and normalized). */
  async setAllowedEmbedOrigins(
    workspaceId: string,
    origins: readonly string[],
    origin: AuditOrigin,
  ): Promise<string[]> {
    const normalized = normalizeEmbedOrigins(origins);
    assertNoProblems(normalized.problems, 'embed settings');
    const now = this.#clock.now();
    await this.#db.transaction().execute(async (tx) => {
      if (!(await setEmbedOrigins(tx, workspaceId, normalized.origins)))
        throw notFound('Workspace not found');
      await recordAudit(tx, origin, {
        action: 'workspace.embedSettings',
        workspaceId,
        target: workspaceId,
        details: { allowedEmbedOrigins: normalized.origins },
        at: now,
      });
    });
    return normalized.origins;
  }

  /** `tessera keys rotate-signing`: the old key stays valid for the longest token lifetime plus skew. */
  rotateSigningKey(): Promise<{ kid: string; retiredKid: string | null; retireAfter: Date }> {
    const longest = Math.min(
      MAX_TOKEN_LIFETIME_SECONDS,
      Math.max(this.#config.sessionTtlSeconds, this.#config.apiTokenTtlSeconds),
    );
    return this.keys.rotate((longest + CLOCK_SKEW_SECONDS) * 1000);
  }

  /** The JWKS document: public keys only. */
  async jwks(): Promise<{ keys: JWK[] }> {
    const keys = await this.keys.published();
    return {
      keys: keys.map((k) => ({
        kty: k.jwk.kty,
        crv: k.jwk.crv,
        x: k.jwk.x,
        y: k.jwk.y,
        kid: k.kid,
        alg: k.jwk.alg,
        use: 'sig',
      })),
    };
  }

  async #auditKeyFailure(failure: {
    readonly action: 'user.impersonate' | 'accessKey.exchange';
    readonly keyId: string | null;
    readonly found: { readonly id: string; readonly workspace_id: string } | undefined;
    readonly caller: CallerMeta;
    readonly reason: string;
  }): Promise<void> {
    const { action, keyId, found, caller, reason } = failure;
    // The row was read whether or not the id exists, so both failures have taken the same path.
    const key = found?.id === keyId ? found : undefined;
    await recordAudit(
      this.#db,
      { requestId: caller.requestId, ip: caller.ip, actorKeyId: key ? keyId : null, actorUserId: null },
      {
        action,
        workspaceId: key?.workspace_id ?? null,
        target: null,
        details: { reason },
        outcome: 'FAILURE',
        at: this.#clock.now(),
      },
    );
  }
}
