// `npm run example:sso`: sign in to Tessera with OpenID Connect, against a real OpenID Provider
// (node-oidc-provider) started here on loopback. Starts the provider, then Tessera on an
// in-memory PGlite database with one user, an SSO issuer for the provider (client secret, a
// claim mapping, JIT provisioning on) and prints the URL to open in a browser.
//
// Environment (all optional): TESSERA_PORT (4000), IDP_PORT (4400).
import { createApp } from '../../src/app.ts';
import { loadConfig } from '../../src/config.ts';
import { PERMISSIONS } from '../../src/modules/auth/permissions.ts';
import { startServer } from '../../src/server.ts';
import { startTestProvider } from './test-provider.ts';

const tesseraPort = Number(process.env.TESSERA_PORT ?? 4000);
const idpPort = Number(process.env.IDP_PORT ?? 4400);
const tesseraUrl = `http://127.0.0.1:${tesseraPort}`;

const config = {
  ...loadConfig({
    ...process.env,
    HOST: '127.0.0.1',
    PORT: String(tesseraPort),
    TESSERA_PUBLIC_URL: tesseraUrl,
    LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn',
  }),
  database: { kind: 'pglite', dataDir: null },
  dataDir: null,
} as const;
const app = await createApp(config);
const tessera = await startServer(app);
const workspace = await app.services.workspaces.ensureDefault();
// The provider knows Tessera by the redirect URI of the issuer `demo` configured below.
const idp = await startTestProvider(
  [
    {
      clientId: 'tessera-demo',
      clientSecret: 'demo-secret',
      redirectUri: `${tesseraUrl}/sso/${workspace.id}/callback/demo`,
    },
  ],
  idpPort,
);
// Accounts of the provider: the login name is the `sub`; any password works.
idp.accounts.set('alice', {
  email: 'alice@example.com',
  email_verified: true,
  name: 'Alice Example',
  org: { account_id: 'acct_1', regions: ['eu', 'us'] },
  roles: ['wisdom.explorer.domain.default'],
});
idp.accounts.set('bob', {
  email: 'bob@example.com',
  email_verified: true,
  roles: ['wisdom.viewer.domain.default'],
});

const { token } = await app.services.accessKeys.create(
  { workspaceId: workspace.id, name: 'sso demo', permissions: PERMISSIONS, expiresAt: null },
  null,
);
const gql = async (query: string, variables: Record<string, unknown>) => {
  const r = await fetch(`${tesseraUrl}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await r.json()) as { data?: Record<string, { status: { code: string; message: string } }> };
  const [result] = Object.values(body.data ?? {});
  if (result?.status.code !== 'OK') throw new Error(JSON.stringify(body));
  return result as unknown as Record<string, { loginUrl: string }>;
};

await gql('mutation($i: CreateUsersInput!) { createUsers(input: $i) { status { code message } } }', {
  i: { emails: ['alice@example.com'] },
});
const { issuer } = (await gql(
  'mutation($i: SsoIssuerInput!) { configureSsoIssuer(input: $i) { status { code message } issuer { loginUrl } } }',
  {
    i: {
      name: 'demo',
      discoveryUrl: idp.issuer,
      clientId: 'tessera-demo',
      clientSecret: 'demo-secret',
      scopes: ['openid', 'email', 'profile', 'tessera'],
      attributeMappings: [
        { claim: 'org.account_id', attribute: 'account_id' },
        { claim: 'org.regions', attribute: 'regions' },
        { claim: 'name', attribute: 'display_name' },
      ],
    },
  },
)) as { issuer: { loginUrl: string } };
// bob has no Tessera user: just-in-time provisioning creates him at his first sign-in.
await gql('mutation($i: SsoSettingsInput!) { setSsoSettings(input: $i) { status { code message } } }', {
  i: { jitEnabled: true },
});

console.log(`OpenID Provider: ${idp.issuer}`);
console.log(`Tessera:         ${tessera.url}`);
console.log(
  `\nSign in (login "alice" or "bob", any password):\n  ${issuer.loginUrl}&return_to=/sso/whoami\n`,
);
console.log('Ctrl-C stops both.');

const stop = async () => {
  await tessera.stop(2000);
  await idp.close();
  process.exit(0);
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
