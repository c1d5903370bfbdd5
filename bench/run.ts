// Runs every bench/*.bench.ts (or the ones named) in its own process, prints their sections, and
// writes them with the machine and date to bench/RESULTS.md. Not part of `npm test`.
import { spawnSync } from 'node:child_process';
import { globSync, writeFileSync } from 'node:fs';
import os from 'node:os';

const wanted = process.argv.slice(2);
const files = globSync('bench/*.bench.ts')
  .filter((f) => wanted.length === 0 || wanted.some((w) => f.includes(w)))
  .sort();
if (files.length === 0) {
  console.error('no benchmark matched');
  process.exit(1);
}

const sections: string[] = [];
let failed = 0;
for (const file of files) {
  console.error(`running ${file}…`);
  const result = spawnSync(process.execPath, [file], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, NODE_ENV: 'production', LOG_LEVEL: 'silent' },
    maxBuffer: 16 * 1024 * 1024,
  });
  process.stdout.write(result.stdout);
  if (result.status !== 0) {
    failed++;
    sections.push(`## ${file}\n\nfailed (exit ${result.status}); see the run's stderr.\n`);
  } else sections.push(result.stdout.trim());
}

const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
const header = [
  '# Benchmark results',
  '',
  `Measured ${new Date().toISOString().slice(0, 10)} on ${cpu}, ${os.cpus().length} cores, ` +
    `${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}, ${os.platform()} ${os.release()}.`,
  'Each figure stands beside a baseline measured in the same run; the ratio is what to compare',
  'across machines. Regenerate with `npm run bench` (PostgreSQL rows need `BENCH_DATABASE_URL` or',
  '`TEST_DATABASE_URL`).',
  '',
].join('\n');
if (wanted.length === 0) writeFileSync('bench/RESULTS.md', `${header}\n${sections.join('\n\n')}\n`);
else console.error('(a subset was run: bench/RESULTS.md left as it was)');
process.exit(failed ? 1 : 0);
