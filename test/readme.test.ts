import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { type ServerProcess, startServerProcess } from './helpers/server-process.ts';

/** The README's walk-through must run exactly as written against a fresh `tessera serve`. */
function walkthroughBlocks(): string[] {
  const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
  const start = readme.indexOf('## Walk-through');
  const end = readme.indexOf('\n## ', start + 1);
  const section = readme.slice(start, end);
  return [...section.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1]!);
}

describe('README walk-through', () => {
  let server: ServerProcess;
  before(async () => {
    server = await startServerProcess();
  });
  after(async () => {
    await server.stop();
  });

  it('runs every curl block as written: create, list, set attributes, delete', () => {
    const blocks = walkthroughBlocks();
    assert.ok(blocks.length >= 5, 'the walk-through has its blocks');
    assert.match(blocks[0]!, /export KEY=/);
    // The first block only sets TESSERA and KEY; we provide both for this server.
    const script = ['set -euo pipefail', ...blocks.slice(1)].join('\n');
    const output = execFileSync('bash', ['-c', script], {
      env: { ...process.env, TESSERA: server.url, KEY: server.firstKey },
      encoding: 'utf8',
    });
    assert.match(output, /"createUsers":\{"status":\{"code":"OK"/);
    assert.match(output, /"outcome":"CREATED"/);
    assert.match(output, /"listUsers":\[\{"id":"usr_/);
    assert.match(output, /"setUserAttributes":\{"status":\{"code":"OK"/);
    assert.match(output, /"deleteUsersFromWorkspace":\{"status":\{"code":"OK"/);
  });
});
