// `npm run example`: a self-contained embedding demo. Starts Tessera on an in-memory PGlite
// database, creates an access key that may impersonate, two users with attributes, and allows
// the example host's origin to frame the embed page; then starts the example host.
//
// Environment (all optional): TESSERA_PORT (4000), EXAMPLE_PORT (3000),
// TESSERA_SESSION_TTL_SECONDS (60 here, so renewals are visible within a minute).
import { createApp } from '../../src/app.ts';
import { loadConfig } from '../../src/config.ts';
import { startServer } from '../../src/server.ts';
import { startExampleHost } from './server.ts';

const tesseraPort = Number(process.env.TESSERA_PORT ?? 4000);
const hostPort = Number(process.env.EXAMPLE_PORT ?? 3000);
const tesseraUrl = `http://127.0.0.1:${tesseraPort}`;

/** A busy port is the likely failure here: say which variable moves it. */
function portInUse(err: unknown, variable: string, port: number): never {
  if ((err as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw err;
  console.error(`Port ${port} is in use: set ${variable} to another port.`);
  process.exit(1);
}

const config = {
  ...loadConfig({
    ...process.env,
    HOST: '127.0.0.1',
    PORT: String(tesseraPort),
    TESSERA_PUBLIC_URL: tesseraUrl,
    TESSERA_SESSION_TTL_SECONDS: process.env.TESSERA_SESSION_TTL_SECONDS ?? '60',
    LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn',
  }),
  database: { kind: 'pglite', dataDir: null },
  dataDir: null,
} as const;
const app = await createApp(config);
const tessera = await startServer(app).catch((err) => portInUse(err, 'TESSERA_PORT', tesseraPort));

const workspace = await app.services.workspaces.ensureDefault();
const { token: adminKey } = await app.services.accessKeys.create(
  { workspaceId: workspace.id, name: 'example setup', permissions: ['iam:write'], expiresAt: null },
  null,
);
const { token: impersonateKey } = await app.services.accessKeys.create(
  { workspaceId: workspace.id, name: 'example host', permissions: ['impersonate'], expiresAt: null },
  null,
);

/** The setup goes through the public API, exactly as you would with curl. */
async function gql(query: string, variables: Record<string, unknown>): Promise<Record<string, unknown>> {
  const r = await fetch(`${tesseraUrl}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${adminKey}` },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await r.json()) as { data?: Record<string, unknown>; errors?: unknown[] };
  if (!r.ok || body.errors) throw new Error(`setup failed: ${JSON.stringify(body)}`);
  return body.data!;
}

for (const [email, account] of [
  ['alice@acme.example', 'acme'],
  ['bob@globex.example', 'globex'],
] as const) {
  await gql(
    'mutation($input: CreateUsersInput!) { createUsers(input: $input) { status { code message } } }',
    {
      input: {
        emails: [email],
        roleAssignments: [{ roleId: '00000000-0000-0000-0000-000000000003', scopes: ['default'] }],
        userAttributes: [
          { key: 'account_id', value: account },
          { key: 'region', value: 'eu-west' },
        ],
      },
    },
  );
}

const host = await startExampleHost({ tesseraUrl, accessKey: impersonateKey, port: hostPort }).catch(
  async (err) => {
    await tessera.stop();
    return portInUse(err, 'EXAMPLE_PORT', hostPort);
  },
);
await gql(
  'mutation($input: UpdateWorkspaceEmbedSettingsInput!) { updateWorkspaceEmbedSettings(input: $input) { status { code message } } }',
  { input: { allowedEmbedOrigins: [host.url] } },
);

console.error(`
Tessera       ${tesseraUrl}  (in-memory database; sessions last ${config.sessionTtlSeconds} s)
Example host  ${host.url}   <- open this, sign in as alice@acme.example or bob@globex.example

The embedded page renews its token ${10} s before expiry; the host's event log shows each renewal.
Press Ctrl+C to stop.`);

const shutdown = async () => {
  await host.stop();
  await tessera.stop();
  process.exit(0);
};
process.once('SIGINT', () => void shutdown());
process.once('SIGTERM', () => void shutdown());
