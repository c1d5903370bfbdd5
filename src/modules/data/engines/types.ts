import type { ResolvedSettings } from '../connections/types.ts';
import type { Grant } from './privileges.ts';

export interface QueryLimits {
  readonly timeoutMs: number;
  /** Rows to return at most; one more is fetched to know whether the result was truncated. */
  readonly maxRows: number;
}

export interface ResultColumn {
  readonly name: string;
  readonly type: string;
}

export interface QueryOutput {
  readonly columns: readonly ResultColumn[];
  /** One array per row, in column order (two columns may share a name). JSON-safe values. */
  readonly rows: readonly (readonly unknown[])[];
  readonly truncated: boolean;
}

export interface DiscoveredColumn {
  readonly name: string;
  readonly type: string;
}

export interface DiscoveredTable {
  readonly schema: string;
  readonly name: string;
  readonly columns: readonly DiscoveredColumn[];
}

/**
 * A pool of sessions for one set of resolved settings. `run` executes one statement in a READ ONLY
 * transaction with the statement timeout and the row cap, and always rolls back.
 */
export interface DataPool {
  /**
   * `policyChecks` (PostgreSQL dialect) are statements prepared, never run, in the transaction
   * before the query; one that does not prepare fails the query.
   */
  run(
    sql: string,
    params: readonly unknown[],
    limits: QueryLimits,
    policyChecks?: readonly string[],
  ): Promise<QueryOutput>;
  /**
   * The server's `server_version_num` (PostgreSQL dialect), read once per pool: from 18 a table's
   * virtual generated columns run code when read, which no kind proof sees.
   */
  serverVersion?(): Promise<number>;
  /** Connects and asks the server its version. */
  ping(): Promise<string>;
  discover(): Promise<DiscoveredTable[]>;
  /** What the session's role may do, from the server's catalog (see `Grant`). */
  grants(): Promise<Grant[]>;
  /** Sessions open, running a statement, and requests waiting for one (for /metrics). */
  stats(): { readonly size: number; readonly inUse: number; readonly waiting: number };
  close(): Promise<void>;
}

export interface PoolOptions {
  readonly connectionsPerPool: number;
  readonly idleMs: number;
  /** The statement timeout queries run with, when the engine can set it once per session. */
  readonly statementTimeoutMs?: number;
}

export type PoolFactory = (settings: ResolvedSettings, options: PoolOptions) => Promise<DataPool>;
