import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { AppError } from '../../errors.ts';
import { rewriteQuery, type SqlDialect } from '../query-gate/index.ts';
import { parametersFor } from './service.ts';
import type { DashboardFilter, Tile } from './types.ts';
import { unboundPlaceholderProblems } from './validation.ts';

/**
 * Property (docs/dashboards.md "Filters", "Placeholders"): whatever tile SQL a dashboard save
 * accepts, the gate runs, and whatever the save refuses, the gate refuses too; and the names the
 * save says the tile uses are exactly the names the gate binds. The SQL is generated with
 * `{{…}}` in every lexical position a lexer can get wrong: string literals (with doubled quotes
 * and backslashes), E'' and U&'' strings, dollar quotes, nested block comments, line comments,
 * quoted identifiers, MySQL backticks, and near-placeholders (`{{ a }}`, glued to a word).
 */

const FILTERS: DashboardFilter[] = ['a', 'b'].map((id) => ({
  id,
  label: id,
  type: 'TEXT',
  defaultValues: ['x'],
  optionsSql: null,
}));

/** Select-list items: each one complete, so any sequence of them is one SELECT. */
const COMMON = [
  '{{a}}',
  '{{b}} AS bee',
  '{{zz}}',
  '{{ a }}',
  '{{a }}',
  '{{a}}x',
  "'{{a}}'",
  "'it''s {{b}}'",
  "'{{zz}}'",
  "'{{ a }}'",
  '1 /* {{a}} */',
  '1 /* {{zz}} */',
  '1 -- {{a}}\n',
  '1 -- {{ zz }}\n',
  "concat('{', {{a}}, '}')",
  "'}}' || {{b}}",
];
const ITEMS: Record<SqlDialect, readonly string[]> = {
  postgres: [
    ...COMMON.map((s) => s.replace("concat('{', {{a}}, '}')", "'{' || {{a}} || '}'")),
    "E'{{a}}'",
    "E'\\'{{a}}'",
    "E'\\\\' || {{b}}",
    "'\\' || {{a}}",
    "U&'{{zz}}'",
    '$$ {{a}} $$',
    '$q$ {{zz}} $$ {{b}} $q$',
    '$q$x$q$ || {{b}}',
    '1 AS "{{a}}"',
    '1 AS "{{ zz }}"',
    '1 /* /* {{a}} */ {{zz}} */',
    '{{a}}::text',
  ],
  mysql: [
    ...COMMON,
    '1 AS `{{a}}`',
    '1 AS `{{ zz }}`',
    "N'{{zz}}'",
    "'\\'{{a}}'",
    "'\\\\', {{b}}",
    "x'7b7b617d7d'",
    '1 AS `}}{{zz`',
  ],
};

const tile = (sql: string): Tile => ({
  id: 't',
  title: 't',
  sql,
  visualization: 'TABLE',
  bindings: { x: null, y: [], group: null, format: null },
  position: { x: 0, y: 0, w: 4, h: 2 },
});

/** Save-time: the problems the dashboard would be refused with ([] = saved), and the names it uses. */
async function atSave(dialect: SqlDialect, sql: string): Promise<boolean> {
  const problems = await unboundPlaceholderProblems([tile(sql)], FILTERS, dialect);
  return problems.length === 0;
}

/** Run time: the gate with the values the dashboard gives; the names it bound, or null when refused. */
async function atRun(dialect: SqlDialect, sql: string): Promise<string[] | null> {
  try {
    const rewritten = await rewriteQuery({
      dialect,
      sql,
      tables: [{ schema: 'main', name: 'orders', policy: null }],
      defaultSchema: 'main',
      user: { email: 'u@example.com', attributes: new Map() },
      applyPolicies: true,
      requirePolicies: false,
      parameters: parametersFor(FILTERS, []),
    });
    return [...new Set((rewritten.queryParameters ?? []).map((s) => s.name))].sort();
  } catch (err) {
    if (err instanceof AppError) return null;
    throw err;
  }
}

for (const dialect of ['postgres', 'mysql'] as const) {
  describe(`tile placeholders on ${dialect}: one grammar at save and at run time`, () => {
    test('save-time acceptance equals run-time acceptance, for generated tile SQL', async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.array(fc.constantFrom(...ITEMS[dialect]), { minLength: 1, maxLength: 4 }),
          async (items) => {
            const sql = `SELECT ${items.join(', ')} FROM orders`;
            const saved = await atSave(dialect, sql);
            const ran = await atRun(dialect, sql);
            assert.equal(saved, ran !== null, `${sql}: saved ${saved}, ran ${ran !== null}`);
          },
        ),
        { numRuns: 300 },
      );
    });

    test('each item alone: saved exactly when it runs', async () => {
      for (const item of ITEMS[dialect]) {
        const sql = `SELECT ${item} FROM orders`;
        assert.equal(await atSave(dialect, sql), (await atRun(dialect, sql)) !== null, sql);
      }
    });

    test('text inside strings, comments and quoted names is never a placeholder', async () => {
      const literal = dialect === 'postgres' ? `'{{zz}}' AS "{{zz}}"` : "'{{zz}}' AS `{{zz}}`";
      const sql = `SELECT ${literal} /* {{zz}} */ FROM orders`;
      assert.equal(await atSave(dialect, sql), true);
      assert.deepEqual(await atRun(dialect, sql), []);
    });

    test('spaces inside the braces are refused at save, as the gate refuses them', async () => {
      const problems = await unboundPlaceholderProblems(
        [tile('SELECT {{ a }} FROM orders')],
        FILTERS,
        dialect,
      );
      assert.equal(problems.length, 1);
      assert.equal(problems[0]!.field, 'tiles[0].sql');
      assert.equal(problems[0]!.code, 'BAD_USER_INPUT');
      assert.equal(await atRun(dialect, 'SELECT {{ a }} FROM orders'), null);
    });
  });
}
