import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { sql } from 'kysely';
import { openDatabase } from '../src/db/index.ts';
import { AppError } from '../src/errors.ts';
import { type AuditOrigin, AuditTrail } from '../src/modules/audit/service.ts';
import { startTestApp, useTestApp } from './helpers/app.ts';
import { createScratchPostgresDatabase, scratchBackend, testBackends } from './helpers/databases.ts';
import { startFaultProxy, targetOf } from './helpers/fault-proxy.ts';

const ORIGIN: AuditOrigin = { requestId: 'req_trail', ip: '127.0.0.1', actorKeyId: null, actorUserId: null };

/**
 * The group-committed audit trail hot paths write to (runQuery): concurrent records share an
 * INSERT, every caller is answered only once its own record is committed, and a record that
 * cannot be written fails its caller alone, with a stable code.
 */
for (const backend of testBackends()) {
  describe(`the audit trail's group commit (${backend.name})`, () => {
    const t = useTestApp(backend);
    const event = (name: string) =>
      ({
        action: 'sso.issuer.create',
        workspaceId: t().workspaceId,
        target: null,
        details: { name, discoveryUrl: 'https://idp.test' },
        at: new Date(),
      }) as const;
    /** The stored events of this test, with the transaction that inserted each. */
    const stored = async (prefix: string) => {
      const { rows } = await sql<{ name: string; tx: string }>`
        select details->>'name' as name, xmin::text as tx from audit_events
        where details->>'name' like ${`${prefix}%`}`.execute(t().app.services.db);
      return rows;
    };

    it('concurrent records share INSERTs, and each caller sees its record committed', async () => {
      const trail = t().app.services.auditTrail;
      const names = Array.from({ length: 40 }, (_, i) => `shared-${i}`);
      await Promise.all(
        names.map(async (name) => {
          await trail.record(ORIGIN, event(name));
          // Answered only once committed: the record is already visible to another reader.
          const mine = await stored(name);
          assert.ok(
            mine.some((r) => r.name === name),
            name,
          );
        }),
      );
      const rows = await stored('shared-');
      assert.deepEqual(rows.map((r) => r.name).sort(), [...names].sort());
      assert.ok(new Set(rows.map((r) => r.tx)).size < names.length, 'some records shared a transaction');
    });

    it('a record that cannot be stored fails only its caller, with SERVICE_UNAVAILABLE', async () => {
      const trail = t().app.services.auditTrail;
      // jsonb refuses a NUL character: the batch holding it fails and is retried record by record.
      const names = ['mixed-a', 'mixed-\u0000', 'mixed-b', 'mixed-c'];
      const results = await Promise.allSettled(names.map((name) => trail.record(ORIGIN, event(name))));
      assert.deepEqual(
        results.map((r) => r.status),
        ['fulfilled', 'rejected', 'fulfilled', 'fulfilled'],
      );
      const failure = (results[1] as PromiseRejectedResult).reason;
      assert.ok(failure instanceof AppError);
      assert.equal(failure.code, 'SERVICE_UNAVAILABLE');
      assert.deepEqual((await stored('mixed-')).map((r) => r.name).sort(), ['mixed-a', 'mixed-b', 'mixed-c']);
    });
  });
}

const adminUrl = process.env.TEST_DATABASE_URL;
describe("the audit trail's group commit with its database gone (postgres)", { skip: !adminUrl }, () => {
  it('fails every waiting record with SERVICE_UNAVAILABLE, and records again once the database is back', async () => {
    const scratch = await createScratchPostgresDatabase(adminUrl!);
    const proxy = await startFaultProxy(targetOf(adminUrl!, 5432));
    const t = await startTestApp(scratchBackend(scratch, 5, proxy), {
      env: { TESSERA_DB_ACQUIRE_TIMEOUT_MS: '1000' },
    });
    try {
      const trail = t.app.services.auditTrail;
      const event = (name: string) =>
        ({
          action: 'sso.issuer.create',
          workspaceId: t.workspaceId,
          target: null,
          details: { name, discoveryUrl: 'https://idp.test' },
          at: new Date(),
        }) as const;
      await trail.record(ORIGIN, event('before'));
      await proxy.refuse(true);
      proxy.cut();
      const results = await Promise.allSettled(
        Array.from({ length: 12 }, (_, i) => trail.record(ORIGIN, event(`down-${i}`))),
      );
      for (const r of results) {
        assert.equal(r.status, 'rejected');
        const reason = (r as PromiseRejectedResult).reason;
        assert.ok(reason instanceof AppError);
        assert.equal(reason.code, 'SERVICE_UNAVAILABLE');
      }
      await proxy.refuse(false);
      let recorded = false;
      for (let attempt = 0; attempt < 50 && !recorded; attempt++) {
        recorded = await trail.record(ORIGIN, event('after')).then(
          () => true,
          () => new Promise<boolean>((resolve) => setTimeout(() => resolve(false), 100)),
        );
      }
      assert.ok(recorded, 'a record is written once the database is back');
    } finally {
      await t.close();
      await proxy.close();
    }
  });
});

describe('audit outcomes on a trail that grew after its first writes (postgres)', { skip: !adminUrl }, () => {
  it('find their records by primary key, never by scanning the trail', async () => {
    const scratch = await createScratchPostgresDatabase(adminUrl!);
    // One session, so every write below runs on the connection that wrote the first outcomes.
    const handle = await openDatabase({ kind: 'postgres', url: scratch.url, poolSize: 1 });
    try {
      await handle.migrate();
      const { db } = handle;
      // No ANALYZE behind the test's back: statistics stay those of the small trail.
      await sql`alter table audit_events set (autovacuum_enabled = off)`.execute(db);
      const trail = new AuditTrail(db);
      const query = (n: number) =>
        ({ action: 'data.query', workspaceId: null, target: null, details: { n }, at: new Date() }) as const;
      const finishOne = async (n: number) => {
        const started = await trail.start(ORIGIN, query(n) as never);
        trail.finish(started, 'SUCCESS', {});
        await trail.outcomesWritten();
        return started.id;
      };
      // PostgreSQL keeps a generic plan for a prepared statement after its fifth run: these
      // runs would fix one made for a trail of a few records.
      for (let n = 0; n < 8; n++) await finishOne(n);
      await sql`insert into audit_events (id, action, outcome)
        select 'evt_bulk_' || i, 'data.query', 'STARTED' from generate_series(1, 20000) i`.execute(db);
      const scans = async () => {
        // Pending statistics reach the shared view once this session is idle after a flush request.
        await sql`select pg_stat_force_next_flush()`.execute(db);
        await sql`select pg_stat_clear_snapshot()`.execute(db);
        const { rows } = await sql<{ seq: number; idx: number }>`
          select seq_scan as seq, idx_scan as idx from pg_stat_user_tables where relname = 'audit_events'`.execute(
          db,
        );
        return rows[0]!;
      };
      const before = await scans();
      const id = await finishOne(8);
      const after = await scans();
      assert.equal(after.seq, before.seq, 'the outcome scanned the whole trail');
      assert.ok(after.idx > before.idx, 'the outcome looked its record up by key');
      const { rows } = await sql<{
        outcome: string;
      }>`select outcome from audit_events where id = ${id}`.execute(db);
      assert.equal(rows[0]?.outcome, 'SUCCESS');
    } finally {
      await handle.close();
      await scratch.drop();
    }
  });
});
