// Runs every test file with Node's test runner. PGlite legs always run; the PostgreSQL and
// MariaDB legs run when TEST_DATABASE_URL / TEST_MYSQL_URL are set (`.ci/run` sets both).
import { spawnSync } from 'node:child_process';
import { globSync } from 'node:fs';

const patterns = process.argv.slice(2);
const files = globSync(patterns.length > 0 ? patterns : ['src/**/*.test.ts', 'test/**/*.test.ts'])
  .filter((f) => !f.includes('node_modules'))
  .sort();
if (files.length === 0) {
  console.error('no test files matched');
  process.exit(1);
}
console.error(
  `Running ${files.length} test files; PostgreSQL leg: ${process.env.TEST_DATABASE_URL ? 'on' : 'off'}, ` +
    `MariaDB leg: ${process.env.TEST_MYSQL_URL ? 'on' : 'off'}`,
);
// No --test-force-exit: under it, a file whose tests finish without I/O can be cut short and
// report fewer tests than it has, silently. Every file must close what it opens instead; the
// watchdog turns a file that never exits into a failure rather than a hung CI run.
const WATCHDOG_MS = 30 * 60 * 1000;
const result = spawnSync(
  process.execPath,
  ['--test', '--test-concurrency=2', '--test-timeout=300000', '--test-reporter=spec', ...files],
  {
    stdio: 'inherit',
    timeout: WATCHDOG_MS,
    killSignal: 'SIGKILL',
    env: { ...process.env, NODE_ENV: 'test', LOG_LEVEL: process.env.LOG_LEVEL ?? 'silent' },
  },
);
if (result.error || result.signal) {
  console.error(
    `test run did not finish within ${WATCHDOG_MS / 60_000} minutes (a test file keeps the process alive?)`,
  );
  process.exit(1);
}
process.exit(result.status ?? 1);
