// One HTTP layer answers every request (src/http/pipeline.ts): a handler's failure, and one the
// node:http bridge meets outside it, is the documented 500 body, logged with cause and request id.
import assert from 'node:assert/strict';
import { createServer, request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import { pino } from 'pino';
import { type App, createApp } from '../src/app.ts';
import type { Config } from '../src/config.ts';
import { nodeHandler } from '../src/http/node-adapter.ts';
import { defineModule } from '../src/kernel/module.ts';
import { modules } from '../src/modules/index.ts';
import { testConfig } from './helpers/app.ts';

const UNEXPECTED = {
  errors: [{ message: 'Unexpected error.', extensions: { code: 'INTERNAL_SERVER_ERROR' } }],
  data: null,
};

/** Routes that fail the two ways a handler can: throwing, and a body that breaks while it is sent. */
const faulty = defineModule({
  name: 'faulty',
  needs: [],
  provides: [],
  routes(router) {
    router.add('GET', '/faulty/throws', () => {
      throw new Error('the ledger file is gone');
    });
    router.add(
      'GET',
      '/faulty/broken-body',
      () =>
        new Response(
          new ReadableStream({
            pull(controller) {
              controller.error(new Error('the body stream broke'));
            },
          }),
          { headers: { 'content-type': 'application/json' } },
        ),
    );
  },
});

describe('the request pipeline', () => {
  const lines: Record<string, any>[] = [];
  let app: App;
  before(async () => {
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        for (const l of chunk.toString().split('\n')) if (l) lines.push(JSON.parse(l));
        done();
      },
    });
    app = await createApp({ ...testConfig(), database: { kind: 'pglite', dataDir: null } } as Config, {
      logger: pino({ level: 'info' }, sink),
      modules: [...modules, faulty],
    });
  });
  after(async () => {
    await app?.close();
  });

  const errorLineOf = (requestId: string) =>
    lines.find((l) => l.requestId === requestId && l.level === 50 && l.status === 500);

  test('a route whose handler throws gets the documented 500 body and a log line with its cause and request id', async () => {
    const response = await app.fetch(
      new Request('http://tessera.test/faulty/throws', { headers: { 'x-request-id': 'pipeline-throws-1' } }),
    );
    assert.equal(response.status, 500);
    assert.equal(response.headers.get('x-request-id'), 'pipeline-throws-1');
    const text = await response.text();
    assert.deepEqual(JSON.parse(text), UNEXPECTED);
    assert.doesNotMatch(text, /ledger|at /, 'neither the cause nor a stack reaches the client');
    const line = errorLineOf('pipeline-throws-1');
    assert.ok(line, 'an error line under the request id');
    assert.equal(line.path, '/faulty/throws');
    assert.match(line.err?.message ?? '', /the ledger file is gone/);
    assert.match(line.err?.stack ?? '', /request-pipeline\.test\.ts/);
  });

  test('behind node:http, a failure outside the pipeline is the same 500 body, logged with cause and request id', async () => {
    const server = createServer(
      nodeHandler(app.http, { maxBodyBytes: 1024, publicOrigin: 'http://tessera.test', log: app.log }),
    );
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      const broken = await fetch(`${base}/faulty/broken-body`, {
        headers: { 'x-request-id': 'pipeline-body-1' },
      });
      assert.equal(broken.status, 500);
      assert.equal(broken.headers.get('x-request-id'), 'pipeline-body-1');
      assert.deepEqual(await broken.json(), UNEXPECTED);
      const line = errorLineOf('pipeline-body-1');
      assert.ok(line, 'an error line under the request id');
      assert.match(line.err?.message ?? '', /the body stream broke/);

      // What the bridge refuses itself passes the same layer: its request id and its line.
      const tooLarge = await fetch(`${base}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-request-id': 'pipeline-413-1' },
        body: 'x'.repeat(2048),
      });
      assert.equal(tooLarge.status, 413);
      assert.equal(tooLarge.headers.get('x-request-id'), 'pipeline-413-1');
      assert.equal((await tooLarge.json()).errors[0].extensions.code, 'PAYLOAD_TOO_LARGE');
      assert.ok(lines.some((l) => l.requestId === 'pipeline-413-1' && l.status === 413));

      // A body that declares no length is cut off once it passes the limit, and still answered.
      const streamed = await new Promise<{ status: number; body: string }>((resolve, reject) => {
        const req = httpRequest(`${base}/graphql`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-request-id': 'pipeline-413-2' },
        });
        req.on('response', (res) => {
          let body = '';
          res.setEncoding('utf8');
          res.on('data', (c: string) => {
            body += c;
          });
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
        });
        req.on('error', reject);
        for (let i = 0; i < 4; i++) req.write('x'.repeat(600));
        setTimeout(() => req.end(), 200);
      });
      assert.equal(streamed.status, 413);
      assert.equal(JSON.parse(streamed.body).errors[0].extensions.code, 'PAYLOAD_TOO_LARGE');
      assert.ok(lines.some((l) => l.requestId === 'pipeline-413-2' && l.status === 413));
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});
