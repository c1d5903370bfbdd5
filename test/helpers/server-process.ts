import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface ServerProcess {
  readonly url: string;
  readonly child: ChildProcess;
  readonly dataDir: string;
  /** Everything the server wrote on stderr so far. */
  stderr(): string;
  /** The access key printed by the first start. */
  readonly firstKey: string;
  stop(): Promise<number | null>;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

/**
 * Starts `tessera serve` as a real child process on a free port with a fresh PGlite directory.
 * `setup` runs first, with the server stopped, on that directory (e.g. `tessera demo`). `argv` is
 * what node is started with (default `src/cli.ts serve`), for a test of another way to start it.
 */
export async function startServerProcess(
  env: Record<string, string> = {},
  options: { setup?: (dataDir: string) => void; argv?: readonly string[] } = {},
): Promise<ServerProcess> {
  const dataDir = mkdtempSync(join(tmpdir(), 'tessera-serve-'));
  options.setup?.(dataDir);
  const port = await freePort();
  const child = spawn(process.execPath, options.argv ?? ['src/cli.ts', 'serve'], {
    env: {
      ...process.env,
      PORT: String(port),
      HOST: '127.0.0.1',
      TESSERA_DATA_DIR: dataDir,
      LOG_LEVEL: 'warn',
      NODE_ENV: 'test',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let err = '';
  child.stderr!.on('data', (d: Buffer) => {
    err += d.toString();
  });
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  while (!/listening on/.test(err)) {
    if (child.exitCode !== null) throw new Error(`tessera serve exited early:\n${err}`);
    if (Date.now() > deadline) throw new Error(`tessera serve did not start:\n${err}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  const firstKey = /tsk_[0-9a-z]{16}_[A-Za-z0-9_-]{43}/.exec(err)?.[0] ?? '';
  return {
    url,
    child,
    dataDir,
    firstKey,
    stderr: () => err,
    stop: async () => {
      if (child.exitCode === null) {
        child.kill('SIGTERM');
        await new Promise((r) => child.once('exit', r));
      }
      rmSync(dataDir, { recursive: true, force: true });
      return child.exitCode;
    },
  };
}
