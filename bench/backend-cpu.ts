// CPU time of PostgreSQL's server processes, read from /proc: where a request's database work
// goes, beside the client's own CPU. Only for a server on this machine (the bench's loopback one).
import { readFileSync } from 'node:fs';
import pg from 'pg';

/** CPU so far (user + system, in clock ticks) of each server process, by database and pid. */
export type BackendTicks = ReadonlyMap<string, ReadonlyMap<number, number>>;

/** USER_HZ on Linux: /proc counts CPU time in hundredths of a second. */
const MS_PER_TICK = 10;

/** The CPU of every server process connected to each of `databases`, now. */
export async function backendTicks(url: string, databases: readonly string[]): Promise<BackendTicks> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  const { rows } = await client.query<{ pid: number; datname: string }>(
    'select pid, datname from pg_stat_activity where datname = any($1) and pid <> pg_backend_pid()',
    [databases],
  );
  await client.end();
  const out = new Map<string, Map<number, number>>();
  for (const { pid, datname } of rows) {
    try {
      // Fields after the command name (which may hold spaces): utime and stime are the 12th and 13th.
      const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
      const ticks = Number(fields[11]) + Number(fields[12]);
      if (!out.has(datname)) out.set(datname, new Map());
      out.get(datname)!.set(pid, ticks);
    } catch {
      // the session ended
    }
  }
  return out;
}

/** Milliseconds of CPU the server processes of `database` used between two readings (new ones count from zero). */
export function backendCpuMs(before: BackendTicks, after: BackendTicks, database: string): number {
  let ticks = 0;
  for (const [pid, t] of after.get(database) ?? []) ticks += t - (before.get(database)?.get(pid) ?? 0);
  return ticks * MS_PER_TICK;
}
