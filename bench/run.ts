// Runs every bench/*.bench.ts (or the ones whose path contains an argument) in its own process,
// prints their sections, and writes them to bench/RESULTS.md: each file's section replaces that
// file's previous one, so running one benchmark leaves the others' figures as they were, and what
// stands before the first section (the title and the hand-written summary of goals) is kept as is.
import { spawnSync } from 'node:child_process';
import { existsSync, globSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';

const RESULTS = 'bench/RESULTS.md';
const wanted = process.argv.slice(2);
const files = globSync('bench/*.bench.ts')
  .filter((f) => wanted.length === 0 || wanted.some((w) => f.includes(w)))
  .sort();
if (files.length === 0) {
  console.error('no benchmark matched');
  process.exit(1);
}

const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
const machine =
  `${new Date().toISOString().slice(0, 10)}, ${cpu}, ${os.cpus().length} cores, ` +
  `${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}`;

const { preamble, sections } = readSections();
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
  if (result.status !== 0) failed++;
  const body = result.status === 0 ? result.stdout.trim() : `## ${file}\n\nfailed (exit ${result.status}).`;
  // The machine is shared: the load beside the figures says how much to trust their absolute values.
  const load = os.loadavg()[0]!.toFixed(1);
  sections.set(file, `${body}\n\n_Measured ${machine}, load average ${load} when the file finished._`);
}
writeSections(preamble, sections);
// RESULTS.md is committed, so it is written in the formatter's style (`npm run check` formats markdown).
spawnSync(process.execPath, ['node_modules/@biomejs/biome/bin/biome', 'format', '--write', RESULTS], {
  stdio: 'ignore',
});
process.exit(failed ? 1 : 0);

/** RESULTS.md holds a preamble, then one section a benchmark file, each opened by a marker naming the file. */
function readSections(): { preamble: string | null; sections: Map<string, string> } {
  const sections = new Map<string, string>();
  if (!existsSync(RESULTS)) return { preamble: null, sections };
  const parts = readFileSync(RESULTS, 'utf8').split(/^<!-- (bench\/[^ ]+) -->$/m);
  for (let i = 1; i + 1 < parts.length; i += 2) sections.set(parts[i]!, parts[i + 1]!.trim());
  return { preamble: parts[0]!.trim(), sections };
}

function writeSections(preamble: string | null, map: Map<string, string>): void {
  const header =
    preamble ||
    [
      '# Benchmark results',
      '',
      'Each figure stands beside a baseline measured in the same run on the same machine; the ratio is',
      'what to compare across machines. Regenerate with `npm run bench` (all) or `npm run bench -- NAME`',
      '(one file). PostgreSQL rows need `BENCH_DATABASE_URL` or `TEST_DATABASE_URL`.',
    ].join('\n');
  const body = [...map.keys()]
    .sort()
    .map((file) => `<!-- ${file} -->\n${map.get(file)}\n`)
    .join('\n');
  writeFileSync(RESULTS, `${header}\n\n${body}`);
}
