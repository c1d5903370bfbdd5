import type { CliIO } from './command.ts';

const WIDTH = 30;
const PLAIN_INTERVAL_MS = 2000;

/**
 * Reports `done / total` on stderr: a bar redrawn in place on a terminal, otherwise (a log file,
 * a CI job) a plain line at most every two seconds and at the end.
 */
export function progressReporter(io: CliIO, label: string, now: () => number = Date.now) {
  const tty = io.errStream?.isTTY === true;
  let lastPlain = Number.NEGATIVE_INFINITY;
  return (done: number, total: number) => {
    const fraction = total === 0 ? 1 : done / total;
    const percent = Math.floor(fraction * 100);
    if (tty) {
      const filled = Math.round(fraction * WIDTH);
      const bar = `${'█'.repeat(filled)}${'░'.repeat(WIDTH - filled)}`;
      io.errStream!.write(`\r${label} ${bar} ${String(percent).padStart(3)}% ${done}/${total}`);
      if (done >= total) io.errStream!.write('\n');
      return;
    }
    if (done >= total || now() - lastPlain >= PLAIN_INTERVAL_MS) {
      lastPlain = now();
      io.err(`${label}: ${done}/${total} rows (${percent}%)`);
    }
  };
}
