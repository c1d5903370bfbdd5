// Soak: mixed load against a real `tessera serve` on PostgreSQL for SOAK_SECONDS (default 300),
// with three database faults injected through a TCP proxy: every connection cut, the database
// unreachable for 5 s, the network stalled for 3 s. Prints throughput, latency, errors by code
// (inside and outside the fault windows) and the server's RSS, and records them in bench/RESULTS.md.
// Run with `npm run bench:soak`; needs BENCH_DATABASE_URL or TEST_DATABASE_URL.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os, { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createScratchPostgresDatabase } from '../test/helpers/databases.ts';
import { startFaultProxy, targetOf } from '../test/helpers/fault-proxy.ts';
import { freePort } from '../test/helpers/server-process.ts';
import { percentile, runMixedLoad, type Sample, type SoakTarget } from './soak-load.ts';

const adminUrl = process.env.BENCH_DATABASE_URL ?? process.env.TEST_DATABASE_URL;
if (!adminUrl) {
  console.error('bench:soak needs BENCH_DATABASE_URL or TEST_DATABASE_URL (a PostgreSQL server)');
  process.exit(1);
}
const seconds = Number(process.env.SOAK_SECONDS ?? 300);
const concurrency = Number(process.env.SOAK_CONCURRENCY ?? 8);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const scratch = await createScratchPostgresDatabase(adminUrl);
const proxy = await startFaultProxy(targetOf(adminUrl, 5432));
const dataDir = mkdtempSync(join(tmpdir(), 'tessera-soak-'));
const env = {
  ...process.env,
  NODE_ENV: 'production',
  LOG_LEVEL: 'warn',
  TESSERA_DATA_DIR: dataDir,
  TESSERA_MASTER_KEY: randomBytes(32).toString('base64'),
  TESSERA_PUBLIC_URL: 'http://127.0.0.1',
};
const cli = (args: string[]) =>
  JSON.parse(
    execFileSync(process.execPath, ['src/cli.ts', ...args, '--json'], {
      env: { ...env, DATABASE_URL: scratch.url },
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    }),
  );
const init = cli(['init']) as { accessKey: string };
const demo = cli(['demo']) as { domainId: string; users: { email: string }[] };

const port = await freePort();
// The server runs as `npm start` runs it: with the same V8 flags (package.json).
const server: ChildProcess = spawn(
  process.execPath,
  ['--liftoff-only', '--max-semi-space-size=2', 'src/cli.ts', 'serve'],
  {
    env: { ...env, DATABASE_URL: proxy.urlFor(scratch.url), PORT: String(port), HOST: '127.0.0.1' },
    stdio: ['ignore', 'ignore', 'pipe'],
  },
);
let serverLog = '';
server.stderr!.on('data', (d: Buffer) => {
  serverLog = (serverLog + d.toString()).slice(-20_000);
});
const url = `http://127.0.0.1:${port}`;
while (!/listening on/.test(serverLog)) {
  if (server.exitCode !== null) throw new Error(`tessera serve exited:\n${serverLog}`);
  await sleep(100);
}
const rssMb = () =>
  Math.round(
    Number(execFileSync('ps', ['-o', 'rss=', '-p', String(server.pid)], { encoding: 'utf8' }).trim()) / 1024,
  );

// 300 users to read and write, besides the demo's three.
const created = await fetch(`${url}/graphql`, {
  method: 'POST',
  headers: { 'content-type': 'application/json', authorization: `Bearer ${init.accessKey}` },
  body: JSON.stringify({
    query: 'mutation($e: [String!]!) { createUsers(input: { emails: $e }) { results { userId } } }',
    variables: { e: Array.from({ length: 300 }, (_, i) => `soak${i}@example.com`) },
  }),
}).then((r) => r.json() as Promise<{ data: { createUsers: { results: { userId: string }[] } } }>);
const target: SoakTarget = {
  url,
  key: init.accessKey,
  userIds: created.data.createUsers.results.map((r) => r.userId),
  domainId: demo.domainId,
  embedUser: demo.users[0]!.email,
  session: '',
};
// runQuery needs a session token from the start; the load refreshes it with every impersonateUser.
target.session = await fetch(`${url}/graphql`, {
  method: 'POST',
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify({
    query: 'mutation($k: String!, $e: String!) { impersonateUser(accessToken: $k, userEmail: $e) }',
    variables: { k: target.key, e: target.embedUser },
  }),
}).then(async (r) => ((await r.json()) as { data: { impersonateUser: string } }).data.impersonateUser);

const samples: Sample[] = [];
const started = Date.now();
const until = started + seconds * 1000;
const rss = { start: rssMb(), middle: 0, end: 0 };
const load = runMixedLoad(target, concurrency, until, samples);

// Each fault window runs from its injection to 2 s after it is lifted (reconnect and drain).
const faults: { name: string; from: number; to: number }[] = [];
const at = (fraction: number) => sleep(Math.max(0, started + fraction * seconds * 1000 - Date.now()));
await at(0.2);
let from = Date.now();
proxy.cut();
faults.push({ name: 'every connection cut', from, to: Date.now() + 2000 });
await at(0.45);
from = Date.now();
await proxy.refuse(true);
proxy.cut();
await sleep(5000);
await proxy.refuse(false);
faults.push({ name: 'database unreachable for 5 s', from, to: Date.now() + 2000 });
await at(0.5);
rss.middle = rssMb();
await at(0.7);
from = Date.now();
proxy.stall(true);
await sleep(3000);
proxy.stall(false);
faults.push({ name: 'network stalled for 3 s', from, to: Date.now() + 9000 }); // + statement timeout, grace
await load;
rss.end = rssMb();

server.kill('SIGTERM');
const exitCode = await new Promise<number | null>((r) => server.once('exit', (code) => r(code)));
await proxy.close();
await scratch.drop();
rmSync(dataDir, { recursive: true, force: true });

const inFault = (s: Sample) => faults.some((f) => s.at >= f.from && s.at <= f.to);
const errors = (list: Sample[]) => {
  const byCode = new Map<string, number>();
  for (const s of list)
    if (s.code) byCode.set(`${s.status} ${s.code}`, (byCode.get(`${s.status} ${s.code}`) ?? 0) + 1);
  return [...byCode].map(([k, v]) => `${k}: ${v}`).join(', ') || 'none';
};
const ok = samples.filter((s) => !s.code);
const elapsed = (Date.now() - started) / 1000;
const rows = Object.keys(Object.groupBy(samples, (s) => s.op))
  .sort()
  .map((op) => {
    const ms = ok
      .filter((s) => s.op === op)
      .map((s) => s.ms)
      .sort((a, b) => a - b);
    return `| ${op} | ${ms.length} | ${percentile(ms, 50).toFixed(1)} ms | ${percentile(ms, 99).toFixed(1)} ms |`;
  });
const machine = `${new Date().toISOString().slice(0, 10)}, ${os.cpus()[0]?.model ?? 'CPU'}, ${os.cpus().length} cores, Node ${process.version}`;
const section = [
  '## Soak: mixed load on PostgreSQL with three database faults',
  '',
  `${seconds} s, ${concurrency} concurrent clients in a separate process against \`tessera serve\` on PostgreSQL`,
  `through a TCP fault proxy. ${samples.length} requests, ${ok.length} answered without error:`,
  `${(ok.length / elapsed).toFixed(1)} req/s. Faults: ${faults.map((f) => `${f.name} at ${Math.round((f.from - started) / 1000)} s`).join('; ')}.`,
  '',
  '| operation | answered OK | p50 | p99 |',
  '| --------- | ----------: | --: | --: |',
  ...rows,
  '',
  `Errors inside the fault windows (injection to recovery): ${errors(samples.filter(inFault))}.`,
  `Errors outside them: ${errors(samples.filter((s) => !inFault(s)))}.`,
  `Server RSS: ${rss.start} MB at start, ${rss.middle} MB in the middle, ${rss.end} MB at the end.`,
  `The server exited with code ${exitCode} on SIGTERM. Latency percentiles are of requests answered OK.`,
  '',
  `_Measured ${machine}, load average ${os.loadavg()[0]!.toFixed(1)} when the run finished._`,
].join('\n');
console.log(section);

const RESULTS = 'bench/RESULTS.md';
const marker = '<!-- bench/soak.ts -->';
const current = readFileSync(RESULTS, 'utf8');
const start = current.indexOf(marker);
const next = start < 0 ? -1 : current.indexOf('<!-- bench/', start + marker.length);
const replaced =
  start < 0
    ? `${current.trimEnd()}\n\n${marker}\n${section}\n`
    : `${current.slice(0, start)}${marker}\n${section}\n${next < 0 ? '' : `\n${current.slice(next)}`}`;
writeFileSync(RESULTS, replaced);
execFileSync(process.execPath, ['node_modules/@biomejs/biome/bin/biome', 'format', '--write', RESULTS], {
  stdio: 'ignore',
});
