import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createUsers, STATUS } from '../../../test/helpers/api.ts';
import { startTestApp, type TestApp } from '../../../test/helpers/app.ts';
import { testBackends } from '../../../test/helpers/databases.ts';
import { startSmtpServer, type TestSmtpServer } from '../../../test/helpers/smtp.ts';
import { FlowClient } from '../../../test/helpers/sso.ts';
import { createLogger } from '../../logger.ts';
import { OutboxSender } from '../outbox/sender.ts';
import { smtpMailer } from '../outbox/smtp-mailer.ts';

const REQUEST = `mutation($email: String!) { requestSignInLink(email: $email) { ${STATUS} } }`;
const ME = '{ currentUser { id email } }';

/** The text of a received message's body, quoted-printable decoded. */
function bodyOf(raw: string): string {
  const [head, ...rest] = raw.split('\r\n\r\n');
  const body = rest.join('\r\n\r\n');
  if (!/content-transfer-encoding:\s*quoted-printable/i.test(head!)) return body;
  return body
    .replace(/=\r\n/g, '')
    .replace(/=([0-9A-F]{2})/g, (_, h: string) => String.fromCharCode(Number.parseInt(h, 16)));
}

const linkIn = (raw: string) =>
  /http:\/\/tessera\.test\/sso\/link\?token=[A-Za-z0-9_-]+/.exec(bodyOf(raw))?.[0];

for (const backend of testBackends()) {
  describe(`email sign-in links through a real SMTP server (${backend.name})`, () => {
    let t: TestApp;
    let smtp: TestSmtpServer;
    let sender: OutboxSender;
    before(async () => {
      smtp = await startSmtpServer();
      t = await startTestApp(backend);
      sender = new OutboxSender({
        db: t.app.services.db,
        clock: t.clock,
        mailer: smtpMailer(smtp.url, 'Tessera <no-reply@tessera.test>'),
        options: {
          maxAttempts: 3,
          retryBaseMs: 60_000,
          retryMaxMs: 3_600_000,
          leaseMs: 300_000,
          pollMs: 20,
          random: () => 0.5,
        },
        log: createLogger('silent'),
      });
    });
    after(async () => {
      await t?.close();
      await smtp?.close();
    });

    /** Delivers what the outbox holds and returns the link mailed to `email`. */
    const mailedLink = async (email: string) => {
      smtp.received.length = 0;
      await sender.runOnce();
      const mail = smtp.received.find((m) => m.to.includes(email));
      assert.ok(mail, `no mail to ${email}`);
      const link = linkIn(mail.raw);
      assert.ok(link, bodyOf(mail.raw));
      return link;
    };

    const follow = async (browser: FlowClient, link: string, origin = 'http://tessera.test') => {
      const page = await browser.request(link);
      assert.equal(page.status, 200);
      const html = await page.text();
      const token = /name="token" value="([^"]+)"/.exec(html)![1]!;
      return browser.request('http://tessera.test/sso/link', {
        method: 'POST',
        body: new URLSearchParams({ token }).toString(),
        headers: { 'content-type': 'application/x-www-form-urlencoded', origin },
      });
    };

    it('the welcome email carries a one-time link that starts a web session', async () => {
      const r = await createUsers(t, { emails: ['lena@acme.test'], sendWelcomeEmail: true });
      const userId = r.payload.results[0]!.userId;
      const link = await mailedLink('lena@acme.test');
      // 256 bits, stored only as a hash.
      const token = new URL(link).searchParams.get('token')!;
      assert.ok(token.length >= 4 + 43);
      const stored = await t.app.services.db.selectFrom('sign_in_links').select('token_hash').execute();
      assert.ok(stored.every((s) => !Buffer.from(s.token_hash).toString('utf8').includes(token)));

      const browser = new FlowClient(t);
      // A cross-site form cannot use it (and does not use it up).
      assert.equal((await follow(browser, link, 'http://evil.test')).status, 403);
      const done = await follow(browser, link);
      assert.equal(done.status, 303);
      assert.equal(done.headers.get('location'), '/');
      const me = await browser.gql(ME);
      assert.equal(me.body.data.currentUser.id, userId);

      const again = await follow(new FlowClient(t), link);
      assert.equal(again.status, 400);
      assert.equal(((await again.json()) as any).errors[0].extensions.code, 'SIGN_IN_LINK_INVALID');
    });

    it('requestSignInLink answers the same for unknown addresses, mails only known ones, links expire', async () => {
      await createUsers(t, { emails: ['mo@acme.test'] });
      const known = await t.gql(REQUEST, { email: 'Mo@acme.test' }, null);
      const unknown = await t.gql(REQUEST, { email: 'nobody@acme.test' }, null);
      assert.deepEqual(known.body, unknown.body);
      assert.equal(known.body.data!.requestSignInLink.status.code, 'OK');
      smtp.received.length = 0;
      await sender.runOnce();
      assert.deepEqual(
        smtp.received.map((m) => m.to),
        [['mo@acme.test']],
      );
      const link = linkIn(smtp.received[0]!.raw)!;
      const browser = new FlowClient(t);
      assert.equal((await follow(browser, link)).status, 303);
      assert.equal((await browser.gql(ME)).body.data.currentUser.email, 'mo@acme.test');

      await t.gql(REQUEST, { email: 'mo@acme.test' }, null);
      const late = await mailedLink('mo@acme.test');
      t.clock.advance(16 * 60_000);
      const expired = await follow(new FlowClient(t), late);
      assert.equal(expired.status, 400);
      assert.equal(((await expired.json()) as any).errors[0].extensions.code, 'SIGN_IN_LINK_INVALID');
    });

    it('is rate limited per address, whether or not the address exists', async () => {
      await createUsers(t, { emails: ['nia@acme.test'] });
      for (const email of ['nia@acme.test', 'ghost@acme.test']) {
        const codes: string[] = [];
        for (let i = 0; i < 4; i++) {
          const r = await t.gql(REQUEST, { email }, null);
          codes.push(r.body.data?.requestSignInLink?.status.code ?? r.body.errors?.[0]?.extensions?.code);
        }
        assert.deepEqual(codes, ['OK', 'OK', 'OK', 'RATE_LIMITED'], email);
      }
    });
  });
}
