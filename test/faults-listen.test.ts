import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';

/**
 * `tessera serve` that cannot listen (the port taken by another process, a HOST that does not
 * resolve) must say so in one line naming the address and exit with code 2 (a bad environment
 * variable), so a supervisor sees the failure and restarts or alerts: not report "unexpected error"
 * and then stay up forever without serving.
 */
async function serveOnce(
  env: Record<string, string>,
): Promise<{ code: number | null; stderr: string; keysLeft: string }> {
  const dataDir = mkdtempSync(join(tmpdir(), 'tessera-listen-'));
  const child = spawn(process.execPath, ['src/cli.ts', 'serve'], {
    env: { ...process.env, NODE_ENV: 'test', LOG_LEVEL: 'warn', TESSERA_DATA_DIR: dataDir, ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  try {
    // Starting (PGlite, migrations) may take a while on a busy machine; the exit must follow the
    // failure within seconds.
    const code = await new Promise<number | null>((resolve) => {
      const timer = setTimeout(() => resolve(-1), 120_000);
      child.once('exit', (c) => {
        clearTimeout(timer);
        resolve(c);
      });
    });
    // What the failed start left: the access keys a later start would find.
    const keys = spawnSync(process.execPath, ['src/cli.ts', 'keys', 'list', '--json'], {
      env: { ...process.env, NODE_ENV: 'test', LOG_LEVEL: 'warn', TESSERA_DATA_DIR: dataDir, ...env },
      encoding: 'utf8',
      timeout: 120_000,
    });
    return { code, stderr, keysLeft: keys.stdout.trim() };
  } finally {
    if (child.exitCode === null) child.kill('SIGKILL');
    rmSync(dataDir, { recursive: true, force: true });
  }
}

describe('faults: a server that cannot listen', () => {
  let taken: Server;
  let port: number;
  before(async () => {
    taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', () => resolve()));
    port = (taken.address() as { port: number }).port;
  });
  after(() => new Promise<void>((resolve) => taken.close(() => resolve())));

  test('its port is taken: one line naming the address, exit code 2', async () => {
    const r = await serveOnce({ HOST: '127.0.0.1', PORT: String(port) });
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, new RegExp(`127\\.0\\.0\\.1:${port}.*already in use`));
    assert.doesNotMatch(r.stderr, /unexpected error|\n\s+at /);
    // No access key was made and left unprinted: the next start that listens prints the first key.
    assert.deepEqual(JSON.parse(r.keysLeft), []);
  });

  test('HOST does not resolve: one line naming it, exit code 2', async () => {
    const r = await serveOnce({ HOST: 'no-such-host.invalid', PORT: '0' });
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /HOST.*no-such-host\.invalid/);
    assert.doesNotMatch(r.stderr, /unexpected error|\n\s+at /);
  });
});
