import { sql } from 'kysely';
import type { Executor } from './index.ts';

/** The names of the migrations applied to the database (the migrator's own table). */
export async function appliedMigrations(db: Executor): Promise<string[]> {
  const rows = await sql<{ name: string }>`select name from tessera_migrations`.execute(db);
  return rows.rows.map((r) => r.name);
}
