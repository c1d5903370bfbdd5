import assert from 'node:assert/strict';
import { test } from 'node:test';
import type {
  AttributeDefinition,
  AttributeType,
  PrecedenceRule,
  TransientOverride,
} from '../attribute-definitions/rules.ts';
import { mergeAttributes } from './effective.ts';

const def = (
  precedence: PrecedenceRule,
  transientOverride: TransientOverride,
  type: AttributeType = 'STRING',
): AttributeDefinition => ({
  key: 'k',
  type,
  pattern: null,
  allowedValues: null,
  precedence,
  transientOverride,
});

const merge = (definition: AttributeDefinition | null, values: { tr?: string; db?: string; jwt?: string }) =>
  mergeAttributes({
    transient: values.tr === undefined ? undefined : new Map([['k', values.tr]]),
    stored: [
      ...(values.db === undefined ? [] : [{ key: 'k', value: values.db, source: 'DATABASE' }]),
      ...(values.jwt === undefined ? [] : [{ key: 'k', value: values.jwt, source: 'JWT' }]),
    ],
    definitions: definition ? new Map([['k', definition]]) : undefined,
  }).get('k');

// A key present in all three sources, under every rule: which source wins, in what order the
// others lost, and which took no part (docs/attribute-definitions.md "Precedence").
const TABLE: [PrecedenceRule, TransientOverride, string, string[], string[]][] = [
  ['TRANSIENT_FIRST', 'ANY', 'TRANSIENT', ['DATABASE', 'JWT'], []],
  ['TRANSIENT_FIRST', 'NARROW_ONLY', 'DATABASE', ['JWT'], ['TRANSIENT:NOT_NARROWER']],
  ['TRANSIENT_FIRST', 'NEVER', 'DATABASE', ['JWT'], ['TRANSIENT:TRANSIENT_REFUSED']],
  ['JWT_WINS', 'ANY', 'TRANSIENT', ['JWT', 'DATABASE'], []],
  ['JWT_WINS', 'NARROW_ONLY', 'JWT', ['DATABASE'], ['TRANSIENT:NOT_NARROWER']],
  ['JWT_WINS', 'NEVER', 'JWT', ['DATABASE'], ['TRANSIENT:TRANSIENT_REFUSED']],
  ['DATABASE_ONLY', 'ANY', 'TRANSIENT', ['DATABASE'], ['JWT:SOURCE_NOT_USED']],
  ['DATABASE_ONLY', 'NARROW_ONLY', 'DATABASE', [], ['JWT:SOURCE_NOT_USED', 'TRANSIENT:NOT_NARROWER']],
  ['DATABASE_ONLY', 'NEVER', 'DATABASE', [], ['JWT:SOURCE_NOT_USED', 'TRANSIENT:TRANSIENT_REFUSED']],
];

for (const [precedence, override, winner, overridden, ignored] of TABLE) {
  test(`${precedence} / ${override}: a key in JWT, DATABASE and transient resolves to ${winner}`, () => {
    const a = merge(def(precedence, override), { tr: 'tr', db: 'db', jwt: 'jwt' })!;
    assert.equal(a.source, winner);
    assert.equal(a.value, { TRANSIENT: 'tr', DATABASE: 'db', JWT: 'jwt' }[winner]);
    assert.deepEqual(
      a.overridden.map((o) => o.source),
      overridden,
    );
    assert.deepEqual(
      a.ignored.map((i) => `${i.source}:${i.reason}`),
      ignored,
    );
    assert.deepEqual(a.rule, { declared: true, type: 'STRING', precedence, transientOverride: override });
  });
}

test('an undeclared key keeps the compat order transient > DATABASE > JWT and says so', () => {
  const a = merge(null, { tr: 'tr', db: 'db', jwt: 'jwt' })!;
  assert.equal(a.source, 'TRANSIENT');
  assert.deepEqual(
    a.overridden.map((o) => o.source),
    ['DATABASE', 'JWT'],
  );
  assert.deepEqual(a.rule, {
    declared: false,
    type: null,
    precedence: 'TRANSIENT_FIRST',
    transientOverride: 'ANY',
  });
  assert.equal(merge(null, { jwt: 'jwt', db: 'db' })!.source, 'DATABASE');
});

test('each rule with only some sources present', () => {
  assert.equal(merge(def('TRANSIENT_FIRST', 'ANY'), { jwt: 'jwt' })!.source, 'JWT');
  assert.equal(merge(def('JWT_WINS', 'ANY'), { db: 'db' })!.source, 'DATABASE');
  // DATABASE_ONLY never uses a JWT value, even when it is the only one: the key has no value.
  assert.equal(merge(def('DATABASE_ONLY', 'ANY'), { jwt: 'jwt' }), undefined);
  // NARROW_ONLY with nothing stored has nothing to narrow: the transient value is ignored.
  assert.equal(merge(def('TRANSIENT_FIRST', 'NARROW_ONLY'), { tr: 'tr' }), undefined);
  assert.equal(merge(def('TRANSIENT_FIRST', 'NEVER'), { tr: 'tr' }), undefined);
});

test('NARROW_ONLY: a scalar equal to the stored value and a sub-list stand; a wider list does not', () => {
  assert.equal(merge(def('TRANSIENT_FIRST', 'NARROW_ONLY'), { tr: 'db', db: 'db' })!.source, 'TRANSIENT');
  const list = def('TRANSIENT_FIRST', 'NARROW_ONLY', 'STRING_LIST');
  const narrowed = merge(list, { tr: '["DE"]', db: '["DE","FR"]' })!;
  assert.deepEqual([narrowed.source, narrowed.value], ['TRANSIENT', '["DE"]']);
  const widened = merge(list, { tr: '["DE","US"]', db: '["DE","FR"]' })!;
  assert.deepEqual([widened.source, widened.value], ['DATABASE', '["DE","FR"]']);
  // JWT_WINS narrows against the JWT value, the stored winner.
  const jwtList = def('JWT_WINS', 'NARROW_ONLY', 'STRING_LIST');
  assert.equal(merge(jwtList, { tr: '["US"]', db: '["DE"]', jwt: '["US","FR"]' })!.source, 'TRANSIENT');
});

test('a stored or transient value of the wrong type takes no part', () => {
  const int = def('TRANSIENT_FIRST', 'ANY', 'INT');
  const a = merge(int, { tr: 'x', db: 'abc', jwt: '42' })!;
  assert.deepEqual([a.source, a.value], ['JWT', '42']);
  assert.deepEqual(
    a.ignored.map((i) => `${i.source}:${i.reason}`),
    ['DATABASE:TYPE_MISMATCH', 'TRANSIENT:TYPE_MISMATCH'],
  );
});
