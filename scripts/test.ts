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
const result = spawnSync(
  process.execPath,
  [
    '--test',
    '--test-force-exit',
    '--test-concurrency=2',
    '--test-timeout=300000',
    '--test-reporter=spec',
    ...files,
  ],
  {
    stdio: 'inherit',
    env: { ...process.env, NODE_ENV: 'test', LOG_LEVEL: process.env.LOG_LEVEL ?? 'silent' },
  },
);
process.exit(result.status ?? 1);
