import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import type { QueryRequest } from '../src/modules/data/query/service.ts';
import { ROLE_IDS } from '../src/modules/roles/roles.ts';
import { startTestApp, type TestApp } from './helpers/app.ts';
import { policedDomain, runQuery, sessionFor, settingsOf } from './helpers/data.ts';
import { createScratchPostgresDatabase, testBackends } from './helpers/databases.ts';

const WAREHOUSE_SQL = `
  create table orders (id int primary key, tenant_id varchar(32) not null, amount int not null);
  insert into orders values (1, 't_a', 100), (2, 't_a', 200), (3, 't_b', 300);
`;
const ORDERS = 'select id from orders order by id';
const ORIGIN = { requestId: null, ip: null, actorKeyId: null, actorUserId: null };

/** One query's audit events, as Tessera's database holds them right now. */
async function storedRecords(t: TestApp, queryId: string) {
  const rows = await t.app.services.db
    .selectFrom('audit_events')
    .select(['outcome', 'details'])
    .where('action', '=', 'data.query')
    .execute();
  return rows.filter((r) => (r.details as { queryId?: string }).queryId === queryId);
}

/** One query's events through the `auditEvents` API, details parsed. */
async function apiRecords(t: TestApp, queryId: string) {
  const r = await t.gql(
    `query { auditEvents(filter: { action: "data.query" }, first: 500) { edges { node { outcome details } } } }`,
  );
  return (r.body.data!.auditEvents.edges as { node: { outcome: string; details: string } }[])
    .map((e) => ({ outcome: e.node.outcome, details: JSON.parse(e.node.details) }))
    .filter((e) => e.details.queryId === queryId);
}

/**
 * A query's audit record is written while the query runs and committed before it is answered;
 * its outcome follows without holding the answer (docs/data-access.md "Running queries: runQuery").
 */
for (const backend of testBackends()) {
  describe(`a query's audit record (${backend.name})`, () => {
    let t: TestApp;
    let domainId: string;
    let alice: { userId: string; token: string };

    before(async () => {
      t = await startTestApp(backend, { env: { TESSERA_WAREHOUSE_DIR: 'memory' } });
      await t.app.services.data.warehouses.load('sales', WAREHOUSE_SQL);
      domainId = await policedDomain(t, {
        connection: { engine: 'pglite', database: 'sales' },
        name: 'sales',
        tables: ['orders'],
        policies: [['orders', "tenant_id = USER_ATTRIBUTE('tenant_id')"]],
      });
      alice = await sessionFor(
        t,
        'alice@audit.test',
        [{ roleId: ROLE_IDS.EXPLORER, scopes: [domainId] }],
        [{ key: 'tenant_id', value: 't_a' }],
      );
    });
    after(async () => {
      await t.close();
    });

    test('is committed when the answer arrives, and gains its outcome after', async () => {
      const ran = await runQuery(t, alice.token, domainId, ORDERS);
      assert.deepEqual(ran.result!.rows, [[1], [2]]);
      const queryId = ran.result!.queryId;
      // Read before waiting for anything: the record is there, finished or not yet.
      const [early, ...more] = await storedRecords(t, queryId);
      assert.ok(early, 'the record exists when the answer arrives');
      assert.equal(more.length, 0);
      assert.ok(['STARTED', 'SUCCESS'].includes(early.outcome), early.outcome);
      const d = early.details as Record<string, unknown>;
      assert.equal(d.sql, ORDERS);
      assert.match(String(d.rewrittenSqlSha256), /^[0-9a-f]{64}$/);
      assert.match(String(d.attributesSha256), /^[0-9a-f]{64}$/);
      assert.deepEqual(d.attributesUsed, ['tenant_id']);
      assert.equal(d.policiesApplied, true);

      await t.app.services.auditTrail.outcomesWritten();
      const [done, ...again] = await storedRecords(t, queryId);
      assert.equal(again.length, 0, 'the outcome fills in the record, it adds none');
      assert.equal(done!.outcome, 'SUCCESS');
      const finished = done!.details as Record<string, unknown>;
      assert.equal(finished.rowCount, 2);
      assert.equal(finished.truncated, false);
      assert.equal(typeof finished.durationMs, 'number');
      assert.equal(finished.errorCode, undefined);
      // The hash of what ran (the gate fences a wrapper again when the warehouse refused its proof).
      assert.match(String(finished.rewrittenSqlSha256), /^[0-9a-f]{64}$/);
    });

    test('the auditEvents API reads one finished event per query answered by this instance', async () => {
      const ran = await runQuery(t, alice.token, domainId, ORDERS);
      // No wait here: the API writes this instance's pending outcomes before it reads.
      const events = await apiRecords(t, ran.result!.queryId);
      assert.equal(events.length, 1);
      assert.equal(events[0]!.outcome, 'SUCCESS');
      assert.equal(events[0]!.details.rowCount, 2);
    });

    test('a query that fails while it runs gets its failure outcome', async () => {
      const failed = await runQuery(
        t,
        alice.token,
        domainId,
        'select 1 / (amount - amount) as x from orders',
      );
      assert.equal(failed.body.errors?.[0]?.extensions?.code, 'QUERY_FAILED');
      await t.app.services.auditTrail.outcomesWritten();
      const rows = await t.app.services.db
        .selectFrom('audit_events')
        .select(['outcome', 'details'])
        .where('action', '=', 'data.query')
        .where('outcome', '!=', 'SUCCESS')
        .execute();
      const mine = rows.filter((r) => (r.details as { sql?: string }).sql?.startsWith('select 1 / (amount'));
      assert.equal(mine.length, 1);
      assert.equal(mine[0]!.outcome, 'FAILURE');
      const d = mine[0]!.details as Record<string, unknown>;
      assert.equal(d.errorCode, 'QUERY_FAILED');
      assert.equal(typeof d.durationMs, 'number');
      assert.match(String(d.rewrittenSqlSha256), /^[0-9a-f]{64}$/);
      assert.equal(d.rowCount, undefined);
    });

    test('a refusal is one complete record, committed before the answer', async () => {
      const refused = await runQuery(t, alice.token, domainId, 'delete from orders');
      assert.equal(refused.body.errors?.[0]?.extensions?.code, 'QUERY_REFUSED');
      // Nothing waited for: a refusal's record is written whole before it is answered.
      const rows = await t.app.services.db
        .selectFrom('audit_events')
        .select(['outcome', 'details'])
        .where('action', '=', 'data.query')
        .execute();
      const mine = rows.filter((r) => (r.details as { sql?: string }).sql === 'delete from orders');
      assert.equal(mine.length, 1);
      assert.equal(mine[0]!.outcome, 'FAILURE');
      const d = mine[0]!.details as Record<string, unknown>;
      assert.equal(d.errorCode, 'QUERY_REFUSED');
      assert.equal(typeof d.durationMs, 'number');
    });

    test('a record that cannot be written fails the query with SERVICE_UNAVAILABLE, and no rows', async () => {
      const request: QueryRequest = {
        caller: { workspaceId: t.workspaceId, userId: alice.userId, transientAttributes: new Map() },
        domainId,
        sql: ORDERS,
        origin: ORIGIN,
        at: () => new Date(),
        // jsonb refuses a NUL character, so this record's INSERT fails while the query runs fine.
        savedItem: { type: 'tile', id: 'tile-\u0000' },
      };
      await assert.rejects(t.app.services.data.queries.run(request), { code: 'SERVICE_UNAVAILABLE' });
      const ok = await t.app.services.data.queries.run({
        ...request,
        savedItem: { type: 'tile', id: 'tile-1' },
      });
      assert.deepEqual(ok.rows, [[1], [2]]);
    });
  });
}

const pgUrl = process.env.TEST_DATABASE_URL;
describe('a query whose process stops after answering (postgres)', { skip: !pgUrl }, () => {
  test('its record reads as STARTED: run, outcome unknown', async () => {
    const warehouse = await createScratchPostgresDatabase(pgUrl!);
    const t = await startTestApp(testBackends().find((b) => b.name === 'postgres')!);
    try {
      const wh = await import('pg');
      const c = new wh.default.Client({ connectionString: warehouse.url });
      await c.connect();
      await c.query(WAREHOUSE_SQL);
      await c.end();
      const domainId = await policedDomain(t, {
        connection: settingsOf('postgres', warehouse.url),
        name: 'sales',
        tables: ['orders'],
        policies: [['orders', "tenant_id = USER_ATTRIBUTE('tenant_id')"]],
      });
      const bob = await sessionFor(
        t,
        'bob@audit.test',
        [{ roleId: ROLE_IDS.EXPLORER, scopes: [domainId] }],
        [{ key: 'tenant_id', value: 't_b' }],
      );
      const url = t.app.config.database.kind === 'postgres' ? t.app.config.database.url : '';
      const caller = { workspaceId: t.workspaceId, userId: bob.userId, domainId, sql: ORDERS };
      const { stdout } = await promisify(execFile)(process.execPath, [
        new URL('./fixtures/audit/query-then-exit.ts', import.meta.url).pathname,
        url,
        JSON.stringify(caller),
      ]);
      const queryId = stdout.trim();
      assert.match(queryId, /^qry_/);
      const events = await apiRecords(t, queryId);
      assert.equal(events.length, 1);
      assert.equal(events[0]!.outcome, 'STARTED');
      assert.equal(events[0]!.details.sql, ORDERS);
      assert.equal(events[0]!.details.rowCount, undefined);
      assert.equal(events[0]!.details.errorCode, undefined);
      assert.equal(events[0]!.details.durationMs, undefined);
      const started = await t.gql(
        `query { auditEvents(filter: { outcome: STARTED }) { edges { node { details } } } }`,
      );
      assert.ok(
        started.body.data!.auditEvents.edges.some(
          (e: { node: { details: string } }) => JSON.parse(e.node.details).queryId === queryId,
        ),
      );
    } finally {
      await t.close();
      await warehouse.drop();
    }
  });
});
