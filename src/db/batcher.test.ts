import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Batcher } from './batcher.ts';
import { currentDbScope, type DbScope, runInDbScope } from './scope.ts';

describe('Batcher (group commit)', () => {
  it('answers each caller in order, sharing one run among the items that arrive together', async () => {
    const runs: number[][] = [];
    const batcher = new Batcher(async (items: readonly number[]) => {
      runs.push([...items]);
      return items.map((n) => n * 2);
    });
    const answers = await Promise.all([1, 2, 3, 4].map((n) => batcher.add(n)));
    assert.deepEqual(answers, [2, 4, 6, 8]);
    assert.deepEqual(runs, [[1, 2, 3, 4]]);
  });

  it('queues what arrives while a run is in flight into the next run, never two runs at once', async () => {
    let inFlight = 0;
    let most = 0;
    const runs: number[][] = [];
    let release!: () => void;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const batcher = new Batcher(async (items: readonly number[]) => {
      inFlight++;
      most = Math.max(most, inFlight);
      runs.push([...items]);
      if (runs.length === 1) await gate;
      inFlight--;
      return items;
    });
    const first = batcher.add(1);
    await new Promise((r) => setImmediate(r));
    const later = [2, 3].map((n) => batcher.add(n));
    release();
    assert.deepEqual(await Promise.all([first, ...later]), [1, 2, 3]);
    assert.deepEqual(runs, [[1], [2, 3]]);
    assert.equal(most, 1);
  });

  it('retries a failed run item by item, so one bad item fails only its own caller', async () => {
    const batcher = new Batcher(async (items: readonly string[]) => {
      if (items.includes('bad')) throw new Error('poisoned');
      return items.map((s) => s.toUpperCase());
    });
    const results = await Promise.allSettled(['a', 'bad', 'c'].map((s) => batcher.add(s)));
    assert.deepEqual(
      results.map((r) => (r.status === 'fulfilled' ? r.value : (r.reason as Error).message)),
      ['A', 'poisoned', 'C'],
    );
  });

  it('splits a long queue into runs of at most maxItems', async () => {
    const sizes: number[] = [];
    const batcher = new Batcher(
      async (items: readonly number[]) => {
        sizes.push(items.length);
        return items;
      },
      { maxItems: 3 },
    );
    await Promise.all(Array.from({ length: 7 }, (_, i) => batcher.add(i)));
    assert.deepEqual(sizes, [3, 3, 1]);
  });

  it('runs at most maxInFlight batches at once, each taking what queued while the others ran', async () => {
    let inFlight = 0;
    let most = 0;
    const sizes: number[] = [];
    const batcher = new Batcher(
      async (items: readonly number[]) => {
        inFlight++;
        most = Math.max(most, inFlight);
        sizes.push(items.length);
        await new Promise((r) => setTimeout(r, 5));
        inFlight--;
        return items;
      },
      { maxItems: 4, maxInFlight: 2 },
    );
    const answers = await Promise.all(Array.from({ length: 20 }, (_, i) => batcher.add(i)));
    assert.deepEqual(
      answers,
      Array.from({ length: 20 }, (_, i) => i),
    );
    assert.equal(most, 2);
    assert.ok(sizes.every((n) => n <= 4));
    assert.equal(
      sizes.reduce((a, b) => a + b, 0),
      20,
    );
  });

  it("runs in no caller's scope: a caller whose client leaves cancels no one's statement", async () => {
    const seen: (DbScope | undefined)[] = [];
    const batcher = new Batcher(async (items: readonly string[]) => {
      seen.push(currentDbScope());
      return items;
    });
    const gone = new AbortController();
    gone.abort(); // the first caller's client is already gone when the batch runs
    const answers = await Promise.all([
      runInDbScope({ lane: 'main', signal: gone.signal }, () => batcher.add('a')),
      runInDbScope({ lane: 'main', signal: new AbortController().signal }, () => batcher.add('b')),
    ]);
    assert.deepEqual(answers, ['a', 'b']);
    assert.deepEqual(seen, [{ lane: 'main', signal: undefined }]);
  });

  it('takes the reserved lane when any caller of the batch may use it', async () => {
    const lanes: (string | undefined)[] = [];
    const batcher = new Batcher(async (items: readonly string[]) => {
      lanes.push(currentDbScope()?.lane);
      if (items.length > 1) throw new Error('retried one by one');
      return items;
    });
    await Promise.all([
      runInDbScope({ lane: 'main', signal: undefined }, () => batcher.add('slow')),
      runInDbScope({ lane: 'reserved', signal: undefined }, () => batcher.add('urgent')),
    ]);
    // The shared run, then each item again on its own caller's lane.
    assert.deepEqual(lanes, ['reserved', 'main', 'reserved']);
  });
});
