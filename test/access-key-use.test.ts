import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { startServer } from '../src/server.ts';
import { listUsers } from './helpers/api.ts';
import { type TestApp, useTestApp } from './helpers/app.ts';
import { testBackends } from './helpers/databases.ts';

async function useEvents(t: TestApp, key: string): Promise<number> {
  const id = key.slice(4).split('_')[0]!;
  const r = await t.gql(
    `query($id: ID) { auditEvents(first: 100, filter: { action: "accessKey.use", actorKeyId: $id }) { edges { node { id } } } }`,
    { id },
  );
  return r.body.data!.auditEvents.edges.length;
}

for (const backend of testBackends()) {
  describe(`access key use under concurrent requests (${backend.name})`, () => {
    const t = useTestApp(backend);

    it('many concurrent first uses of a key record exactly one accessKey.use, then one per minute', async () => {
      const key = await t().key(['iam:read']);
      const first = await Promise.all(Array.from({ length: 16 }, () => listUsers(t(), undefined, key)));
      assert.deepEqual(new Set(first.map((r) => r.status)), new Set([200]));
      assert.equal(await useEvents(t(), key), 1);

      t().clock.advance(30_000);
      await Promise.all(Array.from({ length: 8 }, () => listUsers(t(), undefined, key)));
      assert.equal(await useEvents(t(), key), 1, 'within the minute nothing more is recorded');

      t().clock.advance(31_000);
      await Promise.all(Array.from({ length: 8 }, () => listUsers(t(), undefined, key)));
      assert.equal(await useEvents(t(), key), 2);
      const id = key.slice(4).split('_')[0]!;
      const row = await t()
        .app.services.db.selectFrom('access_keys')
        .select('last_used_at')
        .where('id', '=', id)
        .executeTakeFirstOrThrow();
      assert.equal(row.last_used_at?.getTime(), t().clock.now().getTime());
    });

    it('over node:http, a GraphQL answer is sent whole, with its length and the common headers', async () => {
      const server = await startServer(t().app, { host: '127.0.0.1', port: 0 });
      try {
        const inProcess = await listUsers(t());
        const response = await fetch(`${server.url}/graphql`, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            authorization: `Bearer ${t().rootKey}`,
            'x-request-id': 'req-1',
          },
          body: JSON.stringify({ query: '{ listUsers { id email } }' }),
        });
        const text = await response.text();
        assert.equal(response.status, 200);
        assert.equal(response.headers.get('content-length'), String(Buffer.byteLength(text)));
        assert.equal(response.headers.get('x-request-id'), 'req-1');
        assert.equal(response.headers.get('x-content-type-options'), 'nosniff');
        assert.match(response.headers.get('content-type') ?? '', /^application\/(graphql-response\+)?json/);
        assert.deepEqual(JSON.parse(text).data.listUsers.length, inProcess.body.data!.listUsers.length);

        const health = await fetch(`${server.url}/healthz`);
        assert.deepEqual(await health.json(), { status: 'ok' });
        assert.equal(health.headers.get('x-content-type-options'), 'nosniff');
        assert.ok(health.headers.get('x-request-id'));
      } finally {
        await new Promise<void>((resolve) => {
          server.server.close(() => resolve());
          server.server.closeAllConnections();
        });
      }
    });
  });
}
