import type { Clock } from '../../clock.ts';
import type { QueryOutput } from '../data/engines/types.ts';
import type { QueryResultCache } from '../data/query/service.ts';

interface Entry {
  readonly output: QueryOutput;
  readonly computedAt: Date;
  readonly expiresAt: number;
  readonly size: number;
}

/** At most this many entries, and about this many bytes of cells, per instance. */
const MAX_ENTRIES = 2000;
const MAX_BYTES = 64 * 1024 * 1024;
/** A result larger than this is never kept (it would evict everything else). */
const MAX_ENTRY_BYTES = 4 * 1024 * 1024;

/**
 * Tile results by what ran (docs/dashboards.md "The result cache"). The key comes from the query
 * service: a digest of the rewritten SQL, its bound values, the connection settings and the row
 * cap, under the dashboard's id and version. So only requests that would send the very same
 * statement with the very same values to the very same place share an entry, and any change to a
 * policy, mapping, connection or the dashboard, on any instance, is a different key on the next
 * request: each request reads those fresh; nothing has to be told to forget.
 */
export class TileResultCache {
  readonly #entries = new Map<string, Entry>();
  readonly #clock: Clock;
  #bytes = 0;
  #hits = 0;
  #misses = 0;

  constructor(clock: Clock) {
    this.#clock = clock;
  }

  /**
   * The cache as one query sees it: entries of this dashboard version, kept `ttlSeconds`.
   * `lookups.hit` tells the caller afterwards whether the result came from the cache.
   */
  scope(
    namespace: string,
    ttlSeconds: number,
  ): QueryResultCache & { readonly lookups: { hit: Entry | null } } {
    const lookups: { hit: Entry | null } = { hit: null };
    return {
      lookups,
      get: (key) => {
        const entry = this.#get(`${namespace}\u0000${key}`);
        lookups.hit = entry;
        return entry?.output;
      },
      set: (key, output) => this.#set(`${namespace}\u0000${key}`, output, ttlSeconds),
    };
  }

  stats(): { hits: number; misses: number; entries: number } {
    return { hits: this.#hits, misses: this.#misses, entries: this.#entries.size };
  }

  #get(key: string): Entry | null {
    const entry = this.#entries.get(key);
    if (entry === undefined || entry.expiresAt <= this.#clock.now().getTime()) {
      if (entry) this.#delete(key, entry);
      this.#misses++;
      return null;
    }
    // Most recently used last: the first key is the one to evict.
    this.#entries.delete(key);
    this.#entries.set(key, entry);
    this.#hits++;
    return entry;
  }

  #set(key: string, output: QueryOutput, ttlSeconds: number): void {
    if (ttlSeconds <= 0) return;
    const size = sizeOf(output);
    if (size > MAX_ENTRY_BYTES) return;
    const now = this.#clock.now();
    const old = this.#entries.get(key);
    if (old) this.#delete(key, old);
    this.#entries.set(key, { output, computedAt: now, expiresAt: now.getTime() + ttlSeconds * 1000, size });
    this.#bytes += size;
    while (this.#entries.size > MAX_ENTRIES || this.#bytes > MAX_BYTES) {
      const [oldest, evicted] = this.#entries.entries().next().value!;
      this.#delete(oldest, evicted);
    }
  }

  #delete(key: string, entry: Entry): void {
    this.#entries.delete(key);
    this.#bytes -= entry.size;
  }
}

/** Roughly the bytes a result holds (its JSON length), to bound the cache's memory. */
function sizeOf(output: QueryOutput): number {
  return JSON.stringify(output.rows).length + JSON.stringify(output.columns).length;
}
