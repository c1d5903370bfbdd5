import assert from 'node:assert/strict';
import { afterEach, before, test } from 'node:test';
import { loadModule } from 'pgsql-parser';
import { parseOneSelect, parsePolicyExpression, sameTree, verifyRoundTrip } from './parse.ts';

// Under --test-force-exit, Node's runner can stop early when tests settle on microtasks only.
afterEach(() => new Promise((resolve) => setImmediate(resolve)));

before(() => loadModule());

test('sameTree ignores positions and defaults, not content', () => {
  const a = parseOneSelect('select a from t where b = $1', 'query');
  const b = parseOneSelect('select   a   from t   where b =   $1', 'query');
  const params = new Set<number>();
  assert.equal(sameTree(a, b, params), true);
  assert.deepEqual([...params], [1]);
  assert.equal(sameTree(a, parseOneSelect('select a from u where b = $1', 'query'), new Set()), false);
  assert.equal(sameTree(a, parseOneSelect('select a from t where b = $2', 'query'), new Set()), false);
  assert.equal(
    sameTree(a, parseOneSelect('select a from t where b = $1 limit 1', 'query'), new Set()),
    false,
  );
});

test('verifyRoundTrip refuses SQL that is not the tree that was built, or misnumbered parameters', () => {
  const tree = parseOneSelect('select * from orders where tenant_id = $1', 'query');
  assert.doesNotThrow(() => verifyRoundTrip('SELECT * FROM orders WHERE tenant_id = $1', tree, 1));
  assert.throws(() => verifyRoundTrip('SELECT * FROM secrets WHERE tenant_id = $1', tree, 1), {
    code: 'QUERY_REFUSED',
  });
  assert.throws(() => verifyRoundTrip('SELECT * FROM orders WHERE tenant_id = $1', tree, 2), {
    code: 'QUERY_REFUSED',
  });
  assert.throws(() => verifyRoundTrip('SELECT * FROM orders WHERE tenant_id = $1; SELECT 1', tree, 1), {
    code: 'QUERY_REFUSED',
  });
});

test('a policy is one expression: anything that changes the wrapper shape is refused', () => {
  assert.ok(parsePolicyExpression("tenant_id = USER_ATTRIBUTE('t') -- a comment"));
  for (const policy of [
    'true) UNION (SELECT 1',
    'true) ORDER BY (1',
    'true) GROUP BY (1',
    'true) LIMIT (1',
    'true) FOR UPDATE --',
    'true); DROP TABLE orders; SELECT (1',
  ]) {
    assert.throws(() => parsePolicyExpression(policy), { code: 'QUERY_REFUSED' }, policy);
  }
});
