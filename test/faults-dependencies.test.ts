// The dependencies beside Tessera's own database failing under it: Redis (rate limits), SMTP (the
// outbox) and warehouse connections (runQuery), each behind a fault proxy. Each leg runs when its
// server is configured (TEST_REDIS_URL, TEST_DATABASE_URL, TEST_MYSQL_URL) and is skipped otherwise.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { AppError } from '../src/errors.ts';
import { createLogger } from '../src/logger.ts';
import type { ResolvedSettings } from '../src/modules/data/connections/types.ts';
import { openMysqlPool } from '../src/modules/data/engines/mysql.ts';
import { openPostgresPool } from '../src/modules/data/engines/postgres.ts';
import type { DataPool } from '../src/modules/data/engines/types.ts';
import type { OutboxMessage } from '../src/modules/outbox/queries.ts';
import { OutboxSender } from '../src/modules/outbox/sender.ts';
import { smtpMailer } from '../src/modules/outbox/smtp-mailer.ts';
import { createUsers } from './helpers/api.ts';
import { startTestApp } from './helpers/app.ts';
import {
  createScratchMysqlDatabase,
  createScratchPostgresDatabase,
  testBackends,
} from './helpers/databases.ts';
import { startFaultProxy, targetOf } from './helpers/fault-proxy.ts';
import { impersonate, userWithEmail } from './helpers/sessions.ts';
import { startSmtpServer } from './helpers/smtp.ts';

const pglite = testBackends()[0]!;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const redisUrl = process.env.TEST_REDIS_URL;
const pgUrl = process.env.TEST_DATABASE_URL;
const mysqlUrl = process.env.TEST_MYSQL_URL;

describe('Redis down: rate limits fail closed', { skip: !redisUrl }, () => {
  test('impersonateUser answers 503 SERVICE_UNAVAILABLE while Redis is unreachable, and works again after', async () => {
    const proxy = await startFaultProxy(targetOf(redisUrl!, 6379));
    const t = await startTestApp(pglite, { env: { REDIS_URL: proxy.urlFor(redisUrl!) } });
    try {
      await userWithEmail(t, 'embed@example.com');
      const ip = `10.${Math.floor(Math.random() * 250)}.${Math.floor(Math.random() * 250)}.7`;
      assert.ok((await impersonate(t, 'embed@example.com', { ip })).token);
      await proxy.refuse(true);
      proxy.cut();
      const down = await impersonate(t, 'embed@example.com', { ip });
      assert.equal(down.status, 503);
      assert.equal(down.body.errors[0].extensions.code, 'SERVICE_UNAVAILABLE');
      assert.equal(down.headers.get('retry-after'), '1');
      await proxy.refuse(false);
      let back = await impersonate(t, 'embed@example.com', { ip });
      for (let i = 0; i < 50 && !back.token; i++) {
        await sleep(100);
        back = await impersonate(t, 'embed@example.com', { ip });
      }
      assert.ok(back.token, 'Redis reconnected by itself');
    } finally {
      await t.close();
      await proxy.close();
    }
  });
});

describe('SMTP down: the outbox retries, nothing lost or sent twice', () => {
  test('deliveries refused while the server is unreachable stay queued and go out once it is back', async () => {
    const smtp = await startSmtpServer();
    const proxy = await startFaultProxy({ host: '127.0.0.1', port: Number(new URL(smtp.url).port) });
    const t = await startTestApp(pglite);
    const sender = new OutboxSender({
      db: t.app.services.db,
      clock: t.clock,
      mailer: smtpMailer(proxy.urlFor(smtp.url), 'Tessera <no-reply@tessera.test>'),
      options: {
        maxAttempts: 8,
        retryBaseMs: 1000,
        retryMaxMs: 60_000,
        leaseMs: 300_000,
        pollMs: 20,
        random: () => 0,
      },
      log: createLogger('silent'),
    });
    try {
      const emails = ['a@example.com', 'b@example.com', 'c@example.com'];
      await createUsers(t, { emails, sendWelcomeEmail: true });
      await proxy.refuse(true);
      for (let pass = 1; pass <= 2; pass++) {
        const report = await sender.runOnce();
        assert.deepEqual(report, { sent: 0, retried: 3, failed: 0 });
        t.clock.advance(120_000);
      }
      const waiting = (await t.app.services.db
        .selectFrom('outbox_messages')
        .selectAll()
        .execute()) as OutboxMessage[];
      assert.ok(waiting.every((m) => m.state === 'QUEUED' && m.attempts === 2 && m.last_error));
      await proxy.refuse(false);
      assert.deepEqual(await sender.runOnce(), { sent: 3, retried: 0, failed: 0 });
      assert.deepEqual(await sender.runOnce(), { sent: 0, retried: 0, failed: 0 });
      assert.deepEqual(smtp.received.flatMap((m) => m.to).sort(), emails, 'each delivered exactly once');
    } finally {
      await sender.stop();
      await t.close();
      await proxy.close();
      await smtp.close();
    }
  });
});

/** A session killed under a running statement: 503-class error, the pool stays usable. */
async function killUnderStatement(pool: DataPool, slowSql: string, cut: () => void) {
  const limits = { timeoutMs: 10_000, maxRows: 10 };
  assert.equal((await pool.run('select 1 as one', [], limits)).rows.length, 1);
  const running = pool.run(slowSql, [], limits).then(
    () => null,
    (err: unknown) => err,
  );
  await sleep(300);
  cut();
  const err = await running;
  assert.ok(err instanceof AppError, String(err));
  assert.equal(err.code, 'SERVICE_UNAVAILABLE');
  const again = await pool.run('select 2 as two', [], limits);
  assert.equal(again.rows.length, 1, 'a fresh session replaced the dead one');
}

function settingsVia(url: string, engine: 'postgres' | 'mysql', proxyPort: number): ResolvedSettings {
  const u = new URL(url);
  return {
    connectionId: 'conn_fault',
    engine,
    host: '127.0.0.1',
    port: proxyPort,
    database: u.pathname.slice(1),
    user: decodeURIComponent(u.username),
    password: u.password ? decodeURIComponent(u.password) : null,
    schema: engine === 'postgres' ? 'public' : u.pathname.slice(1),
    tls: false,
    mappingIndex: null,
  };
}

describe('a warehouse connection killed under runQuery', () => {
  test('PostgreSQL: SERVICE_UNAVAILABLE, process alive, next query OK', { skip: !pgUrl }, async () => {
    const scratch = await createScratchPostgresDatabase(pgUrl!);
    const proxy = await startFaultProxy(targetOf(pgUrl!, 5432));
    const pool = await openPostgresPool(settingsVia(scratch.url, 'postgres', proxy.port), {
      connectionsPerPool: 2,
      idleMs: 10_000,
    });
    try {
      await killUnderStatement(pool, 'select pg_sleep(3)', () => proxy.cut());
    } finally {
      await pool.close();
      await proxy.close();
      await scratch.drop();
    }
  });

  test('MariaDB: SERVICE_UNAVAILABLE, process alive, next query OK', { skip: !mysqlUrl }, async () => {
    const scratch = await createScratchMysqlDatabase(mysqlUrl!);
    const proxy = await startFaultProxy(targetOf(mysqlUrl!, 3306));
    const pool = await openMysqlPool(settingsVia(scratch.url, 'mysql', proxy.port), {
      connectionsPerPool: 2,
      idleMs: 10_000,
    });
    try {
      await killUnderStatement(pool, 'select sleep(3)', () => proxy.cut());
    } finally {
      await pool.close();
      await proxy.close();
      await scratch.drop();
    }
  });
});
