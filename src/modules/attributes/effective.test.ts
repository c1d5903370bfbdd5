import assert from 'node:assert/strict';
import { test } from 'node:test';
import { mergeAttributes } from './effective.ts';

test('transient beats DATABASE beats JWT, and the losers are reported strongest first', () => {
  const merged = mergeAttributes({
    transient: new Map([['region', 'eu']]),
    stored: [
      { key: 'region', value: 'us', source: 'DATABASE' },
      { key: 'region', value: 'apac', source: 'JWT' },
      { key: 'tier', value: 'gold', source: 'JWT' },
      { key: 'account_id', value: 'a1', source: 'DATABASE' },
    ],
  });
  assert.deepEqual(merged.get('region'), {
    key: 'region',
    value: 'eu',
    source: 'TRANSIENT',
    overridden: [
      { source: 'DATABASE', value: 'us' },
      { source: 'JWT', value: 'apac' },
    ],
    // An undeclared key: decided by the compat rule, nothing ignored.
    rule: { declared: false, type: null, precedence: 'TRANSIENT_FIRST', transientOverride: 'ANY' },
    ignored: [],
  });
  assert.equal(merged.get('tier')?.source, 'JWT');
  assert.equal(merged.get('account_id')?.value, 'a1');
  assert.deepEqual([...merged.keys()], ['account_id', 'region', 'tier']);
});

test('__proto__ is an ordinary key', () => {
  const merged = mergeAttributes({ stored: [{ key: '__proto__', value: 'x', source: 'DATABASE' }] });
  assert.equal(merged.get('__proto__')?.value, 'x');
  assert.equal(Object.getPrototypeOf({}), Object.prototype);
});
