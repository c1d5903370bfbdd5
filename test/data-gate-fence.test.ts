import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import fc from 'fast-check';
import {
  type GateRequest,
  type GateTable,
  type RewrittenQuery,
  rewriteQuery,
} from '../src/modules/query-gate/index.ts';
import {
  outcome,
  sorted,
  type Warehouse,
  warehouseDomain,
  warehouseEngines,
} from './helpers/gate-warehouse.ts';

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
  'create table notes (id int primary key, tenant_id int not null, secret text not null, flag boolean, big numeric, ratio float8)',
  `insert into notes values (1, 1, '12', true, 1, 0.5), (2, 1, '2026', null, 2, 0.25),
    (3, 2, 'topsecret', false, 1e400, 0), (4, 3, 'x', true, 3, 0)`,
  'analyze notes',
];

const CALLER = 1;
const TABLES = (w: Warehouse): GateTable[] => [
  ...warehouseDomain(w).filter((t) => t.schema === w.main && (t.name === 'tenants' || t.name === 'orders')),
  { schema: w.main, name: 'events', policy: "tenant_id = USER_ATTRIBUTE_INT('tenant')" },
  { schema: w.main, name: 'notes', policy: "tenant_id = ANY(USER_ATTRIBUTE_INT_LIST('tenants'))" },
];

/**
 * Each attack, and whether the same query with the fence taken off leaks here. Expressions only
 * in ORDER BY, GROUP BY, an aggregate's input or FILTER, or a window are computed after the
 * scan's filter on these plans, so unfenced they show nothing; the rule fences them anyway,
 * because another plan (a policy that is a join, a sort pushed below one) could compute them on
 * hidden rows. An aggregate of a bare column computes nothing before its own transition, which
 * runs above the scans, so that alone keeps no fence.
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
  {
    name: 'set operation casting numeric to float8',
    sql: 'select s.v from (select big as v from notes union all select ratio from notes) s where s.v is null',
    // PostgreSQL itself does not push a condition into arms whose column types differ from the
    // result's; the gate fences every set operation rather than rely on that.
    leaksUnfenced: false,
  },
  {
    name: 'attribute notation (a call spelled as a column)',
    sql: 'select n.id from notes n where n.to_jsonb is not null',
    // to_jsonb of a row cannot fail; the rule fences every qualified name a call could hide behind.
    leaksUnfenced: false,
  },
  { name: 'ORDER BY', sql: 'select id from notes order by secret::int', leaksUnfenced: false },
  { name: 'GROUP BY', sql: 'select secret::int as n from notes group by secret::int', leaksUnfenced: false },
  { name: 'aggregate input', sql: 'select sum(secret::int) as s from notes', leaksUnfenced: false },
  {
    name: 'aggregate FILTER',
    sql: 'select count(*) filter (where secret::int = 12) as n from notes',
    leaksUnfenced: false,
  },
  { name: 'aggregate as a window', sql: 'select max(secret) over () as m from notes', leaksUnfenced: false },
  {
    name: 'window function',
    sql: 'select rank() over (order by secret::int) as r from notes',
    leaksUnfenced: false,
  },
];

const FENCED = / OFFSET 0 \)/;
const WRAPPER_END = / OFFSET 0 \)/g;

for (const engine of warehouseEngines(['postgres'])) {
  describe(`the fence of the Postgres gate on ${engine.name}`, () => {
    let w: Warehouse;
    before(async () => {
      w = await engine.open();
      for (const statement of SETUP) await w.run(statement, []);
    });
    after(() => w.close());

    const rewrite = (sql: string, parameters?: GateRequest['parameters']): Promise<RewrittenQuery> =>
      rewriteQuery({
        dialect: 'postgres',
        sql,
        ...(parameters === undefined ? {} : { parameters }),
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
    const alone = async (sql: string, tables = ['events', 'notes', 'tenants', 'orders']) => {
      await w.run('begin', []);
      try {
        for (const table of tables)
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

    test('plain aggregates of a column need no fence, and answer what the caller’s rows alone answer', async () => {
      const sql =
        'select count(*) as n, count(distinct body) as bodies, sum(tenant_id) as s, avg(id) as a, ' +
        'min(created_at) as first, max(created_at) as last from events';
      const gated = await rewrite(sql);
      assert.doesNotMatch(gated.sql, /OFFSET/i, gated.sql);
      assert.deepEqual(await outcome(() => w.run(gated.sql, gated.params)), await alone(sql));
      const grouped =
        'select tenant_id, count(*) as n from notes group by tenant_id having count(*) is not null';
      const gatedGroups = await rewrite(grouped);
      assert.doesNotMatch(gatedGroups.sql, /OFFSET/i, gatedGroups.sql);
      assert.deepEqual(await outcome(() => w.run(gatedGroups.sql, gatedGroups.params)), await alone(grouped));
    });

    test('a {{name}} as the gate types it needs no fence; a cast the user writes on one keeps it', async () => {
      const sql = 'select id from events where body is not null order by created_at desc limit {{n}}';
      const plain = await rewrite(sql, { n: 5 });
      assert.doesNotMatch(plain.sql, /OFFSET/i, plain.sql);
      assert.equal((await w.run(plain.sql, plain.params)).length, 5);
      // Under a generic plan the cast runs per row, so its error would say whether rows exist.
      const cast = await rewrite('select id from events where {{x}}::int is null', { x: 'abc' });
      assert.match(cast.sql, FENCED, cast.sql);
    });

    for (const attack of ATTACKS) {
      test(`${attack.name}: fenced, and no answer or error depends on other tenants' rows`, async () => {
        const gated = await rewrite(attack.sql);
        assert.match(gated.sql, FENCED, gated.sql);
        const expected = await alone(attack.sql);
        assert.notEqual(expected, 'error', 'the attack runs on the caller’s own rows');
        assert.deepEqual(await outcome(() => w.run(gated.sql, gated.params)), expected, gated.sql);
        // The same query with the fence taken off: PostgreSQL evaluates the user's expression on
        // other tenants' rows, and the answer shows it.
        const unfenced = await outcome(() => w.run(gated.sql.replace(WRAPPER_END, ' )'), gated.params));
        if (attack.leaksUnfenced) assert.notDeepEqual(unfenced, expected, 'without the fence it leaks');
      });
    }

    test('property: a query of the fence-free grammar runs unfenced, and fenced, unfenced and caller-only answers agree', async () => {
      await fc.assert(
        fc.asyncProperty(queryArb(3), async (query) => {
          const sql = query();
          const gated = await rewrite(sql);
          assert.doesNotMatch(gated.sql, /OFFSET/i, sql);
          const wrappers = gated.sql.split('( SELECT * FROM ').length - 1;
          const fencedSql = gated.sql.replace(POLICY_END, '$1 OFFSET 0 )');
          assert.equal(fencedSql.split(' OFFSET 0 )').length - 1, wrappers, fencedSql);
          const expected = await alone(sql, ['notes', 'tenants', 'orders']);
          assert.notEqual(expected, 'error', sql);
          assert.deepEqual(await outcome(() => w.run(gated.sql, gated.params)), expected, gated.sql);
          assert.deepEqual(await outcome(() => w.run(fencedSql, gated.params)), expected, fencedSql);
        }),
        { numRuns: 150 },
      );
    });
  });
}

/** Where a policy of these tables ends in the printed wrapper (`… CAST($n AS bigint) )`, `… ANY(CAST($n AS bigint[])) )`). */
const POLICY_END = /(CAST\(\$\d+ AS bigint(?:\[\])?\)\)?) \)/g;

// The fence-free grammar: column references, constants, AND/OR/NOT, IS [NOT] NULL and
// IS [NOT] TRUE/FALSE/UNKNOWN, in WHERE, JOIN ON, sub-selects, CTEs, DISTINCT,
// GROUP BY, HAVING, ORDER BY and LIMIT, and count/sum/avg/min/max of a column. Every query returns one int column `v`, so shapes nest. (No FULL
// JOIN: PostgreSQL refuses one on a condition that is not an equality, a planner limit, not a leak.)
const PROPERTY_TABLES = [
  { name: 'orders', columns: ['id', 'tenant_id', 'customer_id', 'amount', 'region'] },
  // Not `name`: a qualified `t.name` is also the call `name(t)` and keeps the fence.
  { name: 'tenants', columns: ['id', 'tenant_id'] },
  { name: 'notes', columns: ['id', 'tenant_id', 'secret', 'flag'] },
] as const;

let counter = 0;
const fresh = () => `a${++counter}`;
type Gen = () => string;
type Table = (typeof PROPERTY_TABLES)[number];

const tableArb = fc.constantFrom(...PROPERTY_TABLES);
const atomArb = fc.record({ column: fc.nat(), test: fc.constantFrom('is null', 'is not null') });
const boolTestArb = fc.constantFrom(
  'is true',
  'is not true',
  'is false',
  'is not false',
  'is unknown',
  'is not unknown',
);

type Scope = readonly (readonly [alias: string, table: Table])[];
type Predicate = (scope: Scope) => string;

/** A predicate over the tables in scope. */
const predicateArb: fc.Memo<Predicate> = fc.memo((depth) => {
  const leaf = fc.oneof(
    atomArb.map(
      ({ column, test }): Predicate =>
        (scope) => {
          const [alias, table] = scope[column % scope.length]!;
          return `${alias}.${table.columns[column % table.columns.length]} ${test}`;
        },
    ),
    fc.record({ pick: fc.nat(), test: boolTestArb }).map(
      ({ pick, test }): Predicate =>
        (scope) => {
          const notes = scope.filter(([, table]) => table.name === 'notes');
          if (notes.length === 0) return ['true', 'false', 'null is null'][pick % 3]!;
          return `${notes[pick % notes.length]![0]}.flag ${test}`;
        },
    ),
  );
  if (depth <= 1) return leaf;
  const sub = predicateArb(depth - 1);
  return fc.oneof(
    { arbitrary: leaf, weight: 2 },
    fc.record({ l: sub, r: sub, op: fc.constantFrom('and', 'or') }).map(
      ({ l, r, op }): Predicate =>
        (scope) =>
          `(${l(scope)} ${op} ${r(scope)})`,
    ),
    sub.map(
      (p): Predicate =>
        (scope) =>
          `not (${p(scope)})`,
    ),
  );
});

const baseArb = fc
  .record({
    t: tableArb,
    p: fc.option(predicateArb(3)),
    v: fc.constantFrom('id', 'tenant_id'),
    limit: fc.option(fc.nat(5)),
  })
  .map(
    ({ t, p, v, limit }): Gen =>
      () => {
        const a = fresh();
        const where = p ? ` where ${p([[a, t]])}` : '';
        const tail = limit === null ? '' : ` order by ${a}.id limit ${limit}`;
        return `select ${a}.${v} as v from ${t.name} ${a}${where}${tail}`;
      },
  );

const joinArb = fc
  .record({
    t1: tableArb,
    t2: tableArb,
    p: predicateArb(3),
    kind: fc.constantFrom('join', 'left join', 'right join'),
  })
  .map(
    ({ t1, t2, p, kind }): Gen =>
      () => {
        const [a, b] = [fresh(), fresh()];
        return `select ${a}.id as v from ${t1.name} ${a} ${kind} ${t2.name} ${b} on ${p([
          [a, t1],
          [b, t2],
        ])}`;
      },
  );

const queryArb: fc.Memo<Gen> = fc.memo((depth) => {
  if (depth <= 1) return fc.oneof(baseArb, joinArb);
  const sub = queryArb(depth - 1);
  return fc.oneof(
    { arbitrary: baseArb, weight: 3 },
    { arbitrary: joinArb, weight: 1 },
    sub.map(
      (q): Gen =>
        () =>
          `select s.v from (${q()}) s where s.v is not null`,
    ),
    sub.map(
      (q): Gen =>
        () =>
          `select distinct s.v from (${q()}) s`,
    ),
    sub.map(
      (q): Gen =>
        () =>
          `select s.v from (${q()}) s group by s.v`,
    ),
    fc.record({ q: sub, agg: fc.constantFrom('count', 'sum', 'avg', 'min', 'max') }).map(
      ({ q, agg }): Gen =>
        () =>
          `select ${agg}(s.v) as v from (${q()}) s`,
    ),
    sub.map(
      (q): Gen =>
        () =>
          `select count(*) as v from (${q()}) s group by s.v having count(distinct s.v) is not null`,
    ),
    fc.record({ q: sub, name: fc.constantFrom('c', 'notes') }).map(
      ({ q, name }): Gen =>
        () =>
          `with ${name} as (${q()}) select ${name}.v from ${name}`,
    ),
  );
});
