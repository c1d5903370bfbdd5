import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FirstLines } from './first-lines.ts';

describe('FirstLines (the import duplicate check)', () => {
  it('remembers the first line of every key through many growths, and reports each repeat', () => {
    const seen = new FirstLines();
    const n = 50_000;
    for (let i = 0; i < n; i++) assert.equal(seen.firstOr(`user${i}@acme.test`, i + 2), null);
    for (let i = 0; i < n; i += 997) assert.equal(seen.firstOr(`user${i}@acme.test`, n + 10), i + 2);
    // A repeat does not move the first line.
    assert.equal(seen.firstOr('user5@acme.test', n + 20), 7);
    assert.equal(seen.firstOr('new@acme.test', n + 30), null);
  });
});
