import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  type AccountClaims,
  startTestProvider,
  type TestProvider,
} from '../../../examples/sso/test-provider.ts';
import {
  createUsers,
  EXPLORER,
  rowCounts,
  STATUS,
  setUserAttributes,
  VIEWER,
} from '../../../test/helpers/api.ts';
import { startTestApp, type TestApp } from '../../../test/helpers/app.ts';
import { testBackends } from '../../../test/helpers/databases.ts';
import { FlowClient } from '../../../test/helpers/sso.ts';
import { LOGIN_ATTEMPT_SECONDS, PENDING_LOGINS_PER_CLIENT } from './service.ts';

/** The redirect URI Tessera gives an issuer of the default workspace: one per issuer (mix-up). */
const redirectOf = (t: TestApp, name: string) => `http://tessera.test/sso/${t.workspaceId}/callback/${name}`;
const ME = `query { currentUser { id email userAttributes { key value source }
  roleAssignments { roleId scopes inheritedFromGroupId source } userGroups { id name } } }`;

const CONFIGURE = `mutation($input: SsoIssuerInput!) { configureSsoIssuer(input: $input) { ${STATUS}
  issuer { id name loginUrl redirectUri hasClientSecret clientAuthMethod scopes attributeMappings { claim attribute } } } }`;
const SETTINGS = `mutation($input: SsoSettingsInput!) { setSsoSettings(input: $input) { ${STATUS}
  settings { jitEnabled rolePrefix roleClaims defaultGroupIds groupMappings { idpGroup groupId } } } }`;

interface Tamper {
  nonce: boolean;
  aud: boolean;
}

/** Makes the provider mint a wrong nonce or audience when asked: the IdP misbehaving, not Tessera. */
function tamperable(idp: TestProvider): Tamper {
  const tamper: Tamper = { nonce: false, aud: false };
  const IdToken = idp.provider.IdToken.prototype as any;
  const payload = IdToken.payload;
  IdToken.payload = async function (this: unknown) {
    const p = await payload.call(this);
    if (tamper.nonce) p.nonce = 'forged-nonce';
    return p;
  };
  const issue = IdToken.issue;
  IdToken.issue = function (this: { client: object }, ...args: unknown[]) {
    if (tamper.aud) {
      const client = this.client;
      this.client = new Proxy(client, {
        get: (target, key) => (key === 'clientId' ? 'someone-else' : Reflect.get(target, key, target)),
      });
    }
    return issue.apply(this, args);
  };
  return tamper;
}

const loginPath = (t: TestApp, issuer: string, ws = t.workspaceId) => `/sso/${ws}/login?issuer=${issuer}`;

async function errorOf(response: Response): Promise<{ code: string; reason?: string }> {
  const body = (await response.json()) as { errors: { extensions: { code: string; reason?: string } }[] };
  return body.errors[0]!.extensions;
}

for (const backend of testBackends()) {
  describe(`OIDC sign-in against a real provider (${backend.name})`, () => {
    let t: TestApp;
    let idp: TestProvider;
    let second: TestProvider;
    let tamper: Tamper;
    const account = (id: string, claims: AccountClaims) => idp.accounts.set(id, claims);

    before(async () => {
      t = await startTestApp(backend);
      idp = await startTestProvider([
        { clientId: 'tessera', clientSecret: 'tessera-secret', redirectUri: redirectOf(t, 'corp') },
        {
          clientId: 'short-lived',
          clientSecret: 'short-secret',
          redirectUri: redirectOf(t, 'short'),
          idTokenTtlSeconds: 1,
        },
      ]);
      second = await startTestProvider([
        { clientId: 'tessera-2', clientSecret: 'other-secret', redirectUri: redirectOf(t, 'partner') },
      ]);
      tamper = tamperable(idp);
      const configure = async (input: Record<string, unknown>) => {
        const r = await t.gql(CONFIGURE, { input });
        assert.equal(r.body.data?.configureSsoIssuer.status.code, 'OK', JSON.stringify(r.body));
        return r.body.data!.configureSsoIssuer.issuer;
      };
      const mappings = [
        { claim: 'org.account_id', attribute: 'account_id' },
        { claim: 'org.regions', attribute: 'regions' },
        { claim: 'name', attribute: 'display_name' },
      ];
      const main = await configure({
        name: 'corp',
        discoveryUrl: idp.issuer,
        clientId: 'tessera',
        clientSecret: 'tessera-secret',
        scopes: ['openid', 'email', 'profile', 'tessera'],
        attributeMappings: mappings,
      });
      assert.equal(main.redirectUri, redirectOf(t, 'corp'));
      assert.equal(main.hasClientSecret, true);
      await configure({
        name: 'short',
        discoveryUrl: idp.issuer,
        clientId: 'short-lived',
        clientSecret: 'short-secret',
        clientAuthMethod: 'CLIENT_SECRET_BASIC',
        scopes: ['openid', 'email'],
      });
      await configure({
        name: 'partner',
        discoveryUrl: second.issuer,
        clientId: 'tessera-2',
        clientSecret: 'other-secret',
        scopes: ['openid', 'email', 'tessera'],
        attributeMappings: [{ claim: 'org.account_id', attribute: 'account_id' }],
      });
    });
    after(async () => {
      await t?.close();
      await idp?.close();
      await second?.close();
    });

    it('one client may have at most 100 sign-ins pending; an IPv6 client counts by its /64', async () => {
      const start = (ip: string) =>
        t.app.fetch(new Request(`http://tessera.test${loginPath(t, 'corp')}`), { ip });
      for (const [one, other] of [
        ['203.0.113.7', '203.0.113.8'],
        ['2001:db8:1:2::1', '2001:db8:1:3::1'],
      ] as const) {
        const sixtyFour = one.includes(':');
        for (let i = 0; i < PENDING_LOGINS_PER_CLIENT; i++) {
          // Another address of the same /64 shares the allowance.
          const r = await start(sixtyFour && i % 2 ? one.replace('::1', `::${i.toString(16)}`) : one);
          assert.equal(r.status, 302);
        }
        const refused = await start(one);
        assert.equal(refused.status, 429);
        assert.equal(refused.headers.get('retry-after'), String(LOGIN_ATTEMPT_SECONDS));
        const body = (await refused.json()) as { errors: { extensions: { code: string } }[] };
        assert.equal(body.errors[0]!.extensions.code, 'RATE_LIMITED');
        assert.equal((await start(other)).status, 302, 'another client is served');
      }
      // Pending sign-ins expire, and with them the allowance comes back.
      const later = (LOGIN_ATTEMPT_SECONDS + 1) * 1000;
      t.clock.advance(later);
      try {
        assert.equal((await start('203.0.113.7')).status, 302);
      } finally {
        t.clock.advance(-later);
      }
    });

    it('the redirect URI issuers once shared answers why it fails, and exchanges nothing', async () => {
      const r = await t.app.fetch(new Request('http://tessera.test/sso/callback?code=abc&state=def'), {
        ip: '127.0.0.1',
      });
      assert.equal(r.status, 404);
      const body = (await r.json()) as { errors: { extensions: { code: string; reason: string } }[] };
      assert.deepEqual(body.errors[0]!.extensions, { code: 'SSO_ISSUER_NOT_FOUND', reason: 'redirect_uri' });
    });

    it('signs an existing user in: claims become JWT attributes, the session cookie works on GraphQL', async () => {
      const created = await createUsers(t, {
        emails: ['alice@acme.test'],
        userAttributes: [{ key: 'tier', value: 'gold' }],
      });
      const userId = created.payload.results[0]!.userId;
      account('alice-sub', {
        email: 'alice@acme.test',
        email_verified: true,
        name: 'Alice A.',
        org: { account_id: 'acct_1', regions: ['eu', 'us'] },
      });
      const browser = new FlowClient(t);
      const done = await browser.signIn(loginPath(t, 'corp'), 'alice-sub');
      assert.equal(done.status, 303, await done.clone().text());
      assert.equal(done.headers.get('location'), '/');
      const cookie = done.headers.getSetCookie().find((c) => c.startsWith('__Host-tessera_session='))!;
      for (const attr of ['HttpOnly', 'SameSite=Lax', 'Secure', 'Path=/'])
        assert.ok(cookie.includes(attr), cookie);
      const me = await browser.gql(ME);
      assert.equal(me.status, 200, JSON.stringify(me.body));
      assert.equal(me.body.data.currentUser.id, userId);
      const attrs = me.body.data.currentUser.userAttributes
        .map((a: any) => `${a.source}:${a.key}=${a.value}`)
        .sort();
      assert.deepEqual(attrs, [
        'DATABASE:tier=gold',
        'JWT:account_id=acct_1',
        'JWT:display_name=Alice A.',
        'JWT:regions=["eu","us"]',
      ]);
    });

    const signedIn = async (who: string, issuer = 'corp') => {
      const browser = new FlowClient(t);
      const done = await browser.signIn(loginPath(t, issuer), who);
      assert.equal(done.status, 303, await done.clone().text());
      return browser;
    };
    const me = async (browser: FlowClient) => {
      const r = await browser.gql(ME);
      assert.equal(r.status, 200, JSON.stringify(r.body));
      return r.body.data.currentUser;
    };
    const ssoRows = async () => {
      const db = t.app.services.db;
      const n = async (table: 'sso_identities' | 'web_sessions') =>
        Number(
          (
            await db
              .selectFrom(table)
              .select((eb) => eb.fn.countAll<number>().as('n'))
              .executeTakeFirstOrThrow()
          ).n,
        );
      return {
        ...(await rowCounts(t)),
        identities: await n('sso_identities'),
        sessions: await n('web_sessions'),
      };
    };
    const settings = async (input: Record<string, unknown>) => {
      const r = await t.gql(SETTINGS, { input });
      assert.equal(r.body.data?.setSsoSettings.status.code, 'OK', JSON.stringify(r.body));
    };
    const group = async (name: string, roleAssignments: unknown[] = []) => {
      const r = await t.gql(
        `mutation($input: CreateUserGroupInput!) { createUserGroup(input: $input) { ${STATUS} userGroup { id } } }`,
        { input: { name, roleAssignments } },
      );
      return r.body.data!.createUserGroup.userGroup.id as string;
    };

    it('roles and groups from claims: replaced at every sign-in, shown as CLAIM; direct roles and unmapped groups stay', async () => {
      const analysts = await group('analysts', [{ roleId: EXPLORER, scopes: ['default'] }]);
      const handPicked = await group('hand-picked');
      await settings({ groupMappings: [{ idpGroup: 'okta-analysts', groupId: analysts }] });
      const created = await createUsers(t, {
        emails: ['bob@acme.test'],
        roleAssignments: [{ roleId: VIEWER, scopes: ['default'] }],
        userGroupIds: [handPicked],
      });
      assert.equal(created.payload.status.code, 'OK');
      account('bob-sub', {
        email: 'bob@acme.test',
        email_verified: true,
        roles: [
          'wisdom.data_administrator.domain.default',
          `wisdom.${t.workspaceId}.observer.domain.default`,
          'wisdom.ws_elsewhere.administrator',
          'wisdom.explorer.domain.no-such-domain',
          'wisdom.explorer',
        ],
        groups: ['okta-analysts'],
      });
      let user = await me(await signedIn('bob-sub'));
      const roles = (u: any) =>
        u.roleAssignments.map((a: any) => `${a.source}:${a.roleId.slice(-2)}:${a.scopes.join(',')}`).sort();
      assert.deepEqual(roles(user), [
        'CLAIM:04:default',
        'CLAIM:07:default',
        'DIRECT:03:default',
        'GROUP:02:default',
      ]);
      assert.deepEqual(user.userGroups.map((g: any) => g.name).sort(), ['analysts', 'hand-picked']);

      // Next sign-in: the provider now says only administrator, and no IdP group.
      account('bob-sub', {
        email: 'bob@acme.test',
        email_verified: true,
        roles: ['wisdom.administrator'],
        groups: [],
      });
      user = await me(await signedIn('bob-sub'));
      assert.deepEqual(roles(user), ['CLAIM:01:', 'DIRECT:03:default']);
      assert.deepEqual(
        user.userGroups.map((g: any) => g.name),
        ['hand-picked'],
      );
      // setUserRoleAssignments replaces DIRECT ones only.
      const set = await t.gql(
        `mutation($input: SetUserRoleAssignmentsInput!) { setUserRoleAssignments(input: $input) { ${STATUS} } }`,
        { input: { userId: user.id, roleAssignments: [{ roleId: EXPLORER, scopes: ['default'] }] } },
      );
      assert.equal(set.body.data?.setUserRoleAssignments.status.code, 'OK');
      const listed = await t.gql(`query($id: ID!) { user(id: $id) { roleAssignments { roleId source } } }`, {
        id: user.id,
      });
      assert.deepEqual(
        listed.body.data!.user.roleAssignments.map((a: any) => `${a.source}:${a.roleId.slice(-2)}`).sort(),
        ['CLAIM:01', 'DIRECT:02'],
      );
    });

    it('a configured prefix replaces wisdom; other claims can be named', async () => {
      await settings({ rolePrefix: 'acme', roleClaims: ['entitlements'] });
      try {
        await createUsers(t, { emails: ['carol@acme.test'] });
        account('carol-sub', {
          email: 'carol@acme.test',
          email_verified: true,
          roles: ['wisdom.administrator'],
          entitlements: ['acme.viewer.domain.default'],
        });
        const user = await me(await signedIn('carol-sub'));
        assert.deepEqual(
          user.roleAssignments.map((a: any) => [a.source, a.roleId]),
          [['CLAIM', VIEWER]],
        );
      } finally {
        await settings({ rolePrefix: 'wisdom', roleClaims: ['roles', 'groups'] });
      }
    });

    it('JIT off: an unknown email is refused and nothing is written; JIT on: the user is created with the default roles and groups', async () => {
      account('dave-sub', {
        email: 'dave@acme.test',
        email_verified: true,
        roles: ['wisdom.explorer.domain.default'],
      });
      const before = await ssoRows();
      const browser = new FlowClient(t);
      const refused = await browser.signIn(loginPath(t, 'corp'), 'dave-sub');
      assert.equal(refused.status, 403);
      assert.equal((await errorOf(refused)).code, 'SSO_USER_NOT_PROVISIONED');
      assert.deepEqual(await ssoRows(), before);

      const newcomers = await group('newcomers');
      await settings({
        jitEnabled: true,
        defaultRoleAssignments: [{ roleId: VIEWER, scopes: ['default'] }],
        defaultGroupIds: [newcomers],
      });
      try {
        const user = await me(await signedIn('dave-sub'));
        assert.equal(user.email, 'dave@acme.test');
        assert.deepEqual(user.roleAssignments.map((a: any) => `${a.source}:${a.roleId.slice(-2)}`).sort(), [
          'CLAIM:02',
          'DIRECT:03',
        ]);
        assert.deepEqual(
          user.userGroups.map((g: any) => g.name),
          ['newcomers'],
        );
      } finally {
        await settings({ jitEnabled: false, defaultRoleAssignments: [], defaultGroupIds: [] });
      }
    });

    it('an email the provider does not vouch for is never linked or provisioned', async () => {
      await createUsers(t, { emails: ['erin@acme.test'] });
      account('erin-sub', { email: 'erin@acme.test', email_verified: false });
      const before = await ssoRows();
      const done = await new FlowClient(t).signIn(loginPath(t, 'corp'), 'erin-sub');
      assert.equal(done.status, 400);
      assert.equal((await errorOf(done)).code, 'SSO_EMAIL_NOT_VERIFIED');
      assert.deepEqual(await ssoRows(), before);
    });

    it('wrong state, a state from another browser, and a replayed callback are refused', async () => {
      await createUsers(t, { emails: ['frank@acme.test'] });
      account('frank-sub', { email: 'frank@acme.test', email_verified: true });
      const before = await ssoRows();
      const browser = new FlowClient(t);
      const callback = new URL(await browser.toCallback(loginPath(t, 'corp'), 'frank-sub'));
      const forged = new URL(callback);
      forged.searchParams.set('state', 'not-the-state');
      let r = await browser.request(forged.href);
      assert.deepEqual([r.status, (await errorOf(r)).code], [400, 'SSO_STATE_INVALID']);

      const elsewhere = new FlowClient(t);
      const stolen = await browser.toCallback(loginPath(t, 'corp'), 'frank-sub');
      r = await elsewhere.request(stolen);
      assert.deepEqual(
        [r.status, (await errorOf(r)).code, (await errorOf(await elsewhere.request(stolen))).code],
        [400, 'SSO_STATE_INVALID', 'SSO_STATE_INVALID'],
      );
      assert.deepEqual(await ssoRows(), before);

      const good = await browser.toCallback(loginPath(t, 'corp'), 'frank-sub');
      assert.equal((await browser.request(good)).status, 303);
      r = await browser.request(good);
      assert.deepEqual([r.status, (await errorOf(r)).code], [400, 'SSO_STATE_INVALID']);
    });

    it('a used authorization code brought back with a fresh state is refused by the provider', async () => {
      const browser = new FlowClient(t);
      const first = new URL(await browser.toCallback(loginPath(t, 'corp'), 'frank-sub'));
      assert.equal((await browser.request(first.href)).status, 303);
      const fresh = new URL(await browser.toCallback(loginPath(t, 'corp'), 'frank-sub'));
      fresh.searchParams.set('code', first.searchParams.get('code')!);
      const before = await ssoRows();
      const r = await browser.request(fresh.href);
      assert.equal(r.status, 400);
      assert.equal((await errorOf(r)).code, 'SSO_CODE_REJECTED');
      assert.deepEqual(await ssoRows(), before);
    });

    it('an ID token with the wrong nonce or audience is refused, with the failed check named', async () => {
      const before = await ssoRows();
      for (const which of ['nonce', 'aud'] as const) {
        tamper[which] = true;
        try {
          const r = await new FlowClient(t).signIn(loginPath(t, 'corp'), 'frank-sub');
          assert.equal(r.status, 400);
          assert.deepEqual(await errorOf(r), { code: 'SSO_ID_TOKEN_INVALID', reason: which });
        } finally {
          tamper[which] = false;
        }
      }
      assert.deepEqual(await ssoRows(), before);
    });

    it('an expired ID token is refused', async () => {
      // The short issuer's ID tokens live 1 s; Tessera's clock moves past that plus the tolerance.
      const browser = new FlowClient(t);
      const callback = await browser.toCallback(loginPath(t, 'short'), 'frank-sub');
      t.clock.advance(120_000);
      const r = await browser.request(callback);
      t.clock.set(Date.now());
      assert.equal(r.status, 400);
      assert.deepEqual(await errorOf(r), { code: 'SSO_ID_TOKEN_INVALID', reason: 'exp' });
    });

    it('an email change at the provider keeps the same Tessera user (identified by issuer and sub)', async () => {
      await createUsers(t, { emails: ['gina@acme.test'] });
      account('gina-sub', { email: 'gina@acme.test', email_verified: true });
      const first = await me(await signedIn('gina-sub'));
      account('gina-sub', { email: 'gina.new@acme.test', email_verified: true });
      const second = await me(await signedIn('gina-sub'));
      assert.equal(second.id, first.id);
      assert.equal(second.email, 'gina@acme.test');
      // The old address at the provider, now someone else's account there, does not take her over.
      account('impostor-sub', { email: 'gina@acme.test', email_verified: true });
      const r = await new FlowClient(t).signIn(loginPath(t, 'corp'), 'impostor-sub');
      assert.deepEqual([r.status, (await errorOf(r)).code], [409, 'SSO_IDENTITY_CONFLICT']);
    });

    it('two issuers: each links its own (issuer, sub) to the same user, with its own mapping', async () => {
      await createUsers(t, { emails: ['hank@acme.test'] });
      account('hank-sub', {
        email: 'hank@acme.test',
        email_verified: true,
        org: { account_id: 'acct_corp' },
      });
      second.accounts.set('hank-partner', {
        email: 'hank@acme.test',
        email_verified: true,
        org: { account_id: 'acct_partner' },
      });
      const viaCorp = await me(await signedIn('hank-sub', 'corp'));
      const viaPartner = await me(await signedIn('hank-partner', 'partner'));
      assert.equal(viaPartner.id, viaCorp.id);
      assert.deepEqual(
        viaPartner.userAttributes
          .filter((a: any) => a.source === 'JWT')
          .map((a: any) => `${a.key}=${a.value}`),
        ['account_id=acct_partner'],
      );
      const identities = await t.app.services.db
        .selectFrom('sso_identities')
        .select(['subject'])
        .where('user_id', '=', viaCorp.id)
        .orderBy('subject')
        .execute();
      assert.deepEqual(
        identities.map((i) => i.subject),
        ['hank-partner', 'hank-sub'],
      );
    });

    it('precedence: setUserAttributes never touches JWT attributes, a sign-in never touches DATABASE ones', async () => {
      await createUsers(t, { emails: ['iris@acme.test'] });
      account('iris-sub', { email: 'iris@acme.test', email_verified: true, org: { account_id: 'acct_jwt' } });
      const user = await me(await signedIn('iris-sub'));
      const view = async () => {
        const r = await t.gql(
          `query($id: ID!) { user(id: $id) { userAttributes { key value source } } effectiveAttributes(userId: $id) { key value source } }`,
          { id: user.id },
        );
        const d = r.body.data!;
        return {
          stored: d.user.userAttributes.map((a: any) => `${a.source}:${a.key}=${a.value}`).sort(),
          effective: d.effectiveAttributes.map((a: any) => `${a.source}:${a.key}=${a.value}`),
        };
      };
      assert.equal(
        (await setUserAttributes(t, user.id, [{ key: 'account_id', value: 'acct_db' }])).status.code,
        'OK',
      );
      assert.deepEqual(await view(), {
        stored: ['DATABASE:account_id=acct_db', 'JWT:account_id=acct_jwt'],
        effective: ['DATABASE:account_id=acct_db'],
      });
      account('iris-sub', {
        email: 'iris@acme.test',
        email_verified: true,
        org: { account_id: 'acct_jwt2' },
        name: 'Iris',
      });
      await signedIn('iris-sub');
      assert.deepEqual(await view(), {
        stored: ['DATABASE:account_id=acct_db', 'JWT:account_id=acct_jwt2', 'JWT:display_name=Iris'],
        effective: ['DATABASE:account_id=acct_db', 'JWT:display_name=Iris'],
      });
      assert.equal((await setUserAttributes(t, user.id, [])).status.code, 'OK');
      assert.deepEqual((await view()).stored, ['JWT:account_id=acct_jwt2', 'JWT:display_name=Iris']);
    });

    it('web sessions: same-origin only, logout, rotation at sign-in, suspension and deletion end them, idle timeout', async () => {
      const created = await createUsers(t, { emails: ['jack@acme.test'] });
      const userId = created.payload.results[0]!.userId;
      account('jack-sub', { email: 'jack@acme.test', email_verified: true });
      const browser = await signedIn('jack-sub');
      assert.equal((await me(browser)).id, userId);
      // Without Tessera's Origin the cookie does not count.
      for (const origin of ['http://evil.test', '']) {
        const r = await browser.gql(ME, {}, { origin });
        assert.equal(r.status, 401);
      }
      // A session never carries iam permissions.
      const admin = await browser.gql('{ listUsers { id } }');
      assert.equal(admin.body.errors?.[0]?.extensions?.code, 'FORBIDDEN');
      // Signing in again rotates the cookie: the old one is dead.
      const old = browser.cookie('tessera.test', '__Host-tessera_session')!;
      await browser.signIn(loginPath(t, 'corp'), 'jack-sub');
      const rotated = browser.cookie('tessera.test', '__Host-tessera_session')!;
      assert.notEqual(rotated, old);
      const stale = await t.gql(ME, {}, null, {
        cookie: `__Host-tessera_session=${old}`,
        origin: 'http://tessera.test',
      });
      assert.equal(stale.status, 401);
      assert.equal((await me(browser)).id, userId);
      // logout
      const out = await browser.gql(`mutation { logout { ${STATUS} } }`);
      assert.equal(out.body.data.logout.status.code, 'OK');
      assert.equal((await browser.gql(ME)).status, 401);

      // Suspension ends the session for good; so does deletion.
      const again = await signedIn('jack-sub');
      const status = (s: string) =>
        t.gql(`mutation($input: SetUserStatusInput!) { setUserStatus(input: $input) { ${STATUS} } }`, {
          input: { userId, status: s },
        });
      await status('SUSPENDED');
      assert.equal((await again.gql(ME)).status, 401);
      await status('ACTIVE');
      assert.equal((await again.gql(ME)).status, 401);
      const third = await signedIn('jack-sub');
      assert.equal((await third.gql(ME)).status, 200);
      t.clock.advance(11 * 3600_000);
      assert.equal((await third.gql(ME)).status, 200, 'used within the idle timeout');
      t.clock.advance(11 * 3600_000);
      assert.equal((await third.gql(ME)).status, 200, 'each use moves the idle deadline');
      t.clock.advance(13 * 3600_000);
      assert.equal((await third.gql(ME)).status, 401, 'idle timeout');
      // Back to the provider's time, whose ID tokens the next sign-ins carry.
      t.clock.set(Date.now());
      const fourth = await signedIn('jack-sub');
      assert.equal((await fourth.gql(ME)).status, 200);
      await t.gql(
        `mutation($input: DeleteUsersFromWorkspaceInput!) { deleteUsersFromWorkspace(input: $input) { ${STATUS} } }`,
        {
          input: { userIds: [userId] },
        },
      );
      assert.equal((await fourth.gql(ME)).status, 401);
    });

    it('POST /sso/logout clears the cookie and refuses cross-site requests', async () => {
      await createUsers(t, { emails: ['kim@acme.test'] });
      account('kim-sub', { email: 'kim@acme.test', email_verified: true });
      const browser = await signedIn('kim-sub');
      const cross = await browser.request('http://tessera.test/sso/logout', {
        method: 'POST',
        headers: { origin: 'http://evil.test' },
      });
      assert.equal(cross.status, 403);
      assert.equal((await me(browser)).email, 'kim@acme.test');
      const out = await browser.request('http://tessera.test/sso/logout', {
        method: 'POST',
        headers: { origin: 'http://tessera.test' },
      });
      assert.equal(out.status, 200);
      assert.equal(browser.cookie('tessera.test', '__Host-tessera_session'), undefined);
    });

    it('configuration errors have codes and write nothing; an unreachable provider is SSO_PROVIDER_UNAVAILABLE', async () => {
      const bad = await t.gql(CONFIGURE, {
        input: {
          name: 'bad name!',
          discoveryUrl: 'http://idp.example.com',
          clientId: 'x',
          attributeMappings: [{ claim: 'a', attribute: 'sub' }],
        },
      });
      const status = bad.body.data!.configureSsoIssuer.status;
      assert.equal(status.code, 'ERROR');
      assert.deepEqual(status.problems.map((p: any) => p.field).sort(), [
        'attributeMappings[0].attribute',
        'clientSecret',
        'discoveryUrl',
        'name',
      ]);
      const viewer = await t.key(['iam:read']);
      const forbidden = await t.gql(
        CONFIGURE,
        { input: { name: 'x', discoveryUrl: idp.issuer, clientId: 'x', clientSecret: 's' } },
        viewer,
      );
      assert.equal(forbidden.body.errors?.[0]?.extensions?.code, 'FORBIDDEN');
      const unknown = await new FlowClient(t).request(`http://tessera.test${loginPath(t, 'nope')}`);
      assert.deepEqual([unknown.status, (await errorOf(unknown)).code], [404, 'SSO_ISSUER_NOT_FOUND']);
      const down = await t.gql(CONFIGURE, {
        input: { name: 'down', discoveryUrl: 'http://127.0.0.1:1', clientId: 'x', clientSecret: 's' },
      });
      assert.equal(down.body.data!.configureSsoIssuer.status.code, 'OK');
      const r = await new FlowClient(t).request(`http://tessera.test${loginPath(t, 'down')}`);
      assert.deepEqual([r.status, (await errorOf(r)).code], [502, 'SSO_PROVIDER_UNAVAILABLE']);
      const listed = await t.gql('{ ssoIssuers { name clientAuthMethod hasClientSecret } }', {}, viewer);
      assert.deepEqual(
        listed.body.data!.ssoIssuers.map((i: any) => i.name),
        ['corp', 'down', 'partner', 'short'],
      );
    });
  });
}
