import { createHash } from 'node:crypto';
import type { ResolvedSettings } from '../connections/types.ts';
import type { DataPool, PoolFactory, PoolOptions } from './types.ts';

interface Entry {
  readonly key: string;
  readonly connectionId: string;
  readonly pool: Promise<DataPool>;
  /** The pool once it opened, for sampling without awaiting. */
  ready: DataPool | null;
  lastUsed: number;
  active: number;
}

export interface PoolStats {
  readonly open: number;
  readonly max: number;
  readonly opened: number;
  readonly evicted: number;
}

/**
 * Warehouse pools keyed by the resolved settings (a hash that includes the password), so two
 * tenants routed to different databases or credentials never share a session. Capped: past `max`
 * the least recently used pool is closed (once its queries finish), and a pool idle for `idleMs`
 * is closed, so thousands of tenants do not exhaust memory or the servers' connection slots.
 */
export class PoolManager {
  readonly #factory: PoolFactory;
  readonly #options: PoolOptions;
  readonly #max: number;
  /** Map order is recency order: a use moves the entry to the end. */
  readonly #entries = new Map<string, Entry>();
  /**
   * Each settings object's pool key: the query service hands the same (read-only) object to every
   * request of one snapshot, so the digest is taken once per object rather than per query.
   */
  readonly #keys = new WeakMap<ResolvedSettings, string>();
  readonly #sweeper: NodeJS.Timeout;
  #opened = 0;
  #evicted = 0;

  constructor(factory: PoolFactory, options: PoolOptions & { readonly max: number }) {
    this.#factory = factory;
    this.#options = {
      connectionsPerPool: options.connectionsPerPool,
      idleMs: options.idleMs,
      ...(options.statementTimeoutMs === undefined ? {} : { statementTimeoutMs: options.statementTimeoutMs }),
    };
    this.#max = options.max;
    this.#sweeper = setInterval(
      () => void this.sweepIdle(),
      Math.max(1000, Math.min(30_000, options.idleMs / 2)),
    );
    this.#sweeper.unref();
  }

  /** Runs `work` on the pool for `settings`, opening it on first use. */
  async use<T>(settings: ResolvedSettings, work: (pool: DataPool) => Promise<T>): Promise<T> {
    let key = this.#keys.get(settings);
    if (key === undefined) {
      key = poolKey(settings);
      this.#keys.set(settings, key);
    }
    let entry = this.#entries.get(key);
    if (entry) {
      this.#entries.delete(key);
      this.#entries.set(key, entry);
    } else {
      const pool = this.#factory(settings, this.#options);
      const created: Entry = {
        key,
        connectionId: settings.connectionId,
        pool,
        ready: null,
        lastUsed: Date.now(),
        active: 0,
      };
      entry = created;
      this.#entries.set(key, created);
      this.#opened++;
      pool.then(
        (p) => {
          created.ready = p;
        },
        () => {
          if (this.#entries.get(key) === created) this.#entries.delete(key);
        },
      );
      this.#evictOverCap();
    }
    entry.active++;
    entry.lastUsed = Date.now();
    try {
      return await work(await entry.pool);
    } finally {
      entry.active--;
      entry.lastUsed = Date.now();
    }
  }

  /** Closes every pool of a connection (after it was updated or deleted). */
  async closeConnection(connectionId: string): Promise<void> {
    const doomed = [...this.#entries.values()].filter((e) => e.connectionId === connectionId);
    for (const e of doomed) this.#entries.delete(e.key);
    await Promise.all(doomed.map((e) => closeEntry(e)));
  }

  /** Closes pools nobody used for `idleMs`. */
  async sweepIdle(now = Date.now()): Promise<void> {
    const idle = [...this.#entries.values()].filter(
      (e) => e.active === 0 && now - e.lastUsed >= this.#options.idleMs,
    );
    for (const e of idle) this.#entries.delete(e.key);
    this.#evicted += idle.length;
    await Promise.all(idle.map((e) => closeEntry(e)));
  }

  /** Sessions of every open pool, labelled by connection id (several pools of one connection summed). */
  samples(): { connectionId: string; size: number; inUse: number; waiting: number }[] {
    const byConnection = new Map<
      string,
      { connectionId: string; size: number; inUse: number; waiting: number }
    >();
    for (const e of this.#entries.values()) {
      if (!e.ready) continue;
      const s = e.ready.stats();
      const sum = byConnection.get(e.connectionId) ?? {
        connectionId: e.connectionId,
        size: 0,
        inUse: 0,
        waiting: 0,
      };
      sum.size += s.size;
      sum.inUse += s.inUse;
      sum.waiting += s.waiting;
      byConnection.set(e.connectionId, sum);
    }
    return [...byConnection.values()];
  }

  stats(): PoolStats {
    return { open: this.#entries.size, max: this.#max, opened: this.#opened, evicted: this.#evicted };
  }

  async closeAll(): Promise<void> {
    clearInterval(this.#sweeper);
    const all = [...this.#entries.values()];
    this.#entries.clear();
    await Promise.all(all.map((e) => closeEntry(e)));
  }

  #evictOverCap(): void {
    while (this.#entries.size > this.#max) {
      const oldest = this.#entries.values().next().value as Entry;
      this.#entries.delete(oldest.key);
      this.#evicted++;
      void closeEntry(oldest);
    }
  }
}

/** Closes a pool once the queries running on it have finished. */
async function closeEntry(entry: Entry): Promise<void> {
  const pool = await entry.pool.catch(() => null);
  if (!pool) return;
  while (entry.active > 0) await new Promise((r) => setTimeout(r, 20));
  await pool.close().catch(() => {});
}

/** The pool identity: every setting that changes which session a query gets, password included. */
export function poolKey(s: ResolvedSettings): string {
  return createHash('sha256')
    .update(
      JSON.stringify([
        s.connectionId,
        s.engine,
        s.host,
        s.port,
        s.database,
        s.user,
        s.password,
        s.tls,
        s.schema,
      ]),
    )
    .digest('hex');
}
