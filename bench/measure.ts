import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';

/**
 * Shared timing helpers for `bench/*.bench.ts`. Every figure is printed beside a baseline
 * measured in the same run, as a ratio, because this machine is shared and absolute numbers drift.
 */

export interface Timing {
  /** Median of the samples, in milliseconds. */
  readonly medianMs: number;
  readonly p95Ms: number;
  readonly samples: number;
}

/** Runs `fn` `warmup` times unmeasured, then `samples` times, and returns the median and p95. */
export async function time(fn: () => Promise<unknown>, samples: number, warmup = 3): Promise<Timing> {
  for (let i = 0; i < warmup; i++) await fn();
  const ms: number[] = [];
  for (let i = 0; i < samples; i++) {
    const start = performance.now();
    await fn();
    ms.push(performance.now() - start);
  }
  ms.sort((a, b) => a - b);
  return { medianMs: quantile(ms, 0.5), p95Ms: quantile(ms, 0.95), samples };
}

/**
 * Times several contenders with their samples interleaved (a, b, a, b, …), so a burst of load from
 * other processes on this shared machine slows every contender alike instead of skewing a ratio.
 */
export async function timeInterleaved<K extends string>(
  contenders: Record<K, () => Promise<unknown>>,
  samples: number,
  warmup = 3,
): Promise<Record<K, Timing>> {
  const names = Object.keys(contenders) as K[];
  for (let i = 0; i < warmup; i++) for (const name of names) await contenders[name]();
  const ms = new Map<K, number[]>(names.map((n) => [n, []]));
  for (let i = 0; i < samples; i++) {
    for (const name of names) {
      const start = performance.now();
      await contenders[name]();
      ms.get(name)!.push(performance.now() - start);
    }
  }
  const out = {} as Record<K, Timing>;
  for (const name of names) {
    const sorted = ms.get(name)!.sort((a, b) => a - b);
    out[name] = { medianMs: quantile(sorted, 0.5), p95Ms: quantile(sorted, 0.95), samples };
  }
  return out;
}

/** Operations per second with `concurrency` loops running `fn` for `durationMs`. */
export async function throughput(
  fn: () => Promise<unknown>,
  { concurrency, durationMs }: { concurrency: number; durationMs: number },
): Promise<number> {
  let done = 0;
  const until = performance.now() + durationMs;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < until) {
        await fn();
        done++;
      }
    }),
  );
  return done / ((performance.now() - started) / 1000);
}

function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

export interface Row {
  readonly figure: string;
  readonly tessera: number;
  readonly baseline: number;
  readonly baselineName: string;
  /** `ms` (lower is better), `req/s` or `µs` … */
  readonly unit: string;
  readonly lowerIsBetter?: boolean;
}

/** Prints a markdown section: each figure, its baseline from the same run, and the ratio. */
export function printSection(title: string, rows: readonly Row[], notes: readonly string[] = []): void {
  const lines = [
    `## ${title}`,
    '',
    '| figure | Tessera | baseline | ratio (Tessera / baseline) |',
    '| --- | ---: | --- | ---: |',
    ...rows.map(
      (r) =>
        `| ${r.figure} | ${fmt(r.tessera)} ${r.unit} | ${r.baselineName}: ${fmt(r.baseline)} ${r.unit} | ${(r.tessera / r.baseline).toFixed(2)}× |`,
    ),
    ...(notes.length ? ['', ...notes] : []),
    '',
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
}

function fmt(n: number): string {
  if (n >= 100) return Math.round(n).toLocaleString('en-US');
  if (n >= 1) return n.toFixed(2);
  return n.toPrecision(3);
}

/** The backends a benchmark runs on: PGlite always, PostgreSQL when BENCH_DATABASE_URL is set. */
export function benchDatabaseUrl(): string | undefined {
  return process.env.BENCH_DATABASE_URL ?? process.env.TEST_DATABASE_URL;
}

/** What an npm script of package.json runs, as committed: its environment, node flags and entry file. */
export interface NpmScript {
  /** `NAME=value` words before the command; `${NAME:-default}` takes the caller's NAME if set. */
  readonly env: Record<string, string>;
  readonly flags: readonly string[];
  readonly entry: string;
}

export function npmScript(name: 'start' | 'tessera'): NpmScript {
  const words = (JSON.parse(readFileSync('package.json', 'utf8')).scripts[name] as string).split(/\s+/);
  const env: Record<string, string> = {};
  for (const word of words) {
    const assignment = /^([A-Z_][A-Z0-9_]*)=(.*)$/.exec(word);
    if (!assignment) continue;
    const [, key, value] = assignment as unknown as [string, string, string];
    const fallback = /^\$\{([A-Z_][A-Z0-9_]*):-(.*)\}$/.exec(value);
    env[key] = fallback ? (process.env[fallback[1]!] ?? fallback[2]!) : value;
  }
  return {
    env,
    flags: words.filter((word) => word.startsWith('--')),
    entry: words.find((word) => /\.[jt]s$/.test(word))!,
  };
}
