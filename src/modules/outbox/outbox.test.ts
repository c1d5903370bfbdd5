import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createUsers } from '../../../test/helpers/api.ts';
import { startTestApp, type TestApp, testConfig } from '../../../test/helpers/app.ts';
import { createScratchPostgresDatabase, testBackends } from '../../../test/helpers/databases.ts';
import { startSmtpServer, type TestSmtpServer } from '../../../test/helpers/smtp.ts';
import { createApp } from '../../app.ts';
import { type Config, ConfigError, loadConfig } from '../../config.ts';
import { createLogger } from '../../logger.ts';
import { claimDueMessage, finishClaim, type OutboxMessage } from './queries.ts';
import { OutboxSender, type OutboxSenderOptions } from './sender.ts';
import { smtpMailer } from './smtp-mailer.ts';

const silent = createLogger('silent');
const OPTIONS: OutboxSenderOptions = {
  maxAttempts: 3,
  retryBaseMs: 60_000,
  retryMaxMs: 3_600_000,
  leaseMs: 300_000,
  pollMs: 20,
  random: () => 0.5,
};

const messages = (t: TestApp) =>
  t.app.services.db.selectFrom('outbox_messages').selectAll().orderBy('recipient').execute() as Promise<
    OutboxMessage[]
  >;

const senderFor = (t: TestApp, smtp: TestSmtpServer, options: Partial<OutboxSenderOptions> = {}) =>
  new OutboxSender({
    db: t.app.services.db,
    clock: t.clock,
    mailer: smtpMailer(smtp.url, 'Tessera <no-reply@tessera.test>'),
    options: { ...OPTIONS, ...options },
    log: silent,
  });

const OUTBOX_QUERY = `query($state: OutboxState, $first: Int, $after: String) {
  outboxMessages(state: $state, first: $first, after: $after) {
    edges { cursor node { id kind recipient subject state attempts nextAttemptAt lastError createdAt sentAt } }
    pageInfo { hasNextPage endCursor } } }`;

for (const backend of testBackends()) {
  describe(`welcome email outbox (${backend.name})`, () => {
    let smtp: TestSmtpServer;
    let t: TestApp;
    before(async () => {
      smtp = await startSmtpServer();
    });
    after(async () => {
      await smtp.close();
    });
    // A fresh database per test: each one counts the whole outbox.
    const fresh = async () => {
      await t?.close();
      t = await startTestApp(backend);
      smtp.received.length = 0;
      smtp.attempts.length = 0;
      smtp.rejectAll(null);
    };
    after(async () => {
      await t?.close();
    });

    it('delivers the welcome email of each new user over SMTP, once, with its content', async () => {
      await fresh();
      const r = await createUsers(t, {
        emails: ['ann@example.com', 'Bob+x@Example.com'],
        sendWelcomeEmail: true,
      });
      assert.equal(r.payload.status.code, 'OK');
      // An existing user gets no second welcome, even when asked again.
      await createUsers(t, { emails: ['ann@example.com', 'cy@example.com'], sendWelcomeEmail: true });
      await createUsers(t, { emails: ['dee@example.com'] });
      const queued = await messages(t);
      assert.deepEqual(
        queued.map((m) => [m.recipient, m.state]),
        [
          ['Bob+x@Example.com', 'QUEUED'],
          ['ann@example.com', 'QUEUED'],
          ['cy@example.com', 'QUEUED'],
        ],
      );

      const report = await senderFor(t, smtp).runOnce();
      assert.deepEqual(report, { sent: 3, retried: 0, failed: 0 });
      assert.deepEqual(smtp.received.map((m) => m.to).sort(), [
        ['Bob+x@example.com'],
        ['ann@example.com'],
        ['cy@example.com'],
      ]);
      const ann = smtp.received.find((m) => m.to[0] === 'ann@example.com')!;
      assert.equal(ann.from, 'no-reply@tessera.test');
      assert.equal(ann.user, 'tessera', 'authenticated with the credentials of SMTP_URL');
      assert.match(ann.raw, /^Subject: Welcome to Default\r$/m);
      assert.match(ann.raw, /^To: ann@example\.com\r$/m);
      // The body carries a long sign-in link, so it is sent quoted-printable: read it decoded.
      const text = ann.raw
        .replace(/=\r\n/g, '')
        .replace(/=([0-9A-F]{2})/g, (_, h: string) => String.fromCharCode(Number.parseInt(h, 16)));
      assert.match(text, /An account for ann@example\.com was created in the Default workspace\./);
      assert.match(text, /Sign in at http:\/\/tessera\.test\./);
      assert.match(text, /http:\/\/tessera\.test\/sso\/link\?token=tsl_/);
      const sent = await messages(t);
      assert.ok(
        sent.every(
          (m) => m.state === 'SENT' && m.attempts === 1 && m.sent_at !== null && m.last_error === null,
        ),
      );
      assert.deepEqual(
        await senderFor(t, smtp).runOnce(),
        { sent: 0, retried: 0, failed: 0 },
        'nothing twice',
      );
      assert.equal(smtp.received.length, 3);
    });

    it('retries a refused delivery (451, then 550) with growing backoff, then sends it', async () => {
      await fresh();
      await createUsers(t, { emails: ['retry@example.com'], sendWelcomeEmail: true });
      smtp.rejectNext(451, 550);
      const sender = senderFor(t, smtp);

      const t0 = t.clock.now().getTime();
      assert.deepEqual(await sender.runOnce(), { sent: 0, retried: 1, failed: 0 });
      let [m] = await messages(t);
      assert.equal(m!.state, 'QUEUED');
      assert.equal(m!.attempts, 1);
      assert.match(m!.last_error!, /451/);
      const firstWait = m!.next_attempt_at.getTime() - t0;
      assert.equal(firstWait, sender.backoffMs(1));
      assert.ok(firstWait >= OPTIONS.retryBaseMs / 2 && firstWait <= OPTIONS.retryBaseMs);

      // Not due yet: nothing is attempted.
      t.clock.advance(firstWait - 1);
      assert.deepEqual(await sender.runOnce(), { sent: 0, retried: 0, failed: 0 });
      assert.equal(smtp.attempts.length, 1);

      t.clock.advance(1);
      const t1 = t.clock.now().getTime();
      assert.deepEqual(await sender.runOnce(), { sent: 0, retried: 1, failed: 0 });
      [m] = await messages(t);
      assert.equal(m!.attempts, 2);
      assert.match(m!.last_error!, /550/);
      const secondWait = m!.next_attempt_at.getTime() - t1;
      assert.equal(secondWait, 2 * firstWait, 'exponential backoff');

      t.clock.advance(secondWait);
      assert.deepEqual(await sender.runOnce(), { sent: 1, retried: 0, failed: 0 });
      [m] = await messages(t);
      assert.equal(m!.state, 'SENT');
      assert.equal(m!.attempts, 3);
      assert.equal(smtp.received.length, 1);
      assert.deepEqual(smtp.attempts, ['retry@example.com', 'retry@example.com', 'retry@example.com']);
    });

    it('gives up after the maximum attempts: FAILED with the last error, visible in outboxMessages', async () => {
      await fresh();
      await createUsers(t, { emails: ['gone@example.com'], sendWelcomeEmail: true });
      smtp.rejectAll(550);
      const sender = senderFor(t, smtp);
      for (let i = 0; i < OPTIONS.maxAttempts; i++) {
        await sender.runOnce();
        t.clock.advance(OPTIONS.retryMaxMs);
      }
      const [m] = await messages(t);
      assert.equal(m!.state, 'FAILED');
      assert.equal(m!.attempts, OPTIONS.maxAttempts);
      assert.match(m!.last_error!, /550/);
      assert.deepEqual(
        await sender.runOnce(),
        { sent: 0, retried: 0, failed: 0 },
        'a FAILED message is left alone',
      );
      assert.equal(smtp.attempts.length, OPTIONS.maxAttempts);

      const r = await t.gql(OUTBOX_QUERY, { state: 'FAILED' });
      assert.equal(r.body.errors, undefined);
      const node = r.body.data!.outboxMessages.edges[0].node;
      assert.equal(node.recipient, 'gone@example.com');
      assert.equal(node.state, 'FAILED');
      assert.equal(node.attempts, OPTIONS.maxAttempts);
      assert.equal(node.nextAttemptAt, null);
      assert.match(node.lastError, /550/);
    });

    it('retakes a SENDING claim whose sender died once its lease expires; the late sender cannot overwrite it', async () => {
      await fresh();
      await createUsers(t, { emails: ['stuck@example.com'], sendWelcomeEmail: true });
      const now = t.clock.now();
      const dead = await claimDueMessage(
        t.app.services.db,
        now,
        new Date(now.getTime() + OPTIONS.leaseMs),
        OPTIONS.maxAttempts,
      );
      assert.equal(dead!.state, 'SENDING');
      const sender = senderFor(t, smtp);
      assert.deepEqual(await sender.runOnce(), { sent: 0, retried: 0, failed: 0 }, 'the lease still holds');
      t.clock.advance(OPTIONS.leaseMs);
      assert.deepEqual(await sender.runOnce(), { sent: 1, retried: 0, failed: 0 });
      const [m] = await messages(t);
      assert.equal(m!.state, 'SENT');
      assert.equal(m!.attempts, 2);
      assert.equal(
        await finishClaim(t.app.services.db, dead!, { state: 'QUEUED', nextAttemptAt: now, error: 'late' }),
        false,
      );
      assert.equal((await messages(t))[0]!.state, 'SENT');
    });

    it('a claim abandoned on its last attempt becomes FAILED when its lease expires', async () => {
      await fresh();
      await createUsers(t, { emails: ['last@example.com'], sendWelcomeEmail: true });
      await t.app.services.db
        .updateTable('outbox_messages')
        .set({ attempts: OPTIONS.maxAttempts - 1 })
        .execute();
      const now = t.clock.now();
      await claimDueMessage(t.app.services.db, now, new Date(now.getTime() + 1000), OPTIONS.maxAttempts);
      t.clock.advance(1000);
      assert.deepEqual(await senderFor(t, smtp).runOnce(), { sent: 0, retried: 0, failed: 1 });
      const [m] = await messages(t);
      assert.equal(m!.state, 'FAILED');
      assert.ok(m!.last_error);
      assert.equal(smtp.attempts.length, 0);

      // A queued message whose attempts already reach a (lowered) budget fails instead of waiting forever.
      await createUsers(t, { emails: ['over@example.com'], sendWelcomeEmail: true });
      await t.app.services.db
        .updateTable('outbox_messages')
        .set({ attempts: OPTIONS.maxAttempts + 2 })
        .where('recipient', '=', 'over@example.com')
        .execute();
      assert.deepEqual(await senderFor(t, smtp).runOnce(), { sent: 0, retried: 0, failed: 1 });
      assert.equal((await messages(t)).find((x) => x.recipient === 'over@example.com')!.state, 'FAILED');
      assert.equal(smtp.attempts.length, 0);
    });

    it('stop() waits for the delivery in flight and records it', async () => {
      await fresh();
      await createUsers(t, { emails: ['slow@example.com'], sendWelcomeEmail: true });
      smtp.delayMs = 300;
      try {
        const sender = senderFor(t, smtp);
        sender.start();
        while (smtp.attempts.length === 0) await new Promise((r) => setTimeout(r, 5));
        await sender.stop();
        assert.equal(smtp.received.length, 1);
        const [m] = await messages(t);
        assert.equal(m!.state, 'SENT');
      } finally {
        smtp.delayMs = 0;
      }
    });
  });

  describe(`outbox without and with SMTP configured (${backend.name})`, () => {
    it('without SMTP_URL messages stay QUEUED and outboxMessages pages through them (iam:read)', async () => {
      const t = await startTestApp(backend);
      try {
        await createUsers(t, {
          emails: ['a@example.com', 'b@example.com', 'c@example.com'],
          sendWelcomeEmail: true,
        });
        await new Promise((r) => setTimeout(r, 50));
        const page1 = await t.gql(OUTBOX_QUERY, { first: 2 }, await t.key(['iam:read']));
        assert.equal(page1.body.errors, undefined);
        const c1 = page1.body.data!.outboxMessages;
        assert.equal(c1.edges.length, 2);
        assert.equal(c1.pageInfo.hasNextPage, true);
        const page2 = await t.gql(OUTBOX_QUERY, { first: 2, after: c1.pageInfo.endCursor });
        const c2 = page2.body.data!.outboxMessages;
        assert.equal(c2.edges.length, 1);
        assert.equal(c2.pageInfo.hasNextPage, false);
        const all = [...c1.edges, ...c2.edges].map((e: any) => e.node);
        assert.deepEqual(all.map((n: any) => n.recipient).sort(), [
          'a@example.com',
          'b@example.com',
          'c@example.com',
        ]);
        assert.ok(all.every((n: any) => n.state === 'QUEUED' && n.attempts === 0 && n.nextAttemptAt));

        const forbidden = await t.gql(OUTBOX_QUERY, {}, await t.key(['impersonate']));
        assert.equal(forbidden.body.errors?.[0]?.extensions?.code, 'FORBIDDEN');
        const badCursor = await t.gql(OUTBOX_QUERY, { after: 'nope' });
        assert.equal(badCursor.body.errors?.[0]?.extensions?.code, 'BAD_USER_INPUT');
        // Another workspace sees none of them.
        const other = await t.app.services.workspaces.create('Other', {
          requestId: null,
          ip: null,
          actorKeyId: null,
          actorUserId: null,
        });
        const otherPage = await t.gql(OUTBOX_QUERY, {}, await t.key(['iam:read'], other.id));
        assert.deepEqual(otherPage.body.data!.outboxMessages.edges, []);
      } finally {
        await t.close();
      }
    });

    it('with SMTP_URL the app runs the sender loop from start to close', async () => {
      const smtp = await startSmtpServer();
      const t = await startTestApp(backend, { env: { SMTP_URL: smtp.url, TESSERA_OUTBOX_POLL_MS: '20' } });
      try {
        await createUsers(t, { emails: ['loop@example.com'], sendWelcomeEmail: true });
        const deadline = Date.now() + 20_000;
        while (smtp.received.length === 0 && Date.now() < deadline)
          await new Promise((r) => setTimeout(r, 20));
        assert.deepEqual(
          smtp.received.map((m) => m.to),
          [['loop@example.com']],
        );
      } finally {
        await t.close();
        await smtp.close();
      }
    });
  });
}

const pgUrl = process.env.TEST_DATABASE_URL;
describe('outbox on PostgreSQL with two instances', {
  skip: pgUrl ? false : 'TEST_DATABASE_URL not set',
}, () => {
  it('two senders on one database never deliver a message twice', async () => {
    const scratch = await createScratchPostgresDatabase(pgUrl!);
    const smtp = await startSmtpServer();
    const config = {
      ...testConfig(),
      database: { kind: 'postgres', url: scratch.url, poolSize: 5 },
    } as Config;
    const [a, b] = await Promise.all([createApp(config), createApp(config)]);
    try {
      const ws = await a.services.workspaces.ensureDefault();
      const emails = Array.from({ length: 40 }, (_, i) => `twice${i}@example.com`);
      await a.services.users.createUsers(
        ws.id,
        { emails, sendWelcomeEmail: true },
        { requestId: null, ip: null, actorKeyId: null, actorUserId: null },
      );
      smtp.delayMs = 5;
      const sender = (app: typeof a) =>
        new OutboxSender({
          db: app.services.db,
          clock: app.services.clock,
          mailer: smtpMailer(smtp.url, 'x@tessera.test'),
          options: OPTIONS,
          log: silent,
        });
      const [ra, rb] = await Promise.all([sender(a).runOnce(), sender(b).runOnce()]);
      assert.equal(ra.sent + rb.sent, 40);
      const recipients = smtp.received.map((m) => m.to[0]);
      assert.equal(recipients.length, 40);
      assert.equal(new Set(recipients).size, 40, 'each message delivered exactly once');
      const states = await a.services.db
        .selectFrom('outbox_messages')
        .select(['state', 'attempts'])
        .execute();
      assert.ok(states.every((s) => s.state === 'SENT' && s.attempts === 1));
    } finally {
      await a.close();
      await b.close();
      await smtp.close();
      await scratch.drop();
    }
  });
});

// loadConfig must accept the outbox settings from the environment.
describe('outbox configuration', () => {
  it('reads the retry policy from the environment', () => {
    const c = loadConfig({
      TESSERA_OUTBOX_MAX_ATTEMPTS: '5',
      TESSERA_OUTBOX_RETRY_BASE_SECONDS: '2',
      TESSERA_OUTBOX_LEASE_SECONDS: '60',
    });
    assert.equal(c.outbox.maxAttempts, 5);
    assert.equal(c.outbox.retryBaseMs, 2000);
    assert.equal(c.outbox.leaseMs, 60_000);
    assert.equal(
      loadConfig({ SMTP_URL: 'smtps://u:p@mail.example.com:465' }).smtp.url,
      'smtps://u:p@mail.example.com:465',
    );
    assert.throws(() => loadConfig({ SMTP_URL: 'mail.example.com' }), ConfigError);
    assert.throws(() => loadConfig({ TESSERA_OUTBOX_MAX_ATTEMPTS: '0' }), ConfigError);
  });
});
