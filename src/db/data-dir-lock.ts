import { closeSync, mkdirSync, openSync, readFileSync, realpathSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';

export class DataDirInUseError extends Error {}

/** Directories this process holds: a second opener inside the same process is refused too. */
const heldHere = new Set<string>();

/**
 * PGlite is a single-process database: two processes writing one data directory corrupt it.
 * We hold an exclusive lock file with our pid; a second process fails fast with a clear message,
 * while a lock left by a crashed process (its pid is gone) is taken over.
 */
export function lockDataDir(dir: string): () => void {
  mkdirSync(dir, { recursive: true });
  const path = join(realpathSync(dir), 'tessera.lock');
  if (heldHere.has(path)) throw inUse(dir, process.pid);
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(path, 'wx', 0o600);
      writeSync(fd, String(process.pid));
      closeSync(fd);
      heldHere.add(path);
      return () => {
        heldHere.delete(path);
        rmSync(path, { force: true });
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const holder = Number.parseInt(readFileSync(path, 'utf8'), 10);
      if (Number.isInteger(holder) && holder !== process.pid && isAlive(holder)) throw inUse(dir, holder);
      rmSync(path, { force: true }); // stale lock from a process that no longer exists
    }
  }
  throw new DataDirInUseError(`Could not lock the data directory ${dir}`);
}

function inUse(dir: string, pid: number): DataDirInUseError {
  return new DataDirInUseError(
    `The data directory ${dir} is in use by another Tessera process (pid ${pid}). ` +
      'PGlite allows one process per directory: stop that process, point TESSERA_DATA_DIR elsewhere, ' +
      'or use PostgreSQL (DATABASE_URL) to run several instances.',
  );
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
