import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, beforeEach, describe, it } from 'node:test';
import { sql } from 'kysely';
import { startTestProvider } from '../examples/sso/test-provider.ts';
import { createUsers } from './helpers/api.ts';
import { testBackends } from './helpers/databases.ts';
import {
  Browser,
  configureIssuer,
  errorOf,
  SCOPES,
  type SsoStack,
  setSsoSettings,
  startHttp,
  startSsoStack,
} from './helpers/sso-stack.ts';

const ME = '{ currentUser { id email } }';

/** What a refused sign-in must leave exactly as it was. */
async function written(s: SsoStack) {
  const db = s.t.app.services.db;
  const rows = await sql<Record<string, string>>`
    select
      (select count(*) from users)::text as users,
      (select count(*) from sso_identities)::text as identities,
      (select count(*) from web_sessions)::text as sessions,
      (select coalesce(string_agg(user_id || ':' || key || '=' || value || ':' || source, ',' order by user_id, key, source), '') from user_attributes) as attributes,
      (select count(*) from user_role_assignments)::text as roles
  `.execute(db);
  return rows.rows[0]!;
}

for (const backend of testBackends()) {
  describe(`SSO sign-in under attack (${backend.name})`, () => {
    let s: SsoStack;
    before(async () => {
      s = await startSsoStack(backend, {
        mappings: [
          { claim: 'org.account_id', attribute: 'account_id' },
          { claim: 'org.blob', attribute: 'blob' },
        ],
      });
      await createUsers(s.t, { emails: ['alice@acme.test', 'carol@acme.test'] });
    });
    after(async () => {
      await s?.close();
    });
    beforeEach(() => {
      s.idp.accounts.set('alice', {
        email: 'alice@acme.test',
        email_verified: true,
        org: { account_id: 'acme' },
      });
    });

    it("a callback without the state cookie, or with another browser's, is refused and writes nothing", async () => {
      const attacker = new Browser(s);
      const url = await attacker.toCallback(s.loginPath, 'alice');
      const before = await written(s);
      // Login CSRF: the attacker's own callback URL, opened by the victim's browser.
      const victim = new Browser(s);
      const r = await errorOf(await victim.request(url));
      assert.deepEqual([r.status, r.code, r.reason], [400, 'SSO_STATE_INVALID', 'browser']);
      // The victim's browser with a sign-in of its own pending still cannot use it.
      const other = new Browser(s);
      await other.request(s.loginPath);
      const r2 = await errorOf(await other.request(url));
      assert.equal(r2.code, 'SSO_STATE_INVALID');
      // No state at all, an empty one, a huge one.
      const code = new URL(url).searchParams.get('code')!;
      for (const q of [`code=${code}`, `code=${code}&state=`, `code=${code}&state=${'x'.repeat(5000)}`, '']) {
        const r3 = await errorOf(await attacker.request(`${s.callbackPath}?${q}`));
        assert.deepEqual([r3.status, r3.code], [400, 'SSO_STATE_INVALID'], q.slice(0, 40));
      }
      assert.deepEqual(await written(s), before);
    });

    it('a state works once, and a code cannot be replayed with a fresh state', async () => {
      const b = new Browser(s);
      const url = await b.toCallback(s.loginPath, 'alice');
      const ok = await b.request(url);
      assert.equal(ok.status, 303, await ok.clone().text());
      const before = await written(s);
      const again = await errorOf(await b.request(url));
      assert.deepEqual([again.code, again.reason], ['SSO_STATE_INVALID', 'unknown']);
      // The used code, spliced into a new sign-in of the same browser.
      const fresh = await b.request(s.loginPath);
      const state = new URL(fresh.headers.get('location')!).searchParams.get('state')!;
      const code = new URL(url).searchParams.get('code')!;
      const replay = await errorOf(
        await b.request(
          `${s.callbackPath}?code=${code}&state=${state}&iss=${encodeURIComponent(s.idp.issuer)}`,
        ),
      );
      assert.equal(replay.code, 'SSO_CODE_REJECTED');
      assert.deepEqual(await written(s), before);
    });

    it('a code obtained in one sign-in cannot finish another (PKCE and nonce bind it)', async () => {
      const victim = new Browser(s);
      const victimUrl = await victim.toCallback(s.loginPath, 'alice');
      const attacker = new Browser(s);
      const start = await attacker.request(s.loginPath);
      const state = new URL(start.headers.get('location')!).searchParams.get('state')!;
      const stolen = new URL(victimUrl);
      stolen.searchParams.set('state', state);
      const before = await written(s);
      const r = await errorOf(await attacker.request(stolen.pathname + stolen.search));
      assert.equal(r.code, 'SSO_CODE_REJECTED');
      assert.deepEqual(await written(s), before);
    });

    it('return_to is only ever a path of Tessera', async () => {
      const evil = [
        'https://evil.test/',
        '//evil.test',
        '/\\evil.test',
        '\\\\evil.test',
        '/%2F%2Fevil.test',
        '%2F%2Fevil.test',
        'javascript:alert(1)',
        '/\t/evil.test',
        ' //evil.test',
        '/\r\nSet-Cookie: x=y',
        'http:evil.test',
        '/%5Cevil.test',
        '///evil.test',
        '/.//evil.test',
      ];
      for (const target of evil) {
        const b = new Browser(s);
        const url = await b.toCallback(`${s.loginPath}&return_to=${encodeURIComponent(target)}`, 'alice');
        const done = await b.request(url);
        assert.equal(done.status, 303, target);
        const location = done.headers.get('location')!;
        const resolved = new URL(location, 'https://tessera.test');
        assert.equal(resolved.host, 'tessera.test', `${JSON.stringify(target)} → ${location}`);
        assert.ok(
          location.startsWith('/') && !location.startsWith('//') && !location.includes('\\'),
          location,
        );
      }
      const b = new Browser(s);
      const url = await b.toCallback(
        `${s.loginPath}&return_to=${encodeURIComponent('/dash?x=1#y')}`,
        'alice',
      );
      assert.equal((await b.request(url)).headers.get('location'), '/dash?x=1#y');
    });

    it('an unverified or missing email_verified never links to an existing user', async () => {
      for (const [sub, claims] of [
        ['mallory1', { email: 'carol@acme.test' }],
        ['mallory2', { email: 'carol@acme.test', email_verified: false }],
        ['mallory3', { email: 'carol@acme.test', email_verified: 'false' }],
        ['mallory4', { email: 'carol@acme.test', email_verified: 1 }],
        ['mallory5', { email: ['carol@acme.test'], email_verified: true }],
        ['mallory6', { email: 'CAROL@acme.test ', email_verified: 'yes' }],
      ] as const) {
        s.idp.accounts.set(sub, claims as Record<string, unknown>);
        const before = await written(s);
        const r = await errorOf(await new Browser(s).signIn(s.loginPath, sub));
        assert.equal(r.code, 'SSO_EMAIL_NOT_VERIFIED', sub);
        assert.deepEqual(await written(s), before, sub);
      }
    });

    it('an email the provider reassigns to another sub does not take over the account', async () => {
      s.idp.accounts.set('carol-1', { email: 'carol@acme.test', email_verified: true });
      assert.equal((await new Browser(s).signIn(s.loginPath, 'carol-1')).status, 303);
      s.idp.accounts.set('carol-1', { email: 'carol.old@acme.test', email_verified: true });
      s.idp.accounts.set('carol-2', { email: 'Carol@ACME.test', email_verified: true });
      const before = await written(s);
      const r = await errorOf(await new Browser(s).signIn(s.loginPath, 'carol-2'));
      assert.deepEqual([r.status, r.code], [409, 'SSO_IDENTITY_CONFLICT']);
      assert.deepEqual(await written(s), before);
      // The first sub is still Carol, with its new email.
      const b = new Browser(s);
      assert.equal((await b.signIn(s.loginPath, 'carol-1')).status, 303);
      assert.equal((await b.gql(ME)).body.data.currentUser.email, 'carol@acme.test');
    });

    it('JIT off: an unknown verified email is refused and creates nothing', async () => {
      s.idp.accounts.set('dave', { email: 'dave@acme.test', email_verified: true });
      const before = await written(s);
      const r = await errorOf(await new Browser(s).signIn(s.loginPath, 'dave'));
      assert.deepEqual([r.status, r.code], [403, 'SSO_USER_NOT_PROVISIONED']);
      assert.deepEqual(await written(s), before);
    });

    it('JIT on: an email Tessera would not accept is a clear sign-in error, nothing created', async () => {
      await setSsoSettings(s.t, { jitEnabled: true });
      try {
        for (const [sub, email] of [
          ['weird1', 'not-an-email'],
          ['weird2', `${'a'.repeat(400)}@acme.test`],
          ['weird3', 'eve\u0000@acme.test'],
        ] as const) {
          s.idp.accounts.set(sub, { email, email_verified: true });
          const before = await written(s);
          const r = await errorOf(await new Browser(s).signIn(s.loginPath, sub));
          assert.deepEqual([r.status, r.code], [400, 'SSO_CLAIMS_INVALID'], `${sub}: ${JSON.stringify(r)}`);
          assert.deepEqual(await written(s), before, sub);
        }
      } finally {
        await setSsoSettings(s.t, { jitEnabled: false });
      }
    });

    it('a sub beyond what OIDC allows is refused with a clear error, nothing written', async () => {
      await createUsers(s.t, { emails: ['erin@acme.test'] });
      const sub = randomBytes(3000).toString('base64url');
      for (const odd of [sub, 'nul\u0000sub']) {
        s.idp.accounts.set(odd, { email: 'erin@acme.test', email_verified: true });
        const before = await written(s);
        const r = await errorOf(await new Browser(s).signIn(s.loginPath, odd));
        assert.deepEqual([r.status, r.code, r.reason], [400, 'SSO_ID_TOKEN_INVALID', 'sub']);
        assert.deepEqual(await written(s), before);
      }
    });

    it('mapped claims that are huge, nested or hold NUL fail the sign-in with nothing half-written', async () => {
      const b = new Browser(s);
      assert.equal((await b.signIn(s.loginPath, 'alice')).status, 303);
      for (const blob of [
        'x'.repeat(5000),
        { deep: { deeper: [1, 2, { x: 'y'.repeat(5000) }] } },
        'nul\u0000here',
      ]) {
        s.idp.accounts.set('alice', {
          email: 'alice@acme.test',
          email_verified: true,
          org: { account_id: 'changed', blob },
        });
        const before = await written(s);
        const r = await errorOf(await new Browser(s).signIn(s.loginPath, 'alice'));
        assert.deepEqual([r.status, r.code], [400, 'SSO_CLAIMS_INVALID'], JSON.stringify(r));
        assert.deepEqual(await written(s), before);
      }
      // Non-string values that fit are stored as text.
      s.idp.accounts.set('alice', {
        email: 'alice@acme.test',
        email_verified: true,
        org: { account_id: 42, blob: { a: [true, null] } },
      });
      assert.equal((await new Browser(s).signIn(s.loginPath, 'alice')).status, 303);
    });

    it('a flood of role strings is a clear error, not a 500', async () => {
      const roles = Array.from({ length: 70_000 }, (_, i) => `wisdom.explorer.domain.d${i}`);
      s.idp.accounts.set('alice', { email: 'alice@acme.test', email_verified: true, roles });
      const before = await written(s);
      const r = await errorOf(await new Browser(s).signIn(s.loginPath, 'alice'));
      assert.deepEqual([r.status, r.code], [400, 'SSO_CLAIMS_INVALID'], JSON.stringify(r));
      assert.deepEqual(await written(s), before);
    });

    it('role strings with NUL are ignored, never sent to the database', async () => {
      s.idp.accounts.set('alice', {
        email: 'alice@acme.test',
        email_verified: true,
        roles: ['wisdom.explorer.domain.a\u0000b', 'wisdom.explorer.domain.default'],
      });
      assert.equal((await new Browser(s).signIn(s.loginPath, 'alice')).status, 303);
    });

    it('the same sub at two issuers is two people', async () => {
      const second = await configureIssuer(s.t, {
        name: 'partner',
        discoveryUrl: 'http://127.0.0.1:9/',
        clientId: 'partner-client',
        clientSecret: 'partner-secret-of-enough-length-0123',
        scopes: SCOPES,
      });
      const idp2 = await startTestProvider([
        {
          clientId: 'partner-client',
          clientSecret: 'partner-secret-of-enough-length-0123',
          redirectUri: second.redirectUri,
        },
      ]);
      try {
        await configureIssuer(s.t, { id: second.id, discoveryUrl: idp2.issuer });
        await createUsers(s.t, { emails: ['gwen@acme.test', 'hal@acme.test'] });
        s.idp.accounts.set('shared-sub', { email: 'gwen@acme.test', email_verified: true });
        idp2.accounts.set('shared-sub', { email: 'hal@acme.test', email_verified: true });
        const g = new Browser(s);
        assert.equal((await g.signIn(s.loginPath, 'shared-sub')).status, 303);
        const h = new Browser(s);
        const partnerLogin = new URL(second.loginUrl);
        assert.equal((await h.signIn(partnerLogin.pathname + partnerLogin.search, 'shared-sub')).status, 303);
        assert.equal((await g.gql(ME)).body.data.currentUser.email, 'gwen@acme.test');
        assert.equal((await h.gql(ME)).body.data.currentUser.email, 'hal@acme.test');
        // A sign-in of one issuer brought back at the other's redirect URI is refused.
        const crossed = new URL(await new Browser(s).toCallback(s.loginPath, 'shared-sub'));
        const b = new Browser(s);
        const r = await errorOf(await b.request(`${new URL(second.redirectUri).pathname}${crossed.search}`));
        assert.equal(r.code, 'SSO_STATE_INVALID');
      } finally {
        await idp2.close();
        await s.t.gql(
          'mutation($input: DeleteSsoIssuerInput!) { deleteSsoIssuer(input: $input) { status { code } } }',
          {
            input: { id: second.id },
          },
        );
      }
    });

    it('JIT into a default group deleted since is a clear error, nothing created', async () => {
      const g = await s.t.gql(
        'mutation { createUserGroup(input: { name: "newcomers" }) { status { code } userGroup { id } } }',
      );
      const groupId = g.body.data!.createUserGroup.userGroup.id;
      await setSsoSettings(s.t, { jitEnabled: true, defaultGroupIds: [groupId] });
      try {
        await s.t.gql('mutation($id: ID!) { deleteUserGroup(input: { id: $id }) { status { code } } }', {
          id: groupId,
        });
        s.idp.accounts.set('ivy', { email: 'ivy@acme.test', email_verified: true });
        const before = await written(s);
        const r = await errorOf(await new Browser(s).signIn(s.loginPath, 'ivy'));
        assert.ok(r.status >= 400 && r.status < 500, JSON.stringify(r));
        assert.notEqual(r.code, 'SSO_CLAIMS_INVALID', 'the email is not at fault');
        assert.deepEqual(await written(s), before);
      } finally {
        await setSsoSettings(s.t, { jitEnabled: false, defaultGroupIds: [] });
      }
    });

    it('racing first sign-ins of one new person make one user and one identity, never a 500', async () => {
      await setSsoSettings(s.t, { jitEnabled: true });
      try {
        for (const [i, sub] of ['racer', 'racer-b'].entries()) {
          s.idp.accounts.set(sub, { email: `racer${i}@acme.test`, email_verified: true });
          const browsers = Array.from({ length: 4 }, () => new Browser(s));
          const callbacks = await Promise.all(browsers.map((b) => b.toCallback(s.loginPath, sub)));
          const results = await Promise.all(
            browsers.map(async (b, j) => {
              const r = await b.request(callbacks[j]!);
              return r.status === 303 ? { status: 303 } : await errorOf(r);
            }),
          );
          for (const r of results) assert.ok(r.status === 303 || r.status === 409, JSON.stringify(results));
          assert.ok(
            results.some((r) => r.status === 303),
            JSON.stringify(results),
          );
          const users = await s.t.app.services.db
            .selectFrom('users')
            .select('id')
            .where('email', '=', `racer${i}@acme.test`)
            .execute();
          assert.equal(users.length, 1);
          const identities = await s.t.app.services.db
            .selectFrom('sso_identities')
            .select('user_id')
            .where('subject', '=', sub)
            .execute();
          assert.deepEqual(identities, [{ user_id: users[0]!.id }]);
        }
      } finally {
        await setSsoSettings(s.t, { jitEnabled: false });
      }
    });

    it('odd login and callback URLs get clear errors, never a 500', async () => {
      const b = new Browser(s);
      const ws = s.t.workspaceId;
      for (const path of [
        '/sso/nope/login',
        `/sso/${ws}/login?issuer=nope`,
        `/sso/${ws}/login?issuer=${'x'.repeat(5000)}`,
        `/sso/${'w'.repeat(3000)}/login`,
        '/sso/%00/login',
        '/sso/%E0%A4%A/login',
        `/sso/${ws}/login?issuer=corp&issuer=other&return_to=/a&return_to=//b`,
        `/sso/${ws}/callback/nope?code=x&state=y`,
        `/sso/nope/callback/corp?state=${'s'.repeat(100)}`,
        `/sso/${ws}/callback/%00?state=x`,
        `${s.callbackPath}?error=access_denied`,
        `${s.callbackPath}?state=a&state=b&code=c`,
      ]) {
        const r = await b.request(path);
        assert.ok(r.status < 500 && r.status !== 200, `${path.slice(0, 60)}: ${r.status}`);
        if (r.status !== 302) assert.match((await errorOf(r)).code ?? '', /^[A-Z_]+$/, path.slice(0, 60));
      }
      // The provider's own error comes back as SSO_PROVIDER_ERROR with its reason.
      const start = await b.request(s.loginPath);
      const state = new URL(start.headers.get('location')!).searchParams.get('state')!;
      const denied = await errorOf(
        await b.request(
          `${s.callbackPath}?error=access_denied&state=${state}&iss=${encodeURIComponent(s.idp.issuer)}`,
        ),
      );
      assert.deepEqual([denied.code, denied.reason], ['SSO_PROVIDER_ERROR', 'access_denied']);
    });

    it('a suspended user cannot sign in, linked or not, and nothing is written', async () => {
      const r = await createUsers(s.t, { emails: ['sus@acme.test'] });
      const userId = r.payload.results[0]!.userId;
      s.idp.accounts.set('sus', { email: 'sus@acme.test', email_verified: true });
      const setStatus = (status: string) =>
        s.t.gql(
          'mutation($input: SetUserStatusInput!) { setUserStatus(input: $input) { status { code } } }',
          {
            input: { userId, status },
          },
        );
      await setStatus('SUSPENDED');
      const before = await written(s);
      const first = await errorOf(await new Browser(s).signIn(s.loginPath, 'sus'));
      assert.deepEqual([first.status, first.code], [403, 'SSO_USER_BLOCKED']);
      assert.deepEqual(await written(s), before, 'not even the identity is linked');
      await setStatus('ACTIVE');
      assert.equal((await new Browser(s).signIn(s.loginPath, 'sus')).status, 303);
      await setStatus('SUSPENDED');
      const before2 = await written(s);
      const linked = await errorOf(await new Browser(s).signIn(s.loginPath, 'sus'));
      assert.deepEqual([linked.status, linked.code], [403, 'SSO_USER_BLOCKED']);
      assert.deepEqual(await written(s), before2);
    });

    it('role strings naming another workspace grant nothing', async () => {
      const other = await s.t.app.services.workspaces.create('globex', {
        requestId: 'x',
        ip: null,
        actorKeyId: null,
        actorUserId: null,
      });
      s.idp.accounts.set('alice', {
        email: 'alice@acme.test',
        email_verified: true,
        roles: [`wisdom.${other.id}.administrator`, `wisdom.${other.id}.explorer.domain.default`],
        groups: [`wisdom.${other.id.toUpperCase()}.administrator`],
      });
      const b = new Browser(s);
      assert.equal((await b.signIn(s.loginPath, 'alice')).status, 303);
      const me = await b.gql('{ currentUser { id } }');
      const roles = await s.t.app.services.db
        .selectFrom('user_role_assignments')
        .selectAll()
        .where('user_id', '=', me.body.data.currentUser.id)
        .execute();
      assert.deepEqual(roles, []);
    });
  });
}

for (const backend of testBackends()) {
  describe(`issuer mix-up across workspaces (${backend.name})`, () => {
    let s: SsoStack;
    let rogue: Awaited<ReturnType<typeof startHttp>>;
    const captured: string[] = [];
    /** The attacker's own pending sign-in at the honest issuer, whose PKCE challenge and nonce the rogue issuer reuses. */
    let planted: URLSearchParams | undefined;
    before(async () => {
      s = await startSsoStack(backend);
      // A provider without RFC 9207 (no `iss` in its authorization responses), as many are.
      s.idp.provider.use(async (ctx, next) => {
        await next();
        if (
          ctx.path.endsWith('/.well-known/openid-configuration') &&
          ctx.body &&
          typeof ctx.body === 'object'
        )
          delete (ctx.body as Record<string, unknown>).authorization_response_iss_parameter_supported;
        const location = ctx.response.get('location');
        if (location?.includes('code=')) {
          const u = new URL(location);
          u.searchParams.delete('iss');
          ctx.response.set('location', u.href);
        }
      });
      await createUsers(s.t, { emails: ['alice@acme.test'] });
      s.idp.accounts.set('alice', { email: 'alice@acme.test', email_verified: true });
      // The rogue issuer: its authorization endpoint forwards to the honest provider with the
      // attacker's planted challenge and nonce; its token endpoint collects the code.
      rogue = await startHttp(async (req, res, base) => {
        const url = new URL(req.url!, base);
        if (url.pathname === '/.well-known/openid-configuration') {
          res.setHeader('content-type', 'application/json');
          res.end(
            JSON.stringify({
              issuer: base,
              authorization_endpoint: `${base}/authorize`,
              token_endpoint: `${base}/token`,
              jwks_uri: `${s.idp.issuer}/jwks`,
              response_types_supported: ['code'],
              subject_types_supported: ['public'],
              id_token_signing_alg_values_supported: ['RS256'],
            }),
          );
          return;
        }
        if (url.pathname === '/authorize') {
          const forward = new URL(`${s.idp.issuer}/auth`);
          for (const [k, v] of planted!) forward.searchParams.set(k, v);
          // The victim's own state: the callback goes through in the victim's browser.
          forward.searchParams.set('state', url.searchParams.get('state')!);
          res.statusCode = 302;
          res.setHeader('location', forward.href);
          res.end();
          return;
        }
        if (url.pathname === '/token') {
          let body = '';
          for await (const chunk of req) body += chunk;
          captured.push(new URLSearchParams(body).get('code') ?? '');
          res.statusCode = 400;
          res.setHeader('content-type', 'application/json');
          res.end(JSON.stringify({ error: 'invalid_grant' }));
          return;
        }
        res.statusCode = 404;
        res.end();
      });
    });
    after(async () => {
      await rogue?.close();
      await s?.close();
    });

    it("a workspace's rogue issuer cannot collect another workspace's provider code and finish its sign-in", async () => {
      const origin = { requestId: 'x', ip: null, actorKeyId: null, actorUserId: null };
      const evilWs = await s.t.app.services.workspaces.create('evil', origin);
      const evilKey = await s.t.key(['iam:read', 'iam:write'], evilWs.id);
      const evil = await configureIssuer(
        s.t,
        {
          name: 'evil',
          discoveryUrl: rogue.url,
          clientId: s.clientId,
          clientSecret: 'x'.repeat(32),
          scopes: SCOPES,
        },
        evilKey,
      );
      const attacker = new Browser(s);
      const start = await attacker.request(s.loginPath);
      planted = new URL(start.headers.get('location')!).searchParams;
      const victim = new Browser(s);
      const before = await written(s);
      const victimCallback = await victim.toCallback(
        new URL(evil.loginUrl).pathname + new URL(evil.loginUrl).search,
        'alice',
      );
      const refused = await errorOf(await victim.request(victimCallback));
      assert.deepEqual([refused.status, refused.code, refused.reason], [400, 'SSO_STATE_INVALID', 'issuer']);
      // Had the rogue issuer's token endpoint received the code, the attacker would finish their own
      // planted sign-in with it, as the victim.
      for (const code of captured) {
        const stolen = await attacker.request(`${s.callbackPath}?code=${code}&state=${planted.get('state')}`);
        assert.notEqual(stolen.status, 303, 'the attacker signed in as the victim');
      }
      assert.deepEqual(await written(s), before);
      assert.deepEqual(captured, [], 'the code of one issuer went to another issuer');
    });
  });
}
