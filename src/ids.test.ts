import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { newId, newIds } from './ids.ts';

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
});
