import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

/** Codes the query gate refuses a statement with (counted as gate refusals on /metrics). */
const GATE_REFUSAL_CODES = new Set([
  'QUERY_REFUSED',
  'ACCESS_DENIED',
  'MISSING_ATTRIBUTE',
  'ATTRIBUTE_TYPE_MISMATCH',
]);

/** Connections of one pool at one moment, labelled by the database it serves. */
export interface PoolSample {
  /** `tessera` (its own database, by lane) or `warehouse:<connection id>`. */
  readonly database: string;
  readonly lane: string;
  readonly size: number;
  readonly inUse: number;
  readonly waiting: number;
}

/** Counts of one result cache since start, labelled by the cache's name. */
export interface CacheSample {
  readonly cache: string;
  readonly hits: number;
  readonly misses: number;
  readonly entries: number;
}

/**
 * The app's Prometheus metrics, in a registry of its own (no global state: several apps in one
 * test process each count their own). Features add gauges with `addPoolSource` or directly on
 * `registry`.
 */
export class Metrics {
  readonly registry = new Registry();
  readonly #requests: Counter<'operation' | 'outcome'>;
  readonly #latency: Histogram<'operation' | 'outcome'>;
  readonly #rateLimitRefusals: Counter;
  readonly #gateRefusals: Counter<'code'>;
  readonly #executions: Counter<'executor'>;
  readonly #poolSources: (() => readonly PoolSample[])[] = [];
  readonly #cacheSources: (() => CacheSample)[] = [];

  constructor() {
    collectDefaultMetrics({ register: this.registry });
    this.#requests = new Counter({
      name: 'tessera_requests_total',
      help: 'Requests by GraphQL operation (or route) and outcome (ok, or the error code).',
      labelNames: ['operation', 'outcome'],
      registers: [this.registry],
    });
    this.#latency = new Histogram({
      name: 'tessera_request_duration_seconds',
      help: 'Time to answer a request, by operation and outcome.',
      labelNames: ['operation', 'outcome'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [this.registry],
    });
    this.#rateLimitRefusals = new Counter({
      name: 'tessera_rate_limit_refusals_total',
      help: 'Attempts refused with RATE_LIMITED.',
      registers: [this.registry],
    });
    this.#gateRefusals = new Counter({
      name: 'tessera_gate_refusals_total',
      help: 'Statements the query gate refused, by error code.',
      labelNames: ['code'],
      registers: [this.registry],
    });
    this.#executions = new Counter({
      name: 'tessera_graphql_executions_total',
      help:
        'GraphQL operations by executor: compiled (a read-only query), compiled_rerun (a compiled run ' +
        'that met an error, run again in graphql-js for its exact errors) or graphql_js.',
      labelNames: ['executor'],
      registers: [this.registry],
    });
    const sources = this.#poolSources;
    const gauge = (name: string, help: string, pick: (s: PoolSample) => number) =>
      new Gauge({
        name,
        help,
        labelNames: ['database', 'lane'],
        registers: [this.registry],
        collect() {
          this.reset();
          for (const source of sources)
            for (const s of source()) this.set({ database: s.database, lane: s.lane }, pick(s));
        },
      });
    gauge('tessera_db_pool_connections', 'Open connections per pool.', (s) => s.size);
    gauge('tessera_db_pool_in_use', 'Connections running a statement (checked out).', (s) => s.inUse);
    gauge('tessera_db_pool_waiting', 'Requests waiting for a connection.', (s) => s.waiting);
    const caches = this.#cacheSources;
    const cacheGauge = (name: string, help: string, pick: (s: CacheSample) => number) =>
      new Gauge({
        name,
        help,
        labelNames: ['cache'],
        registers: [this.registry],
        collect() {
          this.reset();
          for (const source of caches) {
            const s = source();
            this.set({ cache: s.cache }, pick(s));
          }
        },
      });
    cacheGauge('tessera_result_cache_hits', 'Lookups answered from the cache since start.', (s) => s.hits);
    cacheGauge(
      'tessera_result_cache_misses',
      'Lookups that had to run the query since start.',
      (s) => s.misses,
    );
    cacheGauge('tessera_result_cache_entries', 'Entries held now.', (s) => s.entries);
    cacheGauge(
      'tessera_result_cache_hit_ratio',
      'hits / (hits + misses) since start; 0 before any lookup.',
      (s) => (s.hits + s.misses === 0 ? 0 : s.hits / (s.hits + s.misses)),
    );
  }

  /** Registers a result cache to sample at every scrape. */
  addCacheSource(source: () => CacheSample): void {
    this.#cacheSources.push(source);
  }

  /** Registers pools to sample at every scrape. */
  addPoolSource(source: () => readonly PoolSample[]): void {
    this.#poolSources.push(source);
  }

  /** One executed GraphQL operation, by the executor that answered it (src/graphql/compiled-reads.ts). */
  observeExecution(executor: 'compiled' | 'compiled_rerun' | 'graphql_js'): void {
    this.#executions.inc({ executor });
  }

  /** One answered request; `codes` are the error codes it was answered with, if any. */
  observeRequest(operation: string, codes: readonly string[], seconds: number): void {
    const outcome = codes[0] ?? 'ok';
    this.#requests.inc({ operation, outcome });
    this.#latency.observe({ operation, outcome }, seconds);
    for (const code of codes) {
      if (code === 'RATE_LIMITED') this.#rateLimitRefusals.inc();
      else if (GATE_REFUSAL_CODES.has(code)) this.#gateRefusals.inc({ code });
    }
  }

  async render(): Promise<{ body: string; contentType: string }> {
    return { body: await this.registry.metrics(), contentType: this.registry.contentType };
  }
}
