import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { sql } from 'kysely';
import { runInDbScope } from '../src/db/scope.ts';
import type { AuditOrigin } from '../src/modules/audit/service.ts';
import { ROLE_IDS } from '../src/modules/roles/roles.ts';
import { startTestApp, type TestApp, useTestApp } from './helpers/app.ts';
import { policedDomain, RUN_QUERY, sessionFor, type Warehouse, warehouseLegs } from './helpers/data.ts';
import { testBackends } from './helpers/databases.ts';

const ORIGIN: AuditOrigin = { requestId: 'req_gone', ip: '127.0.0.1', actorKeyId: null, actorUserId: null };

/** Runs `work` as a request whose client has already gone away (its statements are cancelled). */
const asAbandonedRequest = <T>(work: () => T): T => {
  const gone = new AbortController();
  gone.abort();
  return runInDbScope({ lane: 'main', signal: gone.signal }, work);
};

/**
 * The audit trail's batches are shared by every request whose record or outcome they hold, so a
 * client that goes away (docs/data-access.md "Running queries: runQuery") must not cancel the
 * statement that writes the others' records, nor lose any outcome of the batch.
 */
for (const backend of testBackends()) {
  describe(`audit batches and clients that went away (${backend.name})`, () => {
    const t = useTestApp(backend);
    const query = (name: string) =>
      ({
        action: 'data.query',
        workspaceId: t().workspaceId,
        target: 'dom_gone',
        details: {
          queryId: name,
          sql: 'select 1',
          rewrittenSqlSha256: null,
          attributesSha256: null,
          attributesUsed: [],
          connectionId: null,
          credentialMapping: null,
          policiesApplied: null,
        },
        at: new Date(),
      }) as const;
    const stored = async (prefix: string) => {
      const { rows } = await sql<{ name: string; outcome: string; rows: number | null }>`
        select details->>'queryId' as name, outcome, (details->>'rowCount')::int as rows from audit_events
        where details->>'queryId' like ${`${prefix}%`} order by 1`.execute(t().app.services.db);
      return rows;
    };

    it("the outcomes sent with an abandoned request's are all written", async () => {
      const trail = t().app.services.auditTrail;
      const [gone, kept] = await Promise.all([
        trail.start(ORIGIN, query('outcome-gone')),
        trail.start(ORIGIN, query('outcome-kept')),
      ]);
      // The query answered (its rows were read), then its client closed the connection before
      // the answer was written: its outcome is the first of the batch.
      asAbandonedRequest(() =>
        trail.finish(gone, 'SUCCESS', { durationMs: 1, rowCount: 1, truncated: false }),
      );
      trail.finish(kept, 'SUCCESS', { durationMs: 1, rowCount: 2, truncated: false });
      await trail.outcomesWritten();
      assert.deepEqual(await stored('outcome-'), [
        { name: 'outcome-gone', outcome: 'SUCCESS', rows: 1 },
        { name: 'outcome-kept', outcome: 'SUCCESS', rows: 2 },
      ]);
    });

    it("records written with an abandoned request's are committed, and their callers answered", async () => {
      const trail = t().app.services.auditTrail;
      const results = await Promise.allSettled([
        asAbandonedRequest(() => trail.start(ORIGIN, query('record-gone'))),
        trail.start(ORIGIN, query('record-kept')),
        trail.record(ORIGIN, { ...query('record-refused'), outcome: 'FAILURE' }),
      ]);
      assert.deepEqual(
        results.map((r) => r.status),
        ['fulfilled', 'fulfilled', 'fulfilled'],
      );
      assert.deepEqual(await stored('record-'), [
        { name: 'record-gone', outcome: 'STARTED', rows: null },
        { name: 'record-kept', outcome: 'STARTED', rows: null },
        { name: 'record-refused', outcome: 'FAILURE', rows: null },
      ]);
    });
  });
}

for (const backend of testBackends()) {
  describe(`runQuery's record when its client goes away (${backend.name})`, () => {
    let t: TestApp;
    let wh: Warehouse;
    let domainId: string;
    let token: string;
    before(async () => {
      t = await startTestApp(backend, { env: { TESSERA_WAREHOUSE_DIR: 'memory' } });
      wh = await warehouseLegs()[0]!.open(
        () => t.app.services.data,
        "create table notes (id int primary key, body varchar(64) not null); insert into notes values (1, 'a'), (2, 'b');",
      );
      domainId = await policedDomain(t, { connection: wh.settings, name: 'notes', tables: ['notes'] });
      const explorer = [{ roleId: ROLE_IDS.EXPLORER, scopes: [domainId] }];
      token = (await sessionFor(t, 'gone@client.test', explorer, [])).token;
    });
    after(async () => {
      await t?.close();
      await wh?.drop();
    });

    it('a query answered as its client went away still gets its outcome', async () => {
      const client = new AbortController();
      const response = await t.app.fetch(
        new Request('http://tessera.test/graphql', {
          method: 'POST',
          signal: client.signal,
          headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
          body: JSON.stringify({ query: RUN_QUERY, variables: { d: domainId, sql: 'select id from notes' } }),
        }),
        { ip: '127.0.0.1' },
      );
      const { data } = await response.json();
      // Gone before the outcome was sent (it follows the answer by a few ms).
      client.abort();
      assert.equal(data.runQuery.rowCount, 2);
      const events = await t.gql(
        '{ auditEvents(filter: { action: "data.query" }, first: 10) { edges { node { outcome details } } } }',
      );
      const records = events.body.data!.auditEvents.edges.map(
        (e: { node: { outcome: string; details: string } }) => ({
          outcome: e.node.outcome,
          rowCount: JSON.parse(e.node.details).rowCount,
        }),
      );
      assert.deepEqual(records, [{ outcome: 'SUCCESS', rowCount: 2 }]);
    });
  });
}
