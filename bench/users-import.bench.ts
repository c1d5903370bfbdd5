// `tessera users import` of a large CSV on PostgreSQL: rows per second and the process's peak RSS
// (sampled every 100 ms), beside a raw multi-row INSERT of the same users, the database's floor
// (COPY of the same rows into the same tables) and the goals.
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
import { benchDatabaseUrl, npmScript, printSection, type Row } from './measure.ts';
import { copyFrom } from './pg-copy.ts';

// The goal is stated for 1,000,000 rows; BENCH_IMPORT_ROWS makes a quicker run.
const ROWS = Number(process.env.BENCH_IMPORT_ROWS ?? 1_000_000);
/** Rows a transaction for the floor's COPY. */
const FLOOR_BATCH = 10_000;
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
  // What `npm run tessera` runs (package.json), as committed: its environment, node flags and entry file.
  const { env: scriptEnv, flags, entry } = npmScript('tessera');
  const child = spawn(process.execPath, [...flags, entry, 'users', 'import', csv, '--json'], {
    env: { ...process.env, ...scriptEnv, ...env },
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
  // Each baseline starts from empty tables, as the import did: emptied files, not deleted rows
  // whose dead tuples and index entries the next writer would step over.
  const empty = () => pool.query('truncate users, audit_events cascade');
  await empty();
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

  // The database's floor: the same rows COPYed straight into the same tables (their indexes,
  // foreign keys and triggers), 10,000 rows a transaction, one transaction at a time: what the
  // tables cost to fill, with no statement to plan and nothing to check.
  await empty();
  const now = new Date().toISOString();
  const floorStarted = performance.now();
  for (let start = 0; start < ROWS; start += FLOOR_BATCH) {
    const ids = Array.from({ length: Math.min(FLOOR_BATCH, ROWS - start) }, () => newId('usr'));
    const emails = ids.map((_, i) => `user${start + i}@import.test`);
    const lines = (line: (id: string, i: number) => string) => [ids.map(line).join('')];
    const client = await pool.connect();
    try {
      await client.query('begin');
      await copyFrom(
        client,
        'copy users (id, workspace_id, email, email_normalized, created_at, updated_at) from stdin',
        lines((id, i) => `${id}\t${ws.id}\t${emails[i]}\t${emails[i]}\t${now}\t${now}\n`),
      );
      await copyFrom(
        client,
        'copy user_attributes (user_id, source, key, value, workspace_id, email_normalized) from stdin',
        lines(
          (id, i) =>
            `${id}\tDATABASE\ttenant\ttenant-${(start + i) % 100}\t${ws.id}\t${emails[i]}\n` +
            `${id}\tDATABASE\tregion\teu\t${ws.id}\t${emails[i]}\n`,
        ),
      );
      await copyFrom(
        client,
        'copy user_role_assignments (user_id, position, role_id, scopes) from stdin',
        lines((id) => `${id}\t0\t${ROLE_IDS.VIEWER}\t{default}\n`),
      );
      await copyFrom(
        client,
        'copy audit_events (id, workspace_id, occurred_at, action, outcome, target_type, target_id, details) from stdin',
        lines(
          (id, i) =>
            `evt_${id}\t${ws.id}\t${now}\tuser.create\tSUCCESS\tuser\t${id}\t{"email": "${emails[i]}", "via": "import"}\n`,
        ),
      );
      await client.query('commit');
    } finally {
      client.release();
    }
  }
  const floorSeconds = (performance.now() - floorStarted) / 1000;
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
      baseline: ROWS / floorSeconds,
      baselineName: 'the floor: COPY of the same rows, 10,000 a transaction',
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
    'The raw baseline inserts the same users, attributes, role assignments and audit rows with set-based INSERTs, 1,000 rows a transaction, one transaction at a time, with no checks.',
    'The floor COPYs the same rows into the same tables (indexes, foreign keys and triggers included), 10,000 rows a transaction, one at a time: no import of these tables on this server can beat it by much. Each baseline starts from truncated tables, as the import starts from empty ones.',
    'The import writes 2,000-row batches (the default `--batch-size`), two transactions in flight, committed in file order.',
  );
} finally {
  await scratch.drop();
  rmSync(dir, { recursive: true, force: true });
}
printSection('tessera users import (PostgreSQL)', rows, notes);
