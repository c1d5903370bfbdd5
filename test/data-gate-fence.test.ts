import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type GateTable, type RewrittenQuery, rewriteQuery } from '../src/modules/query-gate/index.ts';
import { type Warehouse, warehouseDomain, warehouseEngines } from './helpers/gate-warehouse.ts';

/**
 * The `OFFSET 0` fence of the Postgres gate is dropped only where no expression of the query
 * could fail or run code on a row (docs/query-gate.md, "When the fence is dropped"). Against real
 * PostgreSQL and PGlite: the latest-rows query then gets the index plan native RLS gets, and
 * every attack an attacker would write keeps its fence and learns nothing about other tenants,
 * while the same query with the fence taken off does leak (so these tests can fail).
 */

// `events`: the latest-rows case, indexed on (tenant_id, created_at) like the benchmark's table.
// `notes`: a policy the planner costs above a cast or a division (`= ANY(array)` of a list of 21
// tenants, the caller's and twenty empty ones), so without the fence PostgreSQL evaluates the
// user's condition first; tenant 1's values are all valid
// numbers, dates and JSON, the other tenants' are not.
const SETUP = [
  'create table events (id int primary key, tenant_id int not null, created_at timestamptz not null, body text not null)',
  'create index events_tenant_created on events (tenant_id, created_at)',
  "insert into events select g, g % 50, timestamptz '2026-01-01' + g * interval '1 minute', 'e' || g from generate_series(1, 20000) g",
  'analyze events',
  'create table notes (id int primary key, tenant_id int not null, secret text not null)',
  "insert into notes values (1, 1, '12'), (2, 1, '2026'), (3, 2, 'topsecret'), (4, 3, 'x')",
  'analyze notes',
];

const CALLER = 1;
const TABLES = (w: Warehouse): GateTable[] => [
  ...warehouseDomain(w).filter((t) => t.name === 'tenants'),
  { schema: w.main, name: 'events', policy: "tenant_id = USER_ATTRIBUTE_INT('tenant')" },
  { schema: w.main, name: 'notes', policy: "tenant_id = ANY(USER_ATTRIBUTE_INT_LIST('tenants'))" },
];

/**
 * Each attack, and whether the same query with the fence taken off leaks here. Expressions only
 * in ORDER BY, GROUP BY, an aggregate or a window are computed after the scan's filter on these
 * plans, so unfenced they show nothing; the rule fences them anyway, because another plan (a
 * policy that is a join, a sort pushed below one) could compute them on hidden rows.
 */
const ATTACKS: readonly { name: string; sql: string; leaksUnfenced: boolean }[] = [
  { name: 'failing cast', sql: 'select id from notes where secret::int = 12', leaksUnfenced: true },
  {
    name: 'division by zero',
    sql: 'select id from notes where 1 / (tenant_id - 2) = -1',
    leaksUnfenced: true,
  },
  {
    name: 'to_date',
    sql: "select id from notes where to_date(secret, 'YYYY') is not null",
    leaksUnfenced: true,
  },
  { name: 'jsonb', sql: 'select id from notes where secret::jsonb is not null', leaksUnfenced: true },
  {
    name: 'CASE oracle',
    sql: "select id from notes where case when secret = 'topsecret' then 1 / (tenant_id - tenant_id) else 1 end = 1",
    leaksUnfenced: true,
  },
  {
    name: 'JOIN ON',
    sql: 'select n.id from notes n join tenants t on n.secret::int > 0 and t.id is not null',
    leaksUnfenced: true,
  },
  {
    name: 'sub-select output',
    sql: 'select s.id from (select id, secret::int as n from notes) s where s.n = 12',
    leaksUnfenced: true,
  },
  {
    name: 'CTE output',
    sql: 'with c as (select id, secret::int as n from notes) select id from c where n = 12',
    leaksUnfenced: true,
  },
  {
    name: 'LATERAL',
    sql: 'select l.id from tenants t, lateral (select id from notes where notes.secret::int = 12) l',
    leaksUnfenced: true,
  },
  {
    name: 'window partition',
    sql: 'select id from (select id, secret, row_number() over (partition by secret) as r from notes) s where s.secret::int = 12',
    leaksUnfenced: true,
  },
  {
    name: 'HAVING pushed into WHERE',
    sql: 'select secret from notes group by secret having secret::int = 12',
    leaksUnfenced: true,
  },
  { name: 'ORDER BY', sql: 'select id from notes order by secret::int', leaksUnfenced: false },
  { name: 'GROUP BY', sql: 'select secret::int as n from notes group by secret::int', leaksUnfenced: false },
  { name: 'aggregate input', sql: 'select sum(secret::int) as s from notes', leaksUnfenced: false },
  {
    name: 'window function',
    sql: 'select rank() over (order by secret::int) as r from notes',
    leaksUnfenced: false,
  },
];

const WRAPPER_END = / OFFSET 0 \)/g;

const sorted = (rows: Record<string, unknown>[]) =>
  rows.map((r) => JSON.stringify(Object.values(r).map(String))).sort();

async function outcome(work: () => Promise<Record<string, unknown>[]>): Promise<string[] | 'error'> {
  try {
    return sorted(await work());
  } catch {
    return 'error';
  }
}

for (const engine of warehouseEngines(['postgres'])) {
  describe(`the fence of the Postgres gate on ${engine.name}`, () => {
    let w: Warehouse;
    before(async () => {
      w = await engine.open();
      for (const statement of SETUP) await w.run(statement, []);
    });
    after(() => w.close());

    const rewrite = (sql: string): Promise<RewrittenQuery> =>
      rewriteQuery({
        dialect: 'postgres',
        sql,
        tables: TABLES(w),
        defaultSchema: w.main,
        user: {
          email: 'alice@a.test',
          attributes: new Map([
            ['tenant', String(CALLER)],
            ['tenants', JSON.stringify([CALLER, ...Array.from({ length: 20 }, (_, i) => 101 + i)])],
          ]),
        },
        applyPolicies: true,
        requirePolicies: false,
      });

    /** The original query on the warehouse holding the caller's rows alone (rolled back). */
    const alone = async (sql: string) => {
      await w.run('begin', []);
      try {
        for (const table of ['events', 'notes', 'tenants'])
          await w.run(`delete from ${w.main}.${table} where tenant_id <> $1`, [CALLER]);
        return await outcome(() => w.run(sql, []));
      } finally {
        await w.run('rollback', []);
      }
    };

    test('the latest 50 rows: no fence, and the plan reads the (tenant_id, created_at) index', async () => {
      const gated = await rewrite('select id, created_at from events order by created_at desc limit 50');
      assert.doesNotMatch(gated.sql, /OFFSET/i);
      const plan = (await w.run(`explain ${gated.sql}`, gated.params))
        .map((row) => String(Object.values(row)[0]))
        .join('\n');
      assert.match(plan, /Index Scan Backward using events_tenant_created/, plan);
      assert.doesNotMatch(plan, /Subquery Scan|Sort/, plan);
      const rows = await w.run(gated.sql, gated.params);
      assert.equal(rows.length, 50);
      assert.deepEqual(
        sorted(rows),
        await alone('select id, created_at from events order by created_at desc limit 50'),
      );
    });

    for (const attack of ATTACKS) {
      test(`${attack.name}: fenced, and no answer or error depends on other tenants' rows`, async () => {
        const gated = await rewrite(attack.sql);
        assert.match(gated.sql, WRAPPER_END, gated.sql);
        const expected = await alone(attack.sql);
        assert.notEqual(expected, 'error', 'the attack runs on the caller’s own rows');
        assert.deepEqual(await outcome(() => w.run(gated.sql, gated.params)), expected, gated.sql);
        // The same query with the fence taken off: PostgreSQL evaluates the user's expression on
        // other tenants' rows, and the answer shows it.
        const unfenced = await outcome(() => w.run(gated.sql.replace(WRAPPER_END, ' )'), gated.params));
        if (attack.leaksUnfenced) assert.notDeepEqual(unfenced, expected, 'without the fence it leaks');
      });
    }
  });
}
