import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type GateTable, type RewrittenQuery, rewriteQuery } from '../src/modules/query-gate/index.ts';
import { outcome, type Warehouse, warehouseDomain, warehouseEngines } from './helpers/gate-warehouse.ts';

/**
 * Plain aggregates of a bare column leave the policy wrappers without their fence
 * (docs/query-gate.md, "When the fence is dropped"): their transition runs in the aggregation,
 * above the scans, on rows the policy let through. Here the other tenants hold the values that
 * make each aggregate fail or change its answer (a numeric, float, interval and money sum that
 * overflows, arrays and rows whose comparison fails, extremes of min and max, of an enum, a
 * domain, a range), the columns are indexed so the planner may turn min/max into an
 * index-ordered `LIMIT 1`, and every query runs under plan shapes the planner may pick (index
 * scans, sequential scans with sorted groups, hashed groups, parallel and partitionwise
 * aggregation, a generic plan): the answer is always the one the caller's rows alone give, and
 * the same query over every row shows the poison is real.
 */

const SETUP = [
  `create table ledger (id int primary key, tenant_id int not null, amount numeric, ratio float8,
    qty smallint, span interval, cash money, tags json[], kind text, flag boolean, at timestamptz)`,
  // No index on tenant_id: min and max then read an aggregated column's index in order.
  ...['amount', 'ratio', 'qty', 'span', 'cash', 'kind', 'at'].map(
    (column) => `create index on ledger (${column})`,
  ),
  `insert into ledger values
    (1, 1, 10.5, 0.5, 3, '1 day', 2, array['{"a":1}'::json], 'beta', true, '2026-01-01'),
    (2, 1, 20, 1.5, 4, '2 hours', 3.5, null, 'alpha', false, '2026-01-02'),
    (3, 1, null, null, null, null, null, null, null, null, null),
    (4, 1, 30.25, 2, 5, '3 days', 1.25, null, 'gamma', null, '2026-01-03'),
    (101, 2, 9e131071, 1e308, 32767, '178000000 years', 90000000000000000, array['{}'::json], 'Aardvark', true, '-infinity'),
    (102, 2, 9e131071, 1e308, 32767, '178000000 years', 90000000000000000, array['[]'::json], 'zzz', true, 'infinity'),
    (103, 3, -9e131071, -1e308, -32768, '-178000000 years', -90000000000000000, array['1'::json], '', false, '2000-01-01'),
    (104, 3, 0, 0, 0, '0', 0, array['2'::json], 'a', false, '2030-01-01')`,
  `insert into ledger select 1000 + g, 3, g, g, 1, make_interval(secs => g), g, null, 'k' || g, g % 2 = 0,
    '2026-01-01'::timestamptz + g * interval '1 minute' from generate_series(1, 2000) g`,
  // Rows compare column by column; two of the other tenant's rows tie until the json column,
  // which has no comparison function.
  'create table pairs (tenant_id int not null, k int not null, doc json)',
  `insert into pairs values (1, 1, '{}'), (1, 2, '{}'), (2, 7, '{}'), (2, 7, '[]')`,
  // Partitioned by value, so tenants share partitions and pruning does not do the policy's work.
  'create table parts (tenant_id int not null, v numeric, span interval) partition by range (v)',
  'create table parts_low partition of parts for values from (minvalue) to (0)',
  'create table parts_mid partition of parts for values from (0) to (100)',
  'create table parts_rest partition of parts default',
  'create index on parts (v)',
  `insert into parts values (1, 5, '1 day'), (1, 7, '2 days'), (2, 6, '178000000 years'),
    (2, 9e131071, '178000000 years'), (2, 9e131071, '1 day'), (3, -1, '-1 day')`,
  // An enum whose later value sorts between earlier ones (compared through its catalog), a domain
  // with a check, a range.
  "create type mood as enum ('sad', 'ok')",
  "alter type mood add value 'glad' before 'ok'",
  'create domain score as numeric check (value >= 0)',
  'create table moods (tenant_id int not null, m mood, s score, r int4range)',
  `insert into moods values (1, 'sad', 1, '[1,5)'), (1, 'glad', 2, '[2,3)'), (2, 'ok', 100, '[0,1)'),
    (2, 'glad', 0, 'empty')`,
  'create table heap_base (tenant_id int not null, v numeric)',
  'create table heap_child () inherits (heap_base)',
  'create index on heap_base (v)',
  'create index on heap_child (v)',
  'insert into heap_base values (1, 4), (3, -5)',
  'insert into heap_child values (1, 6), (2, 9e131071), (2, 9e131071)',
  ...['ledger', 'pairs', 'parts', 'moods', 'heap_base', 'heap_child'].map((table) => `analyze ${table}`),
];
const OWN_TABLES = ['ledger', 'pairs', 'parts', 'moods', 'heap_base', 'tenants'];

const CALLER = 1;
const POLICIES = [
  "tenant_id = USER_ATTRIBUTE_INT('tenant')",
  // Costed above a plain column test, as a policy that is a list of tenants is.
  "tenant_id = ANY(USER_ATTRIBUTE_INT_LIST('tenants'))",
  // A conjunct without a column is a gating qual the planner may lift to the top of the joins.
  "USER_ATTRIBUTE_INT('tenant') = 1 AND tenant_id = USER_ATTRIBUTE_INT('tenant')",
];

/** Each must run unfenced and answer what the caller's rows alone answer. */
const QUERIES = [
  'select count(*) as n, count(amount) as c, sum(amount) as s, avg(amount) as a, min(amount) as lo, max(amount) as hi from ledger',
  'select sum(ratio) as s, avg(ratio) as a, min(ratio) as lo, max(ratio) as hi from ledger',
  'select sum(qty) as s, avg(qty) as a, min(qty) as lo, max(qty) as hi from ledger',
  'select sum(span) as s, avg(span) as a, min(span) as lo, max(span) as hi from ledger',
  'select sum(cash) as s, min(cash) as lo, max(cash) as hi from ledger',
  'select max(tags) as hi, min(tags) as lo from ledger',
  'select min(kind) as lo, max(kind) as hi, count(distinct kind) as n from ledger',
  'select pg_catalog.min(at) as lo, pg_catalog.max(at) as hi from ledger',
  'select min(amount) as lo, max(kind) as hi from ledger where flag',
  'select max(span) as hi, min(cash) as lo from ledger where flag is not true and kind is not null',
  'select kind, sum(span) as s, max(tags) as t, sum(ratio) as r from ledger group by kind having count(*) is not null',
  'select flag, max(amount) as hi from ledger group by flag order by max(amount) desc limit 2',
  'select distinct sum(qty) as s from ledger group by flag',
  'select count(*) as n from ledger order by max(amount)',
  'select max(s.total) as hi from (select kind, sum(amount) as total from ledger group by kind) s where s.total is not null',
  'select min(k.m) as lo from (select max(amount) as m from ledger group by kind) k',
  'select sum(x.amount) as s from (select amount from ledger where flag is not null) x',
  'with c as (select flag, max(span) as m, sum(cash) as s from ledger group by flag) select c.m, c.s from c',
  'select t.id, l.m, l.s from tenants t, lateral (select max(amount) as m, sum(span) as s from ledger) l',
  'select count(l.id) as n, sum(l.span) as s, max(l.tags) as t, max(l.amount) as hi from tenants t left join ledger l on l.flag',
  'select count(*) as n, sum(l.amount) as s, min(l.kind) as lo from ledger l right join tenants t on l.flag',
  'select count(b.id) as n, max(b.amount) as hi, sum(a.span) as s from ledger a join ledger b on a.flag',
  'select count(p) as n, count(p.*) as m, count(distinct p) as d from pairs p',
  'select count(p) as n, count(distinct p.*) as d from tenants t left join pairs p on t.id is not null',
  'select count(distinct l) as d from ledger l',
  'select max(v) as hi, min(v) as lo, sum(v) as s, sum(span) as i from parts',
  'select min(m) as lo, max(m) as hi, count(distinct m) as n, sum(s) as s, max(s) as top, count(distinct r) as rs from moods',
  'select m, count(distinct r) as n, max(s) as top from moods group by m',
  'select max(v) as hi, min(v) as lo, sum(v) as s, count(*) as n from heap_base',
  'select max(v) as hi, sum(v) as s from only heap_base',
];

/** Plan shapes the planner may choose, forced one by one (`set local`). */
const PLANS: Readonly<Record<string, readonly string[]>> = {
  default: [],
  'index scans': ['enable_seqscan = off', 'enable_bitmapscan = off'],
  'sequential scans, sorted groups': [
    'enable_indexscan = off',
    'enable_indexonlyscan = off',
    'enable_bitmapscan = off',
    'enable_hashagg = off',
  ],
  'hashed groups, nested loops': ['enable_sort = off', 'enable_mergejoin = off', 'enable_hashjoin = off'],
  parallel: [
    'parallel_setup_cost = 0',
    'parallel_tuple_cost = 0',
    'min_parallel_table_scan_size = 0',
    'min_parallel_index_scan_size = 0',
    'max_parallel_workers_per_gather = 2',
  ],
  partitionwise: ['enable_partitionwise_aggregate = on', 'enable_partitionwise_join = on'],
};

/** A bound value as a literal of `EXECUTE` (test values only: numbers, texts, number lists). */
const literal = (value: unknown): string =>
  Array.isArray(value)
    ? `'{${value.join(',')}}'`
    : typeof value === 'number'
      ? String(value)
      : `'${String(value).replaceAll("'", "''")}'`;

const FENCE = / OFFSET 0 \)/;
const FENCES = / OFFSET 0 \)/g;

for (const engine of warehouseEngines(['postgres'])) {
  for (const policy of POLICIES) {
    describe(`plain aggregates without the fence on ${engine.name}, ${policy}`, () => {
      let w: Warehouse;
      before(async () => {
        w = await engine.open();
        for (const statement of SETUP) await w.run(statement, []);
      });
      after(() => w.close());

      const tables = (): GateTable[] => [
        ...warehouseDomain(w).filter((t) => t.schema === w.main && ['tenants', 'accounts'].includes(t.name)),
        ...OWN_TABLES.filter((name) => name !== 'tenants').map((name) => ({ schema: w.main, name, policy })),
      ];
      /** The same domain with every policy letting every row through. */
      const open = (): GateTable[] => tables().map((t) => ({ ...t, policy: 'true' }));
      const rewrite = (sql: string, domain = tables()): Promise<RewrittenQuery> =>
        rewriteQuery({
          dialect: 'postgres',
          sql,
          tables: domain,
          defaultSchema: w.main,
          user: {
            email: 'alice@a.test',
            attributes: new Map([
              ['tenant', String(CALLER)],
              ['tenants', JSON.stringify([CALLER, ...Array.from({ length: 20 }, (_, i) => 101 + i)])],
              ['team', 'sales'],
            ]),
          },
          applyPolicies: true,
          requirePolicies: false,
        });

      /** `work` in a transaction that is rolled back, after `statements`. */
      const inTransaction = async <T>(statements: readonly string[], work: () => Promise<T>): Promise<T> => {
        await w.run('begin', []);
        try {
          for (const statement of statements) await w.run(statement, []);
          return await work();
        } finally {
          await w.run('rollback', []);
        }
      };
      /** The gated query on the warehouse holding the caller's rows alone. */
      const alone = (gated: RewrittenQuery) =>
        inTransaction(
          [
            ...OWN_TABLES.map((table) => `delete from ${w.main}.${table} where tenant_id <> ${CALLER}`),
            `delete from ${w.main}.accounts where id not in (select resource_value from ${w.main}.entitlements where user_email = 'alice@a.test')`,
          ],
          () => outcome(() => w.run(gated.sql, gated.params)),
        );
      const explain = async (gated: RewrittenQuery, settings: readonly string[]) =>
        (
          await inTransaction(
            settings.map((s) => `set local ${s}`),
            () => w.run(`explain ${gated.sql}`, gated.params),
          )
        )
          .map((row) => String(Object.values(row)[0]))
          .join('\n');

      for (const sql of QUERIES) {
        test(`unfenced, and every plan answers as the caller's rows alone: ${sql}`, async () => {
          const gated = await rewrite(sql);
          assert.doesNotMatch(gated.sql, /OFFSET/i, gated.sql);
          const expected = await alone(gated);
          assert.notEqual(expected, 'error', 'the query runs on the caller’s own rows');
          // Over every row the other tenants' values show: an overflow, a failed comparison or
          // another answer.
          const everything = await rewrite(sql, open());
          assert.notDeepEqual(
            await outcome(() => w.run(everything.sql, everything.params)),
            expected,
            'the poison is real',
          );
          for (const [plan, settings] of Object.entries(PLANS)) {
            const answer = await inTransaction(
              settings.map((s) => `set local ${s}`),
              () => outcome(() => w.run(gated.sql, gated.params)),
            );
            assert.deepEqual(answer, expected, `${plan}: ${gated.sql}`);
          }
          // A generic plan: the policy's values unknown to the planner (no pruning, no estimate
          // of the caller's share), as a prepared statement may get.
          await w.run(`prepare tessera_aggregates as ${gated.sql}`, []);
          try {
            const execute = `execute tessera_aggregates(${gated.params.map(literal).join(', ')})`;
            const generic = await inTransaction(['set local plan_cache_mode = force_generic_plan'], () =>
              outcome(() => w.run(execute, [])),
            );
            assert.deepEqual(generic, expected, `generic plan: ${gated.sql}`);
          } finally {
            await w.run('deallocate tessera_aggregates', []);
          }
        });
      }

      const first = policy === POLICIES[0];
      test('min and max become an index-ordered LIMIT 1 over the other tenants’ rows, and still answer alone', {
        skip: !first,
      }, async () => {
        for (const sql of [
          'select min(amount) as lo, max(amount) as hi from ledger',
          'select max(v) as hi, min(v) as lo from parts',
          'select max(v) as hi from heap_base',
        ]) {
          const gated = await rewrite(sql);
          const plan = await explain(gated, PLANS['index scans']!);
          assert.match(plan, /InitPlan[\s\S]*Limit[\s\S]*Index (Only )?Scan/, plan);
          assert.deepEqual(await outcome(() => w.run(gated.sql, gated.params)), await alone(gated));
        }
      });

      test('a policy with a sub-select or a column policy keeps its own fence beside plain aggregates', async () => {
        const sql =
          'select count(*) as n, max(a.id) as hi, sum(l.amount) as s from accounts a join ledger l on l.flag';
        const gated = await rewrite(sql);
        // Only the accounts wrapper (its policy is a join) carries the fence.
        assert.equal(gated.sql.match(FENCES)?.length, 1, gated.sql);
        assert.match(gated.sql, / OFFSET 0 \) AS a /, gated.sql);
        assert.deepEqual(await outcome(() => w.run(gated.sql, gated.params)), await alone(gated));

        const masked = tables().map((t) =>
          t.name === 'ledger'
            ? {
                ...t,
                columns: [
                  'id',
                  'tenant_id',
                  'amount',
                  'ratio',
                  'qty',
                  'span',
                  'cash',
                  'tags',
                  'kind',
                  'flag',
                  'at',
                ],
                columnPolicies: [
                  {
                    column: 'amount',
                    mask: 'NULL' as const,
                    maskText: null,
                    maskExpression: null,
                    condition: "USER_ATTRIBUTE('team') = 'hr'",
                  },
                ],
              }
            : t,
        );
        const maskedSql = 'select max(amount) as hi, count(amount) as c, sum(span) as s from ledger';
        const gatedMasked = await rewrite(maskedSql, masked);
        assert.equal(gatedMasked.sql.match(FENCES)?.length, 1, gatedMasked.sql);
        const rows = await w.run(gatedMasked.sql, gatedMasked.params);
        assert.deepEqual(
          rows.map((r) => [r.hi, String(r.c)]),
          [[null, '0']],
        );
      });

      test('any other aggregate form keeps the fence', async () => {
        for (const sql of [
          'select sum(amount + 0) as s from ledger',
          'select sum(amount::numeric) as s from ledger',
          'select max(amount) filter (where flag) as hi from ledger',
          'select max(amount order by id) as hi from ledger',
          'select max(amount) over () as hi from ledger',
          "select string_agg(kind, ',') as k from ledger",
          'select bool_or(flag) as b from ledger',
          'select percentile_disc(0.5) within group (order by amount) as p from ledger',
          'select max((l).amount) as hi from ledger l',
          'select max(l.count) as hi from ledger l',
          'select sum(variadic array[amount]) as s from ledger',
          'select kind, sum(amount) as s from ledger group by rollup (kind)',
          'select max(amount) as hi from ledger group by ()',
        ]) {
          const gated = await rewrite(sql);
          assert.match(gated.sql, FENCE, gated.sql);
        }
      });
    });
  }
}
