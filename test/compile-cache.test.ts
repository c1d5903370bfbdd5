// `npm start` runs bin/tessera.js, which starts from the compile cache `npm install` fills
// (scripts/warm-compile-cache.ts): a start that finds every module there never loads Node's
// TypeScript stripper, whose WebAssembly would stay in memory for the life of the process.
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { freePort } from './helpers/server-process.ts';

const startWords = (JSON.parse(readFileSync('package.json', 'utf8')).scripts.start as string).split(/\s+/);
const flags = startWords.filter((word) => word.startsWith('--'));
const entry = startWords.find((word) => /\.[jt]s$/.test(word))!;
/** Tells, as the process exits, whether it ever loaded the type stripper. */
const probe = `data:text/javascript,process.on('exit', () => process.stderr.write('stripper loaded: ' +
  process.moduleLoadList.some((m) => m.includes('internal/deps/amaro')) + '\\n'))`;

/** Starts the server as `npm start` does, answers one GraphQL request, stops it; did it strip types? */
async function serveOnce(compileCache: string): Promise<boolean> {
  const dataDir = mkdtempSync(join(tmpdir(), 'tessera-compile-cache-'));
  const port = await freePort();
  const child = spawn(process.execPath, [...flags, `--import=${probe}`, entry, 'serve'], {
    env: {
      ...process.env,
      PORT: String(port),
      HOST: '127.0.0.1',
      TESSERA_DATA_DIR: dataDir,
      LOG_LEVEL: 'warn',
      NODE_ENV: 'test',
      NODE_COMPILE_CACHE: compileCache,
    },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let err = '';
  child.stderr!.on('data', (d: Buffer) => {
    err += d;
  });
  const exited = new Promise((r) => child.once('exit', r));
  try {
    const deadline = Date.now() + 60_000;
    while (!/listening on/.test(err)) {
      if (child.exitCode !== null || Date.now() > deadline) throw new Error(`did not start:\n${err}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    const res = await fetch(`http://127.0.0.1:${port}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: '{ __typename }' }),
    });
    assert.equal(res.status, 200);
    await res.text();
  } finally {
    child.kill('SIGTERM');
    await exited;
    rmSync(dataDir, { recursive: true, force: true });
  }
  const said = /stripper loaded: (true|false)/.exec(err);
  assert.ok(said, `the probe did not report:\n${err}`);
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
