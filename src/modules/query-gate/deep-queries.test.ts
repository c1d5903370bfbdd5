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

/** The CPU time of this thread one rewrite takes (the best of two), in milliseconds. */
async function rewriteCpuMs(dialect: SqlDialect, sql: string): Promise<number> {
  const cpu = () => {
    const { user, system } = process.threadCpuUsage();
    return (user + system) / 1000;
  };
  let best = Number.POSITIVE_INFINITY;
  for (let i = 0; i < 2; i++) {
    const start = cpu();
    await rewriteQuery(gateRequest(dialect, sql));
    best = Math.min(best, cpu() - start);
  }
  return best;
}

for (const dialect of ['postgres', 'mysql'] as const) {
  test(`a long WITH list costs the gate time in proportion to its length (${dialect})`, async () => {
    // The gate runs on the request's thread: a 100,000-character query of 3,500 CTEs, each
    // scoped by a copy of the names before it, held it for seconds (MySQL: about 10 s).
    assert.ok(cteChain(3500).length < 100_000);
    await rewriteCpuMs(dialect, cteChain(300));
    const short = await rewriteCpuMs(dialect, cteChain(700));
    const long = await rewriteCpuMs(dialect, cteChain(3500));
    // Five times the CTEs: about five times the work when linear, fifteen when quadratic.
    assert.ok(long / short < 9, `700 CTEs: ${short.toFixed(0)} ms, 3,500 CTEs: ${long.toFixed(0)} ms`);
  });
}
