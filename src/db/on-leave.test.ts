import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { onClientLeave } from './on-leave.ts';

describe('onClientLeave', () => {
  it('acts when the client goes away, and again until disposed', async () => {
    const gone = new AbortController();
    let acts = 0;
    const leave = onClientLeave(gone.signal, () => {
      acts++;
      return true;
    });
    assert.equal(leave.acted, false);
    gone.abort();
    assert.equal(acts, 1);
    await new Promise((resolve) => setTimeout(resolve, 1100));
    leave.dispose();
    const after = acts;
    assert.ok(after >= 2, `acted ${after} times`);
    await new Promise((resolve) => setTimeout(resolve, 600));
    assert.equal(acts, after);
    assert.equal(leave.acted, true);
  });

  it('acts at once for a client already gone when the work starts', () => {
    const gone = new AbortController();
    gone.abort();
    let acts = 0;
    const leave = onClientLeave(gone.signal, () => {
      acts++;
      return true;
    });
    leave.dispose();
    assert.equal(acts, 1);
    assert.equal(leave.acted, true);
  });
});
