import mysql from 'mysql2/promise';
import { onClientLeave } from '../../../db/on-leave.ts';
import { currentDbScope } from '../../../db/scope.ts';
import { WAREHOUSE_SQL_MODE } from '../../query-gate/index.ts';
import type { ResolvedSettings } from '../connections/types.ts';
import { clientWentAway, policyUnresolved, translateDriverError } from './errors.ts';
import { mysqlGrants } from './privileges.ts';
import { MAX_RESULT_BYTES, resultTooLarge, rowsSize } from './result-size.ts';
import type { DataPool, DiscoveredTable, PoolOptions, QueryOutput } from './types.ts';
import { jsonValue, mysqlTypeName } from './values.ts';

/** Only the named flag changes; every other optimizer setting stays the server's. */
export const WAREHOUSE_OPTIMIZER_SWITCH = 'semijoin=off';

/**
 * A mysql2 pool for MySQL or MariaDB. Limits use session variables reset after each query:
 * `max_statement_time` (MariaDB, seconds) or `max_execution_time` (MySQL, ms), and
 * `sql_select_limit` for the row cap (maxRows + 1, to detect truncation).
 */
export async function openMysqlPool(settings: ResolvedSettings, options: PoolOptions): Promise<DataPool> {
  const pool = mysql.createPool({
    host: settings.host,
    port: settings.port ?? 3306,
    database: settings.database,
    user: settings.user,
    ...(settings.password ? { password: settings.password } : {}),
    ...(settings.tls ? { ssl: { rejectUnauthorized: true } } : {}),
    connectionLimit: options.connectionsPerPool,
    maxIdle: options.connectionsPerPool,
    idleTimeout: options.idleMs,
    connectTimeout: 10_000,
    supportBigNumbers: true,
    bigNumberStrings: true,
    dateStrings: true,
    multipleStatements: false,
    // Each distinct SQL is prepared once per session; bound the cache so ad-hoc SQL cannot grow it forever.
    maxPreparedStatements: 100,
  });
  pool.pool.on('error', () => {});
  const secrets = [settings.password];
  let flavour: 'mariadb' | 'mysql' | null = null;

  const withConnection = async <T>(
    work: (c: mysql.PoolConnection, markBroken: () => void) => Promise<T>,
  ): Promise<T> => {
    let conn: mysql.PoolConnection;
    try {
      conn = await pool.getConnection();
    } catch (err) {
      throw translateDriverError(err, secrets);
    }
    let broken = false;
    try {
      return await work(conn, () => {
        broken = true;
      });
    } catch (err) {
      // A server error (errno) leaves the session usable; anything else (or a failed reset) does not.
      broken ||= typeof (err as { errno?: unknown }).errno !== 'number';
      // mysql2 flags an error that ended the connection as fatal (lost, reset, closed by the server).
      throw translateDriverError(err, secrets, {
        connectionLost: (err as { fatal?: unknown }).fatal === true,
      });
    } finally {
      if (broken) conn.destroy();
      else conn.release();
    }
  };

  /**
   * When the request's client goes away during the query, `KILL QUERY` ends it on the server (from
   * a connection of its own, so a full pool cannot hold the kill back), freeing the session at
   * once instead of at the statement timeout; repeated, and the session closed rather than
   * pooled, as `onClientLeave` says.
   */
  const killOnLeave = (c: mysql.PoolConnection, markBroken: () => void) =>
    onClientLeave(currentDbScope()?.signal, () => {
      markBroken();
      void killQuery(c.threadId);
      return true;
    });
  const killQuery = async (threadId: number) => {
    const killer = await mysql
      .createConnection({
        host: settings.host,
        port: settings.port ?? 3306,
        user: settings.user,
        ...(settings.password ? { password: settings.password } : {}),
        ...(settings.tls ? { ssl: { rejectUnauthorized: true } } : {}),
        connectTimeout: 10_000,
      })
      .catch(() => null);
    if (!killer) return; // the statement timeout still ends the query
    killer.on('error', () => {});
    await killer.query('kill query ?', [threadId]).catch(() => {});
    await killer.end().catch(() => killer.destroy());
  };

  const serverFlavour = async (c: mysql.PoolConnection) => {
    if (flavour === null) {
      const [rows] = await c.query<mysql.RowDataPacket[]>('select version() as v');
      flavour = /mariadb/i.test(String(rows[0]?.v ?? '')) ? 'mariadb' : 'mysql';
    }
    return flavour;
  };

  return {
    run: (sql, params, limits, policyChecks = []) =>
      withConnection(async (c, markBroken): Promise<QueryOutput> => {
        // Gone while the query waited for a session (its 'abort' is past): nothing is run for it.
        if (currentDbScope()?.signal?.aborted) throw clientWentAway();
        // From the first statement on: a client gone while the session is being set up ends the
        // query too, instead of leaving it to run once the kill would have nothing to end.
        const leave = killOnLeave(c, markBroken);
        const silent = cutWhenSilent(c, limits.timeoutMs + SILENCE_GRACE_MS);
        let kind: 'mariadb' | 'mysql' | null = null;
        try {
          kind = await serverFlavour(c);
          // MariaDB's derived tables never see an enclosing query's columns, so a policy's names
          // cannot escape it there; MySQL 8's can, so each policy is first proved on its own.
          if (kind === 'mysql') await proveStandalone(c, policyChecks);
          // One SET statement assigns the limits, the sql_mode and the optimizer switch (one round
          // trip; multiple statements stay off). The mode is the one the gate's lexer assumes, set
          // before every query so no server or account default can change how the gate's text
          // splits. Semi-join rewriting is off because MariaDB 10.11 answers some nested
          // `IN (SELECT … FROM (derived) …)` over the gate's fenced wrappers wrongly (a row matched
          // that no subquery row equals); the differential test found it (docs/query-gate.md,
          // "MySQL and MariaDB: the invariant").
          if (kind === 'mariadb')
            await c.query(
              'set session max_statement_time = ?, session sql_select_limit = ?, session sql_mode = ?, session optimizer_switch = ?',
              [limits.timeoutMs / 1000, limits.maxRows + 1, WAREHOUSE_SQL_MODE, WAREHOUSE_OPTIMIZER_SWITCH],
            );
          else
            await c.query(
              'set session max_execution_time = ?, session sql_select_limit = ?, session sql_mode = ?, session optimizer_switch = ?',
              [limits.timeoutMs, limits.maxRows + 1, WAREHOUSE_SQL_MODE, WAREHOUSE_OPTIMIZER_SWITCH],
            );
          await c.query('start transaction read only');
          const { rows, fields } = await executeWithinBudget(
            c,
            sql,
            params as unknown[] as (string | number | null)[],
            limits.timeoutMs + 5_000,
          );
          await resetSession(c, kind);
          const truncated = rows.length > limits.maxRows;
          return {
            columns: (fields ?? []).map((f) => ({
              name: f.name,
              type: mysqlTypeName(f.columnType ?? f.type),
            })),
            rows: (truncated ? rows.slice(0, limits.maxRows) : rows).map((r) =>
              (r as unknown[]).map(jsonValue),
            ),
            truncated,
          };
        } catch (err) {
          if (leave.acted) throw clientWentAway();
          if (kind !== null) await resetSession(c, kind).catch(markBroken);
          throw err;
        } finally {
          clearTimeout(silent);
          leave.dispose();
        }
      }),
    ping: () =>
      withConnection(async (c) => {
        const [rows] = await c.query<mysql.RowDataPacket[]>('select version() as v');
        return String(rows[0]?.v ?? '');
      }),
    discover: () =>
      withConnection(async (c) => {
        const [rows] = await c.query<mysql.RowDataPacket[]>(
          `select table_schema as s, table_name as t, column_name as c, data_type as d
           from information_schema.columns
           where table_schema not in ('mysql', 'information_schema', 'performance_schema', 'sys')
           order by table_schema, table_name, ordinal_position`,
        );
        const tables = new Map<
          string,
          { schema: string; name: string; columns: { name: string; type: string }[] }
        >();
        for (const r of rows) {
          const key = JSON.stringify([r.s, r.t]);
          let t = tables.get(key);
          if (!t) {
            t = { schema: String(r.s), name: String(r.t), columns: [] };
            tables.set(key, t);
          }
          t.columns.push({ name: String(r.c), type: String(r.d) });
        }
        return [...tables.values()] as DiscoveredTable[];
      }),
    grants: () => withConnection((c) => mysqlGrants(c)),
    stats: () => {
      // mysql2 keeps these counts on its core pool only, as arrays without a public accessor.
      const core = pool.pool as unknown as Record<string, { length: number } | undefined>;
      const size = core._allConnections?.length ?? 0;
      const idle = core._freeConnections?.length ?? 0;
      return { size, inUse: size - idle, waiting: core._connectionQueue?.length ?? 0 };
    },
    close: () => pool.end(),
  };
}

/**
 * Past the statement's own bound (`executeWithinBudget`'s timeout, 5 s over the query timeout) and
 * one more second: the statements around it (the settings, a policy's prepare, the rollback) have
 * no bound of their own, and on a network that stalls without closing they would wait for good.
 */
const SILENCE_GRACE_MS = 6000;

/**
 * Cuts the session when `run` has not finished within `ms`: whatever it waits on fails as a lost
 * session (503), and the session is not pooled again.
 */
function cutWhenSilent(c: mysql.PoolConnection, ms: number): NodeJS.Timeout {
  const core = (c as unknown as { connection: { stream: { destroy(err?: Error): void } } }).connection;
  return setTimeout(() => {
    const err = Object.assign(new Error('The data source did not answer in time'), { code: 'ETIMEDOUT' });
    core.stream.destroy(err);
  }, ms);
}

/** Ends the read-only transaction and puts the session's limits back before it returns to the pool. */
async function resetSession(c: mysql.PoolConnection, kind: 'mariadb' | 'mysql'): Promise<void> {
  await c.query('rollback');
  await c.query(
    kind === 'mariadb'
      ? 'set session sql_select_limit = default, session max_statement_time = default'
      : 'set session sql_select_limit = default, session max_execution_time = default',
  );
}

/** The callback-style connection under mysql2's promise wrapper: its commands stream rows as events. */
interface StreamingConnection {
  execute(
    options: { sql: string; rowsAsArray: boolean; timeout: number },
    values: readonly (string | number | null)[],
  ): NodeJS.EventEmitter;
  destroy(): void;
  on(event: 'error', listener: (err: unknown) => void): unknown;
  off(event: 'error', listener: (err: unknown) => void): unknown;
}

/**
 * Runs the statement with its rows counted as they arrive
 * (docs/data-access.md, "Decisions and known limits"): past MAX_RESULT_BYTES the session is
 * cut, so a result of many large rows (each up to the server's max_allowed_packet) never piles
 * up in Tessera's memory.
 */
function executeWithinBudget(
  c: mysql.PoolConnection,
  sql: string,
  values: readonly (string | number | null)[],
  timeout: number,
): Promise<{ rows: unknown[][]; fields: mysql.FieldPacket[] }> {
  const core = (c as unknown as { connection: StreamingConnection }).connection;
  return new Promise((resolve, reject) => {
    const rows: unknown[][] = [];
    let fields: mysql.FieldPacket[] = [];
    let used = 0;
    let settled = false;
    const settle = (outcome: () => void) => {
      if (settled) return;
      settled = true;
      core.off('error', onConnectionError);
      outcome();
    };
    // A command without a callback gets no error when its session dies: the connection emits it.
    const onConnectionError = (err: unknown) => settle(() => reject(err));
    core.on('error', onConnectionError);
    const command = core.execute({ sql, rowsAsArray: true, timeout }, values);
    command.on('fields', (f: mysql.FieldPacket[]) => {
      fields = f;
    });
    command.on('result', (row: unknown[]) => {
      if (settled) return;
      used += rowsSize([row]);
      if (used > MAX_RESULT_BYTES) {
        settle(() => reject(resultTooLarge()));
        core.destroy();
        return;
      }
      rows.push(row);
    });
    command.on('error', (err: unknown) => settle(() => reject(err)));
    command.on('end', () => settle(() => resolve({ rows, fields })));
  });
}

/**
 * Prepares (never runs) each policy's wrapper query on its own: with nothing around it, the
 * server resolves every name inside the policy or refuses it (docs/query-gate.md, "Known limits").
 */
export async function proveStandalone(c: mysql.PoolConnection, checks: readonly string[]): Promise<void> {
  for (const check of checks) {
    let statement: { close(): void } | null = null;
    try {
      statement = await c.prepare(check);
    } catch (err) {
      throw policyUnresolved(err);
    } finally {
      statement?.close();
    }
  }
}
