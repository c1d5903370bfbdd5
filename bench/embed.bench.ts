// The embed page and the host SDK over HTTP: what serving the page costs (verifying the URL's
// session token and reading the workspace's allowed origins, to build the frame-ancestors CSP)
// against the plain health check, and the SDK script against the same baseline. Bundle sizes
// are listed as notes.
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { createApp } from '../src/app.ts';
import { type Config, loadConfig } from '../src/config.ts';
import { WEB_DIST } from '../src/modules/embed/assets.ts';
import { startServer } from '../src/server.ts';
import { ensureWebBuilt } from '../test/helpers/web-build.ts';
import { printSection, type Row, time } from './measure.ts';

const SAMPLES = 400;

await ensureWebBuilt();
const config = {
  ...loadConfig({
    NODE_ENV: 'production',
    LOG_LEVEL: 'silent',
    TESSERA_MASTER_KEY: randomBytes(32).toString('base64'),
  }),
  database: { kind: 'pglite', dataDir: null },
} as Config;
const app = await createApp(config);
const server = await startServer(app, { host: '127.0.0.1', port: 0 });
try {
  const ws = await app.services.workspaces.ensureDefault();
  const { token: key } = await app.services.accessKeys.create(
    { workspaceId: ws.id, name: 'bench', permissions: ['iam:write', 'impersonate'], expiresAt: null },
    null,
  );
  await app.services.users.createUsers(
    ws.id,
    { emails: ['bench@acme.test'] },
    { requestId: null, ip: null, actorKeyId: null, actorUserId: null },
  );
  await app.services.sessions.setAllowedEmbedOrigins(ws.id, ['https://app.acme.example'], {
    requestId: null,
    ip: null,
    actorKeyId: null,
    actorUserId: null,
  });
  const r = await fetch(`${server.url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      query: 'mutation($k: String!) { impersonateUser(accessToken: $k, userEmail: "bench@acme.test") }',
      variables: { k: key },
    }),
  });
  const session = ((await r.json()) as { data: { impersonateUser: string } }).data.impersonateUser;

  const get = (path: string) => async () => {
    const response = await fetch(`${server.url}${path}`);
    if (response.status !== 200) throw new Error(`${path}: HTTP ${response.status}`);
    await response.arrayBuffer();
  };
  // Warm every route first, so the first one measured (the baseline) is not the one paying for JIT.
  for (const path of ['/healthz', `/embed/dashboards/sales-overview?token=${session}`, '/sdk/embed.js']) {
    await time(get(path), 200, 0);
  }
  const health = await time(get('/healthz'), SAMPLES, 100);
  const page = await time(get(`/embed/dashboards/sales-overview?token=${session}`), SAMPLES, 100);
  const pageNoToken = await time(get('/embed/dashboards/sales-overview'), SAMPLES, 100);
  const sdk = await time(get('/sdk/embed.js'), SAMPLES, 100);

  const baseline = { baseline: health.medianMs, baselineName: 'GET /healthz', unit: 'ms' };
  const rows: Row[] = [
    {
      figure: 'embed page with a session token (verify + allowed origins), median',
      tessera: page.medianMs,
      ...baseline,
    },
    {
      figure: 'embed page with a session token, p95',
      tessera: page.p95Ms,
      ...baseline,
      baseline: health.p95Ms,
    },
    { figure: 'embed page without a token, median', tessera: pageNoToken.medianMs, ...baseline },
    { figure: 'GET /sdk/embed.js, median', tessera: sdk.medianMs, ...baseline },
  ];
  const size = (file: string) => {
    const body = readFileSync(new URL(file, WEB_DIST));
    return `${body.length.toLocaleString('en-US')} bytes (${gzipSync(body).length.toLocaleString('en-US')} gzipped)`;
  };
  printSection('Embed page and host SDK (PGlite, over HTTP)', rows, [
    `Bundle sizes: embed app ${size('embed/embed.js')}, styles ${size('embed/embed.css')}, SDK ${size('sdk/embed.js')}.`,
  ]);
} finally {
  await server.stop();
}
