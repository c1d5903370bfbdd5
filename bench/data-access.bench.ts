// Data access: end-to-end runQuery latency against the same SQL sent straight to the warehouse
// and under native PostgreSQL row-level security (a policy on the same table, set_config in the
// same transaction), and memory held by warehouse pools for 1,000 tenants against one pool.
import { randomBytes } from 'node:crypto';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import pg from 'pg';
import { type App, createApp } from '../src/app.ts';
import { type Config, loadConfig } from '../src/config.ts';
import type { ConnectionInput } from '../src/modules/data/connections/validation.ts';
import { ROLE_IDS } from '../src/modules/roles/roles.ts';
import { settingsOf } from '../test/helpers/data.ts';
import { createScratchPostgresDatabase } from '../test/helpers/databases.ts';
import {
  benchAdmin,
  benchDomain,
  inProcessGql,
  nativeRlsOnOrders,
  ORIGIN,
  underNativeRls,
} from './data-fixture.ts';
import { benchDatabaseUrl, printSection, type Timing, timeInterleaved } from './measure.ts';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

const pgUrl = benchDatabaseUrl();
// BENCH_DATA_ROWS / BENCH_DATA_TENANTS shrink the run while iterating; the committed figures use the defaults.
const ROWS = Number(process.env.BENCH_DATA_ROWS ?? (pgUrl ? 1_000_000 : 100_000));
const TENANTS = Number(process.env.BENCH_DATA_TENANTS ?? 1000);
const SQL = 'select count(*) as n, sum(amount) as total from orders';
const SQL_DIRECT = 'select count(*) as n, sum(amount) as total from orders where tenant_id = $1';

async function main(): Promise<void> {
  const scratch = pgUrl ? await createScratchPostgresDatabase(pgUrl) : null;
  const meta = pgUrl ? await createScratchPostgresDatabase(pgUrl) : null;
  const config: Config = loadConfig({
    NODE_ENV: 'production',
    LOG_LEVEL: 'silent',
    TESSERA_PUBLIC_URL: 'http://tessera.bench',
    TESSERA_MASTER_KEY: randomBytes(32).toString('hex'),
    TESSERA_WAREHOUSE_DIR: 'memory',
    TESSERA_DATA_POOLS_MAX: '50',
    ...(meta ? { DATABASE_URL: meta.url } : {}),
  });
  const app = await createApp(
    pgUrl ? config : ({ ...config, database: { kind: 'pglite', dataDir: null } } as Config),
  );
  const data = { data: () => app.services.data };
  try {
    const { workspaceId, key } = await benchAdmin(app);
    const gql = inProcessGql(app);

    // The warehouse: ROWS orders over TENANTS tenants, indexed on tenant_id.
    const load = `
      create table orders (id int primary key, tenant_id text not null, amount int not null);
      insert into orders select i, 't_' || (i % ${TENANTS}), i % 997 from generate_series(1, ${ROWS}) i;
      create index orders_tenant on orders (tenant_id);
      analyze orders;`;
    let direct: (tenant: string) => Promise<unknown>;
    /** The same SQL under native RLS (PostgreSQL only). */
    let native: ((tenant: string) => Promise<unknown>) | null = null;
    let closeDirect: () => Promise<void>;
    let settings: ConnectionInput;
    if (scratch) {
      const pool = new pg.Pool({ connectionString: scratch.url, max: 4 });
      await pool.query(load);
      // Tessera's own connection here is a superuser, which row-level security would not bind.
      await pool.query(nativeRlsOnOrders(rlsRole));
      const rlsPool = new pg.Pool({ connectionString: scratch.url, max: 4, options: `-c role=${rlsRole}` });
      direct = (tenant) => pool.query(SQL_DIRECT, [tenant]);
      native = (tenant) => underNativeRls(rlsPool, tenant, SQL);
      closeDirect = async () => {
        await rlsPool.end();
        await pool.query(`drop owned by ${rlsRole}`);
        await pool.end();
      };
      settings = settingsOf('postgres', scratch.url);
    } else {
      await data.data().warehouses.load('bench', load);
      const h = await data.data().warehouses.acquire('bench');
      direct = (tenant) => h.serialize(() => h.pglite.query(SQL_DIRECT, [tenant]));
      closeDirect = () => h.release();
      settings = { engine: 'pglite', database: 'bench' };
    }
    const domainId = await benchDomain(app, {
      workspaceId,
      settings,
      policies: { orders: "tenant_id = USER_ATTRIBUTE('tenant_id')" },
    });
    const [benchUser] = await app.services.users.createUsers(
      workspaceId,
      {
        emails: ['bench@tenant.test'],
        roleAssignments: [{ roleId: ROLE_IDS.EXPLORER, scopes: [domainId] }],
        userAttributes: [{ key: 'tenant_id', value: 't_42' }],
      },
      ORIGIN,
    );
    const session = (
      await gql(
        'mutation($k: String!) { impersonateUser(accessToken: $k, userEmail: "bench@tenant.test") }',
        { k: key },
        key,
      )
    ).impersonateUser as string;
    const runQuery = () =>
      gql(
        'query($d: ID!, $s: String!) { runQuery(domainId: $d, sql: $s) { rows truncated } }',
        { d: domainId, s: SQL },
        session,
      );
    const check = await runQuery();
    const expected = (await direct('t_42')) as { rows: Record<string, unknown>[] };
    if (String(check.runQuery.rows[0][0]) !== String(Object.values(expected.rows[0]!)[0]))
      throw new Error('runQuery and the direct query disagree');

    if (native) {
      const rows = (await native('t_42')) as Record<string, unknown>[];
      if (String(Object.values(rows[0]!)[0]) !== String(Object.values(expected.rows[0]!)[0]))
        throw new Error('native RLS and the direct query disagree');
    }

    const samples = 200;
    const caller = {
      workspaceId,
      userId: benchUser!.userId,
      transientAttributes: new Map<string, string>(),
    };
    const executor = () =>
      data.data().queries.run({ caller, domainId, sql: SQL, origin: ORIGIN, at: () => new Date() });
    // Interleaved, so a burst of load on the shared machine hits every side alike.
    const contenders: Record<string, () => Promise<unknown>> = {
      tessera: runQuery,
      executor,
      driver: () => direct('t_42'),
    };
    if (native) contenders.native = () => native('t_42');
    const timings: Record<string, Timing> = await timeInterleaved(contenders, samples, 20);
    const viaTessera = timings.tessera!;
    const viaExecutor = timings.executor!;
    const viaDriver = timings.driver!;
    const viaNative = timings.native;
    const trips = await roundTrips(runQuery, scratch?.name ?? null);
    await closeDirect();
    const engine = scratch ? 'PostgreSQL' : 'PGlite (no BENCH_DATABASE_URL/TEST_DATABASE_URL: fewer rows)';
    printSection(
      `data access: runQuery vs native RLS and the direct driver (${engine}, ${ROWS.toLocaleString('en-US')} rows, ${ROWS / TENANTS} per tenant)`,
      [
        ...(viaNative
          ? [
              {
                figure: 'median latency',
                tessera: viaTessera.medianMs,
                baseline: viaNative.medianMs,
                baselineName: 'native RLS through pg',
                unit: 'ms',
              },
            ]
          : []),
        {
          figure: 'median latency',
          tessera: viaTessera.medianMs,
          baseline: viaDriver.medianMs,
          baselineName: scratchName(scratch),
          unit: 'ms',
        },
        {
          figure: 'median, executor only (no HTTP, GraphQL or JWT)',
          tessera: viaExecutor.medianMs,
          baseline: viaDriver.medianMs,
          baselineName: scratchName(scratch),
          unit: 'ms',
        },
        ...(trips
          ? [
              {
                figure: "round trips per runQuery (Tessera's database + warehouse)",
                tessera: trips.meta + trips.warehouse,
                baseline: 1,
                baselineName: 'direct driver',
                unit: '',
              },
            ]
          : []),
        ...(viaNative
          ? [
              {
                figure: 'p95 latency',
                tessera: viaTessera.p95Ms,
                baseline: viaNative.p95Ms,
                baselineName: 'native RLS through pg',
                unit: 'ms',
              },
            ]
          : []),
        {
          figure: 'p95 latency',
          tessera: viaTessera.p95Ms,
          baseline: viaDriver.p95Ms,
          baselineName: scratchName(scratch),
          unit: 'ms',
        },
      ],
      [
        `\`${SQL}\` with the policy \`tenant_id = USER_ATTRIBUTE('tenant_id')\` (indexed), ${samples} samples per side, interleaved.`,
        'Tessera: GraphQL over in-process fetch with a session JWT: the session check (which also reads the snapshot version, so',
        "the user's cached snapshot is reused), the gate (its rewrite cached), the warehouse statement, and one audit insert.",
        'Executor only: the same work minus HTTP, GraphQL and the session check, so it reads the snapshot fresh each time.',
        ...(viaNative
          ? [
              "Native RLS: `CREATE POLICY … USING (tenant_id = current_setting('app.tenant'))` on the same table for a",
              'non-superuser role; per query BEGIN READ ONLY, set_config(…, true), the SQL as the user wrote it, COMMIT.',
            ]
          : []),
        'Direct: the same SQL with the tenant filter written by hand, sent through the driver on a warm pool.',
        ...(trips
          ? [
              `Round trips: statements one runQuery sends, each awaited before the next (${trips.meta} to Tessera's database: the session`,
              `check and the audit insert; ${trips.warehouse} to the warehouse), counted on warm pools and caches.`,
            ]
          : []),
      ],
    );
    await poolMemory(app, data.data(), workspaceId, scratch, key, gql);
  } finally {
    await app.close();
    await scratch?.drop();
    await meta?.drop();
    if (pgUrl) {
      const cleanup = new pg.Client({ connectionString: pgUrl });
      await cleanup.connect();
      await cleanup.query(`drop role if exists ${rlsRole}`);
      await cleanup.end();
    }
  }
}

/**
 * Statements sent per executor call, counted on `pg.Client#query` (each one is a round trip: the
 * driver waits for the server's answer before sending the next). PostgreSQL only: PGlite runs in
 * process. Averaged over 20 calls on warm pools.
 */
async function roundTrips(
  run: () => Promise<unknown>,
  warehouseDatabase: string | null,
): Promise<{ meta: number; warehouse: number } | null> {
  if (warehouseDatabase === null) return null;
  const proto = pg.Client.prototype as unknown as { query: (...args: unknown[]) => unknown };
  const original = proto.query;
  let meta = 0;
  let warehouse = 0;
  proto.query = function (this: pg.Client, ...args: unknown[]) {
    if (this.database === warehouseDatabase) warehouse++;
    else meta++;
    return original.apply(this, args);
  };
  const calls = 20;
  try {
    for (let i = 0; i < calls; i++) await run();
  } finally {
    proto.query = original;
  }
  return { meta: meta / calls, warehouse: warehouse / calls };
}

const scratchName = (s: unknown) => (s ? 'pg Pool, same SQL' : 'PGlite query, same SQL');

/** Cluster-wide, so unique to the run; dropped with what it owns when the warehouse goes. */
const rlsRole = `tessera_bench_rls_${randomBytes(4).toString('hex')}`;

/** RSS and heap retained with 1,000 distinct resolved settings (schema per tenant) against one pool. */
async function poolMemory(
  app: App,
  data: App['services']['data'],
  workspaceId: string,
  scratch: { url: string; name: string } | null,
  key: string,
  gql: (q: string, v: Record<string, unknown>, t: string) => Promise<any>,
): Promise<void> {
  const tenants = scratch ? TENANTS : Math.min(TENANTS, 100);
  let settings: Record<string, unknown>;
  if (scratch) {
    const c = new pg.Client({ connectionString: scratch.url });
    await c.connect();
    const ddl: string[] = [];
    for (let i = 0; i < tenants; i++)
      ddl.push(
        `create schema t_${i}; create table t_${i}.items (id int); insert into t_${i}.items values (${i});`,
      );
    await c.query(ddl.join('\n'));
    await c.end();
    const u = new URL(scratch.url);
    settings = {
      engine: 'postgres',
      host: u.hostname,
      port: Number(u.port || 5432),
      database: scratch.name,
      user: decodeURIComponent(u.username),
      schema: 't_0',
      ...(u.password ? { password: decodeURIComponent(u.password) } : {}),
    };
  } else {
    const sql: string[] = [];
    for (let i = 0; i < tenants; i++)
      sql.push(
        `create schema t_${i}; create table t_${i}.items (id int); insert into t_${i}.items values (${i});`,
      );
    await data.warehouses.load('tenants', sql.join('\n'));
    settings = { engine: 'pglite', database: 'tenants', schema: 't_0' };
  }
  const connection = await data.connections.create(
    workspaceId,
    {
      name: 'per-tenant schemas',
      ...settings,
      credentialMappings: [{ attributeMatch: [], schema: 't_{{tenant}}' }],
    },
    ORIGIN,
  );
  const domain = await data.domains.create(
    workspaceId,
    { name: 'tenants', connectionId: connection.id, tables: [{ name: 'items' }] },
    ORIGIN,
  );
  await app.services.users.createUsers(
    workspaceId,
    { emails: ['pools@tenant.test'], roleAssignments: [{ roleId: ROLE_IDS.EXPLORER, scopes: [domain.id] }] },
    ORIGIN,
  );
  const tokens: string[] = [];
  for (let i = 0; i < tenants; i++) {
    tokens.push(
      (
        await gql(
          'mutation($k: String!, $a: [UserAttributeInput!]) { impersonateUser(accessToken: $k, userEmail: "pools@tenant.test", attributes: $a) }',
          { k: key, a: [{ key: 'tenant', value: String(i) }] },
          key,
        )
      ).impersonateUser,
    );
  }
  const q = (token: string) =>
    gql(
      'query($d: ID!) { runQuery(domainId: $d, sql: "select id from items") { rows } }',
      { d: domain.id },
      token,
    );
  // Absolute figures after a forced collection: what the process retains once each phase is done.
  const measure = async (work: () => Promise<void>) => {
    await work();
    gc();
    gc();
    const after = process.memoryUsage();
    return { rss: after.rss / 2 ** 20, heap: after.heapUsed / 2 ** 20 };
  };
  const one = await measure(async () => {
    for (let i = 0; i < tenants; i++) await q(tokens[0]!);
  });
  const openedBefore = data.pools.stats().opened;
  const many = await measure(async () => {
    for (let i = 0; i < tenants; i++) {
      const r = await q(tokens[i]!);
      if (r.runQuery.rows[0][0] !== i) throw new Error(`tenant ${i} read another tenant's schema`);
    }
  });
  const stats = data.pools.stats();
  printSection(
    `data access: pool memory, ${tenants.toLocaleString('en-US')} tenants (${scratch ? 'PostgreSQL schema per tenant' : 'PGlite schema per tenant, fewer tenants'})`,
    [
      {
        figure: 'process RSS after the run',
        tessera: many.rss,
        baseline: one.rss,
        baselineName: `one tenant, ${tenants} queries`,
        unit: 'MiB',
      },
      {
        figure: 'JS heap after the run',
        tessera: many.heap,
        baseline: one.heap,
        baselineName: `one tenant, ${tenants} queries`,
        unit: 'MiB',
      },
      {
        figure: 'pools open at the end',
        tessera: stats.open,
        baseline: stats.max,
        baselineName: 'cap (TESSERA_DATA_POOLS_MAX)',
        unit: '',
      },
    ],
    [
      `${tenants} distinct resolved settings (mapping \`schema: t_{{tenant}}\`), one query each, every one answered from its own schema;`,
      `${stats.opened - openedBefore} pools opened, ${stats.evicted} closed by the LRU cap of ${stats.max}. Without the cap each tenant would keep`,
      'a pool and an idle server session until the idle timeout. Memory: process-wide, after a forced collection, one-tenant phase first.',
    ],
  );
}

await main();
