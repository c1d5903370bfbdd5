// Embedded sessions: how fast impersonateUser issues session tokens over HTTP, and what verifying
// a session token adds to a request. Every figure stands beside a baseline from the same run.
import { generateKeyPairSync, randomBytes, randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CompactSign } from 'jose';
import { createApp } from '../src/app.ts';
import { type Config, loadConfig } from '../src/config.ts';
import { PERMISSIONS } from '../src/modules/auth/permissions.ts';
import { startServer } from '../src/server.ts';
import { createScratchPostgresDatabase } from '../test/helpers/databases.ts';
import { combineRounds, type LoadResult, runLoad } from './http-load.ts';
import { benchDatabaseUrl, printSection, type Row, time } from './measure.ts';

const CONCURRENCY = 64;
const ROUNDS = 3;
const WARMUP_MS = 500;
const ROUND_MS = Number(process.env.BENCH_ROUND_MS ?? 2000);
const SAMPLES = 300;
const IMPERSONATE =
  'mutation($k: String!, $e: String!, $a: [UserAttributeInput!]) { impersonateUser(accessToken: $k, userEmail: $e, attributes: $a) }';
const IMPERSONATE_BODY = (key: string) =>
  JSON.stringify({
    query: IMPERSONATE,
    variables: { k: key, e: 'bench@acme.test', a: [{ key: 'tenant', value: 't1' }] },
  });

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
  const app = await createApp(config);
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
    const session = (
      await post(IMPERSONATE, { k: key, e: 'bench@acme.test', a: [{ key: 'tenant', value: 't1' }] })
    ).impersonateUser as string;

    // The baseline: what a backend would write instead, a node:http endpoint that parses the
    // same JSON body and signs the same claims with jose ES256 (no database, no GraphQL).
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const encoder = new TextEncoder();
    const raw = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', async () => {
        const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { variables: { e: string } };
        const iat = Math.floor(Date.now() / 1000);
        const claims = {
          sub: 'usr_x',
          email: body.variables.e,
          attrs: { tenant: 't1' },
          iat,
          exp: iat + 3600,
          jti: randomUUID(),
        };
        const token = await new CompactSign(encoder.encode(JSON.stringify(claims)))
          .setProtectedHeader({ alg: 'ES256', kid: 'k', typ: 'session+jwt' })
          .sign(privateKey);
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify({ data: { impersonateUser: token } }));
      });
    });
    await new Promise<void>((resolve) => raw.listen(0, '127.0.0.1', resolve));
    const rawUrl = `http://127.0.0.1:${(raw.address() as AddressInfo).port}/graphql`;
    // Both servers run on this thread (the clients in a worker): its CPU time per request answered
    // (warm-up included) is the cost of a call, and moves far less with the machine's load than req/s.
    const cpu = { tessera: { us: 0, requests: 0 }, raw: { us: 0, requests: 0 } };
    const load = async (url: string, side: keyof typeof cpu) => {
      const before = process.threadCpuUsage();
      const result = await runLoad({
        url,
        headers: { 'content-type': 'application/json' },
        body: IMPERSONATE_BODY(key),
        concurrency: CONCURRENCY,
        durationMs: ROUND_MS,
        warmupMs: WARMUP_MS,
      });
      const used = process.threadCpuUsage(before);
      cpu[side].us += used.user + used.system;
      cpu[side].requests += result.requests + result.warmupRequests;
      return result;
    };
    // Alternating rounds, so load from other processes on this shared machine hits both sides.
    const rounds = { tessera: [] as LoadResult[], raw: [] as LoadResult[] };
    for (let round = 0; round < ROUNDS; round++) {
      rounds.tessera.push(await load(`${server.url}/graphql`, 'tessera'));
      rounds.raw.push(await load(rawUrl, 'raw'));
    }
    for (const r of [...rounds.tessera, ...rounds.raw])
      if (r.failures > 0) throw new Error(`${r.failures} failed requests, first: ${r.firstFailure}`);
    await new Promise<void>((resolve) => {
      raw.close(() => resolve());
      raw.closeAllConnections();
    });
    const impersonations = combineRounds(rounds.tessera);
    const rawHttp = combineRounds(rounds.raw);

    const me = '{ currentUser { id } }';
    const withSession = await time(() => post(me, {}, session), SAMPLES, 20);
    const withKey = await time(() => post(me, {}, key), SAMPLES, 20);
    const health = await time(() => post('{ health }'), SAMPLES, 20);
    const verifySession = await time(() => app.services.authenticator.authenticate(session), SAMPLES, 20);
    const verifyKey = await time(() => app.services.authenticator.authenticate(key), SAMPLES, 20);

    const rows: Row[] = [
      {
        figure: `impersonateUser over HTTP, ${CONCURRENCY} concurrent clients`,
        tessera: impersonations.requestsPerSecond,
        baseline: rawHttp.requestsPerSecond,
        baselineName: 'node:http + jose ES256 sign',
        unit: 'req/s',
        lowerIsBetter: false,
      },
      {
        figure: 'server CPU per impersonateUser (its thread)',
        tessera: cpu.tessera.us / cpu.tessera.requests,
        baseline: cpu.raw.us / cpu.raw.requests,
        baselineName: 'node:http + jose ES256 sign',
        unit: 'µs',
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
      `impersonateUser: ${CONCURRENCY} concurrent clients (fetch with keep-alive, in a worker thread) against a real server on 127.0.0.1 ` +
        `(startServer), in ${ROUNDS} rounds of ${WARMUP_MS / 1000} s warm-up and ${ROUND_MS / 1000} s measured, alternating with the baseline. ` +
        "Each call checks the failure limit, verifies the access key, looks up the user and its transient attributes' definitions, signs an ES256 token " +
        'and writes an audit event and lastActiveSessionTimestamp.',
      `${name}: ${impersonations.requests} Tessera and ${rawHttp.requests} baseline requests measured, none failed. ` +
        "Server CPU: the server thread's CPU time (process.threadCpuUsage) over all rounds, warm-up included, per request answered; " +
        'the database server and the clients are not in it.',
      'Goal (issue 13, goal 2): impersonateUser ≥ 2,000 req/s on PostgreSQL and ≥ 0.35× the node:http + jose ES256 ' +
        'baseline; ≥ 1,000 req/s on PGlite. A success is two statements, each shared by the calls that arrive together ' +
        '(key, user, transient-attribute definitions and failure counts; then the session start with its audit event).',
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
