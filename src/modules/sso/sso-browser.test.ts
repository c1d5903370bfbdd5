import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { after, before, describe, it } from 'node:test';
import type { Browser } from 'playwright-core';
import { startTestProvider, type TestProvider } from '../../../examples/sso/test-provider.ts';
import { testConfig } from '../../../test/helpers/app.ts';
import { chromiumUnavailable, launchChromium } from '../../../test/helpers/browser.ts';
import { createApp } from '../../app.ts';
import { type RunningServer, startServer } from '../../server.ts';
import { PERMISSIONS } from '../auth/permissions.ts';

const freePort = () =>
  new Promise<number>((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });

const skip = chromiumUnavailable();

describe('OIDC sign-in in Chromium', { skip: skip ?? false }, () => {
  let idp: TestProvider;
  let server: RunningServer;
  let browser: Browser;
  let workspaceId: string;
  before(async () => {
    const port = await freePort();
    const publicUrl = `http://127.0.0.1:${port}`;
    const app = await createApp({
      ...testConfig({ TESSERA_PUBLIC_URL: publicUrl, HOST: '127.0.0.1' }),
      database: { kind: 'pglite', dataDir: null },
    });
    server = await startServer(app, { host: '127.0.0.1', port });
    workspaceId = (await app.services.workspaces.ensureDefault()).id;
    // Registered with the redirect URI Tessera gives the issuer `corp` of this workspace.
    idp = await startTestProvider([
      {
        clientId: 'tessera',
        clientSecret: 'browser-secret',
        redirectUri: `${publicUrl}/sso/${workspaceId}/callback/corp`,
      },
    ]);
    idp.accounts.set('alice-sub', {
      email: 'alice@acme.test',
      email_verified: true,
      org: { account_id: 'acct_9' },
    });
    const key = (
      await app.services.accessKeys.create(
        { workspaceId, name: 'root', permissions: PERMISSIONS, expiresAt: null },
        null,
      )
    ).token;
    const gql = async (query: string, variables: Record<string, unknown>) => {
      const r = await fetch(`${publicUrl}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
        body: JSON.stringify({ query, variables }),
      });
      return (await r.json()) as { data: any };
    };
    await gql('mutation($i: CreateUsersInput!) { createUsers(input: $i) { status { code } } }', {
      i: { emails: ['alice@acme.test'] },
    });
    const configured = await gql(
      'mutation($i: SsoIssuerInput!) { configureSsoIssuer(input: $i) { status { code message } issuer { loginUrl } } }',
      {
        i: {
          name: 'corp',
          discoveryUrl: idp.issuer,
          clientId: 'tessera',
          clientSecret: 'browser-secret',
          scopes: ['openid', 'email', 'tessera'],
          attributeMappings: [{ claim: 'org.account_id', attribute: 'account_id' }],
        },
      },
    );
    assert.equal(configured.data.configureSsoIssuer.status.code, 'OK');
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
    await server?.stop(1000);
    await idp?.close();
  });

  it('signs in through the provider pages and calls GraphQL with the session cookie', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`${server.url}/sso/${workspaceId}/login?issuer=corp&return_to=/healthz`);
    await page.fill('input[name=login]', 'alice-sub');
    await page.fill('input[name=password]', 'any');
    await page.screenshot({ path: '/tmp/sso-provider-login.png' });
    await page.click('button[type=submit]');
    // The provider asks for consent once.
    await page.waitForURL((url) => url.pathname === '/healthz' || url.pathname.startsWith('/interaction/'));
    if (new URL(page.url()).pathname.startsWith('/interaction/')) await page.click('button[type=submit]');
    await page.waitForURL(`${server.url}/healthz`);
    const cookies = await context.cookies(server.url);
    const session = cookies.find((c) => c.name === 'tessera_session');
    assert.ok(session, JSON.stringify(cookies));
    // Plain http on loopback: no Secure flag (a browser would drop it), the rest as always.
    assert.deepEqual([session.httpOnly, session.sameSite, session.secure], [true, 'Lax', false]);
    const me = await page.evaluate(async () => {
      const r = await fetch('/graphql', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ query: '{ currentUser { email userAttributes { key value source } } }' }),
      });
      return r.json();
    });
    assert.deepEqual(me.data.currentUser, {
      email: 'alice@acme.test',
      userAttributes: [{ key: 'account_id', value: 'acct_9', source: 'JWT' }],
    });
    const cookieOnly = await page.evaluate(() => document.cookie);
    assert.equal(cookieOnly.includes('tessera_session'), false, 'HttpOnly: not readable by scripts');
    await context.close();
  });
});
