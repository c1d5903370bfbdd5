import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { DEMO_DASHBOARD_ID } from '../src/modules/dashboards/demo.ts';
import { DEMO_COLUMN_POLICY, DEMO_USERS, type DemoSetup, setUpDemo } from '../src/modules/data/demo.ts';
import { startTestApp, type TestApp } from './helpers/app.ts';
import { tileResult } from './helpers/dashboards.ts';
import { testBackends } from './helpers/databases.ts';
import { impersonate } from './helpers/sessions.ts';

/**
 * The demo's customers as one user reads them: the column policy's condition with that user's
 * `pii` written in, and the mask where it does not hold.
 */
const customersOf = (pii: string) => {
  const { column, maskText, condition } = DEMO_COLUMN_POLICY;
  const holds = condition.replace("USER_ATTRIBUTE('pii')", `'${pii}'`);
  return `(select id, tenant_id, region, case when ${holds} then ${column} else '${maskText}' end as ${column} from customers)`;
};

/** Each demo tile's SQL with the demo's row and column policies written out for one user, run directly. */
const DIRECT: Record<string, (tenant: string, regions: string, pii: string) => string> = {
  revenue: (t, r) =>
    `select sum(amount) as revenue from orders where tenant_id = '${t}' and region in (${r})`,
  revenue_over_time: (t, r) =>
    `select ordered_at as day, sum(amount) as revenue from orders where tenant_id = '${t}' and region in (${r}) group by ordered_at order by ordered_at`,
  revenue_by_region: (t, r) =>
    `select g.name as region, sum(o.amount) as revenue from orders o join regions g on g.code = o.region
     where o.tenant_id = '${t}' and o.region in (${r}) and g.code in (${r}) group by g.name order by g.name`,
  orders_by_customer: (t, r, pii) =>
    `select c.name as customer, count(*) as orders from orders o join ${customersOf(pii)} c on c.id = o.customer_id
     where o.tenant_id = '${t}' and o.region in (${r}) and c.tenant_id = '${t}' group by c.name order by c.name`,
  recent_orders: (t, r) =>
    `select o.id, o.ordered_at, o.region, o.amount from orders o where o.tenant_id = '${t}' and o.region in (${r}) order by o.ordered_at desc, o.id`,
  customer_contacts: (t, _r, pii) =>
    `select c.name as customer, c.region from ${customersOf(pii)} c where c.tenant_id = '${t}' order by c.region, c.name`,
};

describe('tessera demo: the Sales overview dashboard', () => {
  const data = { data: () => t.app.services.data };
  let t: TestApp;
  let demo: DemoSetup;

  before(async () => {
    t = await startTestApp(testBackends()[0]!, {
      env: { TESSERA_WAREHOUSE_DIR: 'memory' },
    });
    demo = await setUpDemo(t.app, data.data(), t.workspaceId);
  });
  after(() => t?.close());

  const direct = async (sql: string) => {
    const h = await data.data().warehouses.acquire('demo');
    try {
      return (await h.serialize(() => h.pglite.query<Record<string, unknown>>(sql))).rows;
    } finally {
      await h.release();
    }
  };

  test('running the demo again changes nothing: one dashboard, the same id and version', async () => {
    const again = await setUpDemo(t.app, data.data(), t.workspaceId);
    assert.equal(again.dashboardId, DEMO_DASHBOARD_ID);
    const r = await t.gql('{ dashboards { id title version tiles { id visualization } } }');
    const listed = r.body.data!.dashboards.filter((d: any) => d.title === 'Sales overview');
    assert.equal(listed.length, 1);
    assert.equal(listed[0].version, 1);
    assert.deepEqual(
      listed[0].tiles.map((x: any) => x.visualization),
      ['NUMBER', 'LINE', 'BAR', 'PIE', 'TABLE', 'TABLE'],
    );
  });

  test('Alice and Bob open the same dashboard and each tile equals SQL computed for their tenant', async () => {
    const seen: Record<string, unknown> = {};
    for (const user of DEMO_USERS.slice(0, 2)) {
      const { token } = await impersonate(t, user.email);
      const regions = user.regions.map((r) => `'${r}'`).join(', ');
      for (const [tileId, sql] of Object.entries(DIRECT)) {
        const r = await tileResult(t, token!, demo.dashboardId, tileId);
        assert.equal(r.code, undefined, `${user.email} ${tileId}: ${JSON.stringify(r.body.errors)}`);
        // Dates come back from the API as YYYY-MM-DD; the direct driver gives Date objects.
        const cell = (v: unknown) => (v instanceof Date ? v.toISOString().slice(0, 10) : String(v));
        const expected = (await direct(sql(user.tenant, regions, user.pii))).map((row) =>
          Object.values(row).map(cell),
        );
        assert.deepEqual(
          r.result!.rows.map((row) => row.map(cell)),
          expected,
          `${user.email} ${tileId}`,
        );
        assert.ok(r.result!.rowCount > 0, `${user.email} ${tileId} has rows`);
      }
      seen[user.email] = (await tileResult(t, token!, demo.dashboardId, 'revenue')).result!.rows;
    }
    assert.notDeepEqual(seen[DEMO_USERS[0].email], seen[DEMO_USERS[1].email]);
  });

  test('the customer names are masked for Bob and shown to Alice (pii = allowed), in the table and the pie', async () => {
    const names = async (email: string, tileId: string) => {
      const { token } = await impersonate(t, email);
      const r = await tileResult(t, token!, demo.dashboardId, tileId);
      assert.equal(r.code, undefined, JSON.stringify(r.body.errors));
      return r.result!.rows.map((row) => row[0]);
    };
    const [alice, bob] = DEMO_USERS;
    assert.deepEqual(await names(alice.email, 'customer_contacts'), [
      'Acme Berlin',
      'Acme Paris',
      'Acme Austin',
    ]);
    assert.deepEqual(await names(bob.email, 'customer_contacts'), ['(hidden)', '(hidden)']);
    // The pie groups by the masked name: Bob's orders fall into one slice.
    assert.deepEqual(await names(bob.email, 'orders_by_customer'), ['(hidden)']);
    const policies = await t.gql(
      'query($id: ID!) { domain(id: $id) { columnPolicies { table { name } column mask maskText condition } } }',
      {
        id: demo.domainId,
      },
    );
    assert.deepEqual(policies.body.data!.domain.columnPolicies, [
      {
        table: { name: 'customers' },
        column: 'name',
        mask: 'TEXT',
        maskText: '(hidden)',
        condition: DEMO_COLUMN_POLICY.condition,
      },
    ]);
  });
});
