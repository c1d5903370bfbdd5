import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import { createUsers } from './helpers/api.ts';
import { startTestApp, type TestApp } from './helpers/app.ts';
import { createScratchPostgresDatabase, scratchBackend } from './helpers/databases.ts';

/**
 * Tessera's own PostgreSQL refusing statements for reasons that are the server's, not the
 * request's: a full disk, no memory, a lock not to be had, or a database that only reads (a
 * standby after a failover). Each is a 503 SERVICE_UNAVAILABLE with Retry-After, never an
 * internal error, nothing of the mutation is written, and /readyz says the database is read-only.
 */
const adminUrl = process.env.TEST_DATABASE_URL;

describe('faults: PostgreSQL refusing statements for its own reasons', { skip: !adminUrl }, () => {
  let scratch: Awaited<ReturnType<typeof createScratchPostgresDatabase>>;
  let admin: pg.Client;
  let t: TestApp;

  before(async () => {
    scratch = await createScratchPostgresDatabase(adminUrl!);
    t = await startTestApp(scratchBackend(scratch, 6));
    admin = new pg.Client({ connectionString: scratch.url });
    await admin.connect();
  });
  after(async () => {
    await admin?.end();
    await t?.close();
  });

  const userCount = async () => Number((await admin.query('select count(*) as n from users')).rows[0].n);
  const readyz = async () => {
    const r = await t.app.fetch(new Request('http://tessera.test/readyz'), { ip: '127.0.0.1' });
    return { status: r.status, retryAfter: r.headers.get('retry-after'), body: await r.json() };
  };
  /** Ends every session of the scratch database but ours, as a failover or a restart does. */
  const endSessions = () =>
    admin.query(
      'select pg_terminate_backend(pid) from pg_stat_activity where datname = $1 and pid <> pg_backend_pid()',
      [scratch.name],
    );

  for (const [condition, errcode] of [
    ['disk full', 'disk_full'],
    ['out of memory', 'out_of_memory'],
    ['an I/O error', 'io_error'],
    ['a lock not to be had', 'lock_not_available'],
    ['too many connections', 'too_many_connections'],
  ] as const) {
    test(`a write failing with ${condition} (${errcode}) is SERVICE_UNAVAILABLE and writes nothing`, async () => {
      await admin.query(
        `create or replace function tessera_t_refuse() returns trigger language plpgsql as $$
         begin raise exception 'injected' using errcode = '${errcode}'; end $$`,
      );
      await admin.query(
        'create trigger tessera_t_refuse before insert on users for each row execute function tessera_t_refuse()',
      );
      const before = await userCount();
      try {
        const r = await createUsers(t, { emails: [`${errcode}@refused.example`] });
        assert.equal(r.body.errors?.[0]?.extensions?.code, 'SERVICE_UNAVAILABLE', JSON.stringify(r.body));
        assert.equal(r.status, 503);
        assert.equal(r.headers.get('retry-after'), '1');
        assert.equal(await userCount(), before);
      } finally {
        await admin.query('drop trigger tessera_t_refuse on users');
      }
      const again = await createUsers(t, { emails: [`${errcode}@refused.example`] });
      assert.equal(again.payload?.status.code, 'OK', JSON.stringify(again.body));
    });
  }

  test('a database that only reads (a standby after failover): writes 503, /readyz 503, both recover after failback', async () => {
    assert.equal((await readyz()).status, 200);
    await admin.query(`alter database ${scratch.name} set default_transaction_read_only = on`);
    await endSessions();
    try {
      const before = await userCount();
      const r = await createUsers(t, { emails: ['standby@refused.example'] });
      assert.equal(r.body.errors?.[0]?.extensions?.code, 'SERVICE_UNAVAILABLE', JSON.stringify(r.body));
      assert.equal(r.status, 503);
      assert.equal(await userCount(), before);
      const ready = await readyz();
      assert.equal(ready.status, 503, JSON.stringify(ready.body));
      assert.equal(ready.retryAfter, '1');
      assert.match(JSON.stringify(ready.body.problems), /read-only/);
      // Reads still work on a standby.
      const list = await t.gql('{ listUsers { email } }');
      assert.equal(list.body.errors, undefined, JSON.stringify(list.body));
    } finally {
      await admin.query(`alter database ${scratch.name} reset default_transaction_read_only`);
      await endSessions();
    }
    // The sessions that met the read-only database were closed, not pooled: the first write after
    // failback succeeds.
    const r = await createUsers(t, { emails: ['standby@refused.example'] });
    assert.equal(r.payload?.status.code, 'OK', JSON.stringify(r.body));
    assert.equal((await readyz()).status, 200);
  });

  test('a pooled session that meets a read-only server is closed, not handed to the next write', async () => {
    // The server became read-only for new transactions without ending the sessions (a proxy that
    // routes an old session to a replica reads the same to Tessera): the session that fails with
    // 25006 must not stay in the pool.
    // One connection, so the next write would get the same session if it went back to the pool.
    const single = await startTestApp(scratchBackend({ url: scratch.url, drop: async () => {} }, 1));
    try {
      await admin.query(`alter database ${scratch.name} set default_transaction_read_only = on`);
      await endSessions();
      const first = await createUsers(single, { emails: ['sticky@refused.example'] });
      assert.equal(first.body.errors?.[0]?.extensions?.code, 'SERVICE_UNAVAILABLE');
      await admin.query(`alter database ${scratch.name} reset default_transaction_read_only`);
      // No session ended this time: only the discard of the failed one lets the next write through.
      const second = await createUsers(single, { emails: ['sticky@refused.example'] });
      assert.equal(second.payload?.status.code, 'OK', JSON.stringify(second.body));
    } finally {
      await admin.query(`alter database ${scratch.name} reset default_transaction_read_only`);
      await single.close();
    }
  });
});
