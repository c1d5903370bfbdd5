import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { gateRequest } from '../../../test/helpers/gate-warehouse.ts';
import { AppError } from '../../errors.ts';
import { rewriteQuery, type SqlDialect } from './index.ts';

/**
 * Deeply nested queries are refused with QUERY_REFUSED, however the nesting is spelled: the
 * gate's recursive walks (parse, fence rule, rewrite, print, invariant) must never let a stack
 * overflow (a RangeError, answered as INTERNAL_SERVER_ERROR) escape. Nothing here reaches a
 * database.
 */

const SHAPES: Record<string, (n: number) => string> = {
  'derived tables': (n) => `select 1 from ${'(select * from '.repeat(n)}orders${') x'.repeat(n)}`,
  'scalar sub-selects': (n) => `select ${'(select '.repeat(n)}1${')'.repeat(n)}`,
  'NOT chains': (n) => `select id from orders where ${'not '.repeat(n)}true`,
  'CASE nests': (n) => `select ${'case when true then '.repeat(n)}1${' end'.repeat(n)}`,
  'AND chains': (n) => `select id from orders where true${' and id is not null'.repeat(n)}`,
};

async function outcome(dialect: SqlDialect, sql: string): Promise<string> {
  try {
    await rewriteQuery(gateRequest(dialect, sql));
    return 'accepted';
  } catch (error) {
    if (error instanceof AppError) return error.code;
    return `escaped: ${String(error)}`;
  }
}

for (const dialect of ['postgres', 'mysql'] as const) {
  describe(`deeply nested queries are clean refusals (${dialect})`, () => {
    for (const [shape, sql] of Object.entries(SHAPES)) {
      test(shape, async () => {
        // Deepest first: a walk not yet optimized by the JIT uses the most stack per level.
        for (const depth of [3000, 1500, 1000, 800, 600, 400, 200]) {
          const got = await outcome(dialect, sql(depth));
          assert.ok(got === 'accepted' || got === 'QUERY_REFUSED', `${shape} at depth ${depth}: ${got}`);
        }
      });
    }
  });
}

/** `WITH c0 AS (SELECT * FROM orders), c1 AS (SELECT * FROM c0), …`: n CTEs, each reading the one before. */
function cteChain(n: number): string {
  const name = (i: number) => `c${i.toString(36)}`;
  const ctes = Array.from(
    { length: n },
    (_, i) => `${name(i)} as (select * from ${i ? name(i - 1) : 'orders'})`,
  );
  return `with ${ctes.join(',')} select count(*) from ${name(n - 1)}`;
}

for (const dialect of ['postgres', 'mysql'] as const) {
  test(`a WITH list of 3,500 CTEs, the most the length limit holds, is rewritten (${dialect})`, async () => {
    // Its cost beside a list of 700 (linear, not quadratic) is measured by bench/gate.bench.ts.
    const sql = cteChain(3500);
    assert.ok(sql.length < 100_000);
    assert.equal(await outcome(dialect, sql), 'accepted');
  });
}
