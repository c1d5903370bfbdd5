// `tessera users import` of a large CSV on PostgreSQL: rows per second and the process's peak RSS
// (sampled every 100 ms), beside a raw multi-row INSERT of the same users and the goals.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createWriteStream, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import pg from 'pg';
import { createApp } from '../src/app.ts';
import { loadConfig } from '../src/config.ts';
import { newId } from '../src/ids.ts';
import { ROLE_IDS } from '../src/modules/roles/roles.ts';
import { createScratchPostgresDatabase } from '../test/helpers/databases.ts';
import { benchDatabaseUrl, printSection, type Row } from './measure.ts';

// The goal is stated for 1,000,000 rows; BENCH_IMPORT_ROWS makes a quicker run.
const ROWS = Number(process.env.BENCH_IMPORT_ROWS ?? 1_000_000);
const pgUrl = benchDatabaseUrl();
if (!pgUrl) {
  printSection(
    'tessera users import (PostgreSQL)',
    [],
    ['Skipped: needs BENCH_DATABASE_URL or TEST_DATABASE_URL.'],
  );
  process.exit(0);
}

const dir = mkdtempSync(join(tmpdir(), 'tessera-import-bench-'));
const csv = join(dir, 'users.csv');
const out = createWriteStream(csv);
out.write('email,roles,tenant,region\n');
for (let i = 0; i < ROWS; i++) {
  if (!out.write(`user${i}@import.test,VIEWER:default,tenant-${i % 100},eu\n`))
    await new Promise<void>((r) => out.once('drain', () => r()));
}
await new Promise<void>((r) => out.end(() => r()));

const scratch = await createScratchPostgresDatabase(pgUrl);
const rows: Row[] = [];
const notes: string[] = [];
try {
  const env = {
    NODE_ENV: 'production',
    LOG_LEVEL: 'warn',
    DATABASE_URL: scratch.url,
    TESSERA_MASTER_KEY: randomBytes(32).toString('base64'),
  };
  const setup = await createApp(loadConfig(env));
  const ws = await setup.services.workspaces.ensureDefault();
  await setup.close();

  const started = performance.now();
  // What `npm run tessera` runs (package.json), as committed: its node flags and its entry file.
  const words = (JSON.parse(readFileSync('package.json', 'utf8')).scripts.tessera as string).split(/\s+/);
  const flags = words.filter((word) => word.startsWith('--'));
  const entry = words.find((word) => /\.[jt]s$/.test(word))!;
  const child = spawn(process.execPath, [...flags, entry, 'users', 'import', csv, '--json'], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => {
    stdout += d;
  });
  child.stderr.on('data', (d: Buffer) => {
    stderr += d;
  });
  let peak = 0;
  const timer = setInterval(() => {
    try {
      const kb = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'))![1]);
      peak = Math.max(peak, kb / 1024);
    } catch {} // exited
  }, 100);
  const code = await new Promise<number | null>((r) => child.once('exit', r));
  clearInterval(timer);
  const seconds = (performance.now() - started) / 1000;
  if (code !== 0) throw new Error(`import failed (${code}): ${stderr}`);
  const summary = JSON.parse(stdout.trim().split('\n').at(-1)!) as { created: number };
  if (summary.created !== ROWS) throw new Error(`created ${summary.created} of ${ROWS}`);

  // The baseline: the same users, one VIEWER role and two attributes each, and one audit row each,
  // written by hand-made 1,000-row INSERTs in one transaction per batch.
  const pool = new pg.Pool({ connectionString: scratch.url, max: 1 });
  await pool.query("delete from audit_events where action like 'user.%'");
  await pool.query('delete from users');
  const rawStarted = performance.now();
  for (let start = 0; start < ROWS; start += 1000) {
    const ids = Array.from({ length: Math.min(1000, ROWS - start) }, () => newId('usr'));
    const emails = ids.map((_, i) => `user${start + i}@import.test`);
    const client = await pool.connect();
    try {
      await client.query('begin');
      await client.query(
        `insert into users (id, workspace_id, email, email_normalized, created_at, updated_at)
         select id, $2, email, email, now(), now() from unnest($1::text[], $3::text[]) as t(id, email)`,
        [ids, ws.id, emails],
      );
      await client.query(
        `insert into user_attributes (user_id, workspace_id, email_normalized, key, value, source)
         select id, $2, email, k, v, 'DATABASE' from unnest($1::text[], $3::text[]) as t(id, email),
           (values ('tenant', 'tenant-1'), ('region', 'eu')) as a(k, v)`,
        [ids, ws.id, emails],
      );
      await client.query(
        `insert into user_role_assignments (user_id, role_id, scopes, position)
         select id, $2, '{default}', 0 from unnest($1::text[]) as t(id)`,
        [ids, ROLE_IDS.VIEWER],
      );
      await client.query(
        `insert into audit_events (id, workspace_id, action, target_type, target_id, details)
         select 'evt_' || id, $2, 'user.create', 'user', id, '{}' from unnest($1::text[]) as t(id)`,
        [ids, ws.id],
      );
      await client.query('commit');
    } finally {
      client.release();
    }
  }
  const rawSeconds = (performance.now() - rawStarted) / 1000;
  await pool.end();

  rows.push(
    {
      figure: `users import of ${ROWS.toLocaleString('en-US')} rows`,
      tessera: ROWS / seconds,
      baseline: ROWS / rawSeconds,
      baselineName: 'raw 1,000-row INSERTs of the same rows',
      unit: 'rows/s',
      lowerIsBetter: false,
    },
    {
      figure: `users import of ${ROWS.toLocaleString('en-US')} rows`,
      tessera: ROWS / seconds,
      baseline: 20_000,
      baselineName: 'goal',
      unit: 'rows/s',
      lowerIsBetter: false,
    },
    {
      figure: 'peak RSS of the import process',
      tessera: peak,
      baseline: 256,
      baselineName: 'goal (ceiling)',
      unit: 'MB',
    },
  );
  notes.push(
    `\`tessera users import FILE --json\` as a child process with ${flags.join(' ')} (the whole command: start, migrations check, two passes over the file),`,
    'on a fresh scratch database; each row has an email, a VIEWER role on the default domain and two attribute columns. RSS read from /proc every 100 ms.',
    'The baseline inserts the same users, attributes, role assignments and audit rows with set-based INSERTs, 1,000 rows a transaction, one transaction at a time, with no checks.',
    'The import writes 1,000-row batches (the default `--batch-size`), two transactions in flight, committed in file order.',
  );
} finally {
  await scratch.drop();
  rmSync(dir, { recursive: true, force: true });
}
printSection('tessera users import (PostgreSQL)', rows, notes);
