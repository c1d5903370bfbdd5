// A runQuery whose client disconnects is ended on the warehouse at once, not at the statement
// timeout: an abandoned query holds no warehouse session, so clients that leave cannot pile up
// slow queries on the warehouse. Real HTTP, real warehouses (PostgreSQL, MariaDB/MySQL).
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { after, before, describe, test } from 'node:test';
import { ROLE_IDS } from '../src/modules/roles/roles.ts';
import { type RunningServer, startServer } from '../src/server.ts';
import { startTestApp, type TestApp } from './helpers/app.ts';
import {
  policedDomain,
  RUN_QUERY,
  runQuery,
  sessionFor,
  type Warehouse,
  warehouseLegs,
} from './helpers/data.ts';
import { testBackends } from './helpers/databases.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const WAREHOUSE_SQL = `
  create table orders (id int primary key, tenant_id varchar(32) not null, amount int not null);
  insert into orders values (1, 't_a', 10), (2, 't_a', 20), (3, 't_a', 30), (4, 't_a', 40), (5, 't_b', 50);
`;
// Runs for hours unless something ends it.
const SLOW_SQL = `select count(*) as n from ${Array.from({ length: 16 }, (_, i) => `orders o${i}`).join(' cross join ')}`;

for (const leg of warehouseLegs().filter((l) => l.engine !== 'pglite')) {
  describe(`a runQuery whose client leaves (${leg.engine} warehouse)`, () => {
    let t: TestApp;
    let wh: Warehouse;
    let server: RunningServer;
    let domainId: string;
    let token: string;

    /** Warehouse sessions running a statement right now (the slow query, or a fetch of it). */
    const running = async () => {
      const rows =
        leg.engine === 'postgres'
          ? await wh.raw(
              `select count(*)::int as n from pg_stat_activity
               where datname = current_database() and state = 'active' and pid <> pg_backend_pid()`,
            )
          : await wh.raw(
              `select count(*) as n from information_schema.processlist
               where db = database() and command <> 'Sleep' and id <> connection_id()`,
            );
      return Number(rows[0]!.n);
    };

    before(async () => {
      t = await startTestApp(testBackends()[0]!, {
        env: { TESSERA_QUERY_TIMEOUT_MS: '120000', TESSERA_WAREHOUSE_DIR: 'memory' },
      });
      wh = await leg.open(() => t.app.services.data, WAREHOUSE_SQL);
      domainId = await policedDomain(t, {
        connection: wh.settings,
        name: 'sales',
        tables: ['orders'],
        policies: [['orders', "tenant_id = USER_ATTRIBUTE('tenant_id')"]],
      });
      ({ token } = await sessionFor(
        t,
        'leaver@example.com',
        [{ roleId: ROLE_IDS.EXPLORER, scopes: [domainId] }],
        [{ key: 'tenant_id', value: 't_a' }],
      ));
      server = await startServer(t.app, { host: '127.0.0.1', port: 0 });
    });
    after(async () => {
      server.server.closeAllConnections();
      server.server.close();
      await t.close();
      await wh.drop();
    });

    test('its query is ended on the warehouse within seconds, and the next query runs', async () => {
      const req = request(`${server.url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      });
      req.on('error', () => {});
      req.end(JSON.stringify({ query: RUN_QUERY, variables: { d: domainId, sql: SLOW_SQL } }));
      const sent = Date.now();
      // Running for a while: past the quick statements around it, into the slow one.
      let seen = 0;
      while (seen < 5) {
        seen = (await running()) > 0 ? seen + 1 : 0;
        assert.ok(Date.now() - sent < 20_000, 'the slow query reached the warehouse');
        await sleep(50);
      }
      req.destroy();
      const gone = Date.now();
      while ((await running()) > 0) {
        assert.ok(Date.now() - gone < 5_000, 'the abandoned query was ended on the warehouse');
        await sleep(50);
      }
      // Its record says how it ended (the first data.query of this app, the only one failed).
      const audit = await t.gql(
        `query { auditEvents(filter: { action: "data.query" }, first: 50) { edges { node { outcome details } } } }`,
      );
      const failed = (audit.body.data!.auditEvents.edges as { node: { outcome: string; details: string } }[])
        .map((e) => ({ outcome: e.node.outcome, errorCode: JSON.parse(e.node.details).errorCode }))
        .filter((e) => e.outcome !== 'SUCCESS');
      assert.deepEqual(failed, [{ outcome: 'FAILURE', errorCode: 'QUERY_TIMEOUT' }]);
      // The pool hands out a working session afterwards, whichever one it picks.
      for (let i = 0; i < 4; i++) {
        const r = await runQuery(t, token, domainId, 'select sum(amount) as total from orders');
        assert.equal(r.code, undefined, JSON.stringify(r.body));
        assert.deepEqual(
          r.result?.rows.map((row) => row.map(Number)),
          [[100]],
        );
      }
    });
  });
}
