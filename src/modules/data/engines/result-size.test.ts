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
