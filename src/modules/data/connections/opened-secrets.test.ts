import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import { createSecretBox, type SecretBox } from '../../../crypto/secret-box.ts';
import { rememberOpenedSecrets } from './opened-secrets.ts';

/** Counts the decryptions that reach the real box. */
function counting(box: SecretBox) {
  let opens = 0;
  return {
    box: {
      seal: box.seal,
      open(sealed: string, context: string) {
        opens++;
        return box.open(sealed, context);
      },
    } as SecretBox,
    opens: () => opens,
  };
}

test('a sealed value is decrypted once, and a re-sealed (changed) value is decrypted again', () => {
  const real = counting(createSecretBox(randomBytes(32)));
  const box = rememberOpenedSecrets(real.box);
  const first = box.seal('old-password', 'connection:c1:password');
  assert.equal(box.open(first, 'connection:c1:password'), 'old-password');
  assert.equal(box.open(first, 'connection:c1:password'), 'old-password');
  assert.equal(real.opens(), 1);
  const changed = box.seal('new-password', 'connection:c1:password');
  assert.equal(box.open(changed, 'connection:c1:password'), 'new-password');
  assert.equal(real.opens(), 2);
  // Sealing the same text again gives a new nonce: never served from an earlier entry.
  const again = box.seal('old-password', 'connection:c1:password');
  assert.notEqual(again, first);
  box.open(again, 'connection:c1:password');
  assert.equal(real.opens(), 3);
});

test('a remembered value does not open under another context, and failures are not remembered', () => {
  const box = rememberOpenedSecrets(createSecretBox(randomBytes(32)));
  const sealed = box.seal('secret', 'connection:c1:password');
  assert.equal(box.open(sealed, 'connection:c1:password'), 'secret');
  assert.throws(() => box.open(sealed, 'connection:c2:password'));
  assert.throws(() => box.open(sealed, 'connection:c2:password'));
  const other = rememberOpenedSecrets(createSecretBox(randomBytes(32)));
  assert.throws(() => other.open(sealed, 'connection:c1:password'));
});

test('the memory is bounded: the least recently used entry is dropped first', () => {
  const real = counting(createSecretBox(randomBytes(32)));
  const box = rememberOpenedSecrets(real.box, 2);
  const [a, b, c] = ['a', 'b', 'c'].map((v) => box.seal(v, `ctx:${v}`)) as [string, string, string];
  box.open(a, 'ctx:a');
  box.open(b, 'ctx:b');
  box.open(a, 'ctx:a'); // a is now the most recent
  box.open(c, 'ctx:c'); // drops b
  assert.equal(real.opens(), 3);
  box.open(a, 'ctx:a');
  assert.equal(real.opens(), 3);
  box.open(b, 'ctx:b');
  assert.equal(real.opens(), 4);
});
