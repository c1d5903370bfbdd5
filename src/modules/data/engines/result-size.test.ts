import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MAX_RESULT_BYTES, ResultSizeGuard, rowsSize } from './result-size.ts';

/** One protocol message: type byte, length (counting itself), body. */
const message = (type: string, bodyLength: number) => {
  const m = Buffer.alloc(5 + bodyLength, 0x61);
  m.write(type, 0, 'latin1');
  m.writeUInt32BE(bodyLength + 4, 1);
  return m;
};

test('the guard follows the framing across any chunk boundary and counts DataRows only', () => {
  const stream = Buffer.concat([
    message('T', 30), // RowDescription
    ...Array.from({ length: 5 }, () => message('D', 1000)),
    message('C', 12), // CommandComplete, not counted
    message('Z', 1),
  ]);
  for (const size of [1, 2, 3, 4, 5, 7, 64, stream.length]) {
    const guard = new ResultSizeGuard();
    guard.arm();
    for (let at = 0; at < stream.length; at += size) {
      assert.equal(guard.observe(stream.subarray(at, at + size)), true, `chunks of ${size}`);
    }
    // A header announcing one row past the budget trips it before the body arrives.
    const huge = Buffer.alloc(5);
    huge.write('D', 0, 'latin1');
    huge.writeUInt32BE(MAX_RESULT_BYTES, 1);
    assert.equal(guard.observe(huge), false, `chunks of ${size}`);
    assert.equal(guard.tripped, true);
  }
});

test('a disarmed guard counts nothing (catalog reads of the pool)', () => {
  const guard = new ResultSizeGuard();
  const huge = message('D', 0);
  huge.writeUInt32BE(MAX_RESULT_BYTES + 10, 1);
  assert.equal(guard.observe(huge), true);
  assert.equal(guard.tripped, false);
});

test('rowsSize measures strings in UTF-8 and nested values', () => {
  assert.equal(rowsSize([['é', null, 1, ['ab']]]), 4 + 2 + 8 + 8 + 2);
  assert.ok(rowsSize([['x'.repeat(MAX_RESULT_BYTES + 1)]]) > MAX_RESULT_BYTES);
});

const mysqlUrl = process.env.TEST_MYSQL_URL;
test('MySQL/MariaDB: rows past the budget cut the session with QUERY_RESULT_TOO_LARGE; the pool serves the next query', {
  skip: !mysqlUrl,
}, async () => {
  const { openMysqlPool } = await import('./mysql.ts');
  const url = new URL(mysqlUrl!);
  const pool = await openMysqlPool(
    {
      connectionId: 'con_budget',
      engine: 'mysql',
      host: url.hostname,
      port: Number(url.port || 3306),
      database: url.pathname.slice(1),
      user: decodeURIComponent(url.username),
      password: url.password ? decodeURIComponent(url.password) : null,
      schema: url.pathname.slice(1),
      tls: false,
      mappingIndex: null,
    },
    { connectionsPerPool: 1, idleMs: 10_000 },
  );
  try {
    // Ten rows of 4 MB: each below max_allowed_packet, together past the 32 MiB budget.
    const big = `with recursive n(i) as (select 1 union all select i + 1 from n where i < 10)
      select repeat('x', 4000000) as v from n`;
    await assert.rejects(
      pool.run(big, [], { timeoutMs: 30_000, maxRows: 1000 }),
      (err: { code?: string }) => {
        assert.equal(err.code, 'QUERY_RESULT_TOO_LARGE');
        return true;
      },
    );
    const small = await pool.run('select 1 as one', [], { timeoutMs: 30_000, maxRows: 1000 });
    assert.deepEqual(small.rows, [[1]]);
  } finally {
    await pool.close();
  }
});
