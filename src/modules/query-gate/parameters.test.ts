import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import mysqlGrammar from 'node-sql-parser/build/mysql.js';
import {
  gateRequest,
  HOSTILE_LABELS,
  REGIONS,
  type Warehouse,
  warehouseEngines,
  warehouseRows,
} from '../../../test/helpers/gate-warehouse.ts';
import { RewriteCache } from '../data/query/rewrite-cache.ts';
import { type GateRequest, type QueryParameterValue, rewriteQuery } from './index.ts';
import { checkMysqlOutput } from './mysql/engine.ts';
import { verifyMysqlOutput } from './mysql/verify.ts';
import { invariantPlan } from './postgres/engine.ts';
import { parseOneSelect } from './postgres/parse.ts';
import { PolicyTemplates } from './postgres/templates.ts';
import { type QuerySlot, verifyInvariant } from './postgres/verify.ts';

/**
 * `{{name}}` query parameters (docs/query-gate.md "Query parameters"): bound, never spliced, on
 * every engine; found by the dialect's lexer only where a token goes; checked by the invariant.
 */

const tenant1Orders = () => warehouseRows().filter((r) => r.table === 'orders' && r.values[1] === 1);

for (const engine of warehouseEngines()) {
  describe(`query parameters on ${engine.name}`, () => {
    let w: Warehouse;
    before(async () => {
      w = await engine.open();
    });
    after(() => w.close());

    const request = (sql: string, parameters: Record<string, QueryParameterValue>): GateRequest => ({
      ...gateRequest(w.dialect, sql, { main: w.main, archive: w.archive }),
      parameters,
    });
    const run = async (sql: string, parameters: Record<string, QueryParameterValue>) => {
      const rewritten = await rewriteQuery(request(sql, parameters));
      return w.run(rewritten.sql, rewritten.params);
    };
    const ids = (rows: Record<string, unknown>[]) => rows.map((r) => Number(r.id));

    test('text, number and list values filter the caller rows exactly as SQL would', async () => {
      for (const region of REGIONS) {
        const rows = await run(
          'select id from orders where region = {{region}} and amount >= {{min}} order by id',
          { region, min: 30 },
        );
        const expected = tenant1Orders()
          .filter((r) => r.values[4] === region && Number(r.values[3]) >= 30)
          .map((r) => Number(r.values[0]));
        assert.deepEqual(ids(rows), expected, region);
      }
      const list = await run('select id from orders where region in ({{regions}}) order by id', {
        regions: ['DE', 'FR'],
      });
      assert.deepEqual(
        ids(list),
        tenant1Orders()
          .filter((r) => r.values[4] === 'DE' || r.values[4] === 'FR')
          .map((r) => Number(r.values[0])),
      );
      const notIn = await run('select id from orders where id not in ({{ids}}) order by id', {
        ids: [1001, 1002, 2001],
      });
      assert.deepEqual(
        ids(notIn),
        tenant1Orders()
          .map((r) => Number(r.values[0]))
          .filter((id) => id !== 1001 && id !== 1002),
      );
      const flags = await run('select {{yes}} as a, {{nothing}} as b, {{half}} as c from tenants', {
        yes: true,
        nothing: null,
        half: 2.5,
      });
      assert.equal(flags.length, 1);
      assert.equal(Number(flags[0]!.c), 2.5);
      assert.equal(flags[0]!.b, null);
    });

    test('another tenant cannot be reached through a value, and the policy still applies', async () => {
      // A tenant's own id as a filter value selects nothing the policy hides.
      const rows = await run('select id from orders where tenant_id = {{t}} or tenant_id in ({{ts}})', {
        t: 2,
        ts: [2, 3],
      });
      assert.deepEqual(rows, []);
    });

    test('injection through parameter values fails: each value is compared as one whole value', async () => {
      const values = [
        ...HOSTILE_LABELS,
        "DE' OR '1'='1",
        "DE') OR ('1'='1",
        'DE; DROP TABLE orders; --',
        'DE /* */ OR 1=1',
        '{{region}}',
        '$1',
        '?',
        "' UNION SELECT secret FROM secrets --",
      ];
      for (const value of values) {
        assert.deepEqual(
          await run('select id from orders where region = {{region}}', { region: value }),
          [],
          value,
        );
        assert.deepEqual(
          await run('select id from orders where region in ({{regions}})', { regions: [value, `${value} `] }),
          [],
          value,
        );
        const echoed = await run('select {{v}} as v from tenants', { v: value });
        assert.equal(String(echoed[0]!.v), value);
      }
      // The whole table is still there.
      assert.equal((await run('select id from orders', {})).length, tenant1Orders().length);
    });

    test('text compares exactly: no case folding, no trailing-space padding', async () => {
      for (const region of ['de', 'DE ', ' DE', 'De']) {
        assert.deepEqual(await run('select id from orders where region = {{r}}', { r: region }), [], region);
      }
    });

    test('placeholders inside literals, quoted names and comments are not substituted', async () => {
      const q = w.quote;
      const rows = await run(
        `select '{{region}}' as ${q('{{alias}}')} from tenants /* {{nothing}} */ -- {{nothing2}}\n`,
        {},
      );
      assert.deepEqual(
        rows.map((r) => r['{{alias}}']),
        ['{{region}}'],
      );
      if (w.dialect === 'postgres') {
        // A dollar-quoted literal: `$x$…$x$`.
        const dollar = await run(['select $x', '{{region}}', 'x$ as s from tenants'].join('$'), {
          region: 'DE',
        });
        assert.equal(dollar[0]!.s, '{{region}}');
      }
    });

    test('a missing value is BAD_USER_INPUT naming it; unused values are ignored', async () => {
      await assert.rejects(
        rewriteQuery(request('select id from orders where region = {{region}}', { other: 'x' })),
        (error: { code: string; problems?: { item?: string }[] }) =>
          error.code === 'BAD_USER_INPUT' && error.problems?.[0]?.item === 'region',
      );
      const rows = await run('select id from orders where region = {{region}} order by id', {
        region: 'DE',
        unused: ['x'],
        alsoUnused: Number.NaN,
      });
      assert.ok(rows.length > 0);
    });

    test('a list only where a list fits, and only good values', async () => {
      for (const [sql, parameters] of [
        ['select id from orders where region = {{r}}', { r: ['DE'] }],
        ['select id from orders where region in ({{r}}, {{s}})', { r: ['DE'], s: 'FR' }],
        ['select {{r}} as r from tenants', { r: ['DE'] }],
        ['select id from orders where region in ({{r}})', { r: [] }],
        ['select id from orders where region in ({{r}})', { r: ['DE', 1] }],
        ['select id from orders where amount > {{n}}', { n: Number.POSITIVE_INFINITY }],
        ['select id from orders where region = {{r}}', { r: { a: 1 } as never }],
      ] as const) {
        await assert.rejects(rewriteQuery(request(sql, parameters)), { code: 'BAD_USER_INPUT' }, sql);
      }
    });

    test('anything that only looks like a placeholder is refused', async () => {
      for (const sql of [
        'select id from orders where region = {{ region }}',
        'select id from orders where region = {region}',
        'select id from orders where region = {{region}',
        'select id from orders where region = {{1x}}',
        'select id from orders where region = {{region}}x',
        'select id from orders where region = x{{region}}',
        'select id from {{region}}',
        'select id from orders o where o.{{region}} = 1',
        'select id from orders where region = $1',
      ]) {
        await assert.rejects(
          rewriteQuery(request(sql, { region: 'DE' })),
          (error: { code: string }) => error.code === 'QUERY_REFUSED' || error.code === 'BAD_USER_INPUT',
          sql,
        );
        // Not BAD_USER_INPUT either way for the shapes that are not placeholders at all.
      }
      await assert.rejects(rewriteQuery(request('select id from orders where region = {{ region }}', {})), {
        code: 'QUERY_REFUSED',
      });
    });

    test('the rewrite cache keys on the SQL and the slots, never on the values', async () => {
      const { loadGate } = await import('../data/gate.ts');
      const gate = await loadGate();
      const cache = new RewriteCache();
      const domain = { workspaceId: 'ws_p', id: 'dom_p' };
      const sql = 'select id from orders where region in ({{regions}}) and amount >= {{min}} order by id';
      for (const [regions, min] of [
        [['DE', 'FR'], 10],
        [['US', 'IT'], 40],
        [['FR', 'DE'], 0],
      ] as const) {
        const r = request(sql, { regions: [...regions], min });
        const cached = await cache.rewrite(gate, r, domain);
        const direct = await rewriteQuery(r);
        assert.equal(cached.sql, direct.sql);
        assert.deepEqual(cached.params, direct.params);
        assert.deepEqual(cached.queryParameters, direct.queryParameters);
        assert.deepEqual(await w.run(cached.sql, cached.params), await w.run(direct.sql, direct.params));
      }
      const { entries, hits, misses } = cache.stats();
      assert.deepEqual({ entries, hits, misses }, { entries: 1, hits: 2, misses: 1 });
      // Another kind (a fractional number) is another slot shape, hence another entry.
      const r = request(sql, { regions: ['DE', 'FR'], min: 10.5 });
      assert.deepEqual((await cache.rewrite(gate, r, domain)).params, (await rewriteQuery(r)).params);
      assert.equal(cache.stats().entries, 2);
      // A hit refuses what the gate refuses.
      await assert.rejects(cache.rewrite(gate, request(sql, { regions: ['DE', 'FR'] }), domain), {
        code: 'BAD_USER_INPUT',
      });
    });
  });
}

describe('the invariant admits a parameter only as a policy slot or a declared query slot', () => {
  test('PostgreSQL: a slot with another value, another cast or an undeclared $n is refused', async () => {
    const request: GateRequest = {
      ...gateRequest('postgres', 'select id from orders where region = {{r}} and amount > {{n}}'),
      parameters: { r: 'DE', n: 5 },
    };
    const rewritten = await rewriteQuery(request);
    const templates = new PolicyTemplates(request, new Set(['public', 'archive']));
    const slots: QuerySlot[] = [
      { kind: 'text', value: 'DE', cast: 'text' },
      { kind: 'int', value: 5, cast: 'int8' },
    ];
    const check = (sql: string, params: readonly unknown[], declared = slots) =>
      verifyInvariant(parseOneSelect(sql, 'query'), invariantPlan(request, params, templates, declared));
    check(rewritten.sql, rewritten.params);
    const refused = { code: 'QUERY_REFUSED' };
    // The value bound is not the declared one.
    assert.throws(() => check(rewritten.sql, ['FR', ...rewritten.params.slice(1)]), refused);
    // The declared cast differs.
    assert.throws(
      () =>
        check(rewritten.sql, rewritten.params, [slots[0]!, { kind: 'numeric', value: 5, cast: 'numeric' }]),
      refused,
    );
    // A parameter nobody declared.
    assert.throws(
      () => check(rewritten.sql.replace('WHERE region', 'WHERE $4 = 1 AND region'), [...rewritten.params, 1]),
      refused,
    );
    // Fewer declared slots than the query uses.
    assert.throws(() => check(rewritten.sql, rewritten.params, [slots[0]!]), refused);
  });

  test('MySQL: a `?` outside a wrapper must be a declared slot of its kind', async () => {
    const parser = new mysqlGrammar.Parser();
    const request: GateRequest = {
      ...gateRequest('mysql', 'select id from orders where region = {{r}}'),
      parameters: { r: 'DE' },
    };
    const rewritten = await rewriteQuery(request);
    const refused = { code: 'QUERY_REFUSED' };
    // Without the declared slot the `?` is nobody's.
    assert.throws(() => checkMysqlOutput(parser, rewritten.sql, request), refused);
    const wrapperFree = 'SELECT `id` FROM `shop`.`tenants` WHERE `id` = CAST(? AS BINARY)';
    const bypass = { ...request, applyPolicies: false };
    const slot = { text: true, value: 'DE', name: 'r', element: null };
    assert.deepEqual(
      verifyMysqlOutput(
        wrapperFree,
        bypass,
        () => {
          throw new Error('no wrapper expected');
        },
        [slot],
      ).params,
      ['DE'],
    );
    // A text slot must be spelled CAST(? AS BINARY), a number slot a bare `?`.
    assert.throws(
      () =>
        verifyMysqlOutput(wrapperFree, bypass, () => ({ shape: '', values: [] }), [{ ...slot, text: false }]),
      refused,
    );
    assert.throws(
      () =>
        verifyMysqlOutput(
          'SELECT `id` FROM `shop`.`tenants` WHERE `id` = ?',
          bypass,
          () => ({ shape: '', values: [] }),
          [slot],
        ),
      refused,
    );
    // Two `?` for one declared slot.
    assert.throws(
      () =>
        verifyMysqlOutput(`${wrapperFree} OR \`id\` = ?`, bypass, () => ({ shape: '', values: [] }), [slot]),
      refused,
    );
  });
});
