import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import fc from 'fast-check';
import { type Warehouse, warehouseDomain, warehouseEngines } from '../../../test/helpers/gate-warehouse.ts';
import { rewriteQuery } from './index.ts';

/**
 * Property: for random users and random queries built from a grammar of allowed shapes (joins,
 * sub-selects, CTEs, set operations, EXISTS/IN, derived tables) over the warehouse, every row the
 * rewritten query returns belongs to the user's tenant. Each generated query returns one column,
 * `tenant_id`, so shapes compose; a join returns -1 when its two sides disagree, which the
 * property then catches.
 */

type Table = 'orders' | 'customers' | 'tenants' | 'regions' | 'archive' | 'lines';

function tableSql(table: Table, w: Warehouse): string {
  if (table === 'archive') return `${w.quote(w.archive)}.orders`;
  if (table === 'lines') return w.quote('OrderLines');
  return table;
}

interface Gen {
  sql(w: Warehouse): string;
}

let aliasCounter = 0;
const alias = () => `a${++aliasCounter}`;

const tableArb = fc.constantFrom<Table>('orders', 'customers', 'tenants', 'regions', 'archive', 'lines');
const predicateArb = fc.constantFrom(
  (a: string) => `${a}.tenant_id > 0`,
  (a: string) => `${a}.tenant_id <> 2`,
  (a: string) => `${a}.tenant_id in (1, 2, 3)`,
  (a: string) => `${a}.tenant_id is not null`,
  () => '1 = 1',
);

const queryArb: fc.Memo<Gen> = fc.memo((depth) => {
  const base = fc.record({ t: tableArb, p: fc.option(predicateArb, { nil: undefined }) }).map(
    ({ t, p }): Gen => ({
      sql: (w) => {
        const a = alias();
        return `select ${a}.tenant_id from ${tableSql(t, w)} ${a}${p ? ` where ${p(a)}` : ''}`;
      },
    }),
  );
  const join = fc.record({ t1: tableArb, t2: tableArb, outer: fc.boolean() }).map(
    ({ t1, t2, outer }): Gen => ({
      sql: (w) => {
        const [a, b] = [alias(), alias()];
        return `select case when ${a}.tenant_id = ${b}.tenant_id then ${a}.tenant_id else -1 end as tenant_id from ${tableSql(t1, w)} ${a} ${outer ? 'left join' : 'join'} ${tableSql(t2, w)} ${b} on ${b}.tenant_id = ${a}.tenant_id`;
      },
    }),
  );
  if (depth <= 1) return fc.oneof(base, join);
  const sub = queryArb(depth - 1);
  return fc.oneof(
    { arbitrary: base, weight: 2 },
    { arbitrary: join, weight: 1 },
    fc.record({ q1: sub, q2: sub, op: fc.constantFrom('union', 'union all', 'except', 'intersect') }).map(
      ({ q1, q2, op }): Gen => ({
        sql: (w) =>
          `select tenant_id from (${q1.sql(w)}) ${alias()} ${op} select tenant_id from (${q2.sql(w)}) ${alias()}`,
      }),
    ),
    sub.map((q): Gen => ({ sql: (w) => `select d.tenant_id from (${q.sql(w)}) d` })),
    fc.record({ q: sub, shadow: fc.boolean() }).map(
      ({ q, shadow }): Gen => ({
        // A CTE named like a real table inside its own body reads the real table.
        sql: (w) => {
          const name = shadow ? 'orders' : alias();
          return `with ${name} as (${q.sql(w)}) select ${name}.tenant_id from ${name}`;
        },
      }),
    ),
    fc.record({ t: tableArb, q: sub }).map(
      ({ t, q }): Gen => ({
        sql: (w) => {
          const a = alias();
          return `select ${a}.tenant_id from ${tableSql(t, w)} ${a} where ${a}.tenant_id in (${q.sql(w)})`;
        },
      }),
    ),
    fc.record({ t: tableArb, q: sub, not: fc.boolean() }).map(
      ({ t, q, not }): Gen => ({
        sql: (w) => {
          const a = alias();
          return `select ${a}.tenant_id from ${tableSql(t, w)} ${a} where ${not ? 'not ' : ''}exists (select 1 from (${q.sql(w)}) ${alias()})`;
        },
      }),
    ),
    fc.record({ t: tableArb, q: sub }).map(
      ({ t, q }): Gen => ({
        // A scalar sub-select: its max must also be the user's tenant (or NULL when empty).
        sql: (w) => {
          const [a, s] = [alias(), alias()];
          return `select coalesce((select max(${s}.tenant_id) from (${q.sql(w)}) ${s}), ${a}.tenant_id) as tenant_id from ${tableSql(t, w)} ${a}`;
        },
      }),
    ),
  );
});

const userArb = fc.record({
  tenant: fc.constantFrom(1, 2, 3),
  email: fc.emailAddress(),
  noise: fc.string(),
});

for (const engine of warehouseEngines()) {
  describe(`query gate property on ${engine.name}`, () => {
    let w: Warehouse;
    before(async () => {
      w = await engine.open();
    });
    after(() => w.close());

    test('every returned row belongs to the user’s tenant', async () => {
      await fc.assert(
        fc.asyncProperty(userArb, queryArb(3), async (user, query) => {
          const sql = query.sql(w);
          const rewritten = await rewriteQuery({
            dialect: w.dialect,
            sql,
            tables: warehouseDomain(w),
            defaultSchema: w.main,
            user: {
              email: user.email,
              attributes: new Map([
                ['tenant', String(user.tenant)],
                ['noise', user.noise],
              ]),
            },
            applyPolicies: true,
            requirePolicies: false,
          });
          const rows = await w.run(rewritten.sql, rewritten.params);
          for (const row of rows) {
            const value = row.tenant_id ?? row.TENANT_ID;
            if (value !== null)
              assert.equal(Number(value), user.tenant, `${sql}\n→ ${rewritten.sql}\n${JSON.stringify(row)}`);
          }
        }),
        { numRuns: 100 },
      );
    });

    test('list policies: every order row is the user’s tenant and one of the user’s regions', async () => {
      const tables = warehouseDomain(w).map((t) =>
        t.name === 'orders' && t.schema === w.main
          ? {
              ...t,
              policy:
                "tenant_id = USER_ATTRIBUTE_INT('tenant') AND region IN (USER_ATTRIBUTE_STR_LIST('regions'))",
            }
          : t,
      );
      const shapes = [
        'select o.tenant_id, o.region from orders o',
        'select o.tenant_id, o.region from orders o join customers c on c.id = o.customer_id',
        'with x as (select * from orders) select tenant_id, region from x',
        'select tenant_id, region from orders where id in (select id from orders where amount > 20)',
        'select tenant_id, region from (select * from orders) d union select tenant_id, region from orders',
        'select t.tenant_id, (select max(region) from orders) as region from tenants t',
      ];
      const regionsArb = fc.subarray(['DE', 'FR', 'US', 'IT', "x' OR '1'='1"]);
      await fc.assert(
        fc.asyncProperty(
          fc.constantFrom(1, 2, 3),
          regionsArb,
          fc.constantFrom(...shapes),
          async (tenant, regions, sql) => {
            const rewritten = await rewriteQuery({
              dialect: w.dialect,
              sql,
              tables,
              defaultSchema: w.main,
              user: {
                email: 'alice@a.test',
                attributes: new Map([
                  ['tenant', String(tenant)],
                  ['regions', JSON.stringify(regions)],
                ]),
              },
              applyPolicies: true,
              requirePolicies: false,
            });
            for (const row of await w.run(rewritten.sql, rewritten.params)) {
              assert.equal(Number(row.tenant_id), tenant, `${sql} ${JSON.stringify(row)}`);
              if (row.region !== null)
                assert.ok(regions.includes(String(row.region)), `${sql} ${JSON.stringify(row)}`);
            }
          },
        ),
        { numRuns: 60 },
      );
    });
  });
}
