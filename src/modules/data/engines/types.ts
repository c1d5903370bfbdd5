import type { ResolvedSettings } from '../connections/types.ts';
import type { Grant } from './privileges.ts';

/** From PostgreSQL 18 (`server_version_num` 180000) virtual generated columns compute when read. */
export const VIRTUAL_COLUMNS_FROM = 180_000;

export interface QueryLimits {
  readonly timeoutMs: number;
  /** Rows to return at most; one more is fetched to know whether the result was truncated. */
  readonly maxRows: number;
  /**
   * Some wrapper of the statement runs without its fence (its kind proofs ride with it). The
   * PostgreSQL engine then runs it only on a session whose server has no virtual generated
   * columns (below 18, as the session reported at its start) and otherwise refuses it with
   * `FenceRequired` before sending anything (docs/query-gate.md, "When the fence is dropped").
   */
  readonly fenceDropped?: boolean;
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
   * The server's version as `server_version_num` counts (PostgreSQL dialect): from 18 a table's
   * virtual generated columns run code when read, which no kind proof sees. A PostgreSQL pool
   * answers with the major version its newest session reported at its start (× 10,000).
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
