import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import { ROLE_IDS } from '../src/modules/roles/roles.ts';
import { startTestApp, type TestApp } from './helpers/app.ts';
import { policedDomain, runQuery, sessionFor, settingsOf } from './helpers/data.ts';
import { createScratchPostgresDatabase, testBackends } from './helpers/databases.ts';
import { type FaultProxy, startFaultProxy, targetOf } from './helpers/fault-proxy.ts';

/**
 * A warehouse upgraded to PostgreSQL 18 behind the address of an open pool (docs/query-gate.md,
 * "When the fence is dropped"): from 18 a virtual generated column runs its expression when read,
 * which no kind proof sees, so a dropped fence may only reach a session whose server reported a
 * version below 18 when it started. The proxy stands in for the upgrade: it cuts every session,
 * and the sessions opened afterwards announce 18.0.
 */
const url = process.env.TEST_DATABASE_URL;
describe('a warehouse upgraded to PostgreSQL 18 under an open pool', {
  skip: url ? false : 'TEST_DATABASE_URL not set',
}, () => {
  let t: TestApp;
  let proxy: FaultProxy;
  let scratch: Awaited<ReturnType<typeof createScratchPostgresDatabase>>;
  let domain: string;
  let alice: string;
  const fences = () => t.app.services.data.queries.fences.stats();
  const latest = 'select id from orders order by id desc limit 2';

  before(async () => {
    scratch = await createScratchPostgresDatabase(url!);
    const c = new pg.Client({ connectionString: scratch.url });
    await c.connect();
    await c.query(`create table orders (id int primary key, tenant_id text not null);
      insert into orders select i, 't_' || (i % 2) from generate_series(1, 10) i;`);
    await c.end();
    proxy = await startFaultProxy(targetOf(scratch.url, 5432));
    t = await startTestApp(testBackends()[0]!, { env: { TESSERA_QUERY_TIMEOUT_MS: '5000' } });
    domain = await policedDomain(t, {
      connection: { ...settingsOf('postgres', proxy.urlFor(scratch.url)), name: 'upgraded' },
      name: 'orders',
      tables: ['orders'],
      policies: [['orders', "tenant_id = USER_ATTRIBUTE('tenant_id')"]],
    });
    alice = (
      await sessionFor(
        t,
        'alice@upgrade.test',
        [{ roleId: ROLE_IDS.EXPLORER, scopes: [domain] }],
        [{ key: 'tenant_id', value: 't_0' }],
      )
    ).token;
  });
  after(async () => {
    await t?.close();
    await proxy?.close();
    await scratch?.drop();
  });

  /** The query's answer, retried past the sessions the cut left dead in the pool. */
  const answer = async () => {
    for (let attempt = 0; ; attempt++) {
      const r = await runQuery(t, alice, domain, latest);
      if (r.code !== 'SERVICE_UNAVAILABLE' || attempt === 5) return r;
    }
  };

  test('before the upgrade the fence is dropped; after it, no dropped fence reaches the new server', async () => {
    const before = fences();
    const first = await runQuery(t, alice, domain, latest);
    assert.deepEqual(first.result?.rows, [[10], [8]], JSON.stringify(first.body));
    assert.deepEqual(fences(), before, 'a server below 18 runs the plain query as rewritten');

    proxy.reportServerVersion('18.0');
    proxy.cut();
    const upgraded = await answer();
    assert.deepEqual(upgraded.result?.rows, [[10], [8]], JSON.stringify(upgraded.body));
    const afterUpgrade = fences();
    assert.equal(afterUpgrade.retried, before.retried + 1, 'refused on the new session, run again fenced');
    assert.equal(afterUpgrade.tables, before.tables, 'the server, not a table, needed the fence');

    // The pool reads the server's version again, so later queries go fenced directly.
    const next = await runQuery(t, alice, domain, latest);
    assert.deepEqual(next.result?.rows, [[10], [8]]);
    assert.equal(fences().retried, afterUpgrade.retried);
    assert.equal(fences().direct, afterUpgrade.direct + 1);
  });
});
