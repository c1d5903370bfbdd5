import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { sql } from 'kysely';
import { testBackends } from '../../test/helpers/databases.ts';
import { DataDirInUseError } from './data-dir-lock.ts';
import { migrateToLatest, openDatabase } from './index.ts';

for (const backend of testBackends()) {
  describe(`database (${backend.name})`, () => {
    // Two instances on one database only exist on PostgreSQL; a PGlite directory has one process.
    it('runs every migration exactly once, also when two instances start together', {
      skip: backend.name === 'pglite',
    }, async () => {
      const { database, drop } = await backend.open();
      const a = await openDatabase(database);
      const b = await openDatabase(database);
      try {
        const [ranA, ranB] = await Promise.all([migrateToLatest(a.db), migrateToLatest(b.db)]);
        const ran = [...ranA, ...ranB].sort();
        const applied = await a.db
          .selectFrom(sql`tessera_migrations`.as('m'))
          .select(sql<string>`name`.as('name'))
          .execute();
        assert.deepEqual(ran, applied.map((r) => r.name).sort());
        assert.equal(new Set(ran).size, ran.length, 'no migration ran twice');
      } finally {
        await a.close();
        await b.close();
        await drop();
      }
    });
  });
}

describe('migrations (pglite)', () => {
  it('are idempotent: a second run applies nothing', async () => {
    const h = await openDatabase({ kind: 'pglite', dataDir: null });
    try {
      assert.ok((await migrateToLatest(h.db)).length > 0);
      assert.deepEqual(await migrateToLatest(h.db), []);
    } finally {
      await h.close();
    }
  });
});

describe('PGlite data directory', () => {
  it('refuses a second opener of the same directory with a clear message, and frees it on close', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tessera-lock-'));
    try {
      const first = await openDatabase({ kind: 'pglite', dataDir: dir });
      await assert.rejects(openDatabase({ kind: 'pglite', dataDir: dir }), DataDirInUseError);
      await first.close();
      const again = await openDatabase({ kind: 'pglite', dataDir: dir });
      await again.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
