import type { DatabaseHandle } from './db/index.ts';
import { migrations } from './db/migrations/index.ts';
import { readinessFacts } from './db/queries.ts';
import { runInDbScope } from './db/scope.ts';

/** A readiness probe must answer well within a load balancer's probe timeout, even when the database hangs. */
const READINESS_TIMEOUT_MS = 1500;

/**
 * Why this instance cannot serve right now (empty: it can): the database answers a real round trip
 * in time, accepts writes (not a standby, writes not turned off), and every migration this code
 * knows has been applied. On the reserved lane, so a busy
 * main pool does not make a healthy instance look down.
 */
export async function checkReadiness(db: DatabaseHandle): Promise<string[]> {
  const probe = runInDbScope({ lane: 'reserved', signal: undefined }, async () => {
    const facts = await readinessFacts(db.db);
    const applied = new Set(facts.applied);
    const missing = Object.keys(migrations).filter((name) => !applied.has(name));
    const problems = missing.length === 0 ? [] : [`migrations not applied: ${missing.join(', ')}`];
    if (facts.readOnly) problems.push('database is read-only (a standby?): writes would fail');
    return problems;
  });
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<string[]>((resolve) => {
    timer = setTimeout(() => resolve(['database did not answer in time']), READINESS_TIMEOUT_MS);
  });
  try {
    return await Promise.race([probe.catch(() => ['database unreachable']), timeout]);
  } finally {
    clearTimeout(timer);
  }
}
