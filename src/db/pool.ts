import { createHash } from 'node:crypto';
import type { PostgresPool, PostgresPoolClient, PostgresQueryResult } from 'kysely';
import pg from 'pg';
import {
  ConnectionLostError,
  isConnectionError,
  isReadOnlyRefusal,
  RequestCancelledError,
} from './errors.ts';
import { cancelOnLeave } from './pg-cancel.ts';
import { cutWhenSilent } from './pg-stall.ts';
import { currentDbScope } from './scope.ts';

export interface PoolSettings {
  readonly url: string;
  /** Connections in all, reserved ones included. */
  readonly size: number;
  /** Connections only `reserved`-lane requests may use (see DbScope). */
  readonly reserved: number;
  /** Server-side `statement_timeout` of every session, in ms (0: none). */
  readonly statementTimeoutMs: number;
  /** How long a request waits for a connection (or for one to open) before SERVICE_UNAVAILABLE. */
  readonly acquireTimeoutMs: number;
}

export interface LaneStats {
  readonly lane: 'main' | 'reserved';
  readonly max: number;
  readonly total: number;
  readonly idle: number;
  readonly waiting: number;
}

const ignore = () => {};

/**
 * A statement whose text opens with this comment is prepared once per session (a named statement,
 * named by a digest of its text) and then only bound and executed: PostgreSQL plans it once per
 * session instead of on every call. For the fixed-shape reads every request makes (the session
 * check, the query snapshot); only constant texts may carry it, so the statements a session keeps
 * are bounded by the code. Elsewhere (PGlite) it is an ordinary comment.
 *
 * After five runs PostgreSQL may keep a generic plan, made from the statistics of that moment and
 * kept until the table is analyzed again. A statement that looks rows up in a table growing fast
 * from empty (the audit trail's outcome update) is therefore not marked: its plan would keep
 * scanning the whole table.
 */
export const PREPARED_STATEMENT = '/* prepared */';

const statementNames = new Map<string, string>();

/** The session-wide name of a marked statement (the same text always gets the same name). */
function statementName(sql: string): string {
  let name = statementNames.get(sql);
  if (name === undefined) {
    name = `tessera_${createHash('sha256').update(sql, 'utf8').digest('hex').slice(0, 32)}`;
    statementNames.set(sql, name);
  }
  return name;
}

/**
 * Tessera's own PostgreSQL pool, as Kysely's PostgresDialect sees it. node-postgres detaches its
 * error listener from a client while it is checked out, so a connection dying under a running
 * statement would emit an unhandled 'error' and kill the process; here every client keeps a
 * listener for its whole life, and the statement in flight fails with ConnectionLostError instead
 * (answered 503). Broken clients are discarded, so the next request gets a fresh connection.
 */
export class TesseraPool implements PostgresPool {
  readonly #main: pg.Pool;
  readonly #reserved: pg.Pool | null;
  readonly #clientConfig: pg.ClientConfig;
  readonly #statementTimeoutMs: number;

  constructor(settings: PoolSettings) {
    this.#statementTimeoutMs = settings.statementTimeoutMs;
    this.#clientConfig = {
      connectionString: settings.url,
      application_name: 'tessera',
      // A startup parameter, so it holds from the first statement of every session on.
      ...(settings.statementTimeoutMs > 0 ? { statement_timeout: settings.statementTimeoutMs } : {}),
    };
    const reserved = Math.min(settings.reserved, settings.size - 1);
    const poolConfig = { ...this.#clientConfig, connectionTimeoutMillis: settings.acquireTimeoutMs };
    this.#main = guard(new pg.Pool({ ...poolConfig, max: settings.size - Math.max(reserved, 0) }));
    this.#reserved = reserved > 0 ? guard(new pg.Pool({ ...poolConfig, max: reserved })) : null;
  }

  async connect(): Promise<PostgresPoolClient> {
    const scope = currentDbScope();
    // The reserve is the fallback of the reserved lane, used only when the main pool has no idle
    // connection: latency-critical work never queues behind slow requests.
    const pool =
      scope?.lane === 'reserved' && this.#reserved && this.#main.idleCount === 0
        ? this.#reserved
        : this.#main;
    const client = await acquire(pool, scope?.signal);
    return new GuardedClient(pool, client, {
      signal: scope?.signal,
      config: this.#clientConfig,
      statementTimeoutMs: this.#statementTimeoutMs,
    });
  }

  stats(): LaneStats[] {
    const lanes: LaneStats[] = [laneStats('main', this.#main)];
    if (this.#reserved) lanes.push(laneStats('reserved', this.#reserved));
    return lanes;
  }

  async end(): Promise<void> {
    await Promise.all([this.#main.end(), this.#reserved?.end()]);
  }
}

function laneStats(lane: 'main' | 'reserved', pool: pg.Pool): LaneStats {
  return {
    lane,
    max: pool.options.max,
    total: pool.totalCount,
    idle: pool.idleCount,
    waiting: pool.waitingCount,
  };
}

function guard(pool: pg.Pool): pg.Pool {
  pool.on('error', ignore); // an idle client losing its connection: pg-pool drops it
  pool.on('connect', (client) => client.on('error', ignore)); // a busy one: its statement fails instead
  return pool;
}

async function acquire(pool: pg.Pool, signal: AbortSignal | undefined): Promise<pg.PoolClient> {
  if (signal?.aborted) throw new RequestCancelledError();
  const pending = pool.connect().catch((err: unknown) => {
    // Whatever stops us getting a connection (refused, timed out, server starting up) means the
    // database is unavailable to this request.
    throw new ConnectionLostError('Could not get a database connection', err);
  });
  if (!signal) return pending;
  return new Promise((resolve, reject) => {
    // The request stops waiting at once; the connection it would have had, once there is one, is
    // released by the callback below, and only there: released twice, it would be handed to the
    // next request in line and then released under it (or the second release would throw from a
    // promise callback, an unhandled rejection that ends the process).
    const onAbort = () => reject(new RequestCancelledError());
    signal.addEventListener('abort', onAbort, { once: true });
    pending.then(
      (client) => {
        signal.removeEventListener('abort', onAbort);
        if (signal.aborted) client.release();
        else resolve(client);
      },
      (err: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(err);
      },
    );
  });
}

/** pg's internals we rely on: whether the client can still run statements. */
interface ClientInternals {
  _queryable?: boolean;
  _ending?: boolean;
}

const TRANSACTION_START = /^\s*(begin|start\s+transaction)\b/i;
const TRANSACTION_END = /^\s*(commit|end|rollback)\s*(;|$|\s+(work|transaction)\b(?!\s+to))/i;
/** A SELECT, after the comment a prepared statement's text opens with (PREPARED_STATEMENT). */
const PLAIN_SELECT = /^\s*(\/\*[^*]*\*\/\s*)?select\b/i;

/**
 * One checked-out connection. A plain SELECT outside a transaction is idempotent, so when its
 * connection dies it is retried once on a fresh one; anything else fails with ConnectionLostError.
 *
 * It goes back to the pool only in the state every borrower expects: outside a transaction, and
 * with no cancel request of ours on its way to it. A request whose client went away stops before
 * its ROLLBACK, and a cancel request can land after its statement ended, on whatever that server
 * session runs next: such a connection is closed instead (the server rolls back what it held), so
 * no later request runs inside another one's transaction or loses its statement to that cancel.
 */
class GuardedClient implements PostgresPoolClient {
  readonly #pool: pg.Pool;
  readonly #signal: AbortSignal | undefined;
  readonly #clientConfig: pg.ClientConfig;
  readonly #statementTimeoutMs: number;
  #client: pg.PoolClient | null;
  #inTransaction = false;
  #cancelSent = false;
  #broken: unknown = undefined;

  constructor(
    pool: pg.Pool,
    client: pg.PoolClient,
    options: {
      readonly signal: AbortSignal | undefined;
      readonly config: pg.ClientConfig;
      readonly statementTimeoutMs: number;
    },
  ) {
    this.#pool = pool;
    this.#client = client;
    this.#signal = options.signal;
    this.#clientConfig = options.config;
    this.#statementTimeoutMs = options.statementTimeoutMs;
  }

  query<R>(sql: string, parameters: ReadonlyArray<unknown>): Promise<PostgresQueryResult<R>>;
  query(): never;
  async query<R>(sql?: unknown, parameters?: ReadonlyArray<unknown>): Promise<PostgresQueryResult<R>> {
    if (typeof sql !== 'string') throw new Error('Tessera does not stream from its own database');
    const retryable = !this.#inTransaction && PLAIN_SELECT.test(sql);
    let result: PostgresQueryResult<R>;
    try {
      result = await this.#run<R>(sql, parameters ?? []);
    } catch (err) {
      if (!this.#lost(err)) throw err;
      if (!retryable) throw new ConnectionLostError('The database connection was lost', err);
      this.#client?.release(err as Error);
      this.#client = null; // released: a failed re-acquire must not release it a second time
      this.#broken = undefined;
      // A server that restarted or a link that dropped ends every pooled connection at once, but
      // the pool learns of each only when its socket's own event is handled: after one turn of the
      // event loop the dead idle ones are gone, and the retry does not get one of them.
      await new Promise((resolve) => setImmediate(resolve));
      this.#client = await acquire(this.#pool, this.#signal);
      try {
        result = await this.#run<R>(sql, parameters ?? []);
      } catch (again) {
        if (this.#lost(again)) throw new ConnectionLostError('The database connection was lost', again);
        throw again;
      }
    }
    if (TRANSACTION_START.test(sql)) this.#inTransaction = true;
    else if (TRANSACTION_END.test(sql)) this.#inTransaction = false;
    return result;
  }

  release(): void {
    this.#client?.release(this.#unfitForReuse());
  }

  /** Why the connection must be closed rather than pooled; undefined when it is fit for reuse. */
  #unfitForReuse(): Error | undefined {
    if (this.#broken !== undefined) return this.#broken as Error;
    if (this.#inTransaction) return new Error('released inside a transaction');
    if (this.#cancelSent) return new Error('a cancel request may still reach this session');
    return undefined;
  }

  async #run<R>(sql: string, parameters: ReadonlyArray<unknown>): Promise<PostgresQueryResult<R>> {
    if (this.#signal?.aborted) throw new RequestCancelledError();
    const client = this.#client!;
    // The client went away: the server cancels the statement, which then fails with 57014.
    const leave = cancelOnLeave(client, this.#clientConfig, this.#signal);
    // The server enforces the statement timeout; this bound covers a network that stalls without
    // closing. Closing the socket fails the statement with "Connection terminated", which #lost
    // recognises.
    const stalled = cutWhenSilent(client, this.#statementTimeoutMs);
    try {
      const values = [...parameters];
      const query = sql.startsWith(PREPARED_STATEMENT)
        ? { name: statementName(sql), text: sql, values }
        : null;
      return (await (query
        ? client.query(query)
        : client.query(sql, values))) as unknown as PostgresQueryResult<R>;
    } catch (err) {
      // A session that refused a write as read-only is on a server that only reads (a standby, a
      // replica a proxy routed it to): closed rather than pooled, so once the primary is back the
      // next write gets a fresh session instead of this one again.
      if (isReadOnlyRefusal(err)) this.#broken = err;
      throw err;
    } finally {
      clearTimeout(stalled);
      leave.dispose();
      if (leave.sent) this.#cancelSent = true;
    }
  }

  #lost(err: unknown): boolean {
    const internals = (this.#client ?? {}) as unknown as ClientInternals;
    const lost = isConnectionError(err) || internals._queryable === false || internals._ending === true;
    if (lost) this.#broken = err;
    return lost;
  }
}
