import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { sql } from 'kysely';
import { testBackends } from '../../test/helpers/databases.ts';
import { fixedQuery } from './fixed-query.ts';
import { migrateToLatest, openDatabase } from './index.ts';

for (const backend of testBackends()) {
  describe(`fixed queries (${backend.name})`, () => {
    it('bind each call’s own values to the SQL compiled once, inside a transaction too', async () => {
      const { database, drop } = await backend.open();
      const handle = await openDatabase(database);
      try {
        await migrateToLatest(handle.db);
        let built = 0;
        const named = fixedQuery((db, v: { name: string; other: string }) => {
          built++;
          return db
            .selectFrom(sql<{ a: string; b: string; c: number }>`(select 1)`.as('t'))
            .select([sql<string>`${v.name}::text`.as('a'), sql<string>`${v.other}::text`.as('b')])
            .select(sql<number>`${7}::int`.as('c'));
        });
        assert.deepEqual(await named(handle.db, { name: 'x', other: 'y' }), [{ a: 'x', b: 'y', c: 7 }]);
        const inTransaction = await handle.db
          .transaction()
          .execute((tx) => named(tx, { name: "o'neil", other: '' }));
        assert.deepEqual(inTransaction, [{ a: "o'neil", b: '', c: 7 }]);
        assert.equal(built, 1);
        // A list is one array parameter, bound whole.
        const listed = fixedQuery((db, v: { ids: readonly string[] }) =>
          db
            .selectFrom(sql<{ t: string }>`unnest(${v.ids}::text[])`.as('t'))
            .select(sql<string>`t.t`.as('id'))
            .orderBy('id'),
        );
        assert.deepEqual(await listed(handle.db, { ids: ['b', 'a'] }), [{ id: 'a' }, { id: 'b' }]);
        assert.deepEqual(await listed(handle.db, { ids: ['c'] }), [{ id: 'c' }]);
      } finally {
        await handle.close();
        await drop();
      }
    });

    it('refuse a value used inside another value instead of as a whole parameter', async () => {
      const { database, drop } = await backend.open();
      const handle = await openDatabase(database);
      try {
        const prefixed = fixedQuery((db, v: { prefix: string }) =>
          db
            .selectFrom(sql<{ a: string }>`(select 1)`.as('t'))
            .select(sql<string>`${`${v.prefix}%`}::text`.as('a')),
        );
        await assert.rejects(prefixed(handle.db, { prefix: 'a' }), /whole bound parameter/);
        // A list spread from its stand-in would bind the stand-in's characters, never the list.
        const spread = fixedQuery((db, v: { ids: readonly string[] }) =>
          db
            .selectFrom(sql<{ a: string[] }>`(select 1)`.as('t'))
            .select(sql<string[]>`${[...v.ids]}::text[]`.as('a')),
        );
        await assert.rejects(spread(handle.db, { ids: ['a', 'b'] }), /whole bound parameter/);
      } finally {
        await handle.close();
        await drop();
      }
    });
  });
}
