import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { startServerProcess } from './helpers/server-process.ts';

/**
 * SIGHUP, which a closing terminal sends and which some supervisors send to ask for a reload:
 * Tessera reads its configuration only at start, so it stops gracefully as on SIGTERM (in-flight
 * requests finish, exit code 0) instead of dying at once of the signal, cutting them.
 */
describe('faults: SIGHUP', () => {
  test('a request in flight finishes, the process says why it stops and exits 0', async () => {
    const server = await startServerProcess({});
    try {
      // A request whose answer is still to come when the signal arrives.
      const inFlight = fetch(`${server.url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${server.firstKey}` },
        body: JSON.stringify({ query: '{ listUsers { email } }' }),
      });
      await new Promise((resolve) => setTimeout(resolve, 5));
      const exited = new Promise<{ code: number | null; signal: string | null }>((resolve) =>
        server.child.once('exit', (code, signal) => resolve({ code, signal })),
      );
      server.child.kill('SIGHUP');
      const response = await inFlight;
      assert.equal(response.status, 200);
      assert.deepEqual(await exited, { code: 0, signal: null });
      assert.match(server.stderr(), /Shutting down \(SIGHUP\)/);
    } finally {
      await server.stop();
    }
  });
});
