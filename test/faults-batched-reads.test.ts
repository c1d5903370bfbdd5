import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startTestApp, type TestApp } from './helpers/app.ts';
import { createScratchPostgresDatabase, scratchBackend } from './helpers/databases.ts';
import { type FaultProxy, startFaultProxy, targetOf } from './helpers/fault-proxy.ts';
import { impersonate, userWithEmail } from './helpers/sessions.ts';

/**
 * Group-committed statements (the session check every request makes, the impersonation reads and
 * writes) share one statement among concurrent requests. When the connection under that statement
 * stalls, every request of the batch fails once, 2 s past the statement timeout (README, "Under
 * faults"): not one after another, each waiting for the same stalled database again.
 */
const adminUrl = process.env.TEST_DATABASE_URL;
const STATEMENT_TIMEOUT_MS = 400;
/** The statement timeout, the 2 s a stalled connection is given, and room for a loaded machine. */
const FAILS_WITHIN_MS = STATEMENT_TIMEOUT_MS + 2000 + 2500;

describe('batched statements on a stalled database', { skip: !adminUrl }, () => {
  let t: TestApp;
  let proxy: FaultProxy;
  let token: string;
  before(async () => {
    const scratch = await createScratchPostgresDatabase(adminUrl!);
    proxy = await startFaultProxy(targetOf(scratch.url, 5432));
    t = await startTestApp(scratchBackend(scratch, 12, proxy), {
      env: {
        TESSERA_DB_STATEMENT_TIMEOUT_MS: String(STATEMENT_TIMEOUT_MS),
        TESSERA_DB_ACQUIRE_TIMEOUT_MS: '1000',
      },
    });
    await userWithEmail(t, 'batched@faults.test');
    const session = await impersonate(t, 'batched@faults.test');
    assert.ok(session.token, JSON.stringify(session.body));
    token = session.token;
  });
  after(async () => {
    await proxy?.close();
    await t?.close();
  });

  /** A request whose only database work is the session check. */
  const sessionRequest = () =>
    t.app.fetch(
      new Request('http://tessera.test/graphql', {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify({ query: '{ __typename }' }),
      }),
      { ip: '127.0.0.1' },
    );

  it('fails every session check of a batch at once, and recovers with the network', async () => {
    // Several pooled connections, all of which the stall then catches.
    const warm = await Promise.all(Array.from({ length: 8 }, sessionRequest));
    assert.deepEqual(
      warm.map((r) => r.status),
      Array(8).fill(200),
    );
    proxy.stall(true);
    const started = performance.now();
    const answered = await Promise.all(
      Array.from({ length: 8 }, async () => {
        const r = await sessionRequest();
        await r.arrayBuffer();
        return { status: r.status, ms: performance.now() - started };
      }),
    );
    proxy.stall(false);
    for (const a of answered) assert.equal(a.status, 503);
    const slowest = Math.max(...answered.map((a) => a.ms));
    assert.ok(slowest < FAILS_WITHIN_MS, `the last check failed after ${Math.round(slowest)} ms`);
    proxy.cut();
    const again = await sessionRequest();
    assert.equal(again.status, 200);
  });
});
