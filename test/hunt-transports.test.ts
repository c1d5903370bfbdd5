import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { connect } from 'node:net';
import { describe, it } from 'node:test';
import { nodeHandler } from '../src/http/node-adapter.ts';
import { useTestApp } from './helpers/app.ts';
import { testBackends } from './helpers/databases.ts';

/**
 * An event stream or multipart answer ends like any other: the client's `Connection: close` is
 * honoured when the last event is written, instead of the socket idling until the keep-alive
 * timeout because the GraphQL layer declared `Connection: keep-alive` itself.
 */
for (const backend of testBackends()) {
  describe(`streamed answers leave the connection to the server (${backend.name})`, () => {
    const t = useTestApp(backend);
    const ACCEPTS = ['text/event-stream', 'multipart/mixed'];

    it('no hop-by-hop or bogus coding header on a streamed response', async () => {
      for (const accept of ACCEPTS) {
        const response = await t().app.fetch(
          new Request('http://tessera.test/graphql?query=%7Bhealth%7D', { headers: { accept } }),
        );
        assert.equal(response.status, 200);
        assert.match(await response.text(), /"health":"ok"/);
        assert.equal(response.headers.get('connection'), null, accept);
        assert.equal(response.headers.get('content-encoding'), null, accept);
      }
    });

    it('Connection: close closes the socket right after the last event', async () => {
      const server = createServer(
        nodeHandler(t().app.http, {
          maxBodyBytes: 1 << 20,
          publicOrigin: 'http://tessera.test',
          log: t().app.log,
        }),
      );
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      // A keep-alive timeout far beyond the test's patience: only an honoured close ends the socket.
      server.keepAliveTimeout = 60_000;
      const { port } = server.address() as { port: number };
      try {
        for (const accept of ACCEPTS) {
          const started = Date.now();
          const reply = await new Promise<string>((resolve, reject) => {
            const socket = connect(port, '127.0.0.1');
            let text = '';
            socket.setEncoding('utf8');
            socket.on('data', (chunk) => {
              text += chunk;
            });
            socket.on('end', () => resolve(text));
            socket.on('error', reject);
            socket.setTimeout(10_000, () => {
              socket.destroy();
              resolve(`${text}<still open>`);
            });
            socket.write(
              `GET /graphql?query=%7Bhealth%7D HTTP/1.1\r\nHost: tessera.test\r\nAccept: ${accept}\r\nConnection: close\r\n\r\n`,
            );
          });
          assert.match(reply, /^HTTP\/1\.1 200/, accept);
          assert.match(reply, /"health":"ok"/, accept);
          assert.doesNotMatch(reply, /<still open>/, accept);
          assert.ok(Date.now() - started < 5000, `${accept}: closed after ${Date.now() - started} ms`);
        }
      } finally {
        server.closeAllConnections();
        await new Promise((resolve) => server.close(resolve));
      }
    });
  });
}
