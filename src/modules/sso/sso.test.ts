import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  type AccountClaims,
  startTestProvider,
  type TestProvider,
} from '../../../examples/sso/test-provider.ts';
import {
  ADMIN,
  createUsers,
  EXPLORER,
  STATUS,
  setUserAttributes,
  VIEWER,
} from '../../../test/helpers/api.ts';
import { startTestApp, type TestApp } from '../../../test/helpers/app.ts';
import { testBackends } from '../../../test/helpers/databases.ts';
import { FlowClient } from '../../../test/helpers/sso.ts';

const REDIRECT = 'http://tessera.test/sso/callback';
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
        { clientId: 'tessera', clientSecret: 'tessera-secret', redirectUri: REDIRECT },
        {
          clientId: 'short-lived',
          clientSecret: 'short-secret',
          redirectUri: REDIRECT,
          idTokenTtlSeconds: 1,
        },
      ]);
      second = await startTestProvider([
        { clientId: 'tessera-2', clientSecret: 'other-secret', redirectUri: REDIRECT },
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
      assert.equal(main.redirectUri, REDIRECT);
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
  });
}
