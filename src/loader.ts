/**
 * Batches the loads of one tick into a single call (the DataLoader pattern), so resolving a
 * field on 10,000 users costs one query, not 10,000. One instance lives for one request.
 *
 * A list resolver that knows which fields its items need can `prefetch` them in one call; field
 * resolvers then `get` plain values, with no promise per field: at thousands of items the
 * promises (and the GraphQL executor's bookkeeping for them) cost more than the queries.
 */
export class BatchLoader<K, V> {
  readonly #fetch: (keys: readonly K[]) => Promise<Map<K, V>>;
  readonly #fallback: V;
  readonly #cache = new Map<K, Promise<V>>();
  /** Values already fetched, for synchronous answers. */
  readonly #values = new Map<K, V>();
  #pending: { key: K; resolve: (v: V) => void; reject: (e: unknown) => void }[] = [];

  constructor(fetch: (keys: readonly K[]) => Promise<Map<K, V>>, fallback: V) {
    this.#fetch = fetch;
    this.#fallback = fallback;
  }

  load(key: K): Promise<V> {
    const cached = this.#cache.get(key);
    if (cached) return cached;
    if (this.#values.has(key)) return Promise.resolve(this.#values.get(key) as V);
    const promise = new Promise<V>((resolve, reject) => {
      if (this.#pending.length === 0) queueMicrotask(() => void this.#dispatch());
      this.#pending.push({ key, resolve, reject });
    });
    this.#cache.set(key, promise);
    return promise;
  }

  /** The value itself when this request already fetched `key`, else a promise of it (as `load`). */
  get(key: K): V | Promise<V> {
    return this.#values.has(key) ? (this.#values.get(key) as V) : this.load(key);
  }

  /** The value when already fetched, else undefined (never fetches). */
  peek(key: K): V | undefined {
    return this.#values.get(key);
  }

  /** Fetches every key not fetched yet in one call, so that `get` answers them synchronously. */
  async prefetch(keys: Iterable<K>): Promise<void> {
    const missing = [...new Set(keys)].filter((k) => !this.#values.has(k) && !this.#cache.has(k));
    if (missing.length === 0) return;
    const found = await this.#fetch(missing);
    for (const k of missing) this.#values.set(k, found.get(k) ?? this.#fallback);
  }

  async #dispatch(): Promise<void> {
    const batch = this.#pending;
    this.#pending = [];
    try {
      const found = await this.#fetch(batch.map((b) => b.key));
      for (const b of batch) {
        const value = found.get(b.key) ?? this.#fallback;
        this.#values.set(b.key, value);
        b.resolve(value);
      }
    } catch (err) {
      for (const b of batch) b.reject(err);
    }
  }
}
