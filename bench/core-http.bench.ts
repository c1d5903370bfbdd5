// Requests per second of users(first: 50) over HTTP: the real server (startServer) against a raw
// node:http endpoint that runs the same SQL through the same driver, hit by the same client loop.
import { createHash, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { startServer } from '../src/server.ts';
import { benchBackends, label, seedUsers, startBenchApp } from './core-fixture.ts';
import { type LoadResult, runLoad } from './http-load.ts';
import { printSection, type Row } from './measure.ts';

// The first page costs the same at any size (keyset over the email index); 10k keeps seeding short.
const USERS = 10_000;
const CONCURRENCY = 16;
const ROUNDS = 3;
const ROUND_MS = 1500;
const WARMUP_MS = 500;

const QUERY = `query {
  users(first: 50) {
    edges { cursor node { id email status userAttributes { key value source } } }
    pageInfo { hasNextPage endCursor }
  }
}`;

const rows: Row[] = [];
const notes: string[] = [];
for (const backend of benchBackends()) {
  const b = await startBenchApp(backend);
  const ws = await b.workspace('http');
  await seedUsers(b, ws.id, USERS, 'http');
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
    for (let round = 0; round < ROUNDS; round++) {
      results.tessera.push(await load(`${tessera.url}/graphql`));
      results.raw.push(await load(raw.url));
    }
    for (const r of [...results.tessera, ...results.raw])
      if (r.failures > 0) throw new Error(`${r.failures} failed requests, first: ${r.firstFailure}`);
    const viaTessera = combine(results.tessera);
    const viaRaw = combine(results.raw);
    rows.push({
      figure: label(backend, `users(first: 50) over HTTP, ${CONCURRENCY} concurrent clients`),
      tessera: viaTessera.requestsPerSecond,
      baseline: viaRaw.requestsPerSecond,
      baselineName: 'raw node:http + same SQL',
      unit: 'req/s',
      lowerIsBetter: false,
    });
    notes.push(
      `${backend.label}: ${viaTessera.requests} Tessera and ${viaRaw.requests} raw requests measured, none failed.`,
    );
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

printSection('Core: users(first: 50) requests per second over HTTP', rows, [
  `${USERS.toLocaleString('en-US')} users with 5 attributes each; every request asks for the first 50 with`,
  'id, email, status and attributes. Tessera is the real server (`startServer`, 127.0.0.1, access-key',
  'auth). The baseline is a bare node:http handler on the same database connection that checks the same',
  'key (SELECT + SHA-256), runs the page query and the attribute query, and writes the same JSON.',
  `Both are driven by one client loop (fetch with keep-alive, ${CONCURRENCY} concurrent requests) in a worker`,
  `thread, in ${ROUNDS} alternating rounds of ${WARMUP_MS / 1000} s warm-up and ${ROUND_MS / 1000} s measured each. Higher is better.`,
  ...notes,
]);

function combine(rounds: readonly LoadResult[]): { requestsPerSecond: number; requests: number } {
  const requests = rounds.reduce((n, r) => n + r.requests, 0);
  const seconds = rounds.reduce((n, r) => n + r.requests / r.requestsPerSecond, 0);
  return { requestsPerSecond: requests / seconds, requests };
}

/** The least a hand-written endpoint does for the same answer: auth, two queries, JSON. */
function rawEndpoint(b: Awaited<ReturnType<typeof startBenchApp>>, workspaceId: string) {
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
      'select * from users where workspace_id = $1 order by email_normalized, id limit 51',
      [workspaceId],
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
