import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AppError } from '../../../errors.ts';
import { rewriteQuery } from '../index.ts';

/**
 * MySQL expands a list parameter into one `?` per element, and the server takes at most 65,535
 * placeholders in a statement. A tile naming a multi-select list 200 times, run with 500 chosen
 * values, is 100,000 placeholders: refused before the rewrite expands them (which took the
 * gate tens of seconds, only for the server to refuse the statement), not after.
 */
test('a query whose lists would expand past 65,535 placeholders is refused up front', async () => {
  const sql = `select count(*) from orders where ${Array.from({ length: 200 }, () => 'region in ({{r}})').join(' or ')}`;
  // Expanded first, the statement would reach the slot counter every rewrite shares and be refused
  // there as QUERY_REFUSED, after seconds of work; BAD_USER_INPUT naming the parameter is the
  // refusal made before any element became a placeholder.
  await assert.rejects(
    rewriteQuery({
      dialect: 'mysql',
      sql,
      tables: [{ schema: 'main', name: 'orders', policy: null }],
      defaultSchema: 'main',
      user: { email: 'u@example.com', attributes: new Map() },
      applyPolicies: true,
      requirePolicies: false,
      parameters: { r: Array.from({ length: 500 }, (_, i) => `v${i}`) },
    }),
    (err: unknown) =>
      err instanceof AppError &&
      err.code === 'BAD_USER_INPUT' &&
      /placeholders/.test(err.message) &&
      /65535/.test(err.message),
  );
});

test('just under the limit is still rewritten', async () => {
  const rewritten = await rewriteQuery({
    dialect: 'mysql',
    sql: 'select count(*) from orders where region in ({{r}}) or region in ({{r}})',
    tables: [{ schema: 'main', name: 'orders', policy: null }],
    defaultSchema: 'main',
    user: { email: 'u@example.com', attributes: new Map() },
    applyPolicies: true,
    requirePolicies: false,
    parameters: { r: ['DE', 'FR'] },
  });
  assert.equal(rewritten.params.length, 4);
});
