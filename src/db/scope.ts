import { AsyncLocalStorage } from 'node:async_hooks';

/**
 * What Tessera's own database pool needs to know about the request a statement belongs to,
 * carried along the async call chain so no query function has to pass it on.
 */
export interface DbScope {
  /**
   * `reserved`: the request may use the connections held back for latency-critical work
   * (`impersonateUser`), so slow requests filling the main pool cannot starve it.
   */
  readonly lane: 'main' | 'reserved';
  /** Aborted when the client went away: its statement is cancelled on the server. */
  readonly signal: AbortSignal | undefined;
}

const storage = new AsyncLocalStorage<DbScope>();

/** Runs `work` with every statement it issues tagged with `scope`. */
export const runInDbScope = <T>(scope: DbScope, work: () => T): T => storage.run(scope, work);

export const currentDbScope = (): DbScope | undefined => storage.getStore();

/**
 * Runs work shared by several requests (one read their callers all wait for) in no request's
 * scope, on the current lane: one client going away must not cancel what the others wait for.
 */
export const runShared = <T>(work: () => T): T =>
  storage.run({ lane: storage.getStore()?.lane ?? 'main', signal: undefined }, work);
