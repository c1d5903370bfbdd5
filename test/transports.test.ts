import assert from 'node:assert/strict';
import { request } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { startServer } from '../src/server.ts';
import { rowCounts } from './helpers/api.ts';
import { startTestApp, type TestApp } from './helpers/app.ts';
import { testBackends } from './helpers/databases.ts';

/**
 * Over real HTTP (node:http in front of the app, as `tessera serve` runs it): every transport the
 * server offers answers with a body, and every malformed method, path or query string is a 4xx
 * with a stable code (docs/limits.md).
 */
interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

function send(
  base: string,
  method: string,
  path: string,
  headers: Record<string, string> = {},
  body?: string,
) {
  const url = new URL(base);
  return new Promise<Reply>((resolve, reject) => {
    const req = request({ host: url.hostname, port: url.port, method, path, headers }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        text += chunk;
      });
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

for (const backend of testBackends()) {
  describe(`transports and malformed requests over HTTP (${backend.name})`, () => {
    let t: TestApp;
    let base: string;
    let close: () => Promise<void>;
    before(async () => {
      t = await startTestApp(backend);
      const running = await startServer(t.app, { host: '127.0.0.1', port: 0 });
      base = running.url;
      close = () => new Promise((resolve) => running.server.close(() => resolve()));
    });
    after(async () => {
      await close();
      await t.close();
    });
    const post = (accept: string, query: string) =>
      send(
        base,
        'POST',
        '/graphql',
        { 'content-type': 'application/json', accept, authorization: `Bearer ${t.rootKey}` },
        JSON.stringify({ query }),
      );

    it('Accept: text/event-stream streams a query and a mutation as SSE events', async () => {
      const q = await post('text/event-stream', '{ health }');
      assert.equal(q.status, 200);
      assert.match(String(q.headers['content-type']), /^text\/event-stream/);
      assert.match(q.body, /event: next\ndata: \{"data":\{"health":"ok"\}\}/);
      assert.match(q.body, /event: complete/);
      const m = await post(
        'text/event-stream',
        'mutation { createUsers(input: { emails: ["sse@t.test"] }) { status { code } } }',
      );
      assert.match(m.body, /"createUsers":\{"status":\{"code":"OK"\}\}/);
    });

    it('Accept: multipart/mixed answers a query and a mutation as multipart parts', async () => {
      const q = await post('multipart/mixed', '{ health }');
      assert.equal(q.status, 200);
      assert.match(String(q.headers['content-type']), /^multipart\/mixed/);
      assert.match(q.body, /\{"data":\{"health":"ok"\}\}/);
      const m = await post(
        'multipart/mixed',
        'mutation { createUsers(input: { emails: ["multi@t.test"] }) { status { code } } }',
      );
      assert.match(m.body, /"createUsers":\{"status":\{"code":"OK"\}\}/);
    });

    it('an Accept the server cannot produce is 406 with a body, never an empty reply', async () => {
      const r = await post('text/csv', '{ health }');
      assert.equal(r.status, 406);
      assert.equal(JSON.parse(r.body).errors[0].extensions.code, 'BAD_REQUEST');
      assert.match(String(r.headers.accept), /text\/event-stream/);
    });

    const malformed: [string, string, string, number][] = [
      ['TRACE /graphql', 'TRACE', '/graphql', 405],
      ['TRACE on a route', 'TRACE', '/embed/dashboards/x', 405],
      ['CONNECT-style target', 'GET', 'http://[/graphql', 400],
      ['a target with credentials', 'GET', 'http://user:pass@tessera.test/graphql?query=%7Bhealth%7D', 400],
      [
        'GET /graphql with variables that are not JSON',
        'GET',
        '/graphql?query=%7Bhealth%7D&variables=%7Bbad',
        400,
      ],
      [
        'GET /graphql with variables that are not an object',
        'GET',
        '/graphql?query=%7Bhealth%7D&variables=%5B1%5D',
        400,
      ],
      [
        'GET /graphql with extensions that are not JSON',
        'GET',
        '/graphql?query=%7Bhealth%7D&extensions=%7B',
        400,
      ],
      ['bad percent-encoding in /embed/dashboards', 'GET', '/embed/dashboards/%E0%A4%A', 400],
      ['bad percent-encoding in /embed/assets', 'GET', '/embed/assets/%E0%A4%A.js', 400],
      ['an encoded NUL in a route path', 'GET', '/embed/dashboards/a%00b', 400],
    ];
    for (const [what, method, path, status] of malformed) {
      it(`${what} is ${status}`, async () => {
        const before = await rowCounts(t);
        const r = await send(base, method, path, { authorization: `Bearer ${t.rootKey}` });
        assert.equal(r.status, status, r.body);
        const body = JSON.parse(r.body) as { errors: { extensions: { code: string } }[] };
        assert.equal(body.errors[0]!.extensions.code, 'BAD_REQUEST');
        assert.deepEqual(await rowCounts(t), before);
      });
    }
  });
}
