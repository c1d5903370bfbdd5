// runQuery over HTTP beside what a user would build instead, on the same PostgreSQL table in the
// same run: native row-level security (CREATE POLICY … current_setting('app.tenant'), set_config
// in the same transaction) and the hand-written tenant filter, each through `pg` behind node:http.
import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import pg from 'pg';
import { createApp } from '../src/app.ts';
import { loadConfig } from '../src/config.ts';
import { ROLE_IDS } from '../src/modules/roles/roles.ts';
import { startServer } from '../src/server.ts';
import { settingsOf } from '../test/helpers/data.ts';
import { createScratchPostgresDatabase } from '../test/helpers/databases.ts';
import { backendCpuMs, backendTicks } from './backend-cpu.ts';
import { benchAdmin, graphqlOver, nativeRlsOnOrders, ORIGIN, underNativeRls } from './data-fixture.ts';
import { combineRounds, type LoadResult, runLoad } from './http-load.ts';
import { benchDatabaseUrl, printSection, type Row, timeInterleaved } from './measure.ts';

// BENCH_DATA_ROWS / BENCH_DATA_TENANTS shrink the table where seeding 1M rows takes too long.
const ROWS = Number(process.env.BENCH_DATA_ROWS ?? 1_000_000);
const TENANTS = Number(process.env.BENCH_DATA_TENANTS ?? 1000);
const CONCURRENCY = 16;
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const ROUND_MS = 1500;
const WARM_MS = 1500;
const SAMPLES = Number(process.env.BENCH_SAMPLES ?? 200);
const TENANT = 't_42';

/** The two shapes of the issue: an aggregate over the tenant's rows, and its latest 50 rows. */
const QUERIES = {
  sum: 'select count(*) as n, sum(amount) as total from orders',
  latest: 'select id, amount, created_at from orders order by created_at desc limit 50',
} as const;
const HAND_WRITTEN = {
  sum: 'select count(*) as n, sum(amount) as total from orders where tenant_id = $1',
  latest: 'select id, amount, created_at from orders where tenant_id = $1 order by created_at desc limit 50',
} as const;
type Shape = keyof typeof QUERIES;

const pgUrl = benchDatabaseUrl();
if (!pgUrl) {
  printSection(
    'data access over HTTP: runQuery vs native RLS',
    [],
    ['Skipped: needs BENCH_DATABASE_URL or TEST_DATABASE_URL (native RLS is a PostgreSQL feature).'],
  );
  process.exit(0);
}

const warehouse = await createScratchPostgresDatabase(pgUrl);
const meta = await createScratchPostgresDatabase(pgUrl);
// Superusers bypass row-level security, so the RLS baseline runs as a role of its own.
const rlsRole = `tessera_bench_rls_${randomBytes(4).toString('hex')}`;
const admin = new pg.Client({ connectionString: warehouse.url });
await admin.connect();
await admin.query(`
  create table orders (id int primary key, tenant_id text not null, amount int not null, created_at timestamptz not null);
  insert into orders
    select i, 't_' || (i % ${TENANTS}), i % 997, timestamptz '2026-01-01' + i * interval '1 second'
    from generate_series(1, ${ROWS}) i;
  create index orders_tenant_created on orders (tenant_id, created_at);
  analyze orders;
  ${nativeRlsOnOrders(rlsRole)}`);

const config = loadConfig({
  NODE_ENV: 'production',
  LOG_LEVEL: 'silent',
  TESSERA_PUBLIC_URL: 'http://tessera.bench',
  TESSERA_MASTER_KEY: randomBytes(32).toString('hex'),
  TESSERA_WAREHOUSE_DIR: 'memory',
  DATABASE_URL: meta.url,
});
const app = await createApp(config);
const servers: Server[] = [];
const pools: pg.Pool[] = [];
try {
  const { workspaceId, key } = await benchAdmin(app);
  const tessera = await startServer(app, { host: '127.0.0.1', port: 0 });
  servers.push(tessera.server);
  const gql = graphqlOver(fetch, tessera.url);

  const connection = await gql(
    'mutation($i: CreateConnectionInput!) { createConnection(input: $i) { connection { id } } }',
    { i: { name: 'bench', ...settingsOf('postgres', warehouse.url) } },
    key,
  );
  const domain = await gql(
    'mutation($i: CreateDomainInput!) { createDomain(input: $i) { domain { id } } }',
    {
      i: {
        name: 'bench',
        connectionId: connection.createConnection.connection.id,
        tables: [{ name: 'orders' }],
      },
    },
    key,
  );
  const domainId = domain.createDomain.domain.id as string;
  await gql(
    'mutation($i: SetRowPolicyInput!) { setRowPolicy(input: $i) { status { code } } }',
    { i: { domainId, table: { name: 'orders' }, policy: "tenant_id = USER_ATTRIBUTE('tenant_id')" } },
    key,
  );
  await app.services.users.createUsers(
    workspaceId,
    {
      emails: ['bench@tenant.test'],
      roleAssignments: [{ roleId: ROLE_IDS.EXPLORER, scopes: [domainId] }],
      userAttributes: [{ key: 'tenant_id', value: TENANT }],
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

  // The baselines: one pool each, as many connections as Tessera's warehouse pool.
  const poolSize = config.data.connectionsPerPool;
  const handPool = new pg.Pool({ connectionString: warehouse.url, max: poolSize });
  const rlsPool = new pg.Pool({
    connectionString: warehouse.url,
    max: poolSize,
    options: `-c role=${rlsRole}`,
  });
  pools.push(handPool, rlsPool);
  const hand = await listen(
    async (shape, tenant) => (await handPool.query(HAND_WRITTEN[shape], [tenant])).rows,
  );
  const rls = await listen((shape, tenant) => underNativeRls(rlsPool, tenant, QUERIES[shape]));
  servers.push(hand.server, rls.server);

  const requests = {
    tessera: (shape: Shape) => ({
      url: `${tessera.url}/graphql`,
      headers: { 'content-type': 'application/json', authorization: `Bearer ${session}` },
      body: JSON.stringify({
        query: 'query($d: ID!, $s: String!) { runQuery(domainId: $d, sql: $s) { rows truncated } }',
        variables: { d: domainId, s: QUERIES[shape] },
      }),
    }),
    rls: (shape: Shape) => ({
      url: rls.url,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ shape, tenant: TENANT }),
    }),
    hand: (shape: Shape) => ({
      url: hand.url,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ shape, tenant: TENANT }),
    }),
  };
  type Side = keyof typeof requests;
  const sides = Object.keys(requests) as Side[];
  const post = async (side: Side, shape: Shape) => {
    const r = requests[side](shape);
    const response = await fetch(r.url, { method: 'POST', headers: r.headers, body: r.body });
    const text = await response.text();
    if (response.status !== 200 || text.includes('"errors"'))
      throw new Error(`${side}: ${text.slice(0, 300)}`);
    return JSON.parse(text);
  };
  // The three answer alike before anything is timed (first two columns: timestamps print differently).
  const firstTwo = (rows: unknown[][]) => JSON.stringify(rows.map((row) => row.slice(0, 2).map(String)));
  for (const shape of Object.keys(QUERIES) as Shape[]) {
    const viaTessera = (await post('tessera', shape)).data.runQuery.rows as unknown[][];
    for (const side of ['rls', 'hand'] as const) {
      const other = (await post(side, shape)) as Record<string, unknown>[];
      if (firstTwo(other.map((row) => Object.values(row))) !== firstTwo(viaTessera))
        throw new Error(`${side} and runQuery disagree on ${shape}`);
    }
  }

  const rows: Row[] = [];
  // One untimed round per side first: the figures are of warm servers. Without it the first
  // timed round of the side with the most code (Tessera's) paid for V8 optimising it, about a
  // second of compiling on a busy 2-core machine, which no long-running server pays twice.
  for (const side of sides)
    await runLoad({ ...requests[side]('sum'), concurrency: CONCURRENCY, durationMs: WARM_MS, warmupMs: 0 });
  // Throughput at c=16 on the aggregate, in alternating short rounds (the machine is shared).
  const rounds: Record<Side, LoadResult[]> = { tessera: [], rls: [], hand: [] };
  // Where each side's time goes: the CPU of the main thread (where all three servers run; the
  // client has its own thread) and of PostgreSQL's processes, per request answered in a round.
  const spent = Object.fromEntries(
    sides.map((s) => [s, { serverUs: 0, warehouseMs: 0, metaMs: 0, requests: 0 }]),
  ) as Record<Side, { serverUs: number; warehouseMs: number; metaMs: number; requests: number }>;
  const databases = [warehouse.name, meta.name];
  for (let round = 0; round < ROUNDS; round++) {
    for (const side of sides) {
      const ticks = await backendTicks(pgUrl, databases);
      const thread = process.threadCpuUsage();
      const result = await runLoad({
        ...requests[side]('sum'),
        concurrency: CONCURRENCY,
        durationMs: ROUND_MS,
        warmupMs: 300,
      });
      const used = process.threadCpuUsage(thread);
      const after = await backendTicks(pgUrl, databases);
      if (result.failures > 0)
        throw new Error(`${side}: ${result.failures} failed, first ${result.firstFailure}`);
      rounds[side].push(result);
      spent[side].serverUs += used.user + used.system;
      spent[side].warehouseMs += backendCpuMs(ticks, after, warehouse.name);
      spent[side].metaMs += backendCpuMs(ticks, after, meta.name);
      spent[side].requests += result.requests + result.warmupRequests;
    }
  }
  const rate = Object.fromEntries(
    sides.map((s) => [s, combineRounds(rounds[s]).requestsPerSecond]),
  ) as Record<Side, number>;
  for (const [baseline, name] of [
    ['rls', 'native RLS, pg behind node:http'],
    ['hand', 'hand-written SQL, pg behind node:http'],
  ] as const) {
    rows.push({
      figure: `runQuery \`sum(amount)\`, ${CONCURRENCY} concurrent clients`,
      tessera: rate.tessera,
      baseline: rate[baseline],
      baselineName: name,
      unit: 'req/s',
      lowerIsBetter: false,
    });
  }
  // Latency at c=1, samples interleaved across the three sides.
  for (const shape of Object.keys(QUERIES) as Shape[]) {
    const timing = await timeInterleaved(
      {
        tessera: () => post('tessera', shape),
        rls: () => post('rls', shape),
        hand: () => post('hand', shape),
      },
      SAMPLES,
      20,
    );
    for (const [baseline, name] of [
      ['rls', 'native RLS'],
      ['hand', 'hand-written SQL'],
    ] as const) {
      rows.push({
        figure: `runQuery \`${shape === 'sum' ? 'sum(amount)' : 'latest 50 rows'}\` p50, 1 client`,
        tessera: timing.tessera.medianMs,
        baseline: timing[baseline].medianMs,
        baselineName: name,
        unit: 'ms',
      });
    }
  }
  const { plan, nativePlan } = await plans(admin, rlsRole);
  printSection(
    `data access over HTTP: runQuery vs native RLS and hand-written SQL (PostgreSQL, ${ROWS.toLocaleString('en-US')} rows, ${TENANTS.toLocaleString('en-US')} tenants)`,
    rows,
    [
      `\`${QUERIES.sum}\` and \`${QUERIES.latest}\`, policy \`tenant_id = USER_ATTRIBUTE('tenant_id')\`, index (tenant_id, created_at).`,
      "Tessera: the real server (startServer) with a session JWT: the session check (it also reads the workspace's snapshot",
      "version, so the user's snapshot is cached), the gate (its rewrite cached), the warehouse statement, and the audit",
      'insert (group-committed: concurrent queries share one). Native RLS: `CREATE POLICY … USING',
      "(tenant_id = current_setting('app.tenant'))` for a non-superuser role; per request BEGIN READ ONLY, set_config(…, true),",
      'the query, COMMIT, through pg behind node:http. Hand-written: the same SQL with `where tenant_id = $1`.',
      `Throughput: one untimed ${WARM_MS} ms round per side, then ${ROUNDS} alternating rounds of ${ROUND_MS} ms per side, one fetch loop in a worker thread; latency:`,
      `${SAMPLES} interleaved samples per side from the main thread. Pools: ${poolSize} connections each.`,
      `Plan of the latest 50 rows, rewritten: ${plan}; under native RLS: ${nativePlan}.`,
      `CPU per request at ${CONCURRENCY} clients (every round, warm-up included): ${cpuPerRequest(spent)}.`,
    ],
  );
} finally {
  for (const server of servers) {
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  }
  for (const pool of pools) await pool.end();
  await app.close();
  await admin.query(`drop owned by ${rlsRole}`).catch(() => {});
  await admin.end();
  await warehouse.drop();
  await meta.drop();
  const cleanup = new pg.Client({ connectionString: pgUrl });
  await cleanup.connect();
  await cleanup.query(`drop role if exists ${rlsRole}`);
  await cleanup.end();
}

/** The top plan node and execution time of the latest-50 query, rewritten and under native RLS. */
async function plans(client: pg.Client, role: string): Promise<{ plan: string; nativePlan: string }> {
  const { rewriteQuery } = await import('../src/modules/query-gate/index.ts');
  const rewritten = await rewriteQuery({
    dialect: 'postgres',
    sql: QUERIES.latest,
    tables: [{ schema: 'public', name: 'orders', policy: "tenant_id = USER_ATTRIBUTE('tenant_id')" }],
    defaultSchema: 'public',
    user: { email: 'bench@tenant.test', attributes: new Map([['tenant_id', TENANT]]) },
    applyPolicies: true,
    requirePolicies: false,
  });
  const summary = (r: pg.QueryResult) => {
    const lines = r.rows.map((row) => String(Object.values(row)[0]));
    const scan =
      lines
        .find((l) => /Scan/.test(l))
        ?.trim()
        .replace(/\s+\(cost.*$/, '') ?? '?';
    const time = lines.find((l) => l.startsWith('Execution Time'))?.trim() ?? '';
    return `${scan.replace(/^->\s*/, '')}, ${time}`;
  };
  const plan = summary(await client.query(`explain analyze ${rewritten.sql}`, [...rewritten.params]));
  await client.query('begin');
  await client.query(`set local role ${role}`);
  await client.query("select set_config('app.tenant', $1, true)", [TENANT]);
  const nativePlan = summary(await client.query(`explain analyze ${QUERIES.latest}`));
  await client.query('rollback');
  return { plan, nativePlan };
}

/** Each side's CPU per request: the server thread's, and PostgreSQL's on the warehouse and Tessera's database. */
function cpuPerRequest(
  spent: Record<string, { serverUs: number; warehouseMs: number; metaMs: number; requests: number }>,
): string {
  const names: Record<string, string> = { tessera: 'Tessera', rls: 'native RLS', hand: 'hand-written' };
  const us = (ms: number, requests: number) => Math.round((ms * 1000) / requests);
  return Object.entries(spent)
    .map(([side, { serverUs, warehouseMs, metaMs, requests }]) => {
      const database =
        side === 'tessera'
          ? `PostgreSQL ${us(warehouseMs + metaMs, requests)} µs (warehouse ${us(warehouseMs, requests)}, Tessera's database ${us(metaMs, requests)})`
          : `PostgreSQL ${us(warehouseMs, requests)} µs`;
      return `${names[side]}: server thread ${Math.round(serverUs / requests)} µs, ${database}`;
    })
    .join('; ');
}

async function listen(
  handle: (shape: Shape, tenant: string) => Promise<unknown>,
): Promise<{ server: Server; url: string }> {
  const server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    try {
      const { shape, tenant } = JSON.parse(Buffer.concat(chunks).toString('utf8')) as {
        shape: Shape;
        tenant: string;
      };
      res
        .writeHead(200, { 'content-type': 'application/json' })
        .end(JSON.stringify(await handle(shape, tenant)));
    } catch (err) {
      res.writeHead(500).end(String(err));
    }
  });
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/` };
}
