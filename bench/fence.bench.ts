// The latest 50 rows of one tenant (`ORDER BY created_at DESC LIMIT 50`) on a 1M-row table with
// 1,000 tenants and a (tenant_id, created_at) index: the SQL the gate runs (no fence, as
// docs/query-gate.md "When the fence is dropped" allows here) and the same SQL with the
// `OFFSET 0` fence put back, beside native PostgreSQL row-level security (a policy on the same
// table, the tenant in a setting), each statement timed alone on one connection, interleaved.
import pg from 'pg';
import { rewriteQuery } from '../src/modules/query-gate/index.ts';
import { benchDatabaseUrl, printSection, type Row, timeInterleaved } from './measure.ts';

const TITLE = 'Query gate fence: latest 50 rows beside native RLS (PostgreSQL)';
const SAMPLES = Number(process.env.FENCE_BENCH_SAMPLES ?? 300);
const ROWS = 1_000_000;
const TENANTS = 1_000;
const DATABASE = 'fence_bench';
const READER = 'fence_bench_reader';
const SQL = 'select id, created_at, amount from orders order by created_at desc limit 50';
const HAND_WRITTEN =
  'select id, created_at, amount from orders where tenant_id = $1 order by created_at desc limit 50';

const adminUrl = benchDatabaseUrl();
if (adminUrl === undefined) {
  printSection(TITLE, [], ['Skipped: set BENCH_DATABASE_URL to a PostgreSQL server.']);
  process.exit(0);
}

const admin = new pg.Client({ connectionString: adminUrl });
await admin.connect();
await admin.query(`drop database if exists ${DATABASE} with (force)`);
await admin.query(`create database ${DATABASE}`);
const url = new URL(adminUrl);
url.pathname = `/${DATABASE}`;
const db = new pg.Client({ connectionString: url.toString() });
await db.connect();
try {
  await db.query(`create table orders (id int primary key, tenant_id int not null,
    created_at timestamptz not null, amount int not null)`);
  await db.query(
    `insert into orders select g, g % ${TENANTS}, timestamptz '2026-01-01' + g * interval '1 second', g % 997
     from generate_series(1, ${ROWS}) g`,
  );
  await db.query('create index orders_tenant_created on orders (tenant_id, created_at)');
  await db.query('analyze orders');
  // Native RLS needs a role that is neither superuser nor owner (both bypass policies).
  await db.query(`do $$ begin create role ${READER}; exception when duplicate_object then null; end $$`);
  await db.query(`grant select on orders to ${READER}`);
  await db.query('alter table orders enable row level security');
  await db.query(
    "create policy tenant_rows on orders using (tenant_id = current_setting('app.tenant')::int)",
  );

  const tenant = 7;
  const gated = await rewriteQuery({
    dialect: 'postgres',
    sql: SQL,
    tables: [{ schema: 'public', name: 'orders', policy: "tenant_id = USER_ATTRIBUTE_INT('tenant')" }],
    defaultSchema: 'public',
    user: { email: 'bench@fence.test', attributes: new Map([['tenant', String(tenant)]]) },
    applyPolicies: true,
    requirePolicies: false,
  });
  const fenced = gated.sql.replace(/\) \) AS orders/, ') OFFSET 0 ) AS orders');
  if (fenced === gated.sql) throw new Error(`unexpected wrapper: ${gated.sql}`);
  const plan = async (sql: string, params: readonly unknown[]) =>
    (await db.query(`explain ${sql}`, params as unknown[])).rows.map((r) => String(r['QUERY PLAN']));

  const gatePlan = await plan(gated.sql, gated.params);
  const fencedPlan = await plan(fenced, gated.params);

  // The native contender runs as the reader with the tenant set for the session, so only the
  // statement itself is timed, as for the gate's SQL.
  const native = new pg.Client({ connectionString: url.toString() });
  await native.connect();
  await native.query(`set role ${READER}`);
  await native.query("select set_config('app.tenant', $1, false)", [String(tenant)]);
  const nativePlan = (await native.query(`explain ${SQL}`)).rows.map((r) => String(r['QUERY PLAN']));
  const timings = await timeInterleaved(
    {
      gate: () => db.query(gated.sql, gated.params as unknown[]),
      fenced: () => db.query(fenced, gated.params as unknown[]),
      native: () => native.query(SQL),
      // The same statement over the extended protocol the gate's SQL (with parameters) uses.
      // (`queryMode` is in pg's runtime, not yet in its type definitions.)
      nativeExtended: () => native.query({ text: SQL, queryMode: 'extended' } as pg.QueryConfig),
      handWritten: () => db.query(HAND_WRITTEN, [tenant]),
    },
    SAMPLES,
    20,
  );
  await native.end();

  const rows: Row[] = [
    {
      figure: 'latest 50, gate SQL (fence dropped), p50',
      tessera: timings.gate.medianMs,
      baseline: timings.native.medianMs,
      baselineName: 'native RLS',
      unit: 'ms',
    },
    {
      figure: 'latest 50, gate SQL (fence dropped), p50, same protocol',
      tessera: timings.gate.medianMs,
      baseline: timings.nativeExtended.medianMs,
      baselineName: 'native RLS, extended protocol',
      unit: 'ms',
    },
    {
      figure: 'latest 50, gate SQL (fence dropped), p50, same protocol',
      tessera: timings.gate.medianMs,
      baseline: timings.handWritten.medianMs,
      baselineName: 'hand-written `where tenant_id = $1`',
      unit: 'ms',
    },
    {
      figure: 'latest 50, gate SQL with OFFSET 0 fence, p50',
      tessera: timings.fenced.medianMs,
      baseline: timings.native.medianMs,
      baselineName: 'native RLS',
      unit: 'ms',
    },
  ];
  const line = (p: readonly string[]) =>
    p
      .slice(0, 3)
      .map((l) => l.trim())
      .join(' → ');
  printSection(TITLE, rows, [
    `${ROWS.toLocaleString('en-US')} rows, ${TENANTS.toLocaleString('en-US')} tenants, ${SAMPLES} interleaved samples each. Goal: ≤ 1.5× native RLS.`,
    '',
    `- gate plan: \`${line(gatePlan)}\``,
    `- fenced plan: \`${line(fencedPlan)}\``,
    `- native RLS plan: \`${line(nativePlan)}\``,
  ]);
} finally {
  await db.end();
  await admin.query(`drop database if exists ${DATABASE} with (force)`);
  await admin.query(`drop role if exists ${READER}`);
  await admin.end();
}
