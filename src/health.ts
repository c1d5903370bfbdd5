import type { DatabaseHandle } from './db/index.ts';
import { migrations } from './db/migrations/index.ts';
import { appliedMigrations } from './db/queries.ts';
import { runInDbScope } from './db/scope.ts';

/** A readiness probe must answer well within a load balancer's probe timeout, even when the database hangs. */
const READINESS_TIMEOUT_MS = 1500;

/**
 * Why this instance cannot serve right now (empty: it can): the database answers a real round trip
 * in time, and every migration this code knows has been applied. On the reserved lane, so a busy
 * main pool does not make a healthy instance look down.
 */
export async function checkReadiness(db: DatabaseHandle): Promise<string[]> {
  const probe = runInDbScope({ lane: 'reserved', signal: undefined }, async () => {
    const applied = new Set(await appliedMigrations(db.db));
    const missing = Object.keys(migrations).filter((name) => !applied.has(name));
    return missing.length === 0 ? [] : [`migrations not applied: ${missing.join(', ')}`];
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
