import type { Redis } from 'ioredis';
import type { Clock } from '../../clock.ts';
import type { Db } from '../../db/index.ts';
import { AppError, serviceUnavailable } from '../../errors.ts';
import { clientAddressBucket } from './client-address.ts';
import * as q from './queries.ts';

/**
 * Counts failures per bucket in fixed one-minute windows, shared by every instance. Only failures
 * are ever written: a successful attempt reads the counts and nothing else.
 */
export interface FailureCounter {
  /** The failure counts of the buckets in the window (0 for a bucket nothing failed in). */
  read(buckets: readonly string[], windowStart: Date): Promise<number[]>;
  /** Counts one failure in each bucket, atomically per bucket, and returns the new counts. */
  add(buckets: readonly string[], windowStart: Date): Promise<number[]>;
  /**
   * True when the counts live in the application database (`auth_failure_counters`): a caller may
   * then read them in a statement it runs anyway, so the check costs no round trip of its own.
   */
  readonly inApplicationDatabase: boolean;
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

  readonly inApplicationDatabase = true;

  async read(buckets: readonly string[], windowStart: Date): Promise<number[]> {
    if (buckets.length === 0) return [];
    const rows = await q.failureCounts(this.#db, buckets, windowStart);
    const byBucket = new Map(rows.map((r) => [r.bucket, Number(r.failures)]));
    return buckets.map((b) => byBucket.get(b) ?? 0);
  }

  async add(buckets: readonly string[], windowStart: Date): Promise<number[]> {
    if (buckets.length === 0) return [];
    const rows = await q.addFailures(this.#db, buckets, windowStart);
    // Old windows are dead weight: sweep them now and then, not on every failure.
    if (++this.#writes % 200 === 1) {
      await q.deleteFailureWindowsBefore(this.#db, new Date(windowStart.getTime() - 2 * WINDOW_MS));
    }
    const byBucket = new Map(rows.map((r) => [r.bucket, Number(r.failures)]));
    return buckets.map((b) => byBucket.get(b) ?? 0);
  }

  async close(): Promise<void> {}
}

/** The longest an impersonation waits on Redis for the counts (see `withinDeadline`). */
const REDIS_DEADLINE_MS = 2000;
/** How long a socket that owes replies may stay silent before the client itself reopens it. */
const REDIS_SILENCE_MS = 5000;
/** When the client itself fails a command still unanswered, so a stall cannot pile them up. */
const REDIS_COMMAND_CLEANUP_MS = 10_000;

/**
 * `work`, or a rejection once REDIS_DEADLINE_MS have passed without its reply. When the timer
 * fires, the replies already on the socket are read first (the poll phase runs before
 * setImmediate's): in a burst of thousands of attempts the event loop can be busy for longer than
 * the deadline while Redis has long answered, and such an attempt must not be refused. Only a
 * reply that has not arrived counts against the deadline, and then the connection that owes it
 * is given up and reopened: under steady attempts its socket is never idle (each write restarts
 * the client's silence timer), so a network that stalled would otherwise hold it after it recovers.
 */
function withinDeadline<T>(redis: Redis, work: Promise<T>): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    let settled = false;
    const timer = setTimeout(
      () =>
        setImmediate(() => {
          if (settled) return;
          settled = true;
          if (redis.status === 'ready' || redis.status === 'connect') redis.disconnect(true);
          reject(new Error(`no reply from Redis within ${REDIS_DEADLINE_MS} ms`));
        }),
      REDIS_DEADLINE_MS,
    );
    const settle = () => {
      settled = true;
      clearTimeout(timer);
    };
    work.then(
      (value) => {
        settle();
        resolve(value);
      },
      (err: unknown) => {
        settle();
        reject(err);
      },
    );
  });
}

/** The store when `REDIS_URL` is set: INCR on keys that expire after two windows. */
export class RedisFailureCounter implements FailureCounter {
  /** The client library is loaded only when Redis is configured. */
  readonly #redis: Promise<Redis>;
  readonly inApplicationDatabase = false;

  constructor(url: string) {
    this.#redis = import('ioredis').then(({ Redis }) => {
      // Fail closed and fast when Redis is unreachable: an attempt errors instead of skipping the
      // limit. A network that stalls without closing brings no error at all: an attempt waits at
      // most REDIS_DEADLINE_MS (withinDeadline), and a connection that owes a reply past it, or
      // stays silent (socketTimeout), is closed and reopened, so the counters work again as soon
      // as the network does; the client fails what is still unanswered later on (commandTimeout).
      // The client's own timers are not the deadline: they fire on a busy event loop before a
      // reply that has arrived is read.
      const redis = new Redis(url, {
        lazyConnect: true,
        maxRetriesPerRequest: 2,
        connectTimeout: REDIS_DEADLINE_MS,
        commandTimeout: REDIS_COMMAND_CLEANUP_MS,
        socketTimeout: REDIS_SILENCE_MS,
      });
      redis.on('error', () => {}); // reconnects on its own; a failing command surfaces to the caller
      return redis;
    });
  }

  async read(buckets: readonly string[], windowStart: Date): Promise<number[]> {
    if (buckets.length === 0) return [];
    let values: (string | null)[];
    try {
      const redis = await this.#redis;
      values = await withinDeadline(redis, redis.mget(buckets.map((b) => keyOf(windowStart, b))));
    } catch (err) {
      // Fail closed, as `add` does: without the shared counts no attempt is let through.
      throw serviceUnavailable('The rate-limit store (Redis)', err);
    }
    return values.map((v) => Math.max(Number(v ?? 0), 0));
  }

  async add(buckets: readonly string[], windowStart: Date): Promise<number[]> {
    if (buckets.length === 0) return [];
    const redis = await this.#redis;
    const multi = redis.multi();
    for (const bucket of buckets) {
      const key = keyOf(windowStart, bucket);
      multi.incr(key).pexpire(key, 2 * WINDOW_MS);
    }
    // Fail closed: without the shared counts no attempt is let through, and the caller is told to
    // retry (SERVICE_UNAVAILABLE, 503) rather than shown an internal error.
    let results: [Error | null, unknown][];
    try {
      results = (await withinDeadline(redis, multi.exec())) ?? [];
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
    (await this.#redis).disconnect();
  }
}

const keyOf = (windowStart: Date, bucket: string) =>
  `tessera:auth-failures:${windowStart.getTime()}:${bucket}`;

/**
 * One credential-checking attempt: checked against the counts before it does anything, and
 * counted only if it fails.
 */
export class Attempt {
  readonly #counter: FailureCounter;
  readonly #limit: number;
  readonly #now: number;
  /** The client address bucket, then the key id bucket when the token names one. */
  readonly buckets: readonly string[];
  readonly windowStart: Date;

  constructor(counter: FailureCounter, limit: number, buckets: readonly string[], now: number) {
    this.#counter = counter;
    this.#limit = limit;
    this.buckets = buckets;
    this.#now = now;
    this.windowStart = new Date(now - (now % WINDOW_MS));
  }

  /** Whether the caller may read the counts itself, in its own statement on the application database. */
  get foldable(): boolean {
    return this.#counter.inApplicationDatabase;
  }

  /**
   * Refuses with RATE_LIMITED when a bucket already holds the limit's worth of failures in this
   * window. `folded` is the highest count when the caller read it (see `foldable`); otherwise the
   * store is read.
   */
  async check(folded: number | null): Promise<void> {
    const highest = folded ?? Math.max(0, ...(await this.#counter.read(this.buckets, this.windowStart)));
    if (Number(highest) >= this.#limit) {
      const retryAfterSeconds = Math.max(
        1,
        Math.ceil((this.windowStart.getTime() + WINDOW_MS - this.#now) / 1000),
      );
      throw new AppError('RATE_LIMITED', 'Too many failed attempts; try again later', {
        extra: { retryAfterSeconds },
      });
    }
  }

  /** The attempt failed: it counts against every bucket. */
  async failed(): Promise<void> {
    await this.#counter.add(this.buckets, this.windowStart);
  }
}

/**
 * Failure rate limits for credential-checking operations (docs/sessions.md "Rate limits"), per key id and per
 * client IP. An attempt is refused when its buckets already hold the limit's worth of failures
 * in the current window; only a failed attempt is counted, so successes cost no write and any
 * number of concurrent legitimate calls go through. Refused attempts check no credential and are
 * not counted. Attempts that were already in flight when the limit was reached still finish
 * (their failures are counted): the overshoot is bounded by how many attempts one client has in
 * flight at once, which the alias limit and the per-document rules keep small per request.
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

  attempt(subject: { keyId: string | null; ip: string | null }): Attempt {
    // The address from the socket only (X-Forwarded-For is never read), folded per client.
    const buckets = [`ip:${clientAddressBucket(subject.ip)}`];
    if (subject.keyId) buckets.push(`key:${subject.keyId}`);
    return new Attempt(this.#counter, this.#limit, buckets, this.#clock.now().getTime());
  }

  close(): Promise<void> {
    return this.#counter.close();
  }
}
