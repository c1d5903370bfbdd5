// Embedded sessions: how fast impersonateUser issues session tokens over HTTP, and what verifying
// a session token adds to a request. Every figure stands beside a baseline from the same run.
import { generateKeyPairSync, randomBytes, randomUUID, sign } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createApp } from '../src/app.ts';
import { type Config, loadConfig } from '../src/config.ts';
import { coreFeatures } from '../src/features.ts';
import { PERMISSIONS } from '../src/modules/auth/permissions.ts';
import { startServer } from '../src/server.ts';
import { createScratchPostgresDatabase } from '../test/helpers/databases.ts';
import { benchDatabaseUrl, printSection, type Row, throughput, time } from './measure.ts';

const CONCURRENCY = 8;
const DURATION_MS = 3000;
const SAMPLES = 300;

async function benchBackend(name: string, database: Config['database']): Promise<void> {
  const config = {
    ...loadConfig({
      NODE_ENV: 'production',
      LOG_LEVEL: 'silent',
      TESSERA_MASTER_KEY: randomBytes(32).toString('base64'),
      // Every call here succeeds; a tight failure limit would not change the figures.
      TESSERA_AUTH_FAILURES_PER_MINUTE: '1000000',
    }),
    database,
  } as Config;
  const app = await createApp(config, { features: coreFeatures() });
  const server = await startServer(app, { host: '127.0.0.1', port: 0 });
  try {
    const ws = await app.services.workspaces.ensureDefault();
    const { token: key } = await app.services.accessKeys.create(
      { workspaceId: ws.id, name: 'bench', permissions: PERMISSIONS, expiresAt: null },
      null,
    );
    await app.services.users.createUsers(
      ws.id,
      { emails: ['bench@acme.test'], userAttributes: [{ key: 'region', value: 'eu' }] },
      { requestId: null, ip: null, actorKeyId: null, actorUserId: null },
    );
    const post = async (query: string, variables: Record<string, unknown> = {}, bearer?: string) => {
      const r = await fetch(`${server.url}/graphql`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          ...(bearer ? { authorization: `Bearer ${bearer}` } : {}),
        },
        body: JSON.stringify({ query, variables }),
      });
      const body = (await r.json()) as { data?: Record<string, unknown>; errors?: unknown[] };
      if (r.status !== 200 || body.errors) throw new Error(`unexpected answer: ${JSON.stringify(body)}`);
      return body.data!;
    };
    const impersonate = () =>
      post(
        'mutation($k: String!, $e: String!, $a: [UserAttributeInput!]) { impersonateUser(accessToken: $k, userEmail: $e, attributes: $a) }',
        { k: key, e: 'bench@acme.test', a: [{ key: 'tenant', value: 't1' }] },
      );
    const session = (await impersonate()).impersonateUser as string;

    // Baseline 1: raw ES256 signing of the same claims in node:crypto (no HTTP, no database).
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const claims = JSON.stringify({
      sub: 'usr_x',
      email: 'bench@acme.test',
      attrs: { tenant: 't1' },
      jti: randomUUID(),
    });
    const rawSign = async () =>
      sign('sha256', Buffer.from(`eyJhbGciOiJFUzI1NiJ9.${Buffer.from(claims).toString('base64url')}`), {
        key: privateKey,
        dsaEncoding: 'ieee-p1363',
      });
    // Baseline 2: a raw node:http endpoint answering a JSON POST with a fixed token.
    const raw = createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify({ data: { impersonateUser: session } }));
      });
    });
    await new Promise<void>((resolve) => raw.listen(0, '127.0.0.1', resolve));
    const rawUrl = `http://127.0.0.1:${(raw.address() as AddressInfo).port}/graphql`;
    const rawPost = async () => {
      const r = await fetch(rawUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{}',
      });
      await r.json();
    };

    const impersonations = await throughput(impersonate, {
      concurrency: CONCURRENCY,
      durationMs: DURATION_MS,
    });
    const signatures = await throughput(rawSign, { concurrency: 1, durationMs: 1000 });
    const rawHttp = await throughput(rawPost, { concurrency: CONCURRENCY, durationMs: DURATION_MS });
    raw.close();

    const me = '{ currentUser { id } }';
    const withSession = await time(() => post(me, {}, session), SAMPLES, 20);
    const withKey = await time(() => post(me, {}, key), SAMPLES, 20);
    const health = await time(() => post('{ health }'), SAMPLES, 20);
    const verifySession = await time(() => app.services.authenticator.authenticate(session), SAMPLES, 20);
    const verifyKey = await time(() => app.services.authenticator.authenticate(key), SAMPLES, 20);

    const rows: Row[] = [
      {
        figure: 'impersonateUser over HTTP',
        tessera: impersonations,
        baseline: rawHttp,
        baselineName: 'raw node:http endpoint',
        unit: 'req/s',
        lowerIsBetter: false,
      },
      {
        figure: 'impersonateUser over HTTP',
        tessera: impersonations,
        baseline: signatures,
        baselineName: 'raw ES256 signing (node:crypto, 1 core)',
        unit: 'ops/s',
        lowerIsBetter: false,
      },
      {
        figure: 'currentUser with a session JWT, median',
        tessera: withSession.medianMs,
        baseline: withKey.medianMs,
        baselineName: 'same request with an access key',
        unit: 'ms',
      },
      {
        figure: 'currentUser with a session JWT, median',
        tessera: withSession.medianMs,
        baseline: health.medianMs,
        baselineName: 'unauthenticated { health }',
        unit: 'ms',
      },
      {
        figure: 'currentUser with a session JWT, p95',
        tessera: withSession.p95Ms,
        baseline: withKey.p95Ms,
        baselineName: 'same request with an access key',
        unit: 'ms',
      },
      {
        figure: 'authenticate(session JWT) in process, median',
        tessera: verifySession.medianMs * 1000,
        baseline: verifyKey.medianMs * 1000,
        baselineName: 'authenticate(access key)',
        unit: 'µs',
      },
    ];
    printSection(`Embedded sessions (${name})`, rows, [
      `impersonateUser: ${CONCURRENCY} concurrent clients for ${DURATION_MS / 1000} s against a real server on 127.0.0.1 (startServer), ` +
        'each call verifying the access key, looking up the user, signing an ES256 token, counting the attempt against the shared failure limit, ' +
        'and writing an audit event and lastActiveSessionTimestamp.',
      'An impersonation is five statements (failure counter, key, user, session start with its audit event, counter release); ' +
        'with PGlite they run one at a time on its single WASM thread, so throughput there is bounded by the database, not by signing.',
      `Session verification = added latency per request: signature and claim checks plus one indexed query (user status and the workspace's session revocation). ` +
        `Medians over ${SAMPLES} sequential requests.`,
    ]);
  } finally {
    await server.stop();
  }
}

await benchBackend('PGlite', { kind: 'pglite', dataDir: null });
const pgUrl = benchDatabaseUrl();
if (pgUrl) {
  const scratch = await createScratchPostgresDatabase(pgUrl);
  try {
    await benchBackend('PostgreSQL', { kind: 'postgres', url: scratch.url, poolSize: 10 });
  } finally {
    await scratch.drop();
  }
}
