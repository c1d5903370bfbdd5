import { randomBytes } from 'node:crypto';
import pg from 'pg';
import type { Config } from '../../src/config.ts';

/**
 * Database backends a suite runs against: PGlite (in memory) always, PostgreSQL when
 * TEST_DATABASE_URL is set. Each `open()` gives a fresh, empty database, so test files never
 * see each other's data; `drop()` removes it.
 */
export interface TestBackend {
  readonly name: 'pglite' | 'postgres';
  open(): Promise<{ database: Config['database']; drop: () => Promise<void> }>;
}

export function testBackends(): TestBackend[] {
  const backends: TestBackend[] = [
    {
      name: 'pglite',
      open: async () => ({ database: { kind: 'pglite', dataDir: null }, drop: async () => {} }),
    },
  ];
  const url = process.env.TEST_DATABASE_URL;
  if (url) {
    backends.push({
      name: 'postgres',
      open: async () => {
        const scratch = await createScratchPostgresDatabase(url);
        return { database: { kind: 'postgres', url: scratch.url, poolSize: 10 }, drop: scratch.drop };
      },
    });
  }
  return backends;
}

/**
 * A PostgreSQL backend on a scratch database already created (createScratchPostgresDatabase), for
 * a test that keeps its URL (to lock its tables, say) or reaches it through a fault proxy;
 * `drop` removes the database.
 */
export function scratchBackend(
  scratch: { readonly url: string; readonly drop: () => Promise<void> },
  poolSize: number,
  proxy?: { urlFor(url: string): string },
): TestBackend {
  return {
    name: 'postgres',
    open: async () => ({
      database: { kind: 'postgres', url: proxy ? proxy.urlFor(scratch.url) : scratch.url, poolSize },
      drop: scratch.drop,
    }),
  };
}

/** Creates a uniquely named PostgreSQL database next to the one in `adminUrl`. */
export async function createScratchPostgresDatabase(
  adminUrl: string,
): Promise<{ url: string; name: string; drop: () => Promise<void> }> {
  const name = `tessera_t_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    await admin.query(`create database ${name}`);
  } finally {
    await admin.end();
  }
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    name,
    drop: async () => {
      const c = new pg.Client({ connectionString: adminUrl });
      await c.connect();
      try {
        await c.query(`drop database if exists ${name} with (force)`);
      } finally {
        await c.end();
      }
    },
  };
}

/** Creates a uniquely named MariaDB/MySQL database on the server of `adminUrl` (TEST_MYSQL_URL). */
export async function createScratchMysqlDatabase(
  adminUrl: string,
): Promise<{ url: string; name: string; drop: () => Promise<void> }> {
  const mysql = await import('mysql2/promise');
  const name = `tessera_t_${randomBytes(6).toString('hex')}`;
  const admin = await mysql.createConnection(adminUrl);
  try {
    await admin.query(`create database ${name}`);
  } finally {
    await admin.end();
  }
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    name,
    drop: async () => {
      const c = await mysql.createConnection(adminUrl);
      try {
        await c.query(`drop database if exists ${name}`);
      } finally {
        await c.end();
      }
    },
  };
}
