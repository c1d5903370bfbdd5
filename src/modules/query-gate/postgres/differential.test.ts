import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import fc from 'fast-check';
import {
  outcome,
  type Warehouse,
  warehouseDomain,
  warehouseEngines,
} from '../../../../test/helpers/gate-warehouse.ts';
import { rewriteQuery } from '../index.ts';

/**
 * Differential property (PostgreSQL, PGlite): a random query over the protected tables, run
 * through the gate against the full warehouse, returns exactly what the original query returns
 * against the same warehouse holding the caller's rows alone (the other tenants' rows deleted in
 * a transaction that is rolled back). Queries compose set operations, sub-selects, CTEs (one
 * named like a table), joins, aggregates, window functions, casts, comments and quoting
 * variants; each returns one bigint column `v`, so shapes nest. A refusal fails the property
 * too: every generated shape is allowed syntax.
 */

interface TableSpec {
  readonly spellings: readonly string[];
  readonly hasId: boolean;
  /** The table as the deletion names it. */
  readonly name: string;
}

const TABLES: readonly TableSpec[] = [
  {
    name: 'public.orders',
    hasId: true,
    spellings: ['orders', 'public.orders', '"orders"', 'ORDERS', 'only orders', 'U&"\\006Frders"'],
  },
  {
    name: 'public.customers',
    hasId: true,
    spellings: ['customers', 'public."customers"', '/* c */ customers'],
  },
  { name: 'public.tenants', hasId: true, spellings: ['tenants', 'public.tenants'] },
  { name: 'public."OrderLines"', hasId: true, spellings: ['"OrderLines"', 'public."OrderLines"'] },
  {
    name: 'archive.orders',
    hasId: true,
    spellings: ['archive.orders', '"archive"."orders"', 'archive . orders'],
  },
  { name: 'public.regions', hasId: false, spellings: ['regions', 'public.regions'] },
];

let counter = 0;
const fresh = () => `a${++counter}`;

type Gen = () => string;

const tableArb = fc.record({ table: fc.constantFrom(...TABLES), pick: fc.nat() }).map(({ table, pick }) => ({
  table,
  sql: table.spellings[pick % table.spellings.length]!,
}));

const exprArb = fc.constantFrom(
  (a: string) => `${a}.tenant_id`,
  (a: string) => `(${a}).tenant_id`,
  (a: string) => `${a}."tenant_id"`,
  (a: string) => `${a}.tenant_id + 1`,
  (a: string) => `abs(${a}.tenant_id) * 10`,
  (a: string) => `cast(${a}.tenant_id as int)`,
  (a: string) => `${a}.tenant_id::text::int8`,
  (a: string) => `(${a}.tenant_id)::numeric`,
  (a: string) => `length(${a}.tenant_id::text /* n */)`,
);
const idExprArb = fc.constantFrom(
  (a: string) => `${a}.id`,
  (a: string) => `${a}.id % 7`,
  (a: string) => `pg_catalog.abs(${a}.id)`,
);
const predicateArb = fc.constantFrom(
  (a: string) => `${a}.tenant_id > 0`,
  (a: string) => `${a}.tenant_id <> 2`,
  (a: string) => `${a}.tenant_id in (1, 3)`,
  (a: string) => `${a}.tenant_id = any (array[1, 2])`,
  (a: string) => `${a}.tenant_id is not null -- trailing\n`,
  () => 'true',
);
const commentArb = fc.constantFrom('', ' /* x */ ', ' /* nested /* y */ z */ ', '\n-- c\n', ' ');

const baseArb = fc
  .record({
    t: tableArb,
    e: exprArb,
    id: idExprArb,
    useId: fc.boolean(),
    p: fc.option(predicateArb),
    c: commentArb,
  })
  .map(
    ({ t, e, id, useId, p, c }): Gen =>
      () => {
        const a = fresh();
        const value = useId && t.table.hasId ? id(a) : e(a);
        return `select${c}(${value})::bigint as v from ${t.sql} ${a}${p ? ` where ${p(a)}` : ''}`;
      },
  );

const joinArb = fc
  .record({
    t1: tableArb,
    t2: tableArb,
    kind: fc.constantFrom('join', 'left join', 'right join', 'full join', 'cross join'),
  })
  .map(
    ({ t1, t2, kind }): Gen =>
      () => {
        const [a, b] = [fresh(), fresh()];
        const on =
          kind === 'cross join'
            ? ` where ${b}.tenant_id = ${a}.tenant_id`
            : ` on ${b}.tenant_id = ${a}.tenant_id`;
        return `select coalesce(${a}.tenant_id, -${b}.tenant_id)::bigint as v from ${t1.sql} ${a} ${kind} ${t2.sql} ${b}${on}`;
      },
  );

const queryArb: fc.Memo<Gen> = fc.memo((depth) => {
  if (depth <= 1) return fc.oneof(baseArb, joinArb);
  const sub = queryArb(depth - 1);
  return fc.oneof(
    { arbitrary: baseArb, weight: 3 },
    { arbitrary: joinArb, weight: 1 },
    fc
      .record({
        q1: sub,
        q2: sub,
        op: fc.constantFrom('union', 'union all', 'intersect', 'except', 'except all'),
      })
      .map(
        ({ q1, q2, op }): Gen =>
          () =>
            `(${q1()}) ${op} (${q2()})`,
      ),
    fc
      .record({ q: sub, agg: fc.constantFrom('count(*)', 'sum(s.v)', 'max(s.v)', 'count(distinct s.v)') })
      .map(
        ({ q, agg }): Gen =>
          () =>
            `select (${agg})::bigint as v from (${q()}) s`,
      ),
    fc.record({ q: sub, name: fc.constantFrom('c', 'orders', '"c2"', 'customers') }).map(
      ({ q, name }): Gen =>
        () =>
          `with ${name} as (${q()}) select ${name}.v from ${name}`,
    ),
    sub.map(
      (q): Gen =>
        () =>
          `with c(v) as materialized (${q()}) select v from c where v is not null`,
    ),
    fc.record({ t: tableArb, q: sub, not: fc.boolean() }).map(
      ({ t, q, not }): Gen =>
        () => {
          const a = fresh();
          return `select ${a}.tenant_id::bigint as v from ${t.sql} ${a} where ${a}.tenant_id ${not ? 'not in' : 'in'} (select s.v from (${q()}) s where s.v is not null)`;
        },
    ),
    fc.record({ t: tableArb, q: sub }).map(
      ({ t, q }): Gen =>
        () => {
          const a = fresh();
          return `select (select count(*) from (${q()}) s where s.v = ${a}.tenant_id)::bigint as v from ${t.sql} ${a}`;
        },
    ),
    fc.record({ t: tableArb, q: sub }).map(
      ({ t, q }): Gen =>
        () => {
          const a = fresh();
          return `select ${a}.tenant_id::bigint as v from ${t.sql} ${a} where exists (select 1 from (${q()}) s where s.v >= ${a}.tenant_id)`;
        },
    ),
    sub.map(
      (q): Gen =>
        () =>
          `select (row_number() over (order by s.v))::bigint as v from (${q()}) s`,
    ),
    sub.map(
      (q): Gen =>
        () =>
          `select s.v from (${q()}) s group by s.v having count(*) >= 1`,
    ),
  );
});

for (const engine of warehouseEngines(['postgres'])) {
  describe(`query gate differential on ${engine.name}`, () => {
    let w: Warehouse;
    before(async () => {
      w = await engine.open();
    });
    after(() => w.close());

    /** The original query on the warehouse with the other tenants' rows gone (then restored). */
    const alone = async (tenant: number, sql: string) => {
      await w.run('begin', []);
      try {
        for (const table of TABLES) await w.run(`delete from ${table.name} where tenant_id <> $1`, [tenant]);
        return await outcome(() => w.run(sql, []));
      } finally {
        await w.run('rollback', []);
      }
    };

    test('gated on the full warehouse = original on the caller’s rows alone', async () => {
      await fc.assert(
        fc.asyncProperty(fc.constantFrom(1, 2, 3), queryArb(3), async (tenant, query) => {
          const sql = query();
          const rewritten = await rewriteQuery({
            dialect: 'postgres',
            sql,
            tables: warehouseDomain(w),
            defaultSchema: w.main,
            user: { email: 'alice@a.test', attributes: new Map([['tenant', String(tenant)]]) },
            applyPolicies: true,
            requirePolicies: false,
          }).catch((error: unknown) => {
            throw new Error(`${sql}: ${error instanceof Error ? error.message : String(error)}`);
          });
          const gated = await outcome(() => w.run(rewritten.sql, rewritten.params));
          assert.deepEqual(gated, await alone(tenant, sql), `${sql}\n→ ${rewritten.sql}`);
        }),
        { numRuns: 300 },
      );
    });
  });
}
