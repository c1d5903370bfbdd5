// Tessera's own PostgreSQL failing under running requests: backends killed, the server gone for
// seconds, statements stuck behind locks. PostgreSQL only (PGlite runs inside the process and has
// no connection to lose); skipped without TEST_DATABASE_URL.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { sql } from 'kysely';
import pg from 'pg';
import { ConnectionLostError } from '../src/db/errors.ts';
import { createUsers } from './helpers/api.ts';
import { startTestApp, type TestApp } from './helpers/app.ts';
import { createScratchPostgresDatabase, scratchBackend } from './helpers/databases.ts';
import { startFaultProxy, targetOf } from './helpers/fault-proxy.ts';

const adminUrl = process.env.TEST_DATABASE_URL;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const LIST_USERS = '{ listUsers { id } }';

async function readyz(t: TestApp): Promise<number> {
  return (await t.app.fetch(new Request('http://tessera.test/readyz'))).status;
}

describe('Tessera database faults (PostgreSQL)', { skip: !adminUrl }, () => {
  let admin: pg.Client;
  before(async () => {
    admin = new pg.Client({ connectionString: adminUrl });
    await admin.connect();
  });
  after(async () => {
    await admin?.end();
  });

  test('a backend killed mid-createUsers of 1000 emails: nothing written, SERVICE_UNAVAILABLE 503, next request OK', async () => {
    const scratch = await createScratchPostgresDatabase(adminUrl!);
    const t = await startTestApp(scratchBackend(scratch, 10));
    try {
      let killedMidTransaction = 0;
      // The kill must land inside the request's transaction; a batch that commits first is retried.
      for (let attempt = 0; attempt < 8 && killedMidTransaction === 0; attempt++) {
        const emails = Array.from({ length: 1000 }, (_, i) => `kill${attempt}-${i}@example.com`);
        const running = createUsers(t, { emails });
        let killed = 0;
        while (killed === 0) {
          const r = await admin.query(
            `select pg_terminate_backend(pid) as ok from pg_stat_activity
             where datname = $1 and application_name = 'tessera' and xact_start is not null and pid <> pg_backend_pid()`,
            [scratch.name],
          );
          killed = r.rowCount ?? 0;
          if (killed === 0 && (await Promise.race([running.then(() => true), sleep(2).then(() => false)])))
            break;
        }
        const r = await running;
        const written = await t.app.services.db
          .selectFrom('users')
          .select((eb) => eb.fn.countAll<number>().as('n'))
          .where('email', 'like', `kill${attempt}-%`)
          .executeTakeFirstOrThrow();
        if (r.body.errors) {
          killedMidTransaction++;
          assert.equal(r.status, 503);
          assert.equal(r.headers.get('retry-after'), '1');
          assert.equal(r.body.errors[0]!.extensions!.code, 'SERVICE_UNAVAILABLE');
          assert.equal(Number(written.n), 0, 'the transaction rolled back: nothing written');
        } else {
          assert.equal(r.payload.status.code, 'OK');
          assert.equal(Number(written.n), 1000);
        }
      }
      assert.ok(killedMidTransaction > 0, 'a backend was killed inside the transaction');
      const next = await createUsers(t, { emails: ['after-kill@example.com'] });
      assert.equal(next.payload.status.code, 'OK', 'the pool replaced the dead connection');
      assert.equal((await t.gql(LIST_USERS)).status, 200);
    } finally {
      await t.close();
    }
  });

  test('database down for 5 s under load: only 503s, /readyz follows, recovery within a second', async () => {
    const scratch = await createScratchPostgresDatabase(adminUrl!);
    const proxy = await startFaultProxy(targetOf(adminUrl!, 5432));
    const t = await startTestApp(scratchBackend(scratch, 10, proxy), {
      env: { TESSERA_DB_ACQUIRE_TIMEOUT_MS: '1000' },
    });
    try {
      assert.equal(await readyz(t), 200);
      const statuses: { at: number; status: number; code: string | undefined }[] = [];
      let running = true;
      const worker = async () => {
        while (running) {
          const r = await t.gql(LIST_USERS);
          statuses.push({ at: Date.now(), status: r.status, code: r.body.errors?.[0]?.extensions?.code });
          await sleep(10);
        }
      };
      const workers = Array.from({ length: 4 }, worker);
      await sleep(500);
      await proxy.refuse(true);
      proxy.cut();
      const downAt = Date.now();
      await sleep(300);
      assert.equal(await readyz(t), 503, '/readyz reports the outage');
      await sleep(5000 - (Date.now() - downAt));
      await proxy.refuse(false);
      const upAt = Date.now();
      let recoveredAt = 0;
      while (!recoveredAt && Date.now() - upAt < 5000) {
        if ((await t.gql(LIST_USERS)).status === 200) recoveredAt = Date.now();
        else await sleep(20);
      }
      await sleep(500);
      running = false;
      await Promise.all(workers);

      assert.ok(
        recoveredAt > 0 && recoveredAt - upAt < 1000,
        `recovered ${recoveredAt - upAt} ms after the database`,
      );
      assert.equal(await readyz(t), 200, '/readyz is back');
      for (const s of statuses) {
        assert.ok(s.status === 200 || s.status === 503, `status ${s.status} ${s.code}`);
        if (s.status === 503) assert.equal(s.code, 'SERVICE_UNAVAILABLE');
      }
      const during = statuses.filter((s) => s.at > downAt + 200 && s.at < upAt);
      assert.ok(
        during.length > 0 && during.every((s) => s.status === 503),
        'requests during the outage are 503s',
      );
      assert.ok(statuses.filter((s) => s.at > recoveredAt + 100).every((s) => s.status === 200));
    } finally {
      await t.close();
      await proxy.close();
    }
  });

  test('a plain read whose connection dies is retried once on a fresh one; a transaction is not', async () => {
    const scratch = await createScratchPostgresDatabase(adminUrl!);
    const proxy = await startFaultProxy(targetOf(adminUrl!, 5432));
    const t = await startTestApp(scratchBackend(scratch, 4, proxy));
    const db = t.app.services.db;
    try {
      const read = sql<{ ok: number }>`select 1 as ok from pg_sleep(0.5)`.execute(db);
      await sleep(150);
      proxy.cut();
      assert.deepEqual((await read).rows, [{ ok: 1 }], 'the read answered from a second connection');

      const write = db.transaction().execute(async (tx) => {
        await sql`select pg_sleep(0.5)`.execute(tx);
      });
      await sleep(150);
      proxy.cut();
      await assert.rejects(write, ConnectionLostError);
    } finally {
      await t.close();
      await proxy.close();
    }
  });

  test('a stalled network fails requests with 503 once the answer is overdue, and the pool recovers', async () => {
    const scratch = await createScratchPostgresDatabase(adminUrl!);
    const proxy = await startFaultProxy(targetOf(adminUrl!, 5432));
    const t = await startTestApp(scratchBackend(scratch, 4, proxy), {
      env: { TESSERA_DB_STATEMENT_TIMEOUT_MS: '500', TESSERA_DB_ACQUIRE_TIMEOUT_MS: '1000' },
    });
    try {
      assert.equal((await t.gql(LIST_USERS)).status, 200);
      proxy.stall(true);
      const started = Date.now();
      const stuck = await t.gql(LIST_USERS);
      assert.equal(stuck.status, 503, JSON.stringify(stuck.body));
      assert.equal(stuck.body.errors![0]!.extensions!.code, 'SERVICE_UNAVAILABLE');
      assert.ok(Date.now() - started < 6000, 'bounded by the statement timeout plus grace');
      proxy.stall(false);
      assert.equal((await t.gql(LIST_USERS)).status, 200);
    } finally {
      await t.close();
      await proxy.close();
    }
  });
});
