import pg from 'pg';
import { cancelOnLeave } from '../../../db/pg-cancel.ts';
import { cutWhenSilent } from '../../../db/pg-stall.ts';
import { currentDbScope } from '../../../db/scope.ts';
import type { ResolvedSettings } from '../connections/types.ts';
import {
  clientWentAway,
  FenceRequired,
  isProofRefusal,
  policyUnresolved,
  translateDriverError,
} from './errors.ts';
import { CappedQuery, PolicyCheckFailed } from './postgres-capped.ts';
import { grantsFromRows, POSTGRES_GRANTS_SQL } from './privileges.ts';
import { MAX_RESULT_BYTES, ResultSizeGuard, resultTooLarge, rowsSize } from './result-size.ts';
import {
  type DataPool,
  type DiscoveredTable,
  type PoolOptions,
  type QueryLimits,
  type QueryOutput,
  VIRTUAL_COLUMNS_FROM,
} from './types.ts';
import { isPgParsedType, jsonValue, pgTypeName } from './values.ts';

/** Parsers local to warehouse pools (the core's global int8 parser must not apply here). */
const warehouseTypes = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    isPgParsedType(oid)
      ? pg.types.getTypeParser(oid, format)
      : (value: string) => value) as typeof pg.types.getTypeParser,
};

/** The major version from which virtual generated columns compute when read. */
const VIRTUAL_COLUMNS_FROM_MAJOR = VIRTUAL_COLUMNS_FROM / 10_000;

/**
 * A warehouse session that keeps the major version its server reported when it started (the
 * `server_version` ParameterStatus every server sends before it is ready), known without a round
 * trip. The pool's own version read is per pool; this one is per session, so a server upgraded
 * under an open pool is seen on the first session opened to it.
 */
class WarehouseClient extends pg.Client {
  serverMajor: number | null = null;

  constructor(config?: pg.ClientConfig) {
    super(config);
    const connection = (this as unknown as { connection: NodeJS.EventEmitter }).connection;
    connection.on('parameterStatus', (m: { parameterName: string; parameterValue: string }) => {
      if (m.parameterName === 'server_version') this.serverMajor = Number.parseInt(m.parameterValue, 10);
    });
  }
}

/** A node-postgres pool for one set of resolved settings. */
export async function openPostgresPool(settings: ResolvedSettings, options: PoolOptions): Promise<DataPool> {
  const pool = new pg.Pool({
    host: settings.host,
    port: settings.port ?? 5432,
    database: settings.database,
    user: settings.user,
    password: settings.password ?? undefined,
    ssl: settings.tls ? { rejectUnauthorized: true } : false,
    max: options.connectionsPerPool,
    idleTimeoutMillis: options.idleMs,
    connectionTimeoutMillis: 10_000,
    types: warehouseTypes,
    Client: WarehouseClient,
    application_name: 'tessera',
    // Every session is read-only and pinned from its start (see `SESSION_SETTINGS`), so a query
    // needs no transaction script of its own.
    options: sessionOptions(options.statementTimeoutMs),
  });
  // A session dying must not crash the process: pg-pool listens on idle clients only, so every
  // client gets a listener of its own for the time it is checked out; its statement fails instead
  // (also when the result-size guard cuts it).
  pool.on('error', () => {});
  const guards = new WeakMap<pg.PoolClient, ResultSizeGuard>();
  // The major version the newest session's server reported: after an upgrade behind the same
  // address, the first session opened to the new server updates it.
  let serverMajor: number | null = null;
  pool.on('connect', (client) => {
    serverMajor = (client as unknown as WarehouseClient).serverMajor;
    client.on('error', () => {});
    guards.set(client, ResultSizeGuard.attach(client));
  });
  const secrets = [settings.password];
  // Where a cancel request goes: the server's address is all it needs.
  const server: pg.ClientConfig = { host: settings.host, port: settings.port ?? 5432 };
  /**
   * Runs a query on a pooled session. When the request's client goes away its statement is
   * cancelled on the server, so an abandoned query frees its warehouse session at once instead of
   * holding it until the statement timeout, and that session is closed rather than pooled.
   */
  const runOnSession = async (
    limits: QueryLimits,
    work: (client: pg.PoolClient, markBroken: () => void) => Promise<QueryOutput>,
  ): Promise<QueryOutput> => {
    const { timeoutMs } = limits;
    const signal = currentDbScope()?.signal;
    const client = await connect(pool, secrets);
    // Gone while the query waited for a session (its 'abort' is past): nothing is run for it.
    if (signal?.aborted) {
      client.release();
      throw clientWentAway();
    }
    // A fence dropped is sent only to a server known to be below 18; an unknown one counts as 18.
    const major = (client as unknown as WarehouseClient).serverMajor;
    if (limits.fenceDropped && (major === null || major >= VIRTUAL_COLUMNS_FROM_MAJOR)) {
      client.release();
      throw new FenceRequired();
    }
    const guard = guards.get(client);
    const leave = cancelOnLeave(client, server, signal);
    const stalled = cutWhenSilent(client, timeoutMs);
    guard?.arm();
    let broken = false;
    try {
      return await work(client, () => {
        broken = true;
      });
    } catch (err) {
      if (err instanceof PolicyCheckFailed) throw policyUnresolved(err.cause, err.check);
      broken ||= isBroken(err);
      // The guard cut the connection: the session is gone, the reason is the result's size.
      if (guard?.tripped) throw resultTooLarge();
      if (leave.sent) throw clientWentAway();
      throw translateDriverError(err, secrets, { connectionLost: isLost(client, err) });
    } finally {
      clearTimeout(stalled);
      guard?.disarm();
      leave.dispose();
      client.release(broken || leave.sent);
    }
  };
  /** A read of the server's catalog on a pooled session, its failures translated like a query's. */
  const catalogRead = async <T>(work: (client: pg.PoolClient) => Promise<T>): Promise<T> => {
    const client = await connect(pool, secrets);
    const stalled = cutWhenSilent(client, options.statementTimeoutMs);
    try {
      return await work(client);
    } catch (err) {
      throw translateDriverError(err, secrets, { connectionLost: isLost(client, err) });
    } finally {
      clearTimeout(stalled);
      client.release();
    }
  };
  return {
    async serverVersion() {
      // Opening a session (when none is open yet) is what reads it: servers report their version
      // as a session starts. Unknown counts as 18, the fenced side.
      if (serverMajor === null) await catalogRead(async () => {});
      return (serverMajor ?? VIRTUAL_COLUMNS_FROM_MAJOR) * 10_000;
    },
    async run(sql, params, limits, policyChecks = []) {
      // One round trip when the session's own settings already say everything: read-only and the
      // pool's statement timeout. Each policy to prove standalone is parsed, never run, in the
      // same message train before the query (see CappedQuery).
      if (limits.timeoutMs === options.statementTimeoutMs) {
        return runOnSession(limits, async (client) =>
          outputOf(
            await CappedQuery.run(
              client,
              { text: sql, values: params, maxRows: limits.maxRows + 1 },
              policyChecks,
            ),
            limits,
          ),
        );
      }
      return runOnSession(limits, async (client, markBroken) => {
        let ended = false;
        try {
          return await runReadOnly(
            {
              exec: (text, values) => client.query({ text, values: [...values], rowMode: 'array' }),
              script: (text) => client.query(text),
              fetchAndRollback: async (fetch) => {
                // The fetch and the rollback in one simple-protocol round trip (no parameters). On an
                // error the server skips the rollback, so `ended` stays false and it is sent below.
                const results = (await client.query({
                  text: `${fetch}; rollback`,
                  rowMode: 'array',
                })) as unknown as pg.QueryArrayResult[];
                ended = true;
                return Array.isArray(results) ? results[0]! : (results as pg.QueryArrayResult);
              },
            },
            { sql, params, limits, policyChecks },
          );
        } finally {
          // Only after an error: a session whose rollback fails too is not pooled again.
          if (!ended) await client.query('rollback').catch(markBroken);
        }
      });
    },
    ping: () =>
      catalogRead(async (client) => {
        const r = await client.query<{ v: string }>('select version() as v');
        return r.rows[0]?.v ?? '';
      }),
    discover: () =>
      catalogRead(async (client) => groupColumns((await client.query<ColumnRow>(DISCOVER_SQL)).rows)),
    grants: () =>
      catalogRead(async (client) => grantsFromRows((await client.query(POSTGRES_GRANTS_SQL)).rows)),
    stats: () => ({
      size: pool.totalCount,
      inUse: pool.totalCount - pool.idleCount,
      waiting: pool.waitingCount,
    }),
    close: () => pool.end(),
  };
}

async function connect(pool: pg.Pool, secrets: readonly (string | null)[]): Promise<pg.PoolClient> {
  try {
    return await pool.connect();
  } catch (err) {
    throw translateDriverError(err, secrets);
  }
}

/** The session is gone (not merely the statement failed): node-postgres marks it unqueryable. */
const isLost = (client: pg.PoolClient, err: unknown) => {
  const code = (err as { code?: unknown })?.code;
  const lostCode =
    typeof code === 'string' &&
    (code.startsWith('08') || ['57P01', '57P02', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT'].includes(code));
  return lostCode || (client as unknown as { _queryable?: boolean })._queryable === false;
};

const isBroken = (err: unknown) => {
  const code = (err as { code?: unknown })?.code;
  return typeof code !== 'string' || !/^[0-9A-Z]{5}$/.test(code) || code.startsWith('08');
};

type Exec = (
  sql: string,
  params: readonly unknown[],
) => Promise<{ rows: unknown[][]; fields: readonly { name: string; dataTypeID: number }[] }>;

/**
 * The Postgres-dialect execution both `pg` and PGlite use: a READ ONLY transaction, a local
 * statement timeout and search path, and a cursor from which at most `maxRows + 1` rows are
 * fetched, so a huge result never reaches memory. The caller rolls back, or `fetchAndRollback`
 * sends the fetch and the rollback together (one round trip less) where the driver allows it.
 */
export async function runReadOnly(
  driver: {
    readonly exec: Exec;
    readonly script: (sql: string) => Promise<unknown>;
    readonly fetchAndRollback?: (fetch: string) => ReturnType<Exec>;
  },
  query: {
    readonly sql: string;
    readonly params: readonly unknown[];
    readonly limits: QueryLimits;
    readonly policyChecks: readonly string[];
  },
): Promise<QueryOutput> {
  const { exec, script, fetchAndRollback } = driver;
  const { sql, params, limits, policyChecks } = query;
  // One simple-protocol round trip for the transaction and its settings (all values ours).
  // The gate's output names every table with its schema, so the search path serves only name
  // lookups the gate leaves unqualified: operators, types, and functions reached through
  // attribute notation (`x.f` for `f(x)`). `pg_catalog, pg_temp` confines those to the
  // built-ins, so no function, operator or type a warehouse user created can run
  // (docs/query-gate.md, "PostgreSQL: the structural invariant"). `standard_conforming_strings`
  // is pinned so the server splits string literals exactly as libpg-query does.
  await script(
    `begin transaction read only; set local statement_timeout = ${Math.trunc(limits.timeoutMs)}; ` +
      'set local search_path = pg_catalog, pg_temp; set local standard_conforming_strings = on',
  );
  for (const check of policyChecks) {
    // Prepared, never executed: the server resolves every name of the policy with no enclosing
    // query around it (see policyCheckSql). Both in one script, so no prepared statement outlives
    // the check; a failure aborts the transaction before the query is declared.
    try {
      await script(`prepare tessera_policy_check as ${check}; deallocate tessera_policy_check`);
    } catch (err) {
      throw isProofRefusal(err) ? policyUnresolved(err, check) : err;
    }
  }
  await exec(`declare tessera_result no scroll cursor for ${sql}`, params);
  const fetch = `fetch forward ${limits.maxRows + 1} from tessera_result`;
  const result = fetchAndRollback ? await fetchAndRollback(fetch) : await exec(fetch, []);
  return outputOf(result, limits);
}

function outputOf(result: Awaited<ReturnType<Exec>>, limits: QueryLimits): QueryOutput {
  // Rows already in memory (PGlite, or a guard that did not trip); the byte budget still bounds the response.
  if (rowsSize(result.rows) > MAX_RESULT_BYTES) throw resultTooLarge();
  const truncated = result.rows.length > limits.maxRows;
  const rows = (truncated ? result.rows.slice(0, limits.maxRows) : result.rows).map((r) => r.map(jsonValue));
  return {
    columns: result.fields.map((f) => ({ name: f.name, type: pgTypeName(f.dataTypeID) })),
    rows,
    truncated,
  };
}

/**
 * What `runReadOnly` sets per transaction, set once per session instead (startup parameters,
 * so no round trip): every transaction read-only, the statement timeout, and the same pinned
 * search path and string-literal rule. The gate refuses SET and set_config, so no query can
 * undo them (docs/query-gate.md, "PostgreSQL: the structural invariant").
 */
export const SESSION_SETTINGS = {
  default_transaction_read_only: 'on',
  search_path: 'pg_catalog,pg_temp',
  standard_conforming_strings: 'on',
} as const;

function sessionOptions(statementTimeoutMs: number | undefined): string {
  const settings: Record<string, string> = { ...SESSION_SETTINGS };
  if (statementTimeoutMs !== undefined) settings.statement_timeout = String(Math.trunc(statementTimeoutMs));
  return Object.entries(settings)
    .map(([name, value]) => `-c ${name}=${value}`)
    .join(' ');
}

export const VERSION_SQL = "select current_setting('server_version_num') as v";

export const quoteIdentifier = (name: string) => `"${name.replaceAll('"', '""')}"`;

interface ColumnRow {
  table_schema: string;
  table_name: string;
  column_name: string;
  data_type: string;
}

export const DISCOVER_SQL = `
  select table_schema, table_name, column_name, data_type
  from information_schema.columns
  where table_schema not in ('pg_catalog', 'information_schema') and table_schema not like 'pg\\_%'
  order by table_schema, table_name, ordinal_position`;

export function groupColumns(rows: readonly ColumnRow[]): DiscoveredTable[] {
  const tables = new Map<
    string,
    { schema: string; name: string; columns: { name: string; type: string }[] }
  >();
  for (const r of rows) {
    const key = JSON.stringify([r.table_schema, r.table_name]);
    let t = tables.get(key);
    if (!t) {
      t = { schema: r.table_schema, name: r.table_name, columns: [] };
      tables.set(key, t);
    }
    t.columns.push({ name: r.column_name, type: r.data_type });
  }
  return [...tables.values()];
}
