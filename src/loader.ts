/**
 * Batches the loads of one tick into a single call (the DataLoader pattern), so resolving a
 * field on 10,000 users costs one query, not 10,000. One instance lives for one request.
 */
export class BatchLoader<K, V> {
  readonly #fetch: (keys: readonly K[]) => Promise<Map<K, V>>;
  readonly #fallback: V;
  readonly #cache = new Map<K, Promise<V>>();
  #pending: { key: K; resolve: (v: V) => void; reject: (e: unknown) => void }[] = [];

  constructor(fetch: (keys: readonly K[]) => Promise<Map<K, V>>, fallback: V) {
    this.#fetch = fetch;
    this.#fallback = fallback;
  }

  load(key: K): Promise<V> {
    const cached = this.#cache.get(key);
    if (cached) return cached;
    const promise = new Promise<V>((resolve, reject) => {
      if (this.#pending.length === 0) queueMicrotask(() => void this.#dispatch());
      this.#pending.push({ key, resolve, reject });
    });
    this.#cache.set(key, promise);
    return promise;
  }

  async #dispatch(): Promise<void> {
    const batch = this.#pending;
    this.#pending = [];
    try {
      const found = await this.#fetch(batch.map((b) => b.key));
      for (const b of batch) b.resolve(found.get(b.key) ?? this.#fallback);
    } catch (err) {
      for (const b of batch) b.reject(err);
    }
  }
}
