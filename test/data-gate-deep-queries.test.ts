import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ROLE_IDS } from '../src/modules/roles/roles.ts';
import { startTestApp, type TestApp } from './helpers/app.ts';
import { policedDomain, runQuery, sessionFor, type Warehouse, warehouseLegs } from './helpers/data.ts';
import { testBackends } from './helpers/databases.ts';

/**
 * Deeply nested queries through runQuery over HTTP: each runs or is a clean QUERY_REFUSED (the
 * gate) or QUERY_FAILED (the server's own nesting limit), never INTERNAL_SERVER_ERROR, and the server answers the next query as usual
 * (src/modules/query-gate/deep-queries.test.ts checks the gate alone).
 */

const WAREHOUSE_SQL = `
  create table orders (id int primary key, tenant_id varchar(32) not null, amount int not null);
  insert into orders values (1, 't_a', 10), (2, 't_a', 20), (3, 't_b', 30);
`;

const DEEP = {
  'derived tables': (n: number) => `select 1 from ${'(select * from '.repeat(n)}orders${') x'.repeat(n)}`,
  'NOT chain': (n: number) => `select id from orders where ${'not '.repeat(n)}true`,
  'scalar sub-selects': (n: number) => `select ${'(select '.repeat(n)}1${')'.repeat(n)}`,
};

for (const leg of warehouseLegs()) {
  describe(`deep queries through runQuery (${leg.engine} warehouse)`, () => {
    let t: TestApp;
    let wh: Warehouse;
    let domainId: string;
    let token: string;

    before(async () => {
      t = await startTestApp(testBackends()[0]!, { env: { TESSERA_WAREHOUSE_DIR: 'memory' } });
      wh = await leg.open(() => t.app.services.data, WAREHOUSE_SQL);
      domainId = await policedDomain(t, {
        connection: wh.settings,
        name: 'sales',
        tables: ['orders'],
        policies: [['orders', "tenant_id = USER_ATTRIBUTE('tenant_id')"]],
      });
      ({ token } = await sessionFor(
        t,
        `deep@${leg.engine}.test`,
        [{ roleId: ROLE_IDS.EXPLORER, scopes: [domainId] }],
        [{ key: 'tenant_id', value: 't_a' }],
      ));
    });
    after(async () => {
      await wh?.drop();
      await t?.close();
    });

    test('every depth is answered with a stable code, and the next query runs', async () => {
      // Deepest first: the gate's walks use the most stack before the JIT has optimized them.
      for (const depth of [3000, 1500, 1000, 600]) {
        for (const [shape, sql] of Object.entries(DEEP)) {
          const r = await runQuery(t, token, domainId, sql(depth));
          assert.equal(r.status, 200, `${shape} at ${depth}: HTTP ${r.status}`);
          if (r.result === undefined) {
            // Refused by the gate, or (MariaDB: "Too high level of nesting for select") by the server.
            assert.ok(
              r.code === 'QUERY_REFUSED' || r.code === 'QUERY_FAILED',
              `${shape} at ${depth}: ${JSON.stringify(r.body.errors)}`,
            );
          }
        }
      }
      const after = await runQuery(t, token, domainId, 'select id from orders order by id');
      assert.deepEqual(after.result?.rows, [[1], [2]]);
    });
  });
}
