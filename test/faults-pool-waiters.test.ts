import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { startTestApp, type TestApp } from './helpers/app.ts';
import { createScratchPostgresDatabase, scratchBackend } from './helpers/databases.ts';
import { userWithEmail } from './helpers/sessions.ts';

/**
 * A request queued for a connection of Tessera's own pool whose client goes away: the connection
 * it would have had goes back to the pool once. Released twice, it was handed to the next request
 * in line and released again under it, so two requests shared one session, or the second release
 * threw from a promise callback and ended the process (README, "Under faults").
 */
const adminUrl = process.env.TEST_DATABASE_URL;

describe('requests waiting for a connection when one of their clients goes away', { skip: !adminUrl }, () => {
  let t: TestApp;
  let ownUrl: string;
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown) => unhandled.push(reason);
  before(async () => {
    process.on('unhandledRejection', onUnhandled);
    const scratch = await createScratchPostgresDatabase(adminUrl!);
    ownUrl = scratch.url;
    // Three connections for ordinary requests, one held back for impersonation.
    t = await startTestApp(scratchBackend(scratch, 4));
    await userWithEmail(t, 'waiting@faults.test');
  });
  after(async () => {
    process.off('unhandledRejection', onUnhandled);
    await t?.close();
  });

  const main = () => t.app.services.database.poolStats().find((l) => l.lane === 'main')!;

  const listUsers = (signal?: AbortSignal) =>
    t.app.fetch(
      new Request('http://tessera.test/graphql', {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${t.rootKey}` },
        body: JSON.stringify({ query: '{ listUsers { email } }' }),
        ...(signal ? { signal } : {}),
      }),
      { ip: '127.0.0.1' },
    );

  it('the connection it would have had goes back to the pool once, and the process lives on', async () => {
    // Every ordinary connection busy: three reads wait on a lock the test holds.
    const locker = new pg.Client({ connectionString: ownUrl });
    await locker.connect();
    await locker.query('begin');
    await locker.query('lock table users in access exclusive mode');
    const holders = Array.from({ length: 3 }, () => listUsers());
    const blocked = async () =>
      Number(
        (
          await locker.query(
            "select count(*) as n from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock'",
          )
        ).rows[0].n,
      );
    await untilAsync(async () => (await blocked()) === 3);
    const gone = new AbortController();
    const abandoned = listUsers(gone.signal);
    await until(() => main().waiting === 1);
    gone.abort();
    await locker.query('rollback');
    await locker.end();
    await (await abandoned).arrayBuffer();
    // Many requests at once: each has a connection of its own, none is answered a 500.
    const later = Array.from({ length: 12 }, () => listUsers());
    for (const r of await Promise.all([...holders, ...later])) {
      const body = await r.json();
      assert.equal(r.status, 200, JSON.stringify(body));
      assert.deepEqual(body.data.listUsers, [{ email: 'waiting@faults.test' }]);
    }
    // A release that throws inside a promise callback is an unhandled rejection: it ends the process.
    assert.deepEqual(unhandled, []);
    assert.equal(main().waiting, 0);
  });
});

async function untilAsync(condition: () => Promise<boolean>, withinMs = 5000): Promise<void> {
  const deadline = performance.now() + withinMs;
  while (!(await condition())) {
    if (performance.now() > deadline) throw new Error('the condition never held');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

async function until(condition: () => boolean, withinMs = 5000): Promise<void> {
  const deadline = performance.now() + withinMs;
  while (!condition()) {
    if (performance.now() > deadline) throw new Error('the condition never held');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
