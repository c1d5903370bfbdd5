import { sql } from 'kysely';
import type { Executor } from './index.ts';

/**
 * What readiness needs in one round trip: the migrations applied, and whether the session only
 * reads (`transaction_read_only` is on on a standby, or with writes turned off), when every write
 * would fail.
 */
export async function readinessFacts(db: Executor): Promise<{ applied: string[]; readOnly: boolean }> {
  const rows = await sql<{ applied: string[]; read_only: string }>`
    select array(select name from tessera_migrations) as applied,
           current_setting('transaction_read_only') as read_only`.execute(db);
  const row = rows.rows[0];
  return { applied: row?.applied ?? [], readOnly: row?.read_only === 'on' };
}
