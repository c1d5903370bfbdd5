import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { startTestApp, type TestApp } from './helpers/app.ts';
import { createScratchPostgresDatabase, scratchBackend } from './helpers/databases.ts';
import { type FaultProxy, startFaultProxy, targetOf } from './helpers/fault-proxy.ts';
import { impersonate, userWithEmail } from './helpers/sessions.ts';

/**
 * "A plain read outside a transaction is retried once on a fresh connection before it fails"
 * (README, "Under faults"), the reads every request makes included: the session check is a
 * statement prepared once per session, whose text opens with a comment.
 */
const adminUrl = process.env.TEST_DATABASE_URL;

describe('a read whose connection is cut under it', { skip: !adminUrl }, () => {
  let t: TestApp;
  let proxy: FaultProxy;
  let ownUrl: string;
  let token: string;
  before(async () => {
    const scratch = await createScratchPostgresDatabase(adminUrl!);
    ownUrl = scratch.url;
    proxy = await startFaultProxy(targetOf(scratch.url, 5432));
    t = await startTestApp(scratchBackend(scratch, 6, proxy));
    await userWithEmail(t, 'retried@faults.test');
    const session = await impersonate(t, 'retried@faults.test');
    assert.ok(session.token, JSON.stringify(session.body));
    token = session.token;
  });
  after(async () => {
    await proxy?.close();
    await t?.close();
  });

  it('is retried on a fresh connection for the session check, and the request answered', async () => {
    // The session check waits on a lock the test holds (on a connection of its own, not cut).
    const locker = new pg.Client({ connectionString: ownUrl });
    await locker.connect();
    await locker.query('begin');
    await locker.query('lock table users in access exclusive mode');
    const pending = t.app.fetch(
      new Request('http://tessera.test/graphql', {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify({ query: '{ __typename }' }),
      }),
      { ip: '127.0.0.1' },
    );
    const waiting = async () =>
      Number(
        (
          await locker.query(
            "select count(*) as n from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock'",
          )
        ).rows[0].n,
      );
    const deadline = performance.now() + 5000;
    while ((await waiting()) < 1) {
      assert.ok(performance.now() < deadline, 'the session check never waited on the lock');
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    proxy.cut();
    // The retry waits on the same lock; released, it answers.
    await new Promise((resolve) => setTimeout(resolve, 200));
    await locker.query('rollback');
    await locker.end();
    const r = await pending;
    const body = await r.json();
    assert.equal(r.status, 200, JSON.stringify(body));
    assert.deepEqual(body, { data: { __typename: 'Query' } });
  });
});
