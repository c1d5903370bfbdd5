import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { type ServerProcess, startServerProcess } from './helpers/server-process.ts';

/** The `sh` blocks of the README section whose heading starts with `heading`. */
function shellBlocks(heading: string): string[] {
  const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
  const start = readme.indexOf(`## ${heading}`);
  assert.ok(start >= 0, `the README has a section "${heading}"`);
  const end = readme.indexOf('\n## ', start + 1);
  const section = readme.slice(start, end);
  return [...section.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1]!);
}

function runBlocks(blocks: readonly string[], env: Record<string, string>): string {
  return execFileSync('bash', ['-c', ['set -euo pipefail', ...blocks].join('\n')], {
    env: { ...process.env, ...env },
    encoding: 'utf8',
  });
}

/** The README's walk-throughs must run exactly as written against a fresh `tessera serve`. */
describe('README walk-through: the user lifecycle', () => {
  let server: ServerProcess;
  before(async () => {
    server = await startServerProcess();
  });
  after(async () => {
    await server.stop();
  });

  it('runs every curl block as written: create, list, set attributes, delete', () => {
    const blocks = shellBlocks('Walk-through: the user lifecycle');
    assert.ok(blocks.length >= 5, 'the walk-through has its blocks');
    assert.match(blocks[0]!, /export KEY=/);
    // The first block only sets TESSERA and KEY; we provide both for this server.
    const output = runBlocks(blocks.slice(1), { TESSERA: server.url, KEY: server.firstKey });
    assert.match(output, /"createUsers":\{"status":\{"code":"OK"/);
    assert.match(output, /"outcome":"CREATED"/);
    assert.match(output, /"listUsers":\[\{"id":"usr_/);
    assert.match(output, /"setUserAttributes":\{"status":\{"code":"OK"/);
    assert.match(output, /"deleteUsersFromWorkspace":\{"status":\{"code":"OK"/);
  });
});

describe('README walk-through: two users, the same SQL, different rows', () => {
  let server: ServerProcess;
  let domainId = '';
  before(async () => {
    server = await startServerProcess(
      {},
      {
        // `npx tessera demo` with the server stopped, as the walk-through's first block says.
        setup: (dataDir) => {
          const out = execFileSync(process.execPath, ['src/cli.ts', 'demo', '--json'], {
            env: { ...process.env, TESSERA_DATA_DIR: dataDir, LOG_LEVEL: 'silent', NODE_ENV: 'test' },
            encoding: 'utf8',
          });
          domainId = (JSON.parse(out) as { domainId: string }).domainId;
        },
      },
    );
  });
  after(async () => {
    await server.stop();
  });

  it('Alice and Bob get their own rows from the same SQL, and explainAccess shows why', () => {
    const blocks = shellBlocks('Walk-through: two users, the same SQL, different rows');
    assert.match(blocks[0]!, /tessera demo/);
    assert.match(blocks[1]!, /export DOMAIN=/);
    const sessionsAndQueries = blocks.slice(2);
    assert.equal(sessionsAndQueries.length, 5, 'five calls: two sessions, two queries, one explain');
    // Each curl's output ends without a newline; keep them apart for the assertions below.
    const output = runBlocks(
      sessionsAndQueries.map((b) => `${b}\necho`),
      { TESSERA: server.url, KEY: server.firstKey, DOMAIN: domainId },
    );
    const [alice, bob, explain] = output.split('\n').filter((l) => l.startsWith('{'));
    const rowsOf = (line: string | undefined) =>
      (JSON.parse(line!) as { data: { runQuery: { rows: string[][] } } }).data.runQuery.rows;
    const aliceRows = rowsOf(alice);
    const bobRows = rowsOf(bob);
    assert.ok(aliceRows.length > 0 && bobRows.length > 0);
    assert.ok(aliceRows.every(([tenant, region]) => tenant === 'acme' && ['DE', 'FR'].includes(region!)));
    assert.ok(bobRows.every(([tenant, region]) => tenant === 'globex' && region === 'US'));
    const plan = (
      JSON.parse(explain!) as { data: { explainAccess: { params: unknown[]; allowed: boolean } } }
    ).data.explainAccess;
    assert.equal(plan.allowed, true);
    assert.deepEqual(plan.params, ['globex', ['US']]);
  });
});
