// `npm start` runs bin/tessera.js, which starts from the compile cache `npm install` fills
// (scripts/warm-compile-cache.ts): a start that finds every module there never loads Node's
// TypeScript stripper, whose WebAssembly would stay in memory for the life of the process.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { startServerProcess } from './helpers/server-process.ts';

const startWords = (JSON.parse(readFileSync('package.json', 'utf8')).scripts.start as string).split(/\s+/);
const flags = startWords.filter((word) => word.startsWith('--'));
const entry = startWords.find((word) => /\.[jt]s$/.test(word))!;
/** Tells, as the process exits, whether it ever loaded the type stripper. */
const probe = `data:text/javascript,process.on('exit', () => process.stderr.write('stripper loaded: ' +
  process.moduleLoadList.some((m) => m.includes('internal/deps/amaro')) + '\\n'))`;

/** Starts the server as `npm start` does, answers one GraphQL request, stops it; did it strip types? */
async function serveOnce(compileCache: string): Promise<boolean> {
  const server = await startServerProcess(
    { NODE_COMPILE_CACHE: compileCache },
    { argv: [...flags, `--import=${probe}`, entry, 'serve'] },
  );
  try {
    const res = await fetch(`${server.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: '{ __typename }' }),
    });
    assert.equal(res.status, 200);
    await res.text();
  } finally {
    await server.stop();
  }
  const said = /stripper loaded: (true|false)/.exec(server.stderr());
  assert.ok(said, `the probe did not report:\n${server.stderr()}`);
  return said[1] === 'true';
}

describe('the compile cache npm start runs from', () => {
  const cache = mkdtempSync(join(tmpdir(), 'tessera-compile-cache-dir-'));
  after(() => rmSync(cache, { recursive: true, force: true }));

  it('a start with an empty cache strips types (so the probe can tell)', async () => {
    assert.equal(await serveOnce(cache), true);
  });

  it('after the install step fills it, a start never loads the type stripper', async () => {
    execFileSync(process.execPath, ['scripts/warm-compile-cache.ts'], {
      env: { ...process.env, NODE_COMPILE_CACHE: cache },
    });
    assert.equal(await serveOnce(cache), false);
  });
});
