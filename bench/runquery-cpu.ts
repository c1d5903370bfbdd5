// Node CPU per runQuery, in process: `select count(*), sum(amount)` over a policed table on a
// scratch PostgreSQL warehouse, sent through app.fetch (no socket) by 16 concurrent loops
// (BENCH_CONCURRENCY) after a warm-up; process.cpuUsage over the timed requests (user + system)
// divided by their number, the median latency, and the transactions on Tessera's database.
// Not part of `npm run bench` (no baseline): a probe for profiling (`--cpu-prof`).
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { createApp } from '../src/app.ts';
import { loadConfig } from '../src/config.ts';
import { ROLE_IDS } from '../src/modules/roles/roles.ts';
import { settingsOf } from '../test/helpers/data.ts';
import { createScratchPostgresDatabase } from '../test/helpers/databases.ts';
import { backendCpuMs, backendTicks } from './backend-cpu.ts';
import { benchAdmin, benchDomain, inProcessGql, ORIGIN } from './data-fixture.ts';
import { benchDatabaseUrl } from './measure.ts';

const REQUESTS = Number(process.env.BENCH_REQUESTS ?? 4000);
const WARMUP = Number(process.env.BENCH_WARMUP ?? 2000);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 16);
const SQL = process.env.BENCH_SQL ?? 'select count(*) as n, sum(amount) as total from orders';

const pgUrl = benchDatabaseUrl();
if (!pgUrl) throw new Error('needs BENCH_DATABASE_URL or TEST_DATABASE_URL');
const warehouse = await createScratchPostgresDatabase(pgUrl);
const meta = await createScratchPostgresDatabase(pgUrl);
const admin = new pg.Client({ connectionString: warehouse.url });
await admin.connect();
await admin.query(`
  create table orders (id int primary key, tenant_id text not null, amount int not null, created_at timestamptz not null);
  insert into orders select i, 't_' || (i % 100), i % 997, timestamptz '2026-01-01' + i * interval '1 second'
    from generate_series(1, 10000) i;
  create index orders_tenant_created on orders (tenant_id, created_at);
  analyze orders;`);
await admin.end();
const app = await createApp(
  loadConfig({
    NODE_ENV: 'production',
    LOG_LEVEL: 'silent',
    TESSERA_PUBLIC_URL: 'http://tessera.bench',
    TESSERA_MASTER_KEY: randomBytes(32).toString('hex'),
    TESSERA_WAREHOUSE_DIR: 'memory',
    DATABASE_URL: meta.url,
  }),
);
try {
  const { workspaceId, key } = await benchAdmin(app);
  const domainId = await benchDomain(app, {
    workspaceId,
    settings: settingsOf('postgres', warehouse.url),
    policies: { orders: "tenant_id = USER_ATTRIBUTE('tenant_id')" },
  });
  await app.services.users.createUsers(
    workspaceId,
    {
      emails: ['bench@tenant.test'],
      roleAssignments: [{ roleId: ROLE_IDS.EXPLORER, scopes: [domainId] }],
      userAttributes: [{ key: 'tenant_id', value: 't_42' }],
    },
    ORIGIN,
  );
  const gql = inProcessGql(app);
  const session = (
    await gql(
      'mutation($k: String!) { impersonateUser(accessToken: $k, userEmail: "bench@tenant.test") }',
      { k: key },
      key,
    )
  ).impersonateUser as string;
  // Built as the node:http bridge builds its requests (src/http/node-adapter.ts): in the GraphQL
  // server's own Request class, from a plain header object and a Buffer body.
  const body = Buffer.from(
    JSON.stringify({
      query: 'query($d: ID!, $s: String!) { runQuery(domainId: $d, sql: $s) { rows truncated } }',
      variables: { d: domainId, s: SQL },
    }),
  );
  const latencies: number[] = [];
  const one = async () => {
    const sent = performance.now();
    const r = await app.fetch(
      app.graphql.request('http://tessera.bench/graphql', {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${session}` },
        body,
      }),
      { ip: '127.0.0.1' },
    );
    const text = await r.text();
    if (r.status !== 200 || text.includes('"errors"')) throw new Error(text.slice(0, 300));
    latencies.push(performance.now() - sent);
  };
  const load = async (n: number) => {
    let left = n;
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (left-- > 0) await one();
      }),
    );
  };
  await load(WARMUP);
  latencies.length = 0;
  const pgBefore = await backendTicks(pgUrl, [warehouse.name, meta.name]);
  const xactsBefore = await transactions(pgUrl, meta.name);
  // The timed window's start on the monotonic clock, for cutting a --cpu-prof to it.
  console.error(`timed from ${process.hrtime.bigint() / 1000n} us`);
  const cpu = process.cpuUsage();
  const wall = performance.now();
  await load(REQUESTS);
  const used = process.cpuUsage(cpu);
  const ms = performance.now() - wall;
  const pgAfter = await backendTicks(pgUrl, [warehouse.name, meta.name]);
  const xacts = (await transactions(pgUrl, meta.name)) - xactsBefore;
  const pgMs = (db: string) => (backendCpuMs(pgBefore, pgAfter, db) / REQUESTS).toFixed(3);
  console.log(
    `${REQUESTS} requests: CPU ${((used.user + used.system) / 1000 / REQUESTS).toFixed(3)} ms/request ` +
      `(user ${(used.user / 1000 / REQUESTS).toFixed(3)}, system ${(used.system / 1000 / REQUESTS).toFixed(3)}), ` +
      `wall ${(REQUESTS / (ms / 1000)).toFixed(0)} req/s; PostgreSQL backends CPU ms/request: ` +
      `warehouse ${pgMs(warehouse.name)}, Tessera's database ${pgMs(meta.name)}; ` +
      `${(xacts / REQUESTS).toFixed(2)} transactions/request on Tessera's database; ` +
      `p50 ${latencies.sort((a, b) => a - b)[latencies.length >> 1]!.toFixed(3)} ms at ${CONCURRENCY} concurrent`,
  );
} finally {
  await app.close();
  await warehouse.drop();
  await meta.drop();
}

/** Transactions committed or rolled back on a database so far (the statistics lag by up to a second). */
async function transactions(url: string, database: string): Promise<number> {
  await new Promise((resolve) => setTimeout(resolve, 1100));
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  const { rows } = await client.query<{ n: string }>(
    'select (xact_commit + xact_rollback)::text as n from pg_stat_database where datname = $1',
    [database],
  );
  await client.end();
  return Number(rows[0]!.n);
}
