import { createPrivateKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { type CryptoKey, importJWK, type JWK } from 'jose';
import type { Clock } from '../../clock.ts';
import { ConfigError } from '../../config.ts';
import type { SecretBox } from '../../crypto/secret-box.ts';
import type { Db } from '../../db/index.ts';
import { runShared } from '../../db/scope.ts';
import { randomToken } from '../../ids.ts';
import * as q from './queries.ts';

/** The only signature algorithm Tessera issues and accepts (docs/sessions.md "How every bearer JWT is checked": explicit allow-list). */
export const SIGNING_ALG = 'ES256';

/** Our key ids: anything else in a token's `kid` fails without touching the database. */
export const KID_PATTERN = /^[0-9a-z]{20}$/;

export interface PublicSigningKey {
  readonly kid: string;
  readonly jwk: JWK;
  readonly key: CryptoKey;
  /** Null while the key signs; once rotated out, the instant it stops being published and accepted. */
  readonly retireAfter: Date | null;
}

export interface SigningKeyRingOptions {
  /** How long the published keys are cached before re-reading them (rotation on another instance). */
  readonly cacheMs?: number;
  /** Least time between two refreshes triggered by an unknown `kid`, so junk kids cannot hammer the DB. */
  readonly unknownKidRefreshMs?: number;
}

interface Snapshot {
  readonly loadedAt: number;
  readonly keys: ReadonlyMap<string, PublicSigningKey>;
  readonly signer: { readonly kid: string; readonly privateKey: KeyObject } | null;
}

const contextOf = (kid: string) => `signing-key:${kid}`;

/**
 * The ES256 keys that sign session and API JWTs, stored in the database (private halves sealed
 * with the master key) so every instance signs and verifies with the same set. Each instance
 * caches the set briefly (wall-clock monotonic time, well under the 60 s verification skew, so a
 * key rotated elsewhere is picked up before anyone needs it) and refreshes once on an unknown kid.
 */
export class SigningKeyRing {
  readonly #db: Db;
  readonly #clock: Clock;
  readonly #secrets: SecretBox;
  readonly #cacheMs: number;
  readonly #unknownKidRefreshMs: number;
  #snapshot: Snapshot | null = null;
  #loading: Promise<Snapshot> | null = null;
  #reads = 0;

  constructor(db: Db, clock: Clock, secrets: SecretBox, options: SigningKeyRingOptions = {}) {
    this.#db = db;
    this.#clock = clock;
    this.#secrets = secrets;
    this.#cacheMs = options.cacheMs ?? 15_000;
    this.#unknownKidRefreshMs = options.unknownKidRefreshMs ?? 250;
  }

  /**
   * Creates the first signing key if there is none. Race-safe: the partial unique index admits
   * one `current` key, so of two instances starting together on one database one insert wins.
   */
  async ensureSigner(): Promise<void> {
    const current = await q.currentSignerKid(this.#db);
    if (!current) await q.insertSignerIfNone(this.#db, this.#newKeyRow());
    await this.refresh();
  }

  /**
   * Makes a new key the signer. The old one stays published and accepted for `graceMs` (the
   * longest token lifetime plus the clock skew) and is then retired. Keys already past their
   * retirement are deleted.
   */
  async rotate(graceMs: number): Promise<{ kid: string; retiredKid: string | null; retireAfter: Date }> {
    const now = this.#clock.now();
    const retireAfter = new Date(now.getTime() + graceMs);
    const row = this.#newKeyRow();
    const retired = await this.#db.transaction().execute(async (tx) => {
      const old = await q.retireSigner(tx, retireAfter);
      await q.insertSigningKey(tx, row);
      await q.deleteRetiredKeys(tx, now);
      return old?.kid ?? null;
    });
    await this.refresh();
    return { kid: row.kid, retiredKid: retired, retireAfter };
  }

  /** The signer's kid and private key (re-read when the cache is stale). */
  async signer(): Promise<{ kid: string; privateKey: KeyObject }> {
    let snapshot = await this.#fresh();
    if (!snapshot.signer) {
      await this.ensureSigner();
      snapshot = await this.#fresh();
    }
    if (!snapshot.signer) throw new Error('no signing key');
    return snapshot.signer;
  }

  /** A published, not yet retired key by id; an unknown kid triggers at most one rate-limited re-read. */
  async find(kid: string): Promise<PublicSigningKey | null> {
    if (!KID_PATTERN.test(kid)) return null;
    let snapshot = await this.#fresh();
    let key = snapshot.keys.get(kid);
    if (!key && performance.now() - snapshot.loadedAt >= this.#unknownKidRefreshMs) {
      snapshot = await this.refresh();
      key = snapshot.keys.get(kid);
    }
    return key && this.#published(key) ? key : null;
  }

  /** Every key a client may verify with today: the signer and rotated keys not yet retired. */
  async published(): Promise<PublicSigningKey[]> {
    const snapshot = await this.#fresh();
    return [...snapshot.keys.values()].filter((k) => this.#published(k));
  }

  /** How many times this instance has read the key set from the database (for metrics and tests). */
  get reads(): number {
    return this.#reads;
  }

  /** Re-reads the keys now; concurrent callers share one read. */
  refresh(): Promise<Snapshot> {
    this.#loading ??= runShared(() => this.#load()).finally(() => {
      this.#loading = null;
    });
    return this.#loading;
  }

  #published(key: PublicSigningKey): boolean {
    return key.retireAfter === null || key.retireAfter > this.#clock.now();
  }

  async #fresh(): Promise<Snapshot> {
    const s = this.#snapshot;
    if (s && performance.now() - s.loadedAt < this.#cacheMs) return s;
    return this.refresh();
  }

  async #load(): Promise<Snapshot> {
    this.#reads++;
    const rows = await q.liveSigningKeys(this.#db, this.#clock.now());
    const keys = new Map<string, PublicSigningKey>();
    let signer: Snapshot['signer'] = null;
    for (const row of rows) {
      const jwk = JSON.parse(row.public_jwk) as JWK;
      const key = (await importJWK(jwk, SIGNING_ALG)) as CryptoKey;
      keys.set(row.kid, { kid: row.kid, jwk, key, retireAfter: row.retire_after });
      if (row.state === 'current') {
        signer = {
          kid: row.kid,
          privateKey: createPrivateKey(this.#openPrivateKey(row.kid, row.private_key_sealed)),
        };
      }
    }
    const snapshot: Snapshot = { loadedAt: performance.now(), keys, signer };
    this.#snapshot = snapshot;
    return snapshot;
  }

  #openPrivateKey(kid: string, sealed: string): string {
    try {
      return this.#secrets.open(sealed, contextOf(kid));
    } catch {
      throw new ConfigError(
        `The signing key ${kid} was sealed with another master key: every instance sharing this database ` +
          'needs the same TESSERA_MASTER_KEY.',
      );
    }
  }

  #newKeyRow() {
    const kid = randomToken(12); // 96 bits: 20 base32 characters, matching KID_PATTERN
    const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const jwk = publicKey.export({ format: 'jwk' });
    const pem = privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
    return {
      kid,
      alg: SIGNING_ALG,
      public_jwk: JSON.stringify({
        kty: jwk.kty,
        crv: jwk.crv,
        x: jwk.x,
        y: jwk.y,
        kid,
        alg: SIGNING_ALG,
        use: 'sig',
      }),
      private_key_sealed: this.#secrets.seal(pem, contextOf(kid)),
      state: 'current' as const,
      created_at: this.#clock.now(),
      retire_after: null,
    };
  }
}
