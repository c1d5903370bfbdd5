// Bounded work on Tessera's own PostgreSQL: slow requests cannot starve impersonateUser, run past
// the statement timeout, or outlive their client. The slow work is real: writes queued behind a
// row lock another session holds, as under contention. PostgreSQL only (PGlite has one session
// and no statement timeout); skipped without TEST_DATABASE_URL.
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { describe, test } from 'node:test';
import pg from 'pg';
import { startServer } from '../src/server.ts';
import { startTestApp, type TestApp } from './helpers/app.ts';
import { createScratchPostgresDatabase } from './helpers/databases.ts';
import { impersonate, userWithEmail } from './helpers/sessions.ts';

const adminUrl = process.env.TEST_DATABASE_URL;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** setUserAttributes as a raw request: HTTP status, headers and body. */
const setAttribute = (t: TestApp, userId: string, key: string, value: string) =>
  t.gql(
    'mutation($input: SetUserAttributesInput!) { setUserAttributes(input: $input) { status { code } } }',
    {
      input: { userId, userAttributes: [{ key, value }] },
    },
  );

/** setUserAttributes of the locked user over real HTTP, so the client can go away mid-request. */
function sendSetAttribute(url: string, c: Contended, key: string) {
  const body = JSON.stringify({
    query:
      'mutation($input: SetUserAttributesInput!) { setUserAttributes(input: $input) { status { code } } }',
    variables: { input: { userId: c.lockedUserId, userAttributes: [{ key, value: 'x' }] } },
  });
  const req = request(`${url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${c.t.rootKey}` },
  });
  req.on('error', () => {});
  req.end(body);
  return req;
}

interface Contended {
  readonly t: TestApp;
  readonly scratch: { name: string; url: string };
  /** The user whose row the lock holder keeps locked. */
  readonly lockedUserId: string;
  /** Backends of the app waiting on a lock right now. */
  waitingOnLock(): Promise<number>;
  /** Backends of the app idle inside a transaction (aborted or not) right now. */
  inTransaction(): Promise<number>;
  /** Ends the lock holder's transaction: writes to X go through again. */
  releaseLock(): Promise<void>;
  close(): Promise<void>;
}

/** An app on a small pool and a session holding user X's row lock, so every write to X waits. */
async function contended(env: Record<string, string>): Promise<Contended> {
  const scratch = await createScratchPostgresDatabase(adminUrl!);
  const t = await startTestApp(
    {
      name: 'postgres',
      open: async () => ({
        database: { kind: 'postgres', url: scratch.url, poolSize: 4 },
        drop: scratch.drop,
      }),
    },
    { env },
  );
  const lockedUserId = await userWithEmail(t, 'locked@example.com');
  await userWithEmail(t, 'embed@example.com');
  const holder = new pg.Client({ connectionString: scratch.url });
  await holder.connect();
  await holder.query('begin');
  await holder.query('select id from users where id = $1 for update', [lockedUserId]);
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  const countBackends = async (condition: string) =>
    Number(
      (
        await admin.query(
          `select count(*) as n from pg_stat_activity
           where datname = $1 and application_name = 'tessera' and ${condition}`,
          [scratch.name],
        )
      ).rows[0].n,
    );
  return {
    t,
    scratch,
    lockedUserId,
    waitingOnLock: () => countBackends(`wait_event_type = 'Lock'`),
    inTransaction: () => countBackends(`state like 'idle in transaction%'`),
    releaseLock: async () => {
      await holder.query('rollback');
    },
    close: async () => {
      await holder.query('rollback').catch(() => {});
      await holder.end();
      await admin.end();
      await t.close();
    },
  };
}

describe('bounded work on Tessera database (PostgreSQL)', { skip: !adminUrl }, () => {
  test('ten slow requests hold the main pool; impersonateUser still answers from the reserve', async () => {
    const c = await contended({ TESSERA_DB_STATEMENT_TIMEOUT_MS: '4000' });
    try {
      const slow = Array.from({ length: 10 }, (_, i) => setAttribute(c.t, c.lockedUserId, 'n', String(i)));
      while ((await c.waitingOnLock()) < 3) await sleep(20); // the main pool (4 - 1 reserved) is busy
      const started = Date.now();
      const r = await impersonate(c.t, 'embed@example.com');
      assert.equal(r.status, 200, JSON.stringify(r.body));
      assert.ok(r.token, 'a session token');
      assert.ok(Date.now() - started < 1500, `answered in ${Date.now() - started} ms`);
      // The statement timeout ends the stuck writes: 503 QUERY_TIMEOUT, nothing half-written.
      for (const s of await Promise.all(slow)) {
        if (s.status === 200) continue; // ran after the lock holder's turn, if any
        assert.equal(s.status, 503);
        assert.ok(['QUERY_TIMEOUT', 'SERVICE_UNAVAILABLE'].includes(s.body.errors![0]!.extensions!.code));
      }
    } finally {
      await c.close();
    }
  });

  test('without the reserve the same load starves impersonateUser (what the reserve prevents)', async () => {
    const c = await contended({
      TESSERA_DB_STATEMENT_TIMEOUT_MS: '4000',
      DATABASE_POOL_RESERVED: '0',
      TESSERA_DB_ACQUIRE_TIMEOUT_MS: '1000',
    });
    try {
      const slow = Array.from({ length: 10 }, (_, i) => setAttribute(c.t, c.lockedUserId, 'n', String(i)));
      while ((await c.waitingOnLock()) < 4) await sleep(20);
      const r = await impersonate(c.t, 'embed@example.com');
      assert.equal(r.status, 503);
      assert.equal(r.body.errors[0].extensions.code, 'SERVICE_UNAVAILABLE');
      await Promise.all(slow);
    } finally {
      await c.close();
    }
  });

  test('a statement past the timeout is cancelled: 503 QUERY_TIMEOUT with Retry-After, nothing written', async () => {
    const c = await contended({ TESSERA_DB_STATEMENT_TIMEOUT_MS: '800' });
    try {
      const started = Date.now();
      const r = await setAttribute(c.t, c.lockedUserId, 'stuck', 'x');
      assert.ok(Date.now() - started < 3000);
      assert.equal(r.status, 503);
      assert.equal(r.headers.get('retry-after'), '1');
      assert.equal(r.body.errors![0]!.extensions!.code, 'QUERY_TIMEOUT');
      const rows = await c.t.app.services.db
        .selectFrom('user_attributes')
        .select('key')
        .where('user_id', '=', c.lockedUserId)
        .execute();
      assert.deepEqual(rows, []);
    } finally {
      await c.close();
    }
  });

  test('a client that disconnects cancels its statement on the server', async () => {
    const c = await contended({ TESSERA_DB_STATEMENT_TIMEOUT_MS: '60000' });
    const server = await startServer(c.t.app, { host: '127.0.0.1', port: 0 });
    try {
      const req = sendSetAttribute(server.url, c, 'gone');
      while ((await c.waitingOnLock()) < 1) await sleep(20);
      req.destroy();
      const gone = Date.now();
      while ((await c.waitingOnLock()) > 0) {
        assert.ok(Date.now() - gone < 2000, 'the statement was cancelled within 2 s');
        await sleep(20);
      }
    } finally {
      server.server.closeAllConnections();
      server.server.close();
      await c.close();
    }
  });

  test('requests abandoned inside their transaction leave every pooled connection fit for the next request', async () => {
    const c = await contended({ TESSERA_DB_STATEMENT_TIMEOUT_MS: '60000' });
    const server = await startServer(c.t.app, { host: '127.0.0.1', port: 0 });
    try {
      // The whole main pool (4 connections, 1 reserved) is taken by transactions whose clients go.
      const requests = ['a', 'b', 'c'].map((key) => sendSetAttribute(server.url, c, key));
      while ((await c.waitingOnLock()) < 3) await sleep(20);
      for (const req of requests) req.destroy();
      const gone = Date.now();
      while ((await c.waitingOnLock()) > 0) await sleep(20);
      while ((await c.inTransaction()) > 0) {
        assert.ok(Date.now() - gone < 2000, 'no session of the app is left inside a transaction');
        await sleep(20);
      }
      // Every later request gets a connection in a clean state, whichever one the pool hands out.
      for (let i = 0; i < 8; i++) {
        const r = await c.t.gql('{ users(first: 1) { edges { node { id } } } }');
        assert.equal(r.status, 200, JSON.stringify(r.body));
        assert.equal(r.body.errors, undefined);
      }
      await c.releaseLock();
      const after = await setAttribute(c.t, c.lockedUserId, 'kept', 'x');
      assert.equal(after.body.errors, undefined, JSON.stringify(after.body));
      const keys = await c.t.app.services.db
        .selectFrom('user_attributes')
        .select('key')
        .where('user_id', '=', c.lockedUserId)
        .execute();
      assert.deepEqual(
        keys.map((k) => k.key),
        ['kept'],
        'nothing of the abandoned writes is stored',
      );
    } finally {
      server.server.closeAllConnections();
      server.server.close();
      await c.close();
    }
  });
});
