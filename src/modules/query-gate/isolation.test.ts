import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  openPglite,
  type Warehouse,
  warehouseDomain,
  warehouseEngines,
  warehouseRows,
} from '../../../test/helpers/gate-warehouse.ts';
import { type GateRequest, rewriteQuery } from './index.ts';

/**
 * Tenant isolation on real databases: each query is rewritten for a tenant's user and the
 * rewritten SQL runs with its parameters; every column named tenant_id… of every returned row
 * must be the user's tenant, and the query must return something (so an over-strict rewrite
 * that returns nothing would fail too).
 */

interface Case {
  readonly name: string;
  readonly sql: string;
  readonly only?: 'postgres' | 'mysql';
}

// {main} and {archive} are the two schemas/databases, {OL} the mixed-case table, quoted.
const CASES: Case[] = [
  { name: 'plain table', sql: 'select * from orders' },
  {
    name: 'inner join',
    sql: 'select o.tenant_id, c.tenant_id as tenant_id2 from orders o join customers c on c.id = o.customer_id',
  },
  { name: 'cross join', sql: 'select o.tenant_id, t.tenant_id as tenant_id2 from orders o, tenants t' },
  {
    name: 'left join',
    sql: 'select c.tenant_id, o.tenant_id as tenant_id2 from customers c left join orders o on o.tenant_id <> c.tenant_id',
  },
  {
    name: 'three-way join',
    sql: 'select o.tenant_id, c.tenant_id as tenant_id2, r.tenant_id as tenant_id3 from orders o join customers c on c.id = o.customer_id join regions r on r.code = c.region',
  },
  {
    name: 'scalar subquery in SELECT',
    sql: 'select t.tenant_id, (select max(o.tenant_id) from orders o) as tenant_id2, (select min(tenant_id) from customers) as tenant_id3 from tenants t',
  },
  {
    name: 'subquery in WHERE (IN)',
    sql: 'select t.tenant_id from tenants t where t.id in (select tenant_id from orders)',
  },
  {
    name: 'subquery in WHERE (comparison)',
    sql: 'select tenant_id from customers where tenant_id >= (select min(tenant_id) from orders)',
  },
  {
    name: 'derived table',
    sql: 'select d.tenant_id from (select tenant_id, count(*) as n from orders group by tenant_id) d',
  },
  {
    name: 'nested derived tables',
    sql: 'select x.tenant_id from (select * from (select * from customers) y) x',
  },
  { name: 'CTE', sql: 'with o as (select * from orders) select tenant_id from o' },
  {
    name: 'chained CTEs',
    sql: 'with a as (select tenant_id from orders), b as (select tenant_id from a union all select tenant_id from customers) select tenant_id from b',
  },
  {
    name: 'CTE named like a real table',
    sql: 'with orders as (select * from orders where amount > 0) select tenant_id from orders',
  },
  {
    name: 'CTE named like a table, real table outside its scope',
    sql: 'select o.tenant_id, (with customers as (select 1 as n) select max(n) from customers) as n from orders o',
  },
  {
    name: 'CTE shadowing in a subquery only',
    sql: 'select tenant_id from customers where id in (with customers as (select * from customers) select id from customers)',
  },
  {
    name: 'recursive CTE',
    sql: 'with recursive chain(id, tenant_id, depth) as (select id, tenant_id, 1 from customers union all select c.id, c.tenant_id, chain.depth + 1 from chain join customers c on c.id = chain.id + 1 where chain.depth < 5) select tenant_id from chain',
  },
  {
    name: 'recursive CTE named like a real table',
    sql: 'with recursive orders(n, tenant_id) as (select 1, (select max(tenant_id) from customers) union all select n + 1, tenant_id from orders where n < 3) select tenant_id from orders',
  },
  {
    // PostgreSQL and MariaDB would read the later CTE, MySQL 8 the table: the gate reads the
    // table, wrapped in its policy, the only reading that is safe on every server.
    name: 'forward reference in WITH RECURSIVE to a name of a real table',
    sql: 'with recursive a as (select tenant_id from orders), orders as (select 99 as tenant_id) select tenant_id from a',
  },
  {
    name: 'UNION',
    sql: 'select tenant_id from orders union select tenant_id from customers union all select tenant_id from {archive}.orders',
  },
  {
    name: 'EXCEPT',
    sql: 'select tenant_id from customers except select tenant_id from tenants where id > 3',
  },
  { name: 'INTERSECT', sql: 'select tenant_id from customers intersect select tenant_id from orders' },
  {
    name: 'EXISTS',
    sql: 'select t.tenant_id from tenants t where exists (select 1 from orders o where o.tenant_id = t.id)',
  },
  {
    name: 'NOT EXISTS',
    sql: 'select c.tenant_id from customers c where not exists (select 1 from orders o where o.customer_id = c.id and o.amount > 1000)',
  },
  { name: 'schema-qualified archive table', sql: 'select tenant_id from {archive}.orders' },
  { name: 'schema-qualified default table', sql: 'select o.tenant_id from {main}.orders o' },
  { name: 'quoted identifiers', sql: 'select {q:tenant_id} from {q:orders}' },
  { name: 'mixed-case table', sql: 'select ol.tenant_id from {OL} ol join orders o on o.id = ol.order_id' },
  { name: 'upper-case keywords and names', sql: 'SELECT TENANT_ID FROM ORDERS WHERE AMOUNT > 0' },
  {
    name: 'aggregates and grouping',
    sql: 'select tenant_id, count(*) as n, sum(amount) as total from orders group by tenant_id having count(*) > 0 order by 1',
  },
  {
    name: 'same table many times',
    sql: 'select a.tenant_id, b.tenant_id as tenant_id2 from orders a join orders b on a.id = b.id where a.id in (select id from orders)',
  },
  {
    name: 'LATERAL',
    only: 'postgres',
    sql: 'select c.tenant_id, l.tenant_id as tenant_id2 from customers c cross join lateral (select o.tenant_id from orders o where o.customer_id = c.id limit 1) l',
  },
  {
    name: 'uncorrelated LATERAL',
    only: 'postgres',
    sql: 'select l.tenant_id from tenants t, lateral (select tenant_id from orders) l',
  },
  {
    name: 'ANY subquery and row comparison',
    only: 'postgres',
    sql: 'select tenant_id from orders where (tenant_id, id) = any (select tenant_id, id from orders)',
  },
  {
    name: 'VALUES joined to a table',
    only: 'postgres',
    sql: 'select o.tenant_id from (values (1), (2), (3)) v(n) join orders o on o.tenant_id = v.n',
  },
  {
    name: 'window function',
    sql: 'select tenant_id, row_number() over (partition by tenant_id order by id) as rn from orders',
  },
];

function render(sql: string, w: Warehouse): string {
  return sql
    .replaceAll('{archive}', w.quote(w.archive))
    .replaceAll('{main}', w.quote(w.main))
    .replaceAll('{OL}', w.quote('OrderLines'))
    .replace(/\{q:(\w+)\}/g, (_, name: string) => w.quote(name));
}

export function requestFor(
  w: Warehouse,
  sql: string,
  tenant: string,
  more: Partial<GateRequest> = {},
): GateRequest {
  return {
    dialect: w.dialect,
    sql,
    tables: warehouseDomain(w),
    defaultSchema: w.main,
    user: {
      email: 'alice@a.test',
      attributes: new Map([
        ['tenant', tenant],
        ['label', "it's"],
      ]),
    },
    applyPolicies: true,
    requirePolicies: false,
    ...more,
  };
}

function tenantColumns(row: Record<string, unknown>): unknown[] {
  return Object.entries(row)
    .filter(([key]) => key.toLowerCase().startsWith('tenant_id'))
    .map(([, value]) => value);
}

for (const engine of warehouseEngines()) {
  describe(`query gate isolation on ${engine.name}`, () => {
    let w: Warehouse;
    before(async () => {
      w = await engine.open();
    });
    after(() => w.close());

    for (const c of CASES) {
      test(c.name, {
        skip: c.only !== undefined && c.only !== (engine.name === 'mariadb' ? 'mysql' : 'postgres'),
      }, async () => {
        for (const tenant of [1, 2, 3]) {
          const rewritten = await rewriteQuery(requestFor(w, render(c.sql, w), String(tenant)));
          const rows = await w.run(rewritten.sql, rewritten.params);
          assert.ok(rows.length > 0, `${c.name}: no rows for tenant ${tenant}`);
          for (const row of rows) {
            const values = tenantColumns(row);
            assert.ok(values.length > 0, 'each case returns a tenant_id column');
            // NULL (an outer join's missing side) is no tenant's data.
            for (const v of values)
              if (v !== null) assert.equal(Number(v), tenant, `${c.name}: ${JSON.stringify(row)}`);
          }
        }
      });
    }

    test('without policies (admin bypass) every tenant is visible, still schema-qualified', async () => {
      const rewritten = await rewriteQuery(
        requestFor(w, 'select distinct tenant_id from orders', '1', { applyPolicies: false }),
      );
      const rows = await w.run(rewritten.sql, rewritten.params);
      assert.deepEqual(rows.map((r) => Number(r.tenant_id)).sort(), [1, 2, 3]);
      assert.deepEqual(rewritten.policies, []);
      assert.match(rewritten.sql, new RegExp(`${w.main}.*orders`));
    });

    test('a CTE named like a table is the CTE inside its scope', async () => {
      const rewritten = await rewriteQuery(
        requestFor(w, 'with orders as (select 42 as n) select n from orders', '1'),
      );
      assert.deepEqual(rewritten.tables, []);
      assert.deepEqual(
        (await w.run(rewritten.sql, rewritten.params)).map((r) => Number(r.n)),
        [42],
      );
    });

    test('a policy subquery reads its own table, not a CTE of the query', async () => {
      // mallory's entitlement (account 31) must not become alice's through a look-alike CTE.
      const sql =
        "with entitlements as (select 'alice@a.test' as user_email, 31 as resource_value) select id from accounts order by id";
      const rewritten = await rewriteQuery(requestFor(w, sql, '1'));
      assert.deepEqual(
        (await w.run(rewritten.sql, rewritten.params)).map((r) => Number(r.id)),
        [11, 12],
      );
    });

    test('USER_EMAIL() in a subquery policy selects the entitled rows', async () => {
      for (const [email, ids] of [
        ['alice@a.test', [11, 12]],
        ['bob@b.test', [21]],
        ['nobody@x.test', []],
      ] as const) {
        const request = requestFor(w, 'select a.id from accounts a order by a.id', '1');
        const rewritten = await rewriteQuery({ ...request, user: { ...request.user, email } });
        assert.deepEqual(
          (await w.run(rewritten.sql, rewritten.params)).map((r) => Number(r.id)),
          ids,
        );
      }
    });

    test('each reference to a policy table gets its own parameters, numbered correctly', async () => {
      const sql =
        'select o.tenant_id from orders o where o.id in (select id from orders) and exists (select 1 from orders)';
      const rewritten = await rewriteQuery(requestFor(w, sql, '2'));
      assert.equal(rewritten.params.length, 3);
      assert.deepEqual(rewritten.policies.length, 1);
      assert.deepEqual(rewritten.attributesUsed, ['tenant']);
      const rows = await w.run(rewritten.sql, rewritten.params);
      assert.equal(
        rows.length,
        warehouseRows().filter((r) => r.table === 'orders' && r.values[1] === 2).length,
      );
    });
  });
}

test('the fixture opens on PGlite', async () => {
  const w = await openPglite();
  try {
    assert.equal((await w.run('select count(*)::int as n from "OrderLines"', []))[0]?.n, 24);
  } finally {
    await w.close();
  }
});
