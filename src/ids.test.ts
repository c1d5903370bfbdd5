import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { newId, newIds } from './ids.ts';

const ALPHABET = '0123456789abcdefghjkmnpqrstvwxyz';

/** The millisecond an id was made: its first 48 bits. */
function timeOf(id: string): number {
  const symbols = id.slice(id.indexOf('_') + 1);
  let ms = 0;
  // 48 bits are the first 9.6 symbols: read 10 (50 bits) and drop the 2 random bits after them.
  for (const c of symbols.slice(0, 10)) ms = ms * 32 + ALPHABET.indexOf(c);
  return Math.floor(ms / 4);
}

describe('ids', () => {
  it('newIds makes distinct ids of exactly the shape newId makes', () => {
    const shape = /^usr_[0-9a-hjkmnp-tv-z]{26}$/;
    assert.match(newId('usr'), shape);
    const ids = newIds('usr', 5000);
    assert.equal(ids.length, 5000);
    for (const id of ids) assert.match(id, shape);
    assert.equal(new Set(ids).size, ids.length);
    assert.deepEqual(newIds('evt', 0), []);
  });

  it('an id leads with the millisecond it was made, so ids made later sort after', async () => {
    const before = Date.now();
    const first = newId('evt');
    const batch = newIds('evt', 100);
    const after = Date.now();
    for (const id of [first, ...batch]) {
      assert.ok(timeOf(id) >= before && timeOf(id) <= after, `${id} was made at ${timeOf(id)}`);
    }
    await sleep(2);
    const later = [newId('evt'), ...newIds('evt', 100)];
    for (const a of [first, ...batch]) for (const b of later) assert.ok(a < b, `${a} sorts before ${b}`);
  });

  it('ids made in the same millisecond still differ in 80 random bits', () => {
    const ids = newIds('usr', 1000);
    assert.equal(new Set(ids.map(timeOf)).size, 1);
    assert.equal(new Set(ids.map((id) => id.slice(-16))).size, 1000);
  });
});
