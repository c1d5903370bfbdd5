import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { fenceProofSql } from '../src/modules/query-gate/postgres/policy-check.ts';
import { ROLE_IDS } from '../src/modules/roles/roles.ts';
import { startTestApp, type TestApp } from './helpers/app.ts';
import { policedDomain, runQuery, sessionFor, type Warehouse, warehouseLegs } from './helpers/data.ts';
import { testBackends } from './helpers/databases.ts';

/**
 * The kind proof of a wrapper left without its fence
 * (docs/query-gate.md, "When the fence is dropped"): it prepares on relations whose column reads return stored values (a table, plain
 * or partitioned, and a materialized view) and fails parse analysis on a view. A domain table
 * that is a view then answers plain queries fenced, through one retry, and directly fenced
 * after that; a server from PostgreSQL 18 on (PGlite included) runs them fenced from the start.
 */

const SCHEMA = `
  create table events (id int primary key, tenant_id text not null, secret text not null, n int not null);
  create table parted (id int not null, tenant_id text not null) partition by list (tenant_id);
  create table parted_a partition of parted for values in ('t_a');
  create table parted_b partition of parted for values in ('t_b');
  create view events_report as select id, tenant_id, secret::int as secret_number, 100 / n as per_unit from events;
  insert into events values (1, 't_a', '12', 1), (2, 't_a', '34', 2), (3, 't_b', 'topsecret_b', 0);
  insert into parted values (1, 't_a'), (2, 't_b');
  create table loose (id int primary key, tenant_id text not null);
  create materialized view events_snapshot as select id, tenant_id from events;
  analyze events;
`;

for (const leg of warehouseLegs().filter((l) => l.engine !== 'mysql')) {
  describe(`fence kind proofs (${leg.engine} warehouse)`, () => {
    const data = () => t.app.services.data;
    let t: TestApp;
    let warehouse: Warehouse;
    let domain: string;
    let alice: string;
    let schema: string;
    let version: number;

    before(async () => {
      t = await startTestApp(testBackends()[0]!, {
        env: { TESSERA_QUERY_TIMEOUT_MS: '5000', TESSERA_WAREHOUSE_DIR: 'memory' },
      });
      warehouse = await leg.open(data, SCHEMA);
      const [server] = await warehouse.raw(
        "select current_schema() as s, current_setting('server_version_num')::int as v",
      );
      schema = String(server?.s);
      version = Number(server?.v);
      // A materialized view is no domain table (discovery reads information_schema, which omits them).
      const tables = ['events', 'events_report', 'parted', 'loose'];
      domain = await policedDomain(t, {
        connection: { ...warehouse.settings, name: 'kinds' },
        name: 'kinds',
        tables,
        policies: tables.map((table) => [table, "tenant_id = USER_ATTRIBUTE('tenant_id')"] as const),
      });
      alice = (
        await sessionFor(
          t,
          `alice@${leg.engine}.fencekind.test`,
          [{ roleId: ROLE_IDS.EXPLORER, scopes: [domain] }],
          [{ key: 'tenant_id', value: 't_a' }],
        )
      ).token;
    });
    after(async () => {
      await t?.close();
      await warehouse?.drop();
    });

    const prepares = async (name: string) => {
      const check = fenceProofSql({ schema, name });
      try {
        // A name of its own each time: PGlite's session outlives the call (a pg one does not).
        await warehouse.raw(`prepare fence_kind_${name} as ${check}`);
        return true;
      } catch {
        return false;
      }
    };

    test('the proof prepares on a table, a partitioned table and a materialized view, not on a view', async () => {
      assert.equal(await prepares('events'), true);
      assert.equal(await prepares('parted'), true);
      assert.equal(await prepares('events_snapshot'), true);
      assert.equal(await prepares('events_report'), false);
    });

    test('the proof fails on a foreign table', { skip: leg.engine !== 'postgres' }, async () => {
      await warehouse.raw(`
        create extension postgres_fdw;
        create server elsewhere foreign data wrapper postgres_fdw options (dbname 'elsewhere');
        create foreign table remote_events (id int, tenant_id text) server elsewhere`);
      assert.equal(await prepares('remote_events'), false);
    });

    test('plain queries on tables answer without a retry', async () => {
      const before = data().queries.fences.stats();
      const events = await runQuery(t, alice, domain, 'select id from events order by id');
      assert.deepEqual(events.result?.rows, [[1], [2]], JSON.stringify(events.body));
      const parted = await runQuery(t, alice, domain, 'select id from parted order by id');
      assert.deepEqual(parted.result?.rows, [[1]], JSON.stringify(parted.body));
      assert.equal(data().queries.fences.stats().retried, before.retried);
    });

    test('a policy that no longer resolves still fails with its own code, fenced or not', async () => {
      await warehouse.raw('alter table loose drop column tenant_id');
      const r = await runQuery(t, alice, domain, 'select id from loose where id is not null');
      assert.equal(r.code, 'QUERY_FAILED', JSON.stringify(r.body));
    });

    test('a view answers plain queries fenced: one retry, then fenced directly', async () => {
      const sql = 'select id, per_unit from events_report where secret_number is not null order by id';
      const before = data().queries.fences.stats();
      const first = await runQuery(t, alice, domain, sql);
      assert.deepEqual(first.result?.rows, [
        [1, 100],
        [2, 50],
      ]);
      const afterFirst = data().queries.fences.stats();
      // From PostgreSQL 18 (PGlite 0.5 is 18) every wrapper is fenced before any proof is tried.
      const virtualColumns = version >= 180_000;
      assert.equal(afterFirst.retried, before.retried + (virtualColumns ? 0 : 1));
      assert.equal(afterFirst.direct, before.direct + (virtualColumns ? 1 : 0));
      const second = await runQuery(t, alice, domain, sql);
      assert.deepEqual(second.result?.rows, first.result?.rows);
      const afterSecond = data().queries.fences.stats();
      assert.equal(afterSecond.retried, afterFirst.retried);
      assert.equal(afterSecond.direct, afterFirst.direct + 1);
    });
  });
}
