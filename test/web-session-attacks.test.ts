import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { createUsers, STATUS } from './helpers/api.ts';
import { testBackends } from './helpers/databases.ts';
import { Browser, type SsoStack, startSsoStack } from './helpers/sso-stack.ts';

const ME = '{ currentUser { id email } }';
const LOGOUT = `mutation { logout { status { code } } }`;
const REQUEST_LINK = `mutation($email: String!) { requestSignInLink(email: $email) { ${STATUS} } }`;

for (const backend of testBackends()) {
  describe(`web session cookie under attack (${backend.name})`, () => {
    let s: SsoStack;
    const ids = new Map<string, string>();
    before(async () => {
      s = await startSsoStack(backend, { publicUrl: 'https://tessera.test' });
      const r = await createUsers(s.t, {
        emails: ['alice@acme.test', 'bob@acme.test', 'carol@acme.test', 'dan@acme.test'],
      });
      for (const u of r.payload.results) ids.set(u.email, u.userId);
      for (const name of ['alice', 'bob', 'carol', 'dan'])
        s.idp.accounts.set(name, { email: `${name}@acme.test`, email_verified: true });
    });
    after(async () => {
      await s?.close();
    });

    const signedIn = async (account: string) => {
      const b = new Browser(s);
      const r = await b.signIn(s.loginPath, account);
      assert.equal(r.status, 303, await r.clone().text());
      return { b, response: r };
    };
    const alive = async (b: Browser) => (await b.gql(ME)).body.data?.currentUser?.email ?? null;

    it('the cookies are __Host-, Secure, HttpOnly, SameSite=Lax, Path=/', async () => {
      const b = new Browser(s);
      const start = await b.request(s.loginPath);
      const pending = start.headers.getSetCookie();
      assert.equal(pending.length, 1);
      const { response } = await signedIn('alice');
      const session = response.headers.getSetCookie().find((c) => c.startsWith('__Host-tessera_session='));
      for (const cookie of [pending[0]!, session!]) {
        assert.ok(cookie, 'no session cookie');
        const attrs = cookie.split(';').map((a) => a.trim().toLowerCase());
        assert.ok(attrs[0]!.startsWith('__host-'), cookie);
        for (const flag of ['secure', 'httponly', 'samesite=lax', 'path=/'])
          assert.ok(attrs.includes(flag), cookie);
        assert.ok(!attrs.some((a) => a.startsWith('domain=')), cookie);
      }
      // Only a hash of the token is stored.
      const token = session!.split(';')[0]!.split('=')[1]!;
      const rows = await s.t.app.services.db.selectFrom('web_sessions').select('token_hash').execute();
      const digest = createHash('sha256').update(token).digest();
      assert.ok(rows.some((r) => Buffer.from(r.token_hash).equals(digest)));
      assert.ok(rows.every((r) => !Buffer.from(r.token_hash).toString('latin1').includes(token)));
    });

    it('a cookie planted before sign-in is worthless after it (fixation)', async () => {
      const { b: attacker } = await signedIn('carol');
      const planted = attacker.cookie('__Host-tessera_session')!;
      const victim = new Browser(s);
      victim.setCookie('__Host-tessera_session', planted);
      assert.equal((await victim.signIn(s.loginPath, 'alice')).status, 303);
      assert.notEqual(victim.cookie('__Host-tessera_session'), planted);
      assert.equal(await alive(victim), 'alice@acme.test');
      // The planted session is ended, and it never was Alice's.
      assert.equal(await alive(attacker), null);
    });

    it('logout ends the session on the server; /sso/logout only from our origin', async () => {
      const { b } = await signedIn('alice');
      const token = b.cookie('__Host-tessera_session')!;
      const r = await b.gql(LOGOUT);
      assert.equal(r.body.data?.logout.status.code, 'OK');
      const replay = new Browser(s);
      replay.setCookie('__Host-tessera_session', token);
      assert.equal((await replay.gql(ME)).status, 401);
      const { b: b2 } = await signedIn('alice');
      for (const headers of [{}, { origin: 'https://evil.test' }, { origin: 'null' }] as Record<
        string,
        string
      >[]) {
        const cross = await b2.request('/sso/logout', { method: 'POST', headers });
        assert.equal(cross.status, 403, JSON.stringify(headers));
      }
      assert.equal(await alive(b2), 'alice@acme.test');
      const same = await b2.request('/sso/logout', { method: 'POST', headers: { origin: b2.origin } });
      assert.equal(same.status, 200);
      const token2 = b2.jar.get('tessera.test')?.get('__Host-tessera_session');
      assert.equal(token2, undefined, 'the cookie is cleared');
    });

    it('suspension and deletion end the session for good', async () => {
      const { b } = await signedIn('dan');
      const setStatus = (status: string) =>
        s.t.gql(`mutation($input: SetUserStatusInput!) { setUserStatus(input: $input) { ${STATUS} } }`, {
          input: { userId: ids.get('dan@acme.test'), status },
        });
      assert.equal((await setStatus('SUSPENDED')).body.data?.setUserStatus.status.code, 'OK');
      assert.equal((await b.gql(ME)).status, 401);
      await setStatus('ACTIVE');
      assert.equal((await b.gql(ME)).status, 401, 'not revived');
      const { b: again } = await signedIn('dan');
      assert.equal(await alive(again), 'dan@acme.test');
      const del = await s.t.gql(
        `mutation($input: DeleteUsersFromWorkspaceInput!) { deleteUsersFromWorkspace(input: $input) { ${STATUS} } }`,
        { input: { userIds: [ids.get('dan@acme.test')] } },
      );
      assert.equal(del.body.data?.deleteUsersFromWorkspace.status.code, 'OK');
      assert.equal((await again.gql(ME)).status, 401);
    });

    it("revokeSessions ends the workspace's web sessions too", async () => {
      const { b } = await signedIn('carol');
      assert.equal(await alive(b), 'carol@acme.test');
      const r = await s.t.gql('mutation { revokeSessions { status { code } revokedAt } }');
      assert.equal(r.body.data?.revokeSessions.status.code, 'OK');
      assert.equal((await b.gql(ME)).status, 401);
      // A sign-in after the revocation works.
      s.t.clock.advance(1000);
      const { b: later } = await signedIn('carol');
      assert.equal(await alive(later), 'carol@acme.test');
    });

    it('a cross-site request cannot act or read with the cookie', async () => {
      const { b } = await signedIn('carol');
      const attempts: { headers: Record<string, string>; body: string }[] = [
        {
          headers: { 'content-type': 'text/plain', origin: 'https://evil.test' },
          body: JSON.stringify({ query: LOGOUT }),
        },
        { headers: { 'content-type': 'text/plain' }, body: JSON.stringify({ query: LOGOUT }) },
        {
          headers: { 'content-type': 'application/x-www-form-urlencoded', origin: 'https://evil.test' },
          body: `query=${encodeURIComponent(LOGOUT)}`,
        },
        {
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body: `query=${encodeURIComponent(LOGOUT)}`,
        },
        {
          headers: { 'content-type': 'multipart/form-data; boundary=x', origin: 'https://evil.test' },
          body: `--x\r\nContent-Disposition: form-data; name="query"\r\n\r\n${LOGOUT}\r\n--x--\r\n`,
        },
        { headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: LOGOUT }) },
        {
          headers: { 'content-type': 'application/json', origin: 'https://evil.test' },
          body: JSON.stringify({ query: LOGOUT }),
        },
        {
          headers: { 'content-type': 'application/json', origin: 'http://tessera.test' },
          body: JSON.stringify({ query: LOGOUT }),
        },
        {
          headers: { 'content-type': 'application/json', origin: 'https://tessera.test.evil.test' },
          body: JSON.stringify({ query: LOGOUT }),
        },
        {
          headers: { 'content-type': 'application/json', origin: 'null' },
          body: JSON.stringify({ query: LOGOUT }),
        },
        {
          headers: {
            'content-type': 'application/json',
            origin: 'https://tessera.test',
            'sec-fetch-site': 'cross-site',
          },
          body: JSON.stringify({ query: LOGOUT }),
        },
        {
          headers: {
            'content-type': 'application/json',
            origin: 'https://tessera.test',
            'sec-fetch-site': 'same-site',
          },
          body: JSON.stringify({ query: LOGOUT }),
        },
      ];
      for (const a of attempts) {
        const r = await b.request('/graphql', { method: 'POST', headers: a.headers, body: a.body });
        const text = await r.text();
        assert.ok(r.status < 500, `${JSON.stringify(a.headers)}: ${r.status} ${text}`);
        assert.ok(!/"code":"OK"/.test(text), `${JSON.stringify(a.headers)} acted: ${text}`);
        assert.equal(await alive(b), 'carol@acme.test', JSON.stringify(a.headers));
      }
      // Reads: a GET (top-level navigation sends the Lax cookie, never an Origin) sees nobody.
      const get = await b.request(`/graphql?query=${encodeURIComponent(ME)}`, {
        headers: { accept: 'application/json' },
      });
      const text = await get.text();
      assert.ok(!text.includes('carol@acme.test'), text);
    });

    it("the cookie grants only the signed-in user's own operations", async () => {
      const { b } = await signedIn('alice');
      const other = ids.get('bob@acme.test')!;
      for (const [query, variables] of [
        ['{ users { nodes { id } } }', {}],
        [
          `mutation { createAccessKey(input: { name: "x", permissions: ["iam:write"] }) { ${STATUS} token } }`,
          {},
        ],
        [
          `mutation($input: CreateUsersInput!) { createUsers(input: $input) { ${STATUS} } }`,
          { input: { emails: ['x@acme.test'] } },
        ],
        [
          `mutation($input: SetUserStatusInput!) { setUserStatus(input: $input) { ${STATUS} } }`,
          { input: { userId: other, status: 'SUSPENDED' } },
        ],
        ['query($u: ID!) { effectiveAttributes(userId: $u) { key } }', { u: other }],
        [
          `mutation($input: SsoSettingsInput!) { setSsoSettings(input: $input) { ${STATUS} } }`,
          { input: { jitEnabled: true } },
        ],
        ['{ ssoIssuers { id } }', {}],
      ] as const) {
        const r = await b.gql(query, variables as Record<string, unknown>);
        const text = JSON.stringify(r.body);
        assert.ok(r.status < 500, text);
        assert.ok(/FORBIDDEN|UNAUTHENTICATED|Cannot query field/.test(text), `${query}: ${text}`);
        assert.ok(!/"code":"OK"/.test(text), `${query}: ${text}`);
      }
      const bob = await s.t.gql(`query($id: ID!) { user(id: $id) { status } }`, { id: other });
      assert.notEqual(bob.body.data?.user?.status, 'SUSPENDED');
    });

    // Last: moving Tessera's clock by days makes the provider's fresh ID tokens look expired.
    it('idle and absolute timeouts end a session', async () => {
      const { b: idle } = await signedIn('bob');
      const { b: busy } = await signedIn('alice');
      const hour = 3600_000;
      s.t.clock.advance(11 * hour);
      assert.equal(await alive(idle), 'bob@acme.test');
      assert.equal(await alive(busy), 'alice@acme.test');
      s.t.clock.advance(11 * hour);
      assert.equal(await alive(idle), 'bob@acme.test', 'use moves the idle deadline');
      assert.equal(await alive(busy), 'alice@acme.test');
      s.t.clock.advance(10 * hour);
      assert.equal(await alive(busy), 'alice@acme.test');
      s.t.clock.advance(2 * hour + 1000);
      assert.equal((await idle.gql(ME)).status, 401, 'idle past 12 h');
      assert.equal(await alive(busy), 'alice@acme.test');
      // Used every 10 hours until just before the 7 days are up.
      for (let elapsed = 34; elapsed + 10 < 7 * 24; elapsed += 10) {
        s.t.clock.advance(10 * hour);
        assert.equal(await alive(busy), 'alice@acme.test', `after ${elapsed + 10} h`);
      }
      s.t.clock.advance(11 * hour);
      assert.equal((await busy.gql(ME)).status, 401, 'past 7 days however busy');
    });
  });

  describe(`email sign-in links under attack (${backend.name})`, () => {
    let s: SsoStack;
    before(async () => {
      s = await startSsoStack(backend);
      await createUsers(s.t, { emails: ['lena@acme.test', 'omar@acme.test', 'pia@acme.test'] });
    });
    after(async () => {
      await s?.close();
    });

    /** The last link mailed to `email`, read from the outbox. */
    const lastLink = async (email: string) => {
      const rows = await s.t.app.services.db
        .selectFrom('outbox_messages')
        .select(['body', 'created_at'])
        .where('recipient', '=', email)
        .orderBy('created_at', 'desc')
        .execute();
      const link = /http:\/\/tessera\.test\/sso\/link\?token=([A-Za-z0-9_-]+)/.exec(rows[0]?.body ?? '');
      assert.ok(link, `no link to ${email}`);
      return link[1]!;
    };
    const use = (b: Browser, token: string, origin: string | null = b.origin) =>
      b.request('/sso/link', {
        method: 'POST',
        body: new URLSearchParams({ token }).toString(),
        headers: { 'content-type': 'application/x-www-form-urlencoded', ...(origin ? { origin } : {}) },
      });

    it('two requests racing the same link: exactly one session', async () => {
      const ask = await s.t.gql(REQUEST_LINK, { email: 'lena@acme.test' }, null);
      assert.equal(ask.body.data?.requestSignInLink.status.code, 'OK');
      const token = await lastLink('lena@acme.test');
      // Opening the page (a mail scanner) does not use it.
      assert.equal((await new Browser(s).request(`/sso/link?token=${token}`)).status, 200);
      const sessionsBefore = await s.t.app.services.db.selectFrom('web_sessions').select('id').execute();
      const racers = Array.from({ length: 6 }, () => new Browser(s));
      const results = await Promise.all(racers.map((b) => use(b, token)));
      const statuses = results.map((r) => r.status).sort();
      assert.deepEqual(statuses, [303, 400, 400, 400, 400, 400]);
      for (const r of results.filter((r) => r.status === 400))
        assert.equal(((await r.json()) as any).errors[0].extensions.code, 'SIGN_IN_LINK_INVALID');
      const sessionsAfter = await s.t.app.services.db.selectFrom('web_sessions').select('id').execute();
      assert.equal(sessionsAfter.length, sessionsBefore.length + 1);
      // Stored as a hash only.
      const stored = await s.t.app.services.db.selectFrom('sign_in_links').select('token_hash').execute();
      assert.ok(
        stored.some((r) => Buffer.from(r.token_hash).equals(createHash('sha256').update(token).digest())),
      );
      assert.ok(token.length >= 4 + 43, 'at least 256 bits');
    });

    it('cross-site or Origin-less use is refused and does not use the link up; expiry ends it', async () => {
      await s.t.gql(REQUEST_LINK, { email: 'omar@acme.test' }, null);
      const token = await lastLink('omar@acme.test');
      const b = new Browser(s);
      assert.equal((await use(b, token, 'http://evil.test')).status, 403);
      assert.equal((await use(b, token, null)).status, 403);
      s.t.clock.advance(14 * 60_000);
      assert.equal((await use(b, token)).status, 303);
      await s.t.gql(REQUEST_LINK, { email: 'omar@acme.test' }, null);
      const late = await lastLink('omar@acme.test');
      s.t.clock.advance(15 * 60_000 + 1000);
      const r = await use(new Browser(s), late);
      assert.equal(r.status, 400);
      for (const junk of [
        '',
        'tsl_',
        `tsl_${'A'.repeat(43)}`,
        'x'.repeat(5000),
        `tsl_${'A'.repeat(42)}%00`,
      ]) {
        const j = await use(new Browser(s), junk);
        assert.equal(j.status, 400, junk.slice(0, 20));
      }
    });

    it('the per-client limit holds a client to its IPv6 /64, however it rotates addresses', async () => {
      // Loopback has one IPv6 address, so the addresses are given to the pipeline as a socket would.
      s.t.clock.advance(60 * 60_000);
      const ask = async (ip: string, i: number) => {
        const response = await s.t.app.fetch(
          new Request('http://tessera.test/graphql', {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ query: REQUEST_LINK, variables: { email: `spam${i}@victims.test` } }),
          }),
          { ip },
        );
        return JSON.stringify(await response.json());
      };
      const answers: string[] = [];
      for (let i = 1; i <= 21; i++) answers.push(await ask(`2001:db8:0:1::${i.toString(16)}`, i));
      assert.ok(answers.slice(0, 20).every((a) => !a.includes('RATE_LIMITED')));
      assert.match(answers[20]!, /RATE_LIMITED/);
      // An IPv4 client seen as IPv4-mapped IPv6 is the same client.
      for (let i = 1; i <= 20; i++) await ask(i % 2 ? '192.0.2.7' : '::ffff:192.0.2.7', 100 + i);
      assert.match(await ask('::ffff:192.0.2.7', 200), /RATE_LIMITED/);
    });

    it('unknown addresses get the same answer, and the same rate limit', async () => {
      s.t.clock.advance(60 * 60_000);
      const known: unknown[] = [];
      const unknown: unknown[] = [];
      for (let i = 0; i < 4; i++) {
        known.push((await s.t.gql(REQUEST_LINK, { email: 'pia@acme.test' }, null)).body);
        unknown.push((await s.t.gql(REQUEST_LINK, { email: 'nobody@acme.test' }, null)).body);
      }
      assert.deepEqual(known, unknown);
      assert.equal(
        (known[3] as any).errors?.[0]?.extensions?.code ??
          (known[3] as any).data?.requestSignInLink.status.errorCode,
        'RATE_LIMITED',
      );
      // Case and spaces do not make a fresh bucket.
      const variant = await s.t.gql(REQUEST_LINK, { email: ' PIA@acme.test ' }, null);
      assert.match(JSON.stringify(variant.body), /RATE_LIMITED/);
      for (const email of ['x'.repeat(100_000), 'a\u0000@acme.test', '']) {
        const r = await s.t.gql(REQUEST_LINK, { email }, null);
        assert.ok(r.status < 500, JSON.stringify(r.body).slice(0, 300));
      }
    });
  });
}
