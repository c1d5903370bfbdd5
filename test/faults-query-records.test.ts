import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { EXPLORER } from './helpers/api.ts';
import { startTestApp, type TestApp } from './helpers/app.ts';
import { policedDomain, RUN_QUERY, sessionFor, type Warehouse, warehouseLegs } from './helpers/data.ts';
import { createScratchPostgresDatabase, scratchBackend } from './helpers/databases.ts';

/**
 * A runQuery that fails in Tessera's own database before it reaches the warehouse (its snapshot
 * read runs past the statement timeout, or its client goes away during it) keeps one record, and
 * that record names the code the client was answered, not a 500 that never happened
 * (docs/data-access.md, "Running queries: runQuery"; README, "Under faults").
 */
const adminUrl = process.env.TEST_DATABASE_URL;

describe('runQuery records when Tessera’s own database fails under it', { skip: !adminUrl }, () => {
  let t: TestApp;
  let warehouse: Warehouse;
  let ownUrl: string;
  let domainId: string;
  let token: string;
  before(async () => {
    // Tessera's own database is a scratch PostgreSQL one whose URL the test keeps, to lock its tables.
    const scratch = await createScratchPostgresDatabase(adminUrl!);
    ownUrl = scratch.url;
    t = await startTestApp(scratchBackend(scratch, 10), { env: { TESSERA_DB_STATEMENT_TIMEOUT_MS: '800' } });
    const leg = warehouseLegs().find((l) => l.engine === 'postgres')!;
    warehouse = await leg.open(
      () => t.app.services.data,
      `create table orders (id int primary key, tenant text not null);
       insert into orders values (1, 'a'), (2, 'b');`,
    );
    domainId = await policedDomain(t, {
      connection: warehouse.settings,
      name: 'sales',
      tables: ['orders'],
      policies: [['orders', "tenant = USER_ATTRIBUTE('tenant')"]],
    });
    ({ token } = await sessionFor(
      t,
      'analyst@records.test',
      [{ roleId: EXPLORER, scopes: [domainId] }],
      [{ key: 'tenant', value: 'a' }],
    ));
  });
  after(async () => {
    await t?.close();
    await warehouse?.drop();
  });

  /** Holds a lock on a table only the query snapshot reads, so every snapshot read waits. */
  async function lockSnapshot(): Promise<() => Promise<void>> {
    const c = new pg.Client({ connectionString: ownUrl });
    await c.connect();
    // A new version (committed, so the session check sees it): the next query reads its snapshot.
    await c.query('update data_snapshot_versions set version = version + 1');
    await c.query('begin');
    await c.query('lock table data_column_policies in access exclusive mode');
    return async () => {
      await c.query('rollback');
      await c.end();
    };
  }

  async function query(requestId: string, signal?: AbortSignal) {
    const response = await t.app.fetch(
      new Request('http://tessera.test/graphql', {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          authorization: `Bearer ${token}`,
          'x-request-id': requestId,
        },
        body: JSON.stringify({ query: RUN_QUERY, variables: { d: domainId, sql: 'select id from orders' } }),
        ...(signal ? { signal } : {}),
      }),
      { ip: '127.0.0.1' },
    );
    return { status: response.status, body: await response.json() };
  }

  async function recordOf(requestId: string): Promise<{ outcome: string; errorCode: unknown }> {
    await t.app.services.auditTrail.outcomesWritten();
    const r = await t.gql(
      `query { auditEvents(filter: { action: "data.query" }, first: 50) { edges { node { outcome details requestId } } } }`,
    );
    const found = (r.body.data?.auditEvents.edges ?? [])
      .map((e: { node: { outcome: string; details: string; requestId: string } }) => e.node)
      .filter((n: { requestId: string }) => n.requestId === requestId);
    assert.equal(found.length, 1, JSON.stringify(r.body));
    return { outcome: found[0].outcome, errorCode: JSON.parse(found[0].details).errorCode };
  }

  it('a snapshot read past the statement timeout is recorded as the QUERY_TIMEOUT it was answered', async () => {
    const unlock = await lockSnapshot();
    let r: Awaited<ReturnType<typeof query>>;
    try {
      r = await query('snapshot-timeout');
    } finally {
      await unlock();
    }
    assert.equal(r.body.errors?.[0]?.extensions?.code, 'QUERY_TIMEOUT', JSON.stringify(r.body));
    assert.deepEqual(await recordOf('snapshot-timeout'), { outcome: 'FAILURE', errorCode: 'QUERY_TIMEOUT' });
  });

  it('a client that leaves during the snapshot read is recorded as QUERY_TIMEOUT, not as a 500', async () => {
    const unlock = await lockSnapshot();
    try {
      const gone = new AbortController();
      const pending = query('snapshot-left', gone.signal);
      await new Promise((resolve) => setTimeout(resolve, 200));
      gone.abort();
      // Answered (to nobody, but logged and counted) with what became of the work: not a 500.
      const r = await pending;
      assert.equal(r.body.errors?.[0]?.extensions?.code, 'QUERY_TIMEOUT', JSON.stringify(r.body));
      assert.equal(r.status, 503);
    } finally {
      await unlock();
    }
    assert.deepEqual(await recordOf('snapshot-left'), { outcome: 'FAILURE', errorCode: 'QUERY_TIMEOUT' });
    // The next query reads its snapshot and runs.
    const next = await query('snapshot-after');
    assert.deepEqual(next.body.data?.runQuery.rows, [[1]]);
  });
});
