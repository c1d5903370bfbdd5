import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { dataAccessFeature } from '../src/modules/data/feature.ts';
import { ROLE_IDS } from '../src/modules/roles/roles.ts';
import { sessionsFeature } from '../src/modules/sessions/feature.ts';
import { startTestApp, type TestApp } from './helpers/app.ts';
import {
  createConnection,
  createDomain,
  runQuery,
  sessionFor,
  setRowPolicy,
  type Warehouse,
  warehouseLegs,
} from './helpers/data.ts';
import { testBackends } from './helpers/databases.ts';

/**
 * Attacks on the data plane through `runQuery` with a session token, against real warehouses:
 * reading rows a policy hides (directly or through error messages and error/no-error oracles),
 * and running anything but a read.
 */

const WAREHOUSE_SQL = `
  create table entitlements (user_email varchar(64) not null, tenant_id varchar(32) not null);
  create table orders (id int primary key, tenant_id varchar(32) not null, secret varchar(64) not null);
  create table ledger (id int primary key, tenant_id varchar(32) not null, secret varchar(64) not null);
  create table audit_trail (id int primary key, note varchar(64) not null);
  insert into orders values (1, 't_a', '12'), (2, 't_b', 'topsecret_b');
  insert into ledger values (1, 't_a', '12'), (2, 't_b', 'topsecret_b');
  insert into audit_trail values (1, 'untouched');
`;

for (const leg of warehouseLegs()) {
  describe(`attacks on the data plane (${leg.engine} warehouse)`, () => {
    const data = dataAccessFeature();
    let t: TestApp;
    let wh: Warehouse;
    let domainId: string;
    let alice: string;
    const email = `alice@${leg.engine}.attack.test`;

    before(async () => {
      t = await startTestApp(testBackends()[0]!, {
        features: [sessionsFeature(), data],
        env: { TESSERA_QUERY_TIMEOUT_MS: '3000', TESSERA_WAREHOUSE_DIR: 'memory' },
      });
      wh = await leg.open(
        data.data,
        `${WAREHOUSE_SQL}
        insert into entitlements values ('${email}', 't_a');`,
      );
      const conn = await createConnection(t, { name: 'warehouse', ...wh.settings });
      assert.equal(conn.payload.status.code, 'OK', JSON.stringify(conn.payload.status));
      const domain = await createDomain(t, {
        name: 'ledgers',
        connectionId: conn.payload.connection.id,
        tables: ['orders', 'ledger', 'audit_trail'].map((name) => ({ name })),
      });
      assert.equal(domain.payload.status.code, 'OK', JSON.stringify(domain.payload.status));
      domainId = domain.payload.domain.id;
      for (const [table, policy] of [
        // The entitlement form of ACCESS.md §4: a policy with a sub-select.
        ['orders', 'tenant_id IN (SELECT tenant_id FROM entitlements WHERE user_email = USER_EMAIL())'],
        ['ledger', "tenant_id = USER_ATTRIBUTE('tenant_id')"],
        ['audit_trail', "note = USER_ATTRIBUTE('tenant_id')"],
      ] as const) {
        const r = await setRowPolicy(t, domainId, table, policy);
        assert.equal(r.payload.status.code, 'OK', JSON.stringify(r.payload.status));
      }
      alice = (
        await sessionFor(
          t,
          email,
          [{ roleId: ROLE_IDS.EXPLORER, scopes: [domainId] }],
          [{ key: 'tenant_id', value: 't_a' }],
        )
      ).token;
    });
    after(async () => {
      await t?.close();
      await wh?.drop();
    });

    const run = (sql: string) => runQuery(t, alice, domainId, sql);

    // Conditions of the user's query that fail (or not) depending on a hidden row's content.
    const probes =
      leg.engine === 'mysql'
        ? [
            "select id from orders where 1 = if(secret = 'topsecret_b', (select 1 union all select 2), 1)",
            "select id from ledger where 1 = if(secret = 'topsecret_b', (select 1 union all select 2), 1)",
            "select o.id from orders o join ledger l on l.id = o.id where 1 = if(o.secret = 'topsecret_b' or l.secret = 'topsecret_b', (select 1 union all select 2), 1)",
          ]
        : [
            'select id from orders where secret::int = 12',
            'select id from ledger where secret::int = 12',
            "select id from orders where (case when secret = 'topsecret_b' then 1 / (id - id) else 1 end) = 1",
            "select id from ledger where (case when secret = 'topsecret_b' then 1 / (id - id) else 1 end) = 1",
            "select id from orders where 1 = (case when secret = 'topsecret_b' then (select 1 union all select 2) else 1 end)",
            'select o.id from orders o join ledger l on l.id = o.id where o.secret::int + l.secret::int = 24',
            'select id from orders where exists (select 1 from ledger where ledger.secret::int = 12)',
          ];

    test('no condition of the query is evaluated on a row the policy hides (no error leak, no oracle)', async () => {
      for (const sql of probes) {
        const r = await run(sql);
        assert.equal(r.code, undefined, `${sql}: ${JSON.stringify(r.body.errors)}`);
        assert.deepEqual(r.result!.rows, [[1]], sql);
        assert.ok(!JSON.stringify(r.body).includes('topsecret'), sql);
      }
    });

    test('an error from the user’s own rows is reported without another tenant’s values', async () => {
      const sql =
        leg.engine === 'mysql'
          ? "select id from orders where 1 = if(secret = '12', (select 1 union all select 2), 1)"
          : 'select secret::int / 0 from orders';
      const r = await run(sql);
      assert.equal(r.code, 'QUERY_FAILED', JSON.stringify(r.body));
      assert.ok(!JSON.stringify(r.body).includes('topsecret'));
    });
  });
}
