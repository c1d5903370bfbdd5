// Memory of a real `tessera serve` process on PostgreSQL: RSS at idle and its peak during and after
// mixed load (impersonateUser, users(first: 50), runQuery), sampled every 100 ms, not only at the
// end. Beside it, a bare node:http + pg process measured the same way, and the goals.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { createApp } from '../src/app.ts';
import { loadConfig } from '../src/config.ts';
import { ROLE_IDS } from '../src/modules/roles/roles.ts';
import { settingsOf } from '../test/helpers/data.ts';
import { createScratchPostgresDatabase } from '../test/helpers/databases.ts';
import { freePort } from '../test/helpers/server-process.ts';
import { benchAdmin, benchDomain, ORIGIN } from './data-fixture.ts';
import { runLoad } from './http-load.ts';
import { benchDatabaseUrl, type NpmScript, npmScript, printSection, type Row } from './measure.ts';

// BENCH_MEMORY_LOAD_MS shortens the load while iterating; the figure is 60 s of load.
const LOAD_MS = Number(process.env.BENCH_MEMORY_LOAD_MS ?? 60_000);
const IDLE_MS = 3000;
const AFTER_MS = 5000;
const ORDERS = 100_000;
/** What `npm start` runs (package.json), measured as it is committed: its environment, node flags and entry file. */
const START = npmScript('start');

const pgUrl = benchDatabaseUrl();
if (!pgUrl) {
  printSection(
    'Memory of `tessera serve` (PostgreSQL)',
    [],
    ['Skipped: needs BENCH_DATABASE_URL or TEST_DATABASE_URL.'],
  );
  process.exit(0);
}

const rssMb = (pid: number) =>
  Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) / 1024;

/** Samples a process's RSS every 100 ms until stopped; the peak and the last sample. */
function sampler(pid: number) {
  let peak = 0;
  let last = 0;
  const timer = setInterval(() => {
    try {
      last = rssMb(pid);
      peak = Math.max(peak, last);
    } catch {} // the process is gone
  }, 100);
  return {
    get peak() {
      return peak;
    },
    get last() {
      return last;
    },
    stop: () => clearInterval(timer),
  };
}

async function started(child: ChildProcess, pattern: RegExp): Promise<void> {
  let out = '';
  const deadline = Date.now() + 60_000;
  child.stderr!.on('data', (d: Buffer) => {
    out += d;
  });
  child.stdout!.on('data', (d: Buffer) => {
    out += d;
  });
  while (!pattern.test(out)) {
    if (child.exitCode !== null || Date.now() > deadline) throw new Error(`did not start:\n${out}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  await exited;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const compileCache = mkdtempSync(join(tmpdir(), 'tessera-bench-compile-cache-'));
const meta = await createScratchPostgresDatabase(pgUrl);
const warehouse = await createScratchPostgresDatabase(pgUrl);
const masterKey = randomBytes(32).toString('base64');
const env = {
  NODE_ENV: 'production',
  LOG_LEVEL: 'warn',
  DATABASE_URL: meta.url,
  TESSERA_MASTER_KEY: masterKey,
  TESSERA_PUBLIC_URL: 'http://127.0.0.1',
  TESSERA_AUTH_FAILURES_PER_MINUTE: '1000000',
};
const rows: Row[] = [];
const notes: string[] = [];
try {
  // Set up through the services, then hand the database to the real server process.
  const w = new pg.Pool({ connectionString: warehouse.url, max: 1 });
  await w.query(`create table orders (id int primary key, tenant_id text not null, amount int not null);
    insert into orders select i, 't_' || (i % 100), i % 997 from generate_series(1, ${ORDERS}) i;
    create index orders_tenant on orders (tenant_id); analyze orders;`);
  await w.end();
  const setup = await createApp(loadConfig(env));
  const { workspaceId, key } = await benchAdmin(setup);
  const domainId = await benchDomain(setup, {
    workspaceId,
    settings: settingsOf('postgres', warehouse.url),
    policies: { orders: "tenant_id = USER_ATTRIBUTE('tenant_id')" },
  });
  await setup.services.users.createUsers(
    workspaceId,
    {
      emails: Array.from({ length: 200 }, (_, i) => `user${i}@tenant.test`),
      roleAssignments: [{ roleId: ROLE_IDS.EXPLORER, scopes: [domainId] }],
      userAttributes: [{ key: 'tenant_id', value: 't_42' }],
    },
    ORIGIN,
  );
  await setup.close();

  /**
   * Starts the server as `npm start` does (its flags and environment, or neither for the plain
   * run), with a compile cache of the bench's own; its idle RSS.
   */
  const start = async ({ flags, env: scriptEnv }: Pick<NpmScript, 'flags' | 'env'>) => {
    const port = await freePort();
    const childEnv: NodeJS.ProcessEnv = {
      ...process.env,
      ...scriptEnv,
      ...env,
      PORT: String(port),
      HOST: '127.0.0.1',
      NODE_COMPILE_CACHE: compileCache,
    };
    // The plain run goes without the script's environment too, even if this process has it.
    for (const key of Object.keys(START.env)) if (!(key in scriptEnv)) delete childEnv[key];
    const child = spawn(process.execPath, [...flags, START.entry, 'serve'], {
      env: childEnv,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    await started(child, /listening on/);
    await sleep(IDLE_MS);
    return { child, port, idle: rssMb(child.pid!) };
  };
  const measure = async (script: Pick<NpmScript, 'flags' | 'env'>) => {
    const { child, port, idle } = await start(script);
    try {
      const url = `http://127.0.0.1:${port}/graphql`;
      const samples = sampler(child.pid!);
      const post = async (query: string, variables: Record<string, unknown>, token?: string) => {
        const r = await fetch(url, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            ...(token ? { authorization: `Bearer ${token}` } : {}),
          },
          body: JSON.stringify({ query, variables }),
        });
        return (await r.json()) as any;
      };
      const session = (
        await post(
          'mutation($k: String!) { impersonateUser(accessToken: $k, userEmail: "user1@tenant.test") }',
          {
            k: key,
          },
        )
      ).data.impersonateUser as string;
      const mix: { headers: Record<string, string>; body: string }[] = [
        {
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({
            query:
              'mutation($k: String!) { impersonateUser(accessToken: $k, userEmail: "user7@tenant.test") }',
            variables: { k: key },
          }),
        },
        {
          headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
          body: JSON.stringify({ query: '{ users(first: 50) { edges { node { id email status } } } }' }),
        },
        {
          headers: { 'content-type': 'application/json', authorization: `Bearer ${session}` },
          body: JSON.stringify({
            query:
              'query($d: ID!) { runQuery(domainId: $d, sql: "select count(*), sum(amount) from orders") { rows } }',
            variables: { d: domainId },
          }),
        },
      ];
      const loads = await Promise.all(
        mix.map((m) => runLoad({ url, ...m, concurrency: 4, durationMs: LOAD_MS, warmupMs: 0 })),
      );
      for (const l of loads) if (l.failures > 0) throw new Error(`${l.failures} failed: ${l.firstFailure}`);
      const during = samples.peak;
      await sleep(AFTER_MS);
      samples.stop();
      return {
        idle,
        peak: Math.max(during, samples.peak),
        end: samples.last,
        requests: loads.map((l) => l.requests),
      };
    } finally {
      await stop(child);
    }
  };

  // The baseline: a bare node:http + pg process (what a hand-written endpoint would hold), idle.
  const port = await freePort();
  const bare = spawn(
    process.execPath,
    [
      '--input-type=module',
      '-e',
      `import http from 'node:http'; import pg from 'pg';
       const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: 10 });
       await pool.query('select 1');
       http.createServer(async (q, s) => s.end(JSON.stringify((await pool.query('select 1 as x')).rows)))
         .listen(${port}, '127.0.0.1', () => console.log('listening on'));`,
    ],
    { env: { ...process.env, DATABASE_URL: meta.url }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  await started(bare, /listening on/);
  await sleep(IDLE_MS);
  const bareIdle = rssMb(bare.pid!);
  await stop(bare);

  // A first start finds the compile cache empty (as when a source file changed since `npm install`):
  // it loads Node's TypeScript stripper. Then the cache is filled as `npm install` fills it.
  const first = await start(START);
  await stop(first.child);
  execFileSync(process.execPath, ['scripts/warm-compile-cache.ts'], {
    env: { ...process.env, NODE_COMPILE_CACHE: compileCache },
  });
  const tuned = await measure(START);
  const plain = await measure({ flags: [], env: {} });
  const mb = (figure: string, tessera: number, baseline: number, baselineName: string): Row => ({
    figure,
    tessera,
    baseline,
    baselineName,
    unit: 'MB',
  });
  rows.push(
    mb('idle RSS after start (npm start flags)', tuned.idle, bareIdle, 'bare node:http + pg process, idle'),
    mb('idle RSS after start (npm start flags)', tuned.idle, 120, 'goal'),
    mb('peak RSS during and after mixed load (npm start flags)', tuned.peak, 300, 'goal'),
    mb(
      'peak RSS during and after mixed load (npm start flags)',
      tuned.peak,
      plain.peak,
      'same, plain `node` (no flags)',
    ),
    mb(
      'idle RSS after a first start, compile cache empty (npm start flags)',
      first.idle,
      bareIdle,
      'bare node:http + pg process, idle',
    ),
    mb('idle RSS after start, plain `node`', plain.idle, bareIdle, 'bare node:http + pg process, idle'),
  );
  const startCommand = [
    ...Object.entries(START.env).map(([k, v]) => `${k}=${v}`),
    'node',
    ...START.flags,
    START.entry,
    'serve',
  ].join(' ');
  notes.push(
    `\`tessera serve\` as a child process on PostgreSQL (\`${startCommand}\`, what \`npm start\` runs, and the same without its flags and environment),`,
    'its compile cache filled as `npm install` fills it (a first start with the cache empty is measured apart);',
    `RSS read from /proc every 100 ms. Load: ${LOAD_MS / 1000} s of impersonateUser, users(first: 50) and runQuery`,
    `(count and sum over ${ORDERS.toLocaleString('en-US')} orders under a row policy), 4 clients each at once, then ${AFTER_MS / 1000} s idle.`,
    `Requests served (impersonate, users, runQuery): ${tuned.requests.join(', ')} with flags; ${plain.requests.join(', ')} without.`,
    `RSS at the end: ${tuned.end.toFixed(0)} MB with flags, ${plain.end.toFixed(0)} MB without.`,
  );
} finally {
  await meta.drop();
  await warehouse.drop();
  rmSync(compileCache, { recursive: true, force: true });
}
printSection('Memory of `tessera serve` (PostgreSQL)', rows, notes);
