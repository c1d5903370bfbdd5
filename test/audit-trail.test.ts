import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { sql } from 'kysely';
import { AppError } from '../src/errors.ts';
import type { AuditOrigin } from '../src/modules/audit/service.ts';
import { startTestApp, useTestApp } from './helpers/app.ts';
import { createScratchPostgresDatabase, type TestBackend, testBackends } from './helpers/databases.ts';
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
    const backend: TestBackend = {
      name: 'postgres',
      open: async () => ({
        database: { kind: 'postgres', url: proxy.urlFor(scratch.url), poolSize: 5 },
        drop: scratch.drop,
      }),
    };
    const t = await startTestApp(backend, { env: { TESSERA_DB_ACQUIRE_TIMEOUT_MS: '1000' } });
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
