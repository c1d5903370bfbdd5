import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import fc from 'fast-check';
import { openMariadb, type Warehouse, warehouseDomain } from '../../../../test/helpers/gate-warehouse.ts';
import { rewriteQuery } from '../index.ts';

const myUrl = process.env.TEST_MYSQL_URL;

/**
 * Lexical fidelity: expressions without tables, in spellings where a reader could go wrong
 * (number forms, minus chains, comments, quoting, operators), give the same value when MariaDB
 * runs the user's text and when it runs the gate's printed text — or the gate refuses them.
 */
const atomArb = fc.constantFrom(
  '1',
  '.5',
  '1.',
  '1.e2',
  '2e1',
  '0x41',
  "x'41'",
  "b'101'",
  "N'n'",
  "'it''s'",
  "'a\"b'",
  "''",
  'null',
  'true',
  '-1',
  '- -1',
  '1-1',
  '1 - -1',
  '(1)',
  "'1' + 1",
  '7 div 2',
  '7 mod 3',
  '!0',
  '~0',
  '1 ^ 3',
  "'A' = 'a'",
  "'a' collate utf8mb4_bin = 'A'",
  '2 <=> null',
  "concat('a', 'b')",
  "'a' 'b'",
  '1 in (1, 2)',
  'not 1',
  '1 is not null',
  "'ab' like 'a%'",
  "case when 1 then 'x' end",
  "'2024-01-01' + interval 1 day",
  "-'1'",
  '1 between 0 and 2',
  "'abc' regexp 'b'",
  '5 % 3',
  "substring('abcdef' from 2 for 3)",
  '1 << 2',
  '0 xor 1',
  "date '2024-01-02'",
  'cast(1 as char)',
);
const glueArb = fc.constantFrom(
  ' + ',
  ' - ',
  ' * ',
  ' = ',
  ' < ',
  ' and ',
  ' or ',
  ' && ',
  ' || ',
  '-',
  '+',
  '/**/+',
  ' -- c\n + ',
);
const exprArb = fc
  .tuple(atomArb, fc.array(fc.tuple(glueArb, atomArb), { maxLength: 3 }))
  .map(([first, rest]) => first + rest.map(([g, a]) => g + a).join(''));

describe('MariaDB: the gate’s printed text means what the user’s text means', { skip: !myUrl }, () => {
  let w: Warehouse;
  before(async () => {
    w = await openMariadb(myUrl!, []);
  });
  after(() => w?.close());

  test('random expressions: same value from the original and the printed text, or refused', async () => {
    let accepted = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(exprArb, { minLength: 1, maxLength: 3 }), async (exprs) => {
        const sql = `select ${exprs.map((e, i) => `${e} as c${i}`).join(', ')}`;
        let printed: string;
        try {
          printed = (await rewriteQuery({ ...requestFor(w), sql })).sql;
        } catch (error) {
          assert.equal((error as { code?: string }).code, 'QUERY_REFUSED', `${sql}: ${String(error)}`);
          return;
        }
        accepted++;
        // Values only: an unaliased column is named after the text, which the printer respells.
        const values = (rows: Record<string, unknown>[]) => JSON.stringify(rows.map((r) => Object.values(r)));
        const [direct, gated] = await Promise.all([
          w.run(sql, []).then(values, (e: { code?: string }) => `error ${e.code}`),
          w.run(printed, []).then(values, (e: { code?: string }) => `error ${e.code}`),
        ]);
        assert.equal(gated, direct, `${sql}\n→ ${printed}`);
      }),
      { numRuns: 300 },
    );
    assert.ok(accepted > 100, `only ${accepted} accepted`);
  });
});

function requestFor(w: Warehouse) {
  return {
    dialect: 'mysql' as const,
    tables: warehouseDomain(w),
    defaultSchema: w.main,
    user: { email: 'alice@a.test', attributes: new Map([['tenant', '1']]) },
    applyPolicies: true,
    requirePolicies: false,
  };
}
