import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { settingsOf } from '../../../../test/helpers/data.ts';
import { createScratchPostgresDatabase } from '../../../../test/helpers/databases.ts';
import { AppError } from '../../../errors.ts';
import type { ResolvedSettings } from '../connections/types.ts';
import { openPostgresPool } from './postgres.ts';
import type { DataPool } from './types.ts';

/** The one-round-trip path: read-only sessions pinned at connect, the row cap in the protocol. */
const pgUrl = process.env.TEST_DATABASE_URL;
describe('PostgreSQL warehouse sessions (postgres)', { skip: !pgUrl }, () => {
  let scratch: Awaited<ReturnType<typeof createScratchPostgresDatabase>>;
  let pool: DataPool;
  const limits = { timeoutMs: 400, maxRows: 3 };

  before(async () => {
    scratch = await createScratchPostgresDatabase(pgUrl!);
    const s = settingsOf('postgres', scratch.url);
    const settings: ResolvedSettings = {
      connectionId: 'conn_1',
      engine: 'postgres',
      host: s.host,
      port: s.port,
      database: s.database,
      user: s.user,
      password: s.password ?? null,
      schema: 'public',
      tls: false,
      mappingIndex: null,
    };
    // One session, so every query below runs on the session the previous one left behind.
    pool = await openPostgresPool(settings, {
      connectionsPerPool: 1,
      idleMs: 10_000,
      statementTimeoutMs: 400,
    });
  });
  after(async () => {
    await pool?.close();
    await scratch?.drop();
  });

  const code = async (sql: string) => {
    try {
      await pool.run(sql, [], limits);
      return 'OK';
    } catch (err) {
      return err instanceof AppError ? err.code : String(err);
    }
  };

  test('every query runs read-only with the pinned search path and string rule', async () => {
    const r = await pool.run(
      "select current_setting('transaction_read_only'), current_setting('search_path'), current_setting('standard_conforming_strings'), current_setting('statement_timeout')",
      [],
      limits,
    );
    assert.deepEqual(r.rows, [['on', 'pg_catalog,pg_temp', 'on', '400ms']]);
    assert.notEqual(await code('create table pg_temp.t (x int)'), 'OK');
  });

  test('the row cap truncates and says so; exactly the cap is not truncated', async () => {
    const over = await pool.run('select g from pg_catalog.generate_series(1, $1::int) g', [10], limits);
    assert.deepEqual(over.rows, [[1], [2], [3]]);
    assert.equal(over.truncated, true);
    const exact = await pool.run('select g from pg_catalog.generate_series(1, 3) g', [], limits);
    assert.deepEqual(exact.rows, [[1], [2], [3]]);
    assert.equal(exact.truncated, false);
    assert.deepEqual(exact.columns, [{ name: 'g', type: 'int4' }]);
  });

  test('a timeout or an error leaves the session usable for the next query', async () => {
    assert.equal(await code('select pg_catalog.pg_sleep(2)'), 'QUERY_TIMEOUT');
    assert.equal((await pool.run('select 1', [], limits)).rows.length, 1);
    assert.notEqual(await code('select 1/0'), 'OK');
    const after = await pool.run('select $1::text', ['still here'], limits);
    assert.deepEqual(after.rows, [['still here']]);
    // A statement the server cuts off mid-stream (an error after the first rows) is not a result.
    assert.notEqual(await code('select 1/(3 - g) from pg_catalog.generate_series(1, 5) g'), 'OK');
    assert.deepEqual((await pool.run('select 2', [], limits)).rows, [[2]]);
  });
  test('policy checks go in the same round trip: one that fails refuses the query, which never runs', async () => {
    const checks = ['select 1 from pg_catalog.pg_class c where c.relname = $1', 'select 1 where $1::int > 0'];
    const ok = await pool.run('select $1::int + 1', [41], limits, checks);
    assert.deepEqual(ok.rows, [[42]]);
    // The second check names a column its table lacks; the query after it would fail differently.
    let failure: unknown;
    try {
      await pool.run('select 1/0', [], limits, [
        checks[0]!,
        'select 1 from pg_catalog.pg_class c where c.nope = 1',
      ]);
    } catch (err) {
      failure = err;
    }
    assert.ok(failure instanceof AppError);
    assert.equal(failure.code, 'QUERY_FAILED');
    assert.equal(
      (failure.extra as { sqlstate?: string }).sqlstate,
      '42703',
      'the check failed, not the query (22012)',
    );
    // A failing query after passing checks is the query's own failure.
    let queryFailure: unknown;
    try {
      await pool.run('select 1/0', [], limits, checks);
    } catch (err) {
      queryFailure = err;
    }
    assert.ok(queryFailure instanceof AppError);
    assert.equal((queryFailure.extra as { sqlstate?: string }).sqlstate, '22012');
    assert.deepEqual((await pool.run('select 3', [], limits, checks)).rows, [[3]]);
  });
});
