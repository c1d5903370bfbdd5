import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import { ROLE_IDS } from '../src/modules/roles/roles.ts';
import { STATUS } from './helpers/api.ts';
import { startTestApp, type TestApp } from './helpers/app.ts';
import { createDashboard, TILE_RESULT, tileResult, updateDashboard } from './helpers/dashboards.ts';
import { createConnection, createDomain, sessionFor, setRowPolicy, settingsOf } from './helpers/data.ts';
import { createScratchPostgresDatabase, testBackends } from './helpers/databases.ts';
import { type Instances, startInstances } from './helpers/instances.ts';
import { impersonate } from './helpers/sessions.ts';

const ORDERS = (extra: string) => `
  create table orders (id int primary key, tenant_id varchar(32) not null, amount int not null);
  insert into orders values (1, 't_a', 100), (2, 't_a', 200), (3, 't_b', 1000)${extra};
`;
const TILE = {
  id: 'total',
  title: 'Revenue',
  sql: 'select sum(amount) as total, count(*) as n from orders',
  visualization: 'NUMBER',
  bindings: { y: ['total'] },
  position: { x: 0, y: 0, w: 3, h: 2 },
};
const TENANT_POLICY = "tenant_id = USER_ATTRIBUTE('tenant_id')";
const UPDATE_CONNECTION = `mutation($input: UpdateConnectionInput!) { updateConnection(input: $input) { ${STATUS} } }`;

describe('the tile result cache', () => {
  const data = { data: () => t.app.services.data };
  let t: TestApp;
  let domainId: string;
  let connectionId: string;
  let dashboardId: string;
  const u: Record<string, { userId: string; token: string }> = {};

  before(async () => {
    t = await startTestApp(testBackends()[0]!, {
      env: { TESSERA_WAREHOUSE_DIR: 'memory' },
    });
    await data.data().warehouses.load('cache_main', ORDERS(''));
    // The same tables with one more t_a order: where a credential mapping sends tenant t_a.
    await data.data().warehouses.load('cache_t_a', ORDERS(", (4, 't_a', 5000)"));
    const conn = await createConnection(t, { name: 'wh', engine: 'pglite', database: 'cache_main' });
    connectionId = conn.payload.connection.id;
    domainId = (await createDomain(t, { name: 'sales', connectionId, tables: [{ name: 'orders' }] })).payload
      .domain.id;
    assert.equal((await setRowPolicy(t, domainId, 'orders', TENANT_POLICY)).payload.status.code, 'OK');
    const people: [string, string, string][] = [
      ['alice', ROLE_IDS.EXPLORER, 't_a'],
      ['anna', ROLE_IDS.VIEWER, 't_a'],
      ['bob', ROLE_IDS.EXPLORER, 't_b'],
    ];
    for (const [name, roleId, tenant] of people)
      u[name] = await sessionFor(
        t,
        `${name}@cache.test`,
        [{ roleId, scopes: [domainId] }],
        [{ key: 'tenant_id', value: tenant }],
      );
    const d = await createDashboard(t, { title: 'Cached', domainId, tiles: [TILE], cacheTtlSeconds: 300 });
    assert.equal(d.payload.status.code, 'OK', JSON.stringify(d.payload.status));
    dashboardId = d.payload.dashboard.id;
  });
  after(() => t?.close());

  const run = async (who: string) => {
    const r = await tileResult(t, u[who]!.token, dashboardId, 'total');
    assert.equal(r.code, undefined, JSON.stringify(r.body.errors));
    return { cached: r.result!.cached, rows: r.result!.rows.map((row) => row.map(Number)) };
  };

  test('users whose attributes give the same parameters share an entry; a user with other attributes does not', async () => {
    const first = await run('alice');
    assert.equal(first.cached, false);
    assert.deepEqual(first.rows, [[300, 2]]);
    const sameTenant = await run('anna');
    assert.equal(sameTenant.cached, true, 'another user, same attribute values: the same statement ran');
    assert.deepEqual(sameTenant.rows, first.rows);
    const other = await run('bob');
    assert.equal(other.cached, false);
    assert.deepEqual(other.rows, [[1000, 1]]);
    // A transient attribute that changes what binds is another entry too.
    const { token } = await impersonate(t, 'alice@cache.test', {
      attributes: [{ key: 'tenant_id', value: 't_b' }],
    });
    const r = await tileResult(t, token!, dashboardId, 'total');
    assert.equal(r.result!.cached, true, 'the same values as bob: bob’s entry');
    assert.deepEqual(
      r.result!.rows.map((row) => row.map(Number)),
      [[1000, 1]],
    );
  });

  test('every cached answer still leaves its audit record, marked as a cache hit', async () => {
    const before = new Set((await auditedQueries(t)).map((e) => e.id));
    await run('alice');
    // Audit ids are random and timestamps have millisecond precision, so the new record is the
    // one whose id was not there before, not the last one in time order.
    const added = (await auditedQueries(t)).filter((e) => !before.has(e.id));
    assert.equal(added.length, 1);
    assert.equal(added[0]!.details.cached, true);
    assert.deepEqual(added[0]!.details.savedItem, { type: 'dashboard', id: `${dashboardId}/total` });
  });

  test('a policy edit invalidates', async () => {
    assert.equal((await run('alice')).cached, true);
    assert.equal(
      (await setRowPolicy(t, domainId, 'orders', `${TENANT_POLICY} AND amount > 100`)).payload.status.code,
      'OK',
    );
    const after = await run('alice');
    assert.equal(after.cached, false);
    assert.deepEqual(after.rows, [[200, 1]]);
    assert.equal((await setRowPolicy(t, domainId, 'orders', TENANT_POLICY)).payload.status.code, 'OK');
  });

  test('a mapping edit invalidates', async () => {
    await run('alice');
    assert.equal((await run('alice')).cached, true);
    const edit = await t.gql(UPDATE_CONNECTION, {
      input: {
        id: connectionId,
        onNoMatch: 'USE_BASE',
        credentialMappings: [{ attributeMatch: [{ key: 'tenant_id', value: 't_a' }], database: 'cache_t_a' }],
      },
    });
    assert.equal(edit.body.data!.updateConnection.status.code, 'OK', JSON.stringify(edit.body));
    const after = await run('alice');
    assert.equal(after.cached, false);
    assert.deepEqual(after.rows, [[5300, 3]], 'read from the database the mapping names');
    assert.deepEqual((await run('bob')).rows, [[1000, 1]]);
    await t.gql(UPDATE_CONNECTION, { input: { id: connectionId, credentialMappings: [] } });
  });

  test('a dashboard edit invalidates, the TTL expires entries, and a TTL of 0 caches nothing', async () => {
    await run('alice');
    assert.equal((await run('alice')).cached, true);
    const current = (await t.gql('query($id: ID!) { dashboard(id: $id) { version } }', { id: dashboardId }))
      .body.data!.dashboard;
    const edit = await updateDashboard(t, {
      id: dashboardId,
      version: current.version,
      title: 'Cached (renamed)',
    });
    assert.equal(edit.payload.status.code, 'OK');
    assert.equal((await run('alice')).cached, false);
    assert.equal((await run('alice')).cached, true);
    t.clock.advance(301_000);
    assert.equal((await run('alice')).cached, false, 'past the dashboard’s TTL');
    const off = await updateDashboard(t, {
      id: dashboardId,
      version: current.version + 1,
      cacheTtlSeconds: 0,
    });
    assert.equal(off.payload.status.code, 'OK');
    await run('alice');
    assert.equal((await run('alice')).cached, false);
  });

  test('/metrics shows the hit rate', async () => {
    const text = await (await t.app.fetch(new Request('http://tessera.test/metrics'))).text();
    const hits = Number(/tessera_result_cache_hits\{cache="dashboard_tiles"\} (\d+)/.exec(text)?.[1]);
    const ratio = Number(
      /tessera_result_cache_hit_ratio\{cache="dashboard_tiles"\} ([\d.e-]+)/.exec(text)?.[1],
    );
    assert.ok(hits > 0, text.slice(0, 200));
    assert.ok(ratio > 0 && ratio < 1);
  });
});

async function auditedQueries(t: TestApp) {
  const rows = await t.app.services.db
    .selectFrom('audit_events')
    .select(['id', 'details'])
    .where('action', '=', 'data.query')
    .execute();
  return rows.map((r) => ({
    id: r.id,
    details: (typeof r.details === 'string' ? JSON.parse(r.details) : r.details) as Record<string, any>,
  }));
}

const pgUrl = process.env.TEST_DATABASE_URL;
describe('the tile result cache across instances on one PostgreSQL', { skip: !pgUrl }, () => {
  let instances: Instances;
  let warehouse: Awaited<ReturnType<typeof createScratchPostgresDatabase>>;
  let domainId: string;
  let dashboardId: string;
  let token: string;

  before(async () => {
    instances = await startInstances(pgUrl!, 2);
    warehouse = await createScratchPostgresDatabase(pgUrl!);
    const c = new pg.Client({ connectionString: warehouse.url });
    await c.connect();
    await c.query(ORDERS(''));
    await c.end();
    const gql = (q: string, v: Record<string, unknown>) => instances.gql(0, q, v);
    const conn = await gql(
      `mutation($input: CreateConnectionInput!) { createConnection(input: $input) { ${STATUS} connection { id } } }`,
      { input: { name: 'wh', ...settingsOf('postgres', warehouse.url) } },
    );
    const connectionId = conn.body.data.createConnection.connection.id;
    const domain = await gql(
      `mutation($input: CreateDomainInput!) { createDomain(input: $input) { ${STATUS} domain { id } } }`,
      { input: { name: 'sales', connectionId, tables: [{ name: 'orders' }] } },
    );
    domainId = domain.body.data.createDomain.domain.id;
    await setPolicy(0, TENANT_POLICY);
    const email = `ivy_${randomBytes(3).toString('hex')}@cache.test`;
    await gql(`mutation($input: CreateUsersInput!) { createUsers(input: $input) { ${STATUS} } }`, {
      input: {
        emails: [email],
        roleAssignments: [{ roleId: ROLE_IDS.VIEWER, scopes: [domainId] }],
        userAttributes: [{ key: 'tenant_id', value: 't_a' }],
      },
    });
    token = (
      await gql('mutation($k: String!, $e: String!) { impersonateUser(accessToken: $k, userEmail: $e) }', {
        k: instances.rootKey,
        e: email,
      })
    ).body.data.impersonateUser;
    const d = await gql(
      `mutation($input: CreateDashboardInput!) { createDashboard(input: $input) { ${STATUS} dashboard { id } } }`,
      { input: { title: 'Shared', domainId, tiles: [TILE], cacheTtlSeconds: 600 } },
    );
    dashboardId = d.body.data.createDashboard.dashboard.id;
  });
  after(async () => {
    await instances?.close();
    await warehouse?.drop();
  });

  async function setPolicy(instance: number, policy: string) {
    const r = await instances.gql(
      instance,
      `mutation($input: SetRowPolicyInput!) { setRowPolicy(input: $input) { ${STATUS} } }`,
      { input: { domainId, table: { name: 'orders' }, policy } },
    );
    assert.equal(r.body.data.setRowPolicy.status.code, 'OK', r.text);
  }

  const run = async (instance: number) => {
    const r = await instances.gql(instance, TILE_RESULT, { d: dashboardId, t: 'total' }, { token });
    assert.equal(r.body.errors, undefined, r.text);
    const result = r.body.data.dashboardTileResult;
    return {
      cached: result.cached as boolean,
      rows: (result.rows as unknown[][]).map((row) => row.map(Number)),
    };
  };

  test('a policy edit on one instance invalidates the other’s entries on its next request', async () => {
    assert.equal((await run(1)).cached, false);
    assert.equal((await run(1)).cached, true);
    await setPolicy(0, `${TENANT_POLICY} AND amount > 100`);
    const after = await run(1);
    assert.equal(after.cached, false);
    assert.deepEqual(after.rows, [[200, 1]]);
  });

  test('a dashboard edit on one instance invalidates the other’s entries on its next request', async () => {
    assert.equal((await run(1)).cached, true);
    const v = await instances.gql(0, 'query($id: ID!) { dashboard(id: $id) { version } }', {
      id: dashboardId,
    });
    const r = await instances.gql(
      0,
      `mutation($input: UpdateDashboardInput!) { updateDashboard(input: $input) { ${STATUS} } }`,
      { input: { id: dashboardId, version: v.body.data.dashboard.version, description: 'edited elsewhere' } },
    );
    assert.equal(r.body.data.updateDashboard.status.code, 'OK', r.text);
    assert.equal((await run(1)).cached, false);
  });
});
