import { Redis } from 'ioredis';
import { sql } from 'kysely';
import type { Clock } from '../../clock.ts';
import type { Db } from '../../db/index.ts';
import { AppError, serviceUnavailable } from '../../errors.ts';
import { clientAddressBucket } from './client-address.ts';

/**
 * Counts failures per bucket in fixed one-minute windows, shared by every instance. `add`
 * increments and returns the new counts atomically, so concurrent attempts (aliases in one
 * document, or two instances) each see a distinct count.
 */
export interface FailureCounter {
  add(buckets: readonly string[], windowStart: Date, delta: 1 | -1): Promise<number[]>;
  close(): Promise<void>;
}

export const WINDOW_MS = 60_000;

/** The default store: one row per bucket and window in PostgreSQL/PGlite, upserted atomically. */
export class DatabaseFailureCounter implements FailureCounter {
  readonly #db: Db;
  #writes = 0;

  constructor(db: Db) {
    this.#db = db;
  }

  async add(buckets: readonly string[], windowStart: Date, delta: 1 | -1): Promise<number[]> {
    if (buckets.length === 0) return [];
    const rows = await this.#db
      .insertInto('auth_failure_counters')
      .values(buckets.map((bucket) => ({ bucket, window_start: windowStart, failures: Math.max(delta, 0) })))
      .onConflict((oc) =>
        oc.columns(['bucket', 'window_start']).doUpdateSet({
          failures: sql<number>`greatest(auth_failure_counters.failures + ${delta}, 0)`,
        }),
      )
      .returning(['bucket', 'failures'])
      .execute();
    // Old windows are dead weight: sweep them now and then, not on every attempt.
    if (++this.#writes % 200 === 1) {
      await this.#db
        .deleteFrom('auth_failure_counters')
        .where('window_start', '<', new Date(windowStart.getTime() - 2 * WINDOW_MS))
        .execute();
    }
    const byBucket = new Map(rows.map((r) => [r.bucket, Number(r.failures)]));
    return buckets.map((b) => byBucket.get(b) ?? 0);
  }

  async close(): Promise<void> {}
}

/** The store when `REDIS_URL` is set: INCR/DECR on keys that expire after two windows. */
export class RedisFailureCounter implements FailureCounter {
  readonly #redis: Redis;

  constructor(url: string) {
    // Fail closed and fast when Redis is unreachable: an attempt errors instead of skipping the limit.
    this.#redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 2, connectTimeout: 2000 });
    this.#redis.on('error', () => {}); // reconnects on its own; a failing command surfaces to the caller
  }

  async add(buckets: readonly string[], windowStart: Date, delta: 1 | -1): Promise<number[]> {
    if (buckets.length === 0) return [];
    const multi = this.#redis.multi();
    for (const bucket of buckets) {
      const key = `tessera:auth-failures:${windowStart.getTime()}:${bucket}`;
      multi.incrby(key, delta).pexpire(key, 2 * WINDOW_MS);
    }
    // Fail closed: without the shared counts no attempt is let through, and the caller is told to
    // retry (SERVICE_UNAVAILABLE, 503) rather than shown an internal error.
    let results: [Error | null, unknown][];
    try {
      results = (await multi.exec()) ?? [];
    } catch (err) {
      throw serviceUnavailable('The rate-limit store (Redis)', err);
    }
    return buckets.map((_, i) => {
      const [err, value] = results[i * 2] ?? [new Error('no reply'), 0];
      if (err) throw serviceUnavailable('The rate-limit store (Redis)', err);
      return Math.max(Number(value), 0);
    });
  }

  async close(): Promise<void> {
    this.#redis.disconnect();
  }
}

/** One attempt that counted as a failure until it proves otherwise. */
export interface Attempt {
  /** The attempt succeeded: take back its provisional failure. */
  succeeded(): Promise<void>;
}

/**
 * Failure rate limits for credential-checking operations (EMBED.md §1), per key id and per
 * client IP. Every attempt first counts as a failure (atomically, in the shared store) and is
 * refused when that makes any of its buckets exceed the limit; a successful attempt takes its
 * count back. So concurrent attempts — aliases in one document, or several instances — cannot
 * all slip under the limit together, and each alias is one attempt.
 */
export class AuthFailureLimiter {
  readonly #counter: FailureCounter;
  readonly #clock: Clock;
  readonly #limit: number;

  constructor(counter: FailureCounter, clock: Clock, limitPerMinute: number) {
    this.#counter = counter;
    this.#clock = clock;
    this.#limit = limitPerMinute;
  }

  async begin(subject: { keyId: string | null; ip: string | null }): Promise<Attempt> {
    // The address from the socket only (X-Forwarded-For is never read), folded per client.
    const buckets = [`ip:${clientAddressBucket(subject.ip)}`];
    if (subject.keyId) buckets.push(`key:${subject.keyId}`);
    const now = this.#clock.now().getTime();
    const windowStart = new Date(now - (now % WINDOW_MS));
    const counts = await this.#counter.add(buckets, windowStart, 1);
    if (counts.some((c) => c > this.#limit)) {
      const retryAfterSeconds = Math.max(1, Math.ceil((windowStart.getTime() + WINDOW_MS - now) / 1000));
      throw new AppError('RATE_LIMITED', 'Too many failed attempts; try again later', {
        extra: { retryAfterSeconds },
      });
    }
    return { succeeded: () => this.#counter.add(buckets, windowStart, -1).then(() => undefined) };
  }

  close(): Promise<void> {
    return this.#counter.close();
  }
}
