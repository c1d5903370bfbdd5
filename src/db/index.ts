import { Kysely, Migrator, PostgresDialect, type Transaction } from 'kysely';
import pg from 'pg';
import type { Config } from '../config.ts';
import { lockDataDir } from './data-dir-lock.ts';
import { migrations } from './migrations/index.ts';
import { PGliteDialect } from './pglite-dialect.ts';
import { type LaneStats, TesseraPool } from './pool.ts';
import type { Database } from './schema.ts';

export type { Database } from './schema.ts';
export type Db = Kysely<Database>;
/** What a query function runs on: the database or an open transaction. */
export type Executor = Kysely<Database> | Transaction<Database>;

export interface DatabaseHandle {
  readonly db: Db;
  readonly kind: 'pglite' | 'postgres';
  /** Connections per lane of Tessera's PostgreSQL pool (empty on PGlite), for /metrics. */
  poolStats(): LaneStats[];
  /** Brings the schema up to date (see migrateToLatest), on a session without statement timeout. */
  migrate(): Promise<string[]>;
  close(): Promise<void>;
}

const NO_LIMITS: Config['databaseLimits'] = {
  statementTimeoutMs: 0,
  acquireTimeoutMs: 10_000,
  reservedConnections: 0,
};

// Postgres `bigint` (int8) as JS string by default; counts we read are small, so parse them.
pg.types.setTypeParser(pg.types.builtins.INT8, (v) => Number(v));

/** Opens the configured database (PGlite data directory, in-memory PGlite, or PostgreSQL). */
export async function openDatabase(
  database: Config['database'],
  limits: Config['databaseLimits'] = NO_LIMITS,
): Promise<DatabaseHandle> {
  if (database.kind === 'postgres') {
    const pool = new TesseraPool({
      url: database.url,
      size: database.poolSize,
      reserved: Math.min(limits.reservedConnections, Math.floor(database.poolSize / 4)),
      statementTimeoutMs: limits.statementTimeoutMs,
      acquireTimeoutMs: limits.acquireTimeoutMs,
    });
    const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
    return {
      db,
      kind: 'postgres',
      poolStats: () => pool.stats(),
      // A migration may rewrite a large table: it gets a session of its own, without the timeout.
      migrate: async () => {
        const single = new TesseraPool({ ...NO_LIMITS, url: database.url, size: 1, reserved: 0 });
        const migrationDb = new Kysely<Database>({ dialect: new PostgresDialect({ pool: single }) });
        try {
          return await migrateToLatest(migrationDb);
        } finally {
          await migrationDb.destroy();
        }
      },
      close: () => db.destroy(),
    };
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
      poolStats: () => [],
      migrate: () => migrateToLatest(db),
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
