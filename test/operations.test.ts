// What an operator probes, scrapes and reads: /healthz, /readyz, /metrics and the request log.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import { describe, test } from 'node:test';
import { pino } from 'pino';
import { createApp } from '../src/app.ts';
import type { Config } from '../src/config.ts';
import { logRequest } from '../src/http/request-log.ts';
import { Router } from '../src/http/router.ts';
import { Metrics } from '../src/metrics.ts';
import { PERMISSIONS } from '../src/modules/auth/permissions.ts';
import { testConfig } from './helpers/app.ts';
import { testBackends } from './helpers/databases.ts';

/** An app whose log lines are collected as parsed JSON. */
async function appWithLog(backend: ReturnType<typeof testBackends>[number]) {
  const lines: Record<string, any>[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const l of chunk.toString().split('\n')) if (l) lines.push(JSON.parse(l));
      done();
    },
  });
  const { database, drop } = await backend.open();
  const config = { ...testConfig(), database } as Config;
  const app = await createApp(config, { logger: pino({ level: 'info' }, sink) });
  const ws = await app.services.workspaces.ensureDefault();
  const { token } = await app.services.accessKeys.create(
    { workspaceId: ws.id, name: 'ops', permissions: PERMISSIONS, expiresAt: null },
    null,
  );
  const get = (path: string) => app.fetch(new Request(`http://tessera.test${path}`));
  const gql = (
    query: string,
    variables: Record<string, unknown> = {},
    headers: Record<string, string> = {},
  ) =>
    app.fetch(
      new Request('http://tessera.test/graphql', {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}`, ...headers },
        body: JSON.stringify({ query, variables }),
      }),
      { ip: `10.${randomBytes(3).join('.')}` },
    );
  return {
    app,
    token,
    lines,
    get,
    gql,
    drop,
    close: async () => {
      await app.close();
      await drop();
    },
  };
}

for (const backend of testBackends()) {
  describe(`operations endpoints (${backend.name})`, () => {
    test('/healthz is liveness; /readyz checks the database and migrations', async () => {
      const o = await appWithLog(backend);
      try {
        assert.equal((await o.get('/healthz')).status, 200);
        const ready = await o.get('/readyz');
        assert.equal(ready.status, 200);
        assert.deepEqual(await ready.json(), { status: 'ready' });
        // A migration this code knows of but the database lacks: not ready.
        await o.app.services.db
          .deleteFrom('tessera_migrations' as never)
          .where('name' as never, '=', '0005_indexes' as never)
          .execute();
        const behind = await o.get('/readyz');
        assert.equal(behind.status, 503);
        assert.match(JSON.stringify(await behind.json()), /0005_indexes/);
      } finally {
        await o.close();
      }
    });

    test('/metrics: requests by operation and outcome, pools, outbox, rate-limit refusals, memory', async () => {
      const o = await appWithLog(backend);
      try {
        await o.gql('{ listUsers { id } }');
        await o.gql(
          'mutation { createUsers(input: { emails: ["m@example.com"], sendWelcomeEmail: true }) { status { code } } }',
        );
        await o.gql('{ user(id: "nope") { id } }');
        const ip = { 'x-ignored': '1' };
        for (let i = 0; i < 12; i++) {
          await o.app.fetch(
            new Request('http://tessera.test/graphql', {
              method: 'POST',
              headers: { 'content-type': 'application/json', ...ip },
              body: JSON.stringify({
                query:
                  'mutation($k: String!) { impersonateUser(accessToken: $k, userEmail: "m@example.com") }',
                variables: { k: `tsk_${randomBytes(8).toString('hex')}_${'C'.repeat(43)}` },
              }),
            }),
            { ip: '10.9.9.9' },
          );
        }
        const r = await o.get('/metrics');
        assert.equal(r.status, 200);
        assert.match(r.headers.get('content-type')!, /^text\/plain/);
        const text = await r.text();
        assert.match(text, /tessera_requests_total\{operation="listUsers",outcome="ok"\} 1/);
        assert.match(
          text,
          /tessera_request_duration_seconds_bucket\{le="[^"]+",operation="createUsers",outcome="ok"\}/,
        );
        assert.match(text, /tessera_rate_limit_refusals_total [1-9]/);
        assert.match(text, /tessera_outbox_messages\{state="QUEUED"\} 1/);
        assert.match(text, /process_resident_memory_bytes \d+/);
        assert.match(text, /tessera_outbox_delivery_failures_total 0/);
        if (backend.name === 'postgres') {
          assert.match(text, /tessera_db_pool_connections\{database="tessera",lane="main"\} [1-9]/);
          assert.match(text, /tessera_db_pool_waiting\{database="tessera",lane="reserved"\} 0/);
        }
      } finally {
        await o.close();
      }
    });

    test('one info line per request with its id, operation, status and duration', async () => {
      const o = await appWithLog(backend);
      try {
        await o.gql('{ listUsers { id } }', {}, { 'x-request-id': 'req-ops-1' });
        const line = o.lines.find((l) => l.requestId === 'req-ops-1' && l.msg === 'request');
        assert.ok(line, 'the request was logged');
        assert.equal(line.level, 30);
        assert.equal(line.operation, 'listUsers');
        assert.equal(line.status, 200);
        assert.equal(typeof line.durationMs, 'number');
      } finally {
        await o.close();
      }
    });

    test('a request whose client went away is logged at info and counted as CLIENT_GONE, not as a failure', async () => {
      const o = await appWithLog(backend);
      try {
        // The client is gone before anything runs: on PostgreSQL its statements are not even sent
        // (a 503 QUERY_TIMEOUT nobody reads); PGlite answers as usual. Either way, no error line.
        await o.app.fetch(
          new Request('http://tessera.test/graphql', {
            method: 'POST',
            headers: {
              'content-type': 'application/json',
              authorization: `Bearer ${o.token}`,
              'x-request-id': 'req-ops-gone',
            },
            body: JSON.stringify({ query: '{ listUsers { id } }' }),
            signal: AbortSignal.abort(),
          }),
        );
        const line = o.lines.find((l) => l.requestId === 'req-ops-gone');
        assert.ok(line, JSON.stringify(o.lines.slice(-3)));
        assert.equal(line.msg, 'request');
        assert.equal(line.level, 30);
        assert.equal(line.clientGone, true);
        if (backend.name === 'postgres') assert.equal(line.status, 503);
        const metrics = await (await o.get('/metrics')).text();
        assert.match(metrics, /tessera_requests_total\{operation="[^"]+",outcome="CLIENT_GONE"\} 1/);
      } finally {
        await o.close();
      }
    });

    test('a 5xx is logged at error level with its cause and request id', async () => {
      const o = await appWithLog(backend);
      try {
        // The database handle closed under the app: every statement fails, unexpectedly.
        await o.app.db.close();
        const r = await o.gql('{ listUsers { id } }', {}, { 'x-request-id': 'req-ops-500' });
        assert.ok(r.status >= 500, String(r.status));
        const failed = o.lines.find((l) => l.requestId === 'req-ops-500' && l.msg === 'request failed');
        assert.ok(failed, JSON.stringify(o.lines.slice(-3)));
        assert.equal(failed.level, 50);
        assert.ok(failed.err?.message, 'the cause is in the line');
      } finally {
        await o.app.close().catch(() => {}); // its database is closed already
        await o.drop();
      }
    });
  });
}

test('gate refusals are counted by code', async () => {
  const m = new Metrics();
  m.observeRequest('runQuery', ['QUERY_REFUSED'], 0.01);
  m.observeRequest('runQuery', ['MISSING_ATTRIBUTE'], 0.01);
  m.observeRequest('listUsers', ['NOT_FOUND'], 0.01);
  const text = (await m.render()).body;
  assert.match(text, /tessera_gate_refusals_total\{code="QUERY_REFUSED"\} 1/);
  assert.match(text, /tessera_gate_refusals_total\{code="MISSING_ATTRIBUTE"\} 1/);
  assert.doesNotMatch(text, /tessera_gate_refusals_total\{code="NOT_FOUND"\}/);
});

test('a gone client makes a 503 an info line, never a 500: that stays an error with its cause', async () => {
  const lines: Record<string, any>[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const l of chunk.toString().split('\n')) if (l) lines.push(JSON.parse(l));
      done();
    },
  });
  const metrics = new Metrics();
  const target = { log: pino({ level: 'info' }, sink), metrics, router: new Router() };
  const answered = (requestId: string, status: number, code: string) =>
    logRequest(target, {
      request: { method: 'POST', path: '/graphql' },
      requestId,
      report: { operation: 'runQuery', codes: [code], cause: new Error(code) },
      status,
      ms: 1,
      clientGone: true,
    });
  answered('gone-503', 503, 'QUERY_TIMEOUT');
  answered('gone-500', 500, 'INTERNAL_SERVER_ERROR');
  const line = (id: string) => lines.find((l) => l.requestId === id)!;
  assert.equal(line('gone-503').level, 30);
  assert.equal(line('gone-503').clientGone, true);
  assert.equal(line('gone-500').level, 50);
  assert.equal(line('gone-500').msg, 'request failed');
  assert.equal(line('gone-500').err?.message, 'INTERNAL_SERVER_ERROR');
  assert.equal(line('gone-500').clientGone, undefined);
  const text = (await metrics.render()).body;
  assert.match(text, /tessera_requests_total\{operation="runQuery",outcome="CLIENT_GONE"\} 1/);
  assert.match(text, /tessera_requests_total\{operation="runQuery",outcome="INTERNAL_SERVER_ERROR"\} 1/);
});
