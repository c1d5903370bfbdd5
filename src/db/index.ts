import { Kysely, Migrator, PostgresDialect, type Transaction } from 'kysely';
import pg from 'pg';
import type { Config } from '../config.ts';
import { lockDataDir } from './data-dir-lock.ts';
import { migrations } from './migrations/index.ts';
import { PGliteDialect } from './pglite-dialect.ts';
import type { Database } from './schema.ts';

export type { Database } from './schema.ts';
export type Db = Kysely<Database>;
/** What a query function runs on: the database or an open transaction. */
export type Executor = Kysely<Database> | Transaction<Database>;

export interface DatabaseHandle {
  readonly db: Db;
  readonly kind: 'pglite' | 'postgres';
  close(): Promise<void>;
}

// Postgres `bigint` (int8) as JS string by default; counts we read are small, so parse them.
pg.types.setTypeParser(pg.types.builtins.INT8, (v) => Number(v));

/** Opens the configured database (PGlite data directory, in-memory PGlite, or PostgreSQL). */
export async function openDatabase(database: Config['database']): Promise<DatabaseHandle> {
  if (database.kind === 'postgres') {
    const pool = new pg.Pool({ connectionString: database.url, max: database.poolSize });
    // An idle client losing its server connection must not crash the process.
    pool.on('error', () => {});
    const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
    return { db, kind: 'postgres', close: () => db.destroy() };
  }
  const unlock = database.dataDir ? lockDataDir(database.dataDir) : () => {};
  try {
    // Loaded only for the embedded database: a server on PostgreSQL never holds PGlite in memory.
    const { PGlite } = await import('@electric-sql/pglite');
    const pglite = database.dataDir ? new PGlite(database.dataDir) : new PGlite();
    const db = new Kysely<Database>({ dialect: new PGliteDialect(pglite) });
    await pglite.waitReady;
    return {
      db,
      kind: 'pglite',
      close: async () => {
        await db.destroy();
        // Kysely destroys its driver only if a query ever ran; the PGlite instance must close
        // either way, or a later opener of the same directory never lets the process exit.
        if (!pglite.closed) await pglite.close();
        unlock();
      },
    };
  } catch (err) {
    unlock();
    throw err;
  }
}

/**
 * Brings the schema up to date. Kysely's migrator takes a Postgres advisory lock inside one
 * transaction, so instances starting together on one database run each migration exactly once.
 */
export async function migrateToLatest(db: Db): Promise<string[]> {
  const migrator = new Migrator({
    db,
    provider: { getMigrations: async () => migrations },
    migrationTableName: 'tessera_migrations',
    migrationLockTableName: 'tessera_migrations_lock',
  });
  const { error, results } = await migrator.migrateToLatest();
  if (error) throw error;
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}
