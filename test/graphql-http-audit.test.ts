import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { serverAudits } from 'graphql-http';
import { type ServerProcess, startServerProcess } from './helpers/server-process.ts';

/** The README's list of graphql-http SHOULD warnings we accept as known debt. */
function knownDebt(): string {
  const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
  const start = readme.indexOf('### GraphQL over HTTP audit');
  assert.ok(start >= 0, 'the README has the audit section');
  return readme.slice(start, readme.indexOf('\n## ', start + 1));
}

describe('GraphQL over HTTP audit (graphql-http serverAudits) against `tessera serve`', () => {
  let server: ServerProcess;
  before(async () => {
    server = await startServerProcess();
  });
  after(async () => {
    await server.stop();
  });

  it('passes every MUST, and every SHOULD warning is listed in the README as known debt', async () => {
    assert.ok(server.firstKey, 'the first start printed a key');
    const audits = serverAudits({
      url: `${server.url}/graphql`,
      // The audit's requests carry a real credential, as a client's would.
      fetchFn: (input: RequestInfo | URL, init: RequestInit = {}) => {
        const headers = new Headers(init.headers);
        headers.set('authorization', `Bearer ${server.firstKey}`);
        return fetch(input, { ...init, headers });
      },
    });
    assert.ok(audits.length >= 50, 'the whole audit suite ran');
    const results = [];
    for (const audit of audits) results.push(await audit.fn());
    const mustFailures = results.filter((r) => r.name.startsWith('MUST') && r.status !== 'ok');
    assert.deepEqual(
      mustFailures.map((r) => `${r.name}: ${'reason' in r ? r.reason : ''}`),
      [],
    );
    const debt = knownDebt();
    const warnings = results.filter((r) => r.status !== 'ok' && !r.name.startsWith('MUST'));
    for (const w of warnings) assert.ok(debt.includes(w.name), `README lists the warning "${w.name}"`);
  });
});
