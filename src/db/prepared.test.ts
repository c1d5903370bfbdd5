import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Kysely, PostgresDialect, sql } from 'kysely';
import { createScratchPostgresDatabase } from '../../test/helpers/databases.ts';
import { TesseraPool } from './pool.ts';

const pgUrl = process.env.TEST_DATABASE_URL;
describe('prepared statements (postgres)', { skip: !pgUrl }, () => {
  let scratch: Awaited<ReturnType<typeof createScratchPostgresDatabase>>;
  let db: Kysely<unknown>;
  before(async () => {
    scratch = await createScratchPostgresDatabase(pgUrl!);
    // One session, so every statement below runs where the previous ones were prepared.
    const pool = new TesseraPool({
      url: scratch.url,
      size: 1,
      reserved: 0,
      statementTimeoutMs: 0,
      acquireTimeoutMs: 5000,
    });
    db = new Kysely<unknown>({ dialect: new PostgresDialect({ pool }) });
  });
  after(async () => {
    await db?.destroy();
    await scratch?.drop();
  });

  const prepared = async () =>
    (
      await sql<{
        name: string;
        statement: string;
      }>`select name, statement from pg_prepared_statements`.execute(db)
    ).rows;

  it('a marked statement is prepared once per session and bound with each call’s values', async () => {
    for (const n of [1, 2, 3]) {
      const { rows } = await sql<{ x: number }>`/* prepared */ select ${n}::int * 10 as x`.execute(db);
      assert.deepEqual(rows, [{ x: n * 10 }]);
    }
    await sql`select ${4}::int as unmarked`.execute(db);
    const statements = await prepared();
    assert.equal(statements.length, 1, JSON.stringify(statements));
    assert.match(statements[0]!.name, /^tessera_[0-9a-f]{32}$/);
    assert.match(statements[0]!.statement, /select \$1::int \* 10 as x/);
    // Another marked text is another statement; the first is reused, not prepared again.
    await sql`/* prepared */ select ${5}::int as y`.execute(db);
    await sql`/* prepared */ select ${6}::int * 10 as x`.execute(db);
    assert.equal((await prepared()).length, 2);
  });

  it('a marked statement that fails leaves the session usable, and is prepared again after a schema change', async () => {
    await sql`create table prepared_test_t (a int)`.execute(db);
    await sql`insert into prepared_test_t values (1)`.execute(db);
    const read = () =>
      sql<{ a: number }>`/* prepared */ select a from prepared_test_t where a >= ${0}`.execute(db);
    assert.deepEqual((await read()).rows, [{ a: 1 }]);
    await assert.rejects(sql`/* prepared */ select ${'x'}::int as bad`.execute(db));
    assert.deepEqual((await read()).rows, [{ a: 1 }]);
    await sql`alter table prepared_test_t add column b int`.execute(db);
    await sql`insert into prepared_test_t values (2, 3)`.execute(db);
    assert.deepEqual((await read()).rows, [{ a: 1 }, { a: 2 }]);
    await sql`drop table prepared_test_t`.execute(db);
  });
});
