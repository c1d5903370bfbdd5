import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { describe, it } from 'node:test';
import { pino } from 'pino';
import { testConfig } from '../../test/helpers/app.ts';
import { type App, createApp } from '../app.ts';
import type { Config } from '../config.ts';
import { defineModule } from '../kernel/module.ts';
import { modules } from '../modules/index.ts';
import type { ModuleResolvers } from './context.ts';

/**
 * docs/api-contract.md §1: an unexpected failure is masked for the client, and its cause goes to the log
 * under the id of the request that hit it, even while other requests run.
 */
describe('unexpected errors', () => {
  it('are masked for the client and logged under their own request id, whatever runs concurrently', async () => {
    const lines: Record<string, any>[] = [];
    const sink = new Writable({
      write(chunk, _encoding, done) {
        for (const line of String(chunk).split('\n').filter(Boolean)) lines.push(JSON.parse(line));
        done();
      },
    });
    let release: () => void = () => {};
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const app: App = await createApp(
      { ...testConfig(), database: { kind: 'pglite', dataDir: null } } as Config,
      {
        logger: pino({ level: 'error' }, sink),
        modules: [
          ...modules,
          defineModule({
            name: 'faulty',
            needs: [],
            provides: [],
            graphql: {
              typeDefs: 'extend type Query { faulty: String slow: String }',
              access: { Query: { faulty: 'public', slow: 'public' } },
              // Fields of this test's own schema, which the generated resolver types do not know.
              resolvers: {
                Query: {
                  faulty: async () => {
                    await gate;
                    throw new Error('connection to /var/secret/db.sock lost');
                  },
                  slow: async () => {
                    release();
                    return 'ok';
                  },
                },
              } as ModuleResolvers,
            },
          }),
        ],
      },
    );
    try {
      const ask = (requestId: string, query: string) =>
        app.fetch(
          new Request('http://tessera.test/graphql', {
            method: 'POST',
            headers: { 'content-type': 'application/json', 'x-request-id': requestId },
            body: JSON.stringify({ query }),
          }),
          { ip: '127.0.0.1' },
        );
      const failing = ask('req-faulty', '{ faulty }');
      await new Promise((r) => setTimeout(r, 50)); // the faulty request is parked at the gate
      const other = await ask('req-other', '{ slow }');
      assert.equal(other.status, 200);
      const response = await failing;
      const text = await response.text();
      const body = JSON.parse(text);
      assert.equal(body.errors[0].message, 'Unexpected error.');
      assert.equal(body.errors[0].extensions.code, 'INTERNAL_SERVER_ERROR');
      assert.doesNotMatch(text, /secret|db\.sock|stack|\.ts:/);
      const logged = lines.filter((l) => l.msg === 'unexpected error');
      assert.equal(logged.length, 1, JSON.stringify(lines));
      assert.equal(logged[0]!.requestId, 'req-faulty');
      assert.match(JSON.stringify(logged[0]!.err), /db\.sock/);
    } finally {
      await app.close();
    }
  });
});
