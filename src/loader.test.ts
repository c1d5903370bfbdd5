import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BatchLoader } from './loader.ts';

/** A loader over a fixed table that records every fetch it makes. */
function tableLoader(table: Record<string, number>) {
  const fetches: string[][] = [];
  const loader = new BatchLoader<string, number>(async (keys) => {
    fetches.push([...keys]);
    return new Map(keys.filter((k) => k in table).map((k) => [k, table[k]!]));
  }, -1);
  return { loader, fetches };
}

describe('BatchLoader', () => {
  it('batches the loads of one tick into one fetch and caches them', async () => {
    const { loader, fetches } = tableLoader({ a: 1, b: 2 });
    assert.deepEqual(await Promise.all([loader.load('a'), loader.load('b'), loader.load('zz')]), [1, 2, -1]);
    assert.deepEqual(await loader.load('a'), 1);
    assert.deepEqual(fetches, [['a', 'b', 'zz']]);
  });

  it('get answers with a promise before a fetch and with the plain value after it', async () => {
    const { loader, fetches } = tableLoader({ a: 1 });
    const first = loader.get('a');
    assert.ok(first instanceof Promise);
    assert.equal(await first, 1);
    assert.equal(loader.get('a'), 1);
    assert.equal(loader.peek('a'), 1);
    assert.equal(loader.peek('b'), undefined);
    assert.equal(fetches.length, 1);
  });

  it('prefetch fetches only the keys not fetched yet, once, and get then answers synchronously', async () => {
    const { loader, fetches } = tableLoader({ a: 1, b: 2, c: 3 });
    await loader.load('a');
    await loader.prefetch(['a', 'b', 'c', 'b', 'missing']);
    assert.deepEqual(fetches, [['a'], ['b', 'c', 'missing']]);
    assert.deepEqual(
      ['a', 'b', 'c', 'missing'].map((k) => loader.get(k)),
      [1, 2, 3, -1],
    );
    assert.equal(await loader.load('c'), 3);
    await loader.prefetch(['a', 'c']);
    assert.equal(fetches.length, 2);
  });

  it('a failed fetch rejects every load of its batch', async () => {
    const loader = new BatchLoader<string, number>(async () => {
      throw new Error('down');
    }, 0);
    await assert.rejects(Promise.all([loader.load('a'), loader.load('b')]), /down/);
    await assert.rejects(loader.prefetch(['c']), /down/);
    assert.equal(loader.peek('c'), undefined);
  });
});
