// Stopping Tessera the way operators do: SIGTERM to `npm start` (npm → node) and to the Node 20
// `bin/tessera.js` shim (shim → Node 24). Real processes on PGlite; every accepted request must
// be answered, the exit must be 0 within the deadline, and no process may be left behind.
import assert from 'node:assert/strict';
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { freePort } from './helpers/server-process.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Spawned {
  readonly child: ChildProcess;
  readonly url: string;
  readonly dataDir: string;
  readonly key: string;
  stderr(): string;
  exited: Promise<{ code: number | null; at: number }>;
}

async function spawnTessera(
  command: string,
  args: string[],
  env: Record<string, string> = {},
): Promise<Spawned> {
  const dataDir = mkdtempSync(join(tmpdir(), 'tessera-stop-'));
  const port = await freePort();
  const child = spawn(command, args, {
    env: {
      ...process.env,
      PORT: String(port),
      HOST: '127.0.0.1',
      TESSERA_DATA_DIR: dataDir,
      LOG_LEVEL: 'info',
      NODE_ENV: 'test',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let err = '';
  child.stderr!.on('data', (d: Buffer) => {
    err += d.toString();
  });
  child.stdout!.resume();
  const exited = new Promise<{ code: number | null; at: number }>((resolve) =>
    child.once('exit', (code) => resolve({ code, at: Date.now() })),
  );
  const deadline = Date.now() + 90_000;
  while (!/listening on/.test(err)) {
    if (child.exitCode !== null) throw new Error(`exited early:\n${err}`);
    if (Date.now() > deadline) throw new Error(`did not start:\n${err}`);
    await sleep(100);
  }
  const key = /tsk_[0-9a-z]{16}_[A-Za-z0-9_-]{43}/.exec(err)?.[0] ?? '';
  return { child, url: `http://127.0.0.1:${port}`, dataDir, key, stderr: () => err, exited };
}

/** Every process in the tree under `pid` (children first found by `ps`). */
function descendants(pid: number): number[] {
  let out = '';
  try {
    out = execFileSync('ps', ['-o', 'pid=', '--ppid', String(pid)], { encoding: 'utf8' }).trim();
  } catch {
    // ps exits 1 when there is no child
  }
  const children = out ? out.split(/\s+/).map(Number) : [];
  return children.flatMap((c) => [c, ...descendants(c)]);
}

/** Whether `pid` still runs (a zombie awaiting its reaper has exited, so it does not count). */
const alive = (pid: number) => {
  try {
    const state = execFileSync('ps', ['-o', 'stat=', '-p', String(pid)], { encoding: 'utf8' }).trim();
    return state !== '' && !state.startsWith('Z');
  } catch {
    return false; // ps exits 1 when there is no such process
  }
};

/** A failed test must not leave its servers running (they would hold this file open too). */
function killTree(pids: readonly number[]): void {
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
}

interface Outcome {
  readonly id: string;
  readonly status: number | null;
  readonly error: string | null;
  readonly connectionClose: boolean;
}

/** POST /graphql on a keep-alive agent, tagged with a request id the server logs. */
function post(url: string, agent: Agent, key: string, id: string): Promise<Outcome> {
  const body = JSON.stringify({ query: '{ listUsers { id email } }' });
  return new Promise((resolve) => {
    const req = request(`${url}/graphql`, {
      method: 'POST',
      agent,
      headers: {
        'content-type': 'application/json',
        authorization: `Bearer ${key}`,
        'x-request-id': id,
      },
    });
    req.on('response', (res) => {
      res.resume();
      res.on('end', () =>
        resolve({
          id,
          status: res.statusCode ?? 0,
          error: null,
          connectionClose: res.headers.connection === 'close',
        }),
      );
    });
    req.on('error', (err: NodeJS.ErrnoException) =>
      resolve({ id, status: null, error: err.code ?? err.message, connectionClose: false }),
    );
    req.end(body);
  });
}

/** Load from `clients` keep-alive connections until `stop` resolves; returns every outcome. */
async function load(url: string, key: string, clients: number, stop: Promise<unknown>): Promise<Outcome[]> {
  const outcomes: Outcome[] = [];
  let stopping = false;
  void stop.then(() => {
    stopping = true;
  });
  const agent = new Agent({ keepAlive: true, maxSockets: clients });
  let n = 0;
  await Promise.all(
    Array.from({ length: clients }, async (_, c) => {
      while (!stopping) {
        const o = await post(url, agent, key, `load-${c}-${n++}`);
        outcomes.push(o);
        if (o.status === null) await sleep(20); // refused: the server is going away
      }
    }),
  );
  agent.destroy();
  return outcomes;
}

/** Request ids the server logged as handled (its one line per request). */
const handledIds = (stderr: string) =>
  new Set(
    stderr
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as { msg?: string; requestId?: string })
      .filter((l) => l.msg === 'request' || l.msg === 'request failed')
      .map((l) => l.requestId!),
  );

function assertEveryAcceptedRequestAnswered(outcomes: Outcome[], stderr: string): void {
  const handled = handledIds(stderr);
  const answered = outcomes.filter((o) => o.status !== null);
  assert.ok(answered.length > 20, `load ran (${answered.length} answered)`);
  for (const o of answered) assert.equal(o.status, 200, `${o.id} answered ${o.status}`);
  for (const o of outcomes.filter((x) => x.status === null)) {
    assert.ok(!handled.has(o.id), `${o.id} was handled by the server but its client got ${o.error}`);
  }
}

async function stopAndCheck(s: Spawned, deadlineMs: number, tree: number[]) {
  const signalled = Date.now();
  s.child.kill('SIGTERM');
  const { code, at } = await s.exited;
  assert.equal(code, 0, s.stderr());
  assert.ok(at - signalled < deadlineMs, `exited ${at - signalled} ms after SIGTERM`);
  await sleep(200);
  for (const pid of tree) assert.ok(!alive(pid), `process ${pid} is left running`);
}

describe('shutdown', () => {
  test('SIGTERM to `npm start` under load: accepted requests answered, exit 0 within the deadline, no process left', async () => {
    const s = await spawnTessera('npm', ['start', '--silent']);
    const tree = [s.child.pid!, ...descendants(s.child.pid!)];
    try {
      assert.ok(tree.length >= 2, 'npm runs the server as its child');
      const outcomes = load(s.url, s.key, 8, s.exited);
      // One request caught mid-body by the signal: it must still be answered, closing its connection.
      const body = JSON.stringify({ query: '{ listUsers { id } }' });
      const slow = request(`${s.url}/graphql`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'content-length': String(Buffer.byteLength(body)),
          authorization: `Bearer ${s.key}`,
        },
      });
      const slowAnswer = new Promise<{ status: number; connection: string | undefined }>(
        (resolve, reject) => {
          slow.on('response', (res) => {
            res.resume();
            res.on('end', () => resolve({ status: res.statusCode ?? 0, connection: res.headers.connection }));
          });
          slow.on('error', reject);
        },
      );
      slow.write(body.slice(0, 10));
      await sleep(1500);
      const stopped = stopAndCheck(s, 10_000 + 2_000, tree);
      while (!/Shutting down/.test(s.stderr())) await sleep(20);
      slow.end(body.slice(10));
      assert.deepEqual(await slowAnswer, { status: 200, connection: 'close' });
      await stopped;
      assertEveryAcceptedRequestAnswered(await outcomes, s.stderr());
    } finally {
      killTree(tree);
      rmSync(s.dataDir, { recursive: true, force: true });
    }
  });

  test('a request that outlives the deadline does not hold the exit: code 0 by TESSERA_SHUTDOWN_TIMEOUT_SECONDS', async () => {
    const s = await spawnTessera(process.execPath, ['src/cli.ts', 'serve'], {
      TESSERA_SHUTDOWN_TIMEOUT_SECONDS: '2',
    });
    try {
      // Headers and half a body: the request is accepted and never completes.
      const req = request(`${s.url}/graphql`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'content-length': '100',
          authorization: `Bearer ${s.key}`,
        },
      });
      req.on('error', () => {});
      req.write('{"query":');
      await sleep(300);
      await stopAndCheck(s, 2_000 + 1_500, [s.child.pid!]);
      assert.match(s.stderr(), /deadline passed/);
    } finally {
      if (s.child.exitCode === null) s.child.kill('SIGKILL');
      rmSync(s.dataDir, { recursive: true, force: true });
    }
  });

  const node20 = ['/usr/bin/node', '/usr/local/bin/node', '/bin/node'].find(
    (p) =>
      existsSync(p) && Number(execFileSync(p, ['-p', 'process.versions.node.split(".")[0]']).toString()) < 24,
  );
  test('the Node 20 shim forwards SIGTERM and exits with the server; SIGKILL of the shim leaves no orphan', {
    skip: !node20,
  }, async () => {
    const forwarded = await spawnTessera(node20!, ['bin/tessera.js', 'serve']);
    const tree = [forwarded.child.pid!, ...descendants(forwarded.child.pid!)];
    try {
      assert.equal(tree.length, 2, 'the shim runs Node 24 as its child');
      await stopAndCheck(forwarded, 10_000, tree);
    } finally {
      killTree(tree);
      rmSync(forwarded.dataDir, { recursive: true, force: true });
    }

    const killed = await spawnTessera(node20!, ['bin/tessera.js', 'serve']);
    const [server] = descendants(killed.child.pid!);
    try {
      killed.child.kill('SIGKILL');
      const deadline = Date.now() + 10_000;
      while (alive(server!)) {
        assert.ok(Date.now() < deadline, 'the server outlived its shim');
        await sleep(100);
      }
    } finally {
      killTree([killed.child.pid!, server!]);
      rmSync(killed.dataDir, { recursive: true, force: true });
    }
  });
});
