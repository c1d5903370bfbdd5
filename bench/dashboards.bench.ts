// Dashboards: the six tiles of the demo dashboard through `dashboardTileResult` (GraphQL, session
// JWT, access check, the gate, the warehouse), against the same six queries with the user's row
// policies written out by hand, sent straight to the warehouse through `pg`.
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { createApp } from '../src/app.ts';
import { type Config, loadConfig } from '../src/config.ts';
import { DEMO_POLICIES, DEMO_USERS, DEMO_WAREHOUSE_SQL } from '../src/modules/data/demo.ts';
import { ROLE_IDS } from '../src/modules/roles/roles.ts';
import { settingsOf } from '../test/helpers/data.ts';
import { createScratchPostgresDatabase } from '../test/helpers/databases.ts';
import { benchAdmin, benchDomain, inProcessGql, ORIGIN } from './data-fixture.ts';
import { benchDatabaseUrl, printSection, timeInterleaved } from './measure.ts';

const alice = DEMO_USERS[0];
const T = `'${alice.tenant}'`;
const R = alice.regions.map((r) => `'${r}'`).join(', ');
/** The demo tiles' SQL with the demo policies applied by hand for Alice. */
const DIRECT = [
  `select sum(amount) as revenue from orders where tenant_id = ${T} and region in (${R})`,
  `select ordered_at as day, sum(amount) as revenue from orders where tenant_id = ${T} and region in (${R}) group by ordered_at order by ordered_at`,
  `select g.name as region, sum(o.amount) as revenue from orders o join regions g on g.code = o.region where o.tenant_id = ${T} and o.region in (${R}) and g.code in (${R}) group by g.name order by g.name`,
  `select c.name as customer, count(*) as orders from orders o join customers c on c.id = o.customer_id where o.tenant_id = ${T} and o.region in (${R}) and c.tenant_id = ${T} group by c.name order by c.name`,
  `select o.id, o.ordered_at, o.region, o.amount from orders o where o.tenant_id = ${T} and o.region in (${R}) order by o.ordered_at desc, o.id`,
  `select c.name as customer, c.region from customers c where c.tenant_id = ${T} order by c.region, c.name`,
];
const TILE = `query($d: ID!, $t: ID!) { dashboardTileResult(dashboardId: $d, tileId: $t) { rows cached } }`;
const SAMPLES = Number(process.env.BENCH_DASHBOARD_SAMPLES ?? 60);

async function main(): Promise<void> {
  const pgUrl = benchDatabaseUrl();
  if (!pgUrl) {
    printSection(
      'dashboards: six demo tiles vs the same queries through pg',
      [],
      ['Skipped: set BENCH_DATABASE_URL or TEST_DATABASE_URL (the baseline is the `pg` driver).'],
    );
    return;
  }
  const warehouse = await createScratchPostgresDatabase(pgUrl);
  const meta = await createScratchPostgresDatabase(pgUrl);
  const config: Config = loadConfig({
    NODE_ENV: 'production',
    LOG_LEVEL: 'silent',
    TESSERA_PUBLIC_URL: 'http://tessera.bench',
    TESSERA_MASTER_KEY: randomBytes(32).toString('hex'),
    TESSERA_WAREHOUSE_DIR: 'memory',
    DATABASE_URL: meta.url,
  });
  const app = await createApp(config);
  const pool = new pg.Pool({ connectionString: warehouse.url, max: 4 });
  try {
    await pool.query(DEMO_WAREHOUSE_SQL);
    const { workspaceId, key } = await benchAdmin(app);
    const domainId = await benchDomain(app, {
      workspaceId,
      settings: settingsOf('postgres', warehouse.url),
      policies: DEMO_POLICIES,
    });
    await app.services.users.createUsers(
      workspaceId,
      {
        emails: [alice.email],
        roleAssignments: [{ roleId: ROLE_IDS.VIEWER, scopes: [domainId] }],
        userAttributes: [
          { key: 'tenant_id', value: alice.tenant },
          { key: 'regions', value: JSON.stringify(alice.regions) },
        ],
      },
      ORIGIN,
    );
    const dashboard = await app.services.dashboards.ensureDemo(workspaceId, domainId, ORIGIN);
    const gql = inProcessGql(app);
    const session = (
      await gql(
        'mutation($k: String!, $e: String!) { impersonateUser(accessToken: $k, userEmail: $e) }',
        { k: key, e: alice.email },
        key,
      )
    ).impersonateUser as string;
    const tiles = dashboard.tiles.map((t) => t.id);
    const setTtl = async (ttl: number) => {
      const current = (
        await gql('query($id: ID!) { dashboard(id: $id) { version } }', { id: dashboard.id }, key)
      ).dashboard;
      await gql(
        'mutation($i: UpdateDashboardInput!) { updateDashboard(input: $i) { status { code } } }',
        { i: { id: dashboard.id, version: current.version, cacheTtlSeconds: ttl } },
        key,
      );
    };
    const viaTessera = async () => {
      for (const tileId of tiles) await gql(TILE, { d: dashboard.id, t: tileId }, session);
    };
    const viaTesseraParallel = () =>
      Promise.all(tiles.map((tileId) => gql(TILE, { d: dashboard.id, t: tileId }, session)));
    const viaPg = async () => {
      for (const sql of DIRECT) await pool.query(sql);
    };
    const viaPgParallel = () => Promise.all(DIRECT.map((sql) => pool.query(sql)));

    // The two must agree before either is timed.
    for (const [i, tileId] of tiles.entries()) {
      const mine = (await gql(TILE, { d: dashboard.id, t: tileId }, session)).dashboardTileResult
        .rows as unknown[][];
      const theirs = (await pool.query({ text: DIRECT[i]!, rowMode: 'array' })).rows as unknown[][];
      const norm = (rows: unknown[][]) =>
        JSON.stringify(
          rows.map((r) => r.map((v) => (v instanceof Date ? v.toISOString().slice(0, 10) : String(v)))),
        );
      if (norm(mine) !== norm(theirs)) throw new Error(`tile ${tileId} and its direct query disagree`);
    }

    await setTtl(0);
    const cold = await timeInterleaved({ tessera: viaTessera, pg: viaPg }, SAMPLES, 5);
    const coldParallel = await timeInterleaved(
      { tessera: viaTesseraParallel, pg: viaPgParallel },
      SAMPLES,
      5,
    );
    await setTtl(3600);
    const warm = await timeInterleaved({ tessera: viaTessera, pg: viaPg }, SAMPLES, 5);
    printSection(
      'dashboards: the six demo tiles through dashboardTileResult vs the same six queries through pg (PostgreSQL)',
      [
        {
          figure: 'six tiles one after another, result cache off',
          tessera: cold.tessera.medianMs,
          baseline: cold.pg.medianMs,
          baselineName: 'pg, policies by hand',
          unit: 'ms',
        },
        {
          figure: 'six tiles in parallel (as the page loads them), cache off',
          tessera: coldParallel.tessera.medianMs,
          baseline: coldParallel.pg.medianMs,
          baselineName: 'pg, 4 connections',
          unit: 'ms',
        },
        {
          figure: 'six tiles one after another, result cache warm',
          tessera: warm.tessera.medianMs,
          baseline: warm.pg.medianMs,
          baselineName: 'pg, policies by hand',
          unit: 'ms',
        },
        {
          figure: 'p95, six tiles one after another, cache off',
          tessera: cold.tessera.p95Ms,
          baseline: cold.pg.p95Ms,
          baselineName: 'pg, policies by hand',
          unit: 'ms',
        },
      ],
      [
        `The demo warehouse and policies on PostgreSQL, Tessera's own database on PostgreSQL too; ${SAMPLES} interleaved samples per figure.`,
        'Tessera: GraphQL over in-process fetch with a session JWT, the dashboard and access reads, the query snapshot, the gate (rewrite cache warm), the warehouse statement and the audit record, per tile.',
        'With the cache warm every request still makes the access check, the snapshot read, the rewrite and the audit insert; only the warehouse statement is saved.',
      ],
    );
  } finally {
    await pool.end();
    await app.close();
    await warehouse.drop();
    await meta.drop();
  }
}

await main();
