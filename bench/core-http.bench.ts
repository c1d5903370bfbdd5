// Requests per second of users(first: 50) over HTTP: the real server (startServer) against a raw
// node:http endpoint that runs the same SQL through the same driver, hit by the same client loop.
import { createHash, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import pg from 'pg';
import { startServer } from '../src/server.ts';
import {
  type BenchApp,
  type BenchBackend,
  benchBackends,
  label,
  persistentPostgresBackend,
  seedUsers,
  startBenchApp,
} from './core-fixture.ts';
import { type LoadResult, runLoad } from './http-load.ts';
import { printSection, type Row } from './measure.ts';

// PostgreSQL at the size the filter has to hold up at, seeded once into a database kept across
// runs; PGlite (in memory, seeded every run) at a size that seeds in seconds.
const POSTGRES_USERS = 1_000_000;
const PGLITE_USERS = 10_000;
const KEPT_DATABASE = 'users_bench_http_1m';
const SEEDED_WORKSPACE = 'http-users';
const CONCURRENCY = 16;
const ROUNDS = 3;
const ROUND_MS = 1500;
const WARMUP_MS = 500;

// tenant-7 holds 1% of the users (10,000 at 1M): a selective filter with many pages to walk.
const FILTER = { key: 'tenant', value: 'tenant-7' };
const QUERY = `query {
  users(first: 50, filter: { attribute: { key: "${FILTER.key}", value: "${FILTER.value}" } }) {
    edges { cursor node { id email status userAttributes { key value source } } }
    pageInfo { hasNextPage endCursor }
  }
}`;

const backends: { backend: BenchBackend; users: number }[] = [
  { backend: benchBackends()[0]!, users: PGLITE_USERS },
];
const kept = persistentPostgresBackend(KEPT_DATABASE);
if (kept) backends.push({ backend: kept, users: POSTGRES_USERS });

const rows: Row[] = [];
const notes: string[] = [];
const statements = countStatements();
for (const { backend, users } of backends) {
  const b = await startBenchApp(backend);
  const ws = await seededWorkspace(b, users, backend.label, notes);
  const tessera = await startServer(b.app, { host: '127.0.0.1', port: 0 });
  const raw = await listen(rawEndpoint(b, ws.id));
  try {
    const load = (url: string) =>
      runLoad({
        url,
        headers: { 'content-type': 'application/json', authorization: `Bearer ${ws.key}` },
        body: JSON.stringify({ query: QUERY }),
        concurrency: CONCURRENCY,
        durationMs: ROUND_MS,
        warmupMs: WARMUP_MS,
      });
    // Alternating short rounds, so load from other processes on this shared machine hits both sides.
    const results = { tessera: [] as LoadResult[], raw: [] as LoadResult[] };
    const sent = { tessera: 0, raw: 0 };
    // Milliseconds the main event loop (where both servers run; the client has its own thread) was busy.
    const busyMs = { tessera: 0, raw: 0 };
    for (let round = 0; round < ROUNDS; round++) {
      for (const side of ['tessera', 'raw'] as const) {
        const before = statements.sent;
        const loop = performance.eventLoopUtilization();
        const started = performance.now();
        results[side].push(await load(side === 'tessera' ? `${tessera.url}/graphql` : raw.url));
        busyMs[side] += performance.eventLoopUtilization(loop).utilization * (performance.now() - started);
        sent[side] += statements.sent - before;
      }
    }
    for (const r of [...results.tessera, ...results.raw])
      if (r.failures > 0) throw new Error(`${r.failures} failed requests, first: ${r.firstFailure}`);
    const viaTessera = combine(results.tessera);
    const viaRaw = combine(results.raw);
    rows.push({
      figure: label(
        backend,
        `users(first: 50, filter) at ${users.toLocaleString('en-US')} users, ${CONCURRENCY} concurrent clients`,
      ),
      tessera: viaTessera.requestsPerSecond,
      baseline: viaRaw.requestsPerSecond,
      baselineName: 'raw node:http + same SQL',
      unit: 'req/s',
      lowerIsBetter: false,
    });
    notes.push(
      `${backend.label}: ${viaTessera.requests} Tessera and ${viaRaw.requests} raw requests measured, none failed.`,
    );
    // Every request of a round, warm-up included, against what the round cost.
    const answered = (side: 'tessera' | 'raw') =>
      results[side].reduce((n, r) => n + r.requests + r.warmupRequests, 0);
    const busy = (side: 'tessera' | 'raw') => (busyMs[side] / answered(side)).toFixed(2);
    notes.push(
      `${backend.label}: main event loop busy per request: Tessera ${busy('tessera')} ms, raw ${busy('raw')} ms.`,
    );
    if (statements.sent > 0) {
      const perRequest = (side: 'tessera' | 'raw') => (sent[side] / answered(side)).toFixed(2);
      notes.push(
        `${backend.label}: SQL statements sent per request (each one round trip): Tessera ${perRequest('tessera')}, raw ${perRequest('raw')}.`,
      );
    }
  } finally {
    for (const server of [raw.server, tessera.server]) {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    }
    await b.close();
  }
}

printSection('Core: users(first: 50, filter) requests per second over HTTP', rows, [
  `${POSTGRES_USERS.toLocaleString('en-US')} users on PostgreSQL (${PGLITE_USERS.toLocaleString('en-US')} on PGlite) with 5 attributes each; every request asks`,
  `for the first 50 users with ${FILTER.key} = ${FILTER.value} (1% of them), with id, email, status and attributes.`,
  'Tessera is the real server (`startServer`, 127.0.0.1, access-key auth). The baseline is a bare',
  'node:http handler on the same database connection that checks the same key (SELECT + SHA-256), runs',
  'the ordered index page query and the attribute query, and writes the same JSON.',
  `The PostgreSQL users are seeded once with set-based SQL into the database ${KEPT_DATABASE}, kept and`,
  'reused by later runs while it holds the same number of users.',
  `Both are driven by one client loop (fetch with keep-alive, ${CONCURRENCY} concurrent requests) in a worker`,
  `thread, in ${ROUNDS} alternating rounds of ${WARMUP_MS / 1000} s warm-up and ${ROUND_MS / 1000} s measured each. Higher is better.`,
  ...notes,
]);

/**
 * Counts the statements the pg driver sends (PostgreSQL only; PGlite has no pg client), so the
 * figure says whether a gap comes from more round trips or from work in the process.
 */
function countStatements(): { readonly sent: number } {
  const counter = { sent: 0 };
  const query = pg.Client.prototype.query;
  pg.Client.prototype.query = function (this: pg.Client, ...args: unknown[]) {
    counter.sent++;
    return (query as (...a: unknown[]) => unknown).apply(this, args);
  } as typeof query;
  return counter;
}

function combine(rounds: readonly LoadResult[]): { requestsPerSecond: number; requests: number } {
  const requests = rounds.reduce((n, r) => n + r.requests, 0);
  const seconds = rounds.reduce((n, r) => n + r.requests / r.requestsPerSecond, 0);
  return { requestsPerSecond: requests / seconds, requests };
}

/** The least a hand-written endpoint does for the same answer: auth, two queries, JSON. */
function rawEndpoint(b: BenchApp, workspaceId: string) {
  return async (req: IncomingMessage, body: string): Promise<{ status: number; body: string }> => {
    JSON.parse(body);
    const token = /^Bearer (tsk_([0-9a-z]{16})_(.+))$/.exec(req.headers.authorization ?? '');
    const [key] = token ? await b.raw<any>('select * from access_keys where id = $1', [token[2]]) : [];
    const presented = createHash('sha256')
      .update(token?.[3] ?? '')
      .digest();
    if (!key || !timingSafeEqual(key.secret_hash, presented) || key.workspace_id !== workspaceId)
      return { status: 401, body: '{"errors":[{"message":"Unauthorized"}]}' };
    const users = await b.raw<any>(
      `select distinct on (a.email_normalized, a.user_id) u.* from user_attributes a
       join users u on u.id = a.user_id
       where a.workspace_id = $1 and a.key = $2 and a.value = $3 and octet_length(a.value) <= 2048
       and u.workspace_id = $1
       order by a.email_normalized, a.user_id limit 51`,
      [workspaceId, FILTER.key, FILTER.value],
    );
    const page = users.slice(0, 50);
    const attributes = await b.raw<any>(
      'select user_id, key, value, source from user_attributes where user_id = any($1::text[]) order by user_id, source, key',
      [page.map((u) => u.id)],
    );
    const byUser = new Map<string, { key: string; value: string; source: string }[]>();
    for (const a of attributes) {
      const list = byUser.get(a.user_id) ?? [];
      list.push({ key: a.key, value: a.value, source: a.source });
      byUser.set(a.user_id, list);
    }
    const cursor = (u: any) =>
      Buffer.from(JSON.stringify([u.email_normalized, u.id]), 'utf8').toString('base64url');
    return {
      status: 200,
      body: JSON.stringify({
        data: {
          users: {
            edges: page.map((u) => ({
              cursor: cursor(u),
              node: { id: u.id, email: u.email, status: u.status, userAttributes: byUser.get(u.id) ?? [] },
            })),
            pageInfo: { hasNextPage: users.length > 50, endCursor: page.length ? cursor(page.at(-1)) : null },
          },
        },
      }),
    };
  };
}

async function listen(
  handle: (req: IncomingMessage, body: string) => Promise<{ status: number; body: string }>,
): Promise<{ server: Server; url: string }> {
  const server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    try {
      const out = await handle(req, Buffer.concat(chunks).toString('utf8'));
      res.writeHead(out.status, { 'content-type': 'application/json; charset=utf-8' }).end(out.body);
    } catch (err) {
      res.writeHead(500).end(String(err));
    }
  });
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql` };
}

/**
 * The workspace holding `count` seeded users: the one a previous run left in a kept database
 * when its count matches (seeding is one transaction, so a stopped run leaves none), else a new
 * one seeded now.
 */
async function seededWorkspace(
  b: BenchApp,
  count: number,
  backendLabel: string,
  notes: string[],
): Promise<{ id: string; key: string }> {
  const found = await b.raw<{ id: string; n: string }>(
    `select w.id, (select count(*) from users u where u.workspace_id = w.id) as n
     from workspaces w where w.name like $1 || '%' order by w.created_at desc`,
    [SEEDED_WORKSPACE],
  );
  const reusable = found.find((w) => Number(w.n) === count);
  if (reusable) {
    notes.push(
      `${backendLabel}: reused the ${count.toLocaleString('en-US')} users seeded by an earlier run.`,
    );
    return { id: reusable.id, key: await b.key(reusable.id) };
  }
  const ws = await b.workspace(`${SEEDED_WORKSPACE}-${found.length + 1}`);
  const started = performance.now();
  await seedUsers(b, ws.id, count, `http${found.length + 1}`);
  notes.push(
    `${backendLabel}: seeding ${count.toLocaleString('en-US')} users took ${Math.round((performance.now() - started) / 1000)} s.`,
  );
  return ws;
}
