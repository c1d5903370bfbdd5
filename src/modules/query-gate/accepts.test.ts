import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { gateRequest, type Warehouse, warehouseEngines } from '../../../test/helpers/gate-warehouse.ts';
import { rewriteQuery } from './index.ts';

/**
 * Fail closed must not mean fail often: everyday analytical SQL passes the gate and the
 * rewritten query runs. (Refusals are in refusals.test.ts.)
 */

// biome-ignore format: one query a line
const POSTGRES_QUERIES = [
  "select id, sum(amount) over w, rank() over (order by amount desc) from orders window w as (partition by region order by id)",
  "select distinct on (region) region, id from orders order by region, id desc",
  "select region, customer_id, sum(amount) from orders group by grouping sets ((region), (customer_id), ())",
  "select case when amount > 20 then 'big' when amount > 10 then 'mid' else 'small' end as size, count(*) from orders group by 1",
  "select array_agg(id order by id), string_agg(distinct region, ',') from orders",
  "select jsonb_build_object('id', id, 'r', region)->>'r' from orders",
  "select '2024-01-01'::date + interval '1 day', now() - interval '1 hour', extract(year from now()), date_trunc('month', now())",
  "select now() at time zone 'UTC'",
  "select * from orders where region similar to 'D%' or region ilike 'f%' or region is distinct from 'US'",
  "select * from orders where amount between symmetric 50 and 10 order by amount nulls last limit 5 offset 1",
  "select count(*) filter (where amount > 10), percentile_cont(0.5) within group (order by amount) from orders",
  "select u.x, u.n from unnest(array['a','b']) with ordinality as u(x, n)",
  "select e.value from orders o, jsonb_array_elements(jsonb_build_array(o.id, o.amount)) e",
  "select g from generate_series(1, 3) g",
  "select * from (values (1, 'a'), (2, 'b')) as v(id, name)",
  "select * from orders where (tenant_id, region) in (select tenant_id, code from regions)",
  "(select id from orders order by id limit 2) union (select id from customers order by id limit 2) order by 1",
  "select coalesce(nullif(region, 'DE'), 'none'), greatest(amount, 15), least(amount, 15) from orders",
  "select substring(region from 1 for 1), trim(both ' ' from region), position('E' in region), overlay(region placing 'X' from 1 for 1) from orders",
  "select upper(name) collate \"C\" from customers order by 1",
  "select cast(amount as numeric(10,2)) / 3, amount::float8, amount::text || '€', round(amount::numeric / 7, 2) from orders",
  "select o.* , c.* from orders o natural join customers c",
  "select * from orders o join customers c using (tenant_id) where o.amount > all (select amount from orders where amount < 0)",
  "select exists(select 1 from orders) as any_orders, (select count(*) from customers) as n",
  "table orders",
  "select * from only orders",
  "with x as materialized (select * from orders) select * from x",
  "with recursive t(n) as (select 1 union all select n + 1 from t where n < 5) search depth first by n set ord select * from t",
  "select row_to_json(o) from orders o",
  "select id from orders where region = any('{DE,FR}'::text[])",
  "select format('%s-%s', id, region), md5(region), to_char(now(), 'YYYY') from orders",
  "select id from orders where id = 1001 and region <> 'x' and not (amount < 0)",
];

// biome-ignore format: one query a line
const MYSQL_QUERIES = [
  "select id, sum(amount) over (partition by region order by id) as s, rank() over (order by amount desc) as r from orders",
  "select distinct region from orders order by region",
  "select region, count(*) from orders group by region having count(*) > 1 order by 2 desc limit 2 offset 1",
  "select case when amount > 20 then 'big' else 'small' end as size, count(*) from orders group by 1",
  "select group_concat(distinct region order by region separator ',') from orders",
  "select date_add(now(), interval 1 day), date_format(now(), '%Y'), year(now()), extract(year from now())",
  "select * from orders where region like 'D%' or region in ('FR', 'US')",
  "select * from orders where amount between 10 and 50",
  "select if(amount > 10, 'a', 'b'), ifnull(null, 1), coalesce(null, 2), nullif(1, 1) from orders",
  "select cast(amount as char), convert(amount, signed), concat(region, '-', id) from orders",
  "select * from orders o left join customers c on c.id = o.customer_id right join regions r on r.code = c.region",
  "select * from orders o join customers c using (tenant_id)",
  "select exists(select 1 from orders) as e, (select count(*) from customers) as n",
  "select * from (select * from orders) d where d.amount > 10",
  "with recursive t as (select 1 as n union all select n + 1 from t where n < 5) select * from t",
  "select o.id from orders o where o.customer_id in (select id from customers) and not exists (select 1 from regions where code = 'XX')",
  "select json_object('id', id), json_extract('{\"a\":1}', '$.a') from orders",
  "select lower(region), upper(region), length(region), substring(region, 1, 1), trim(region), round(amount / 3, 2), abs(-amount) from orders",
  "select id from orders union select id from customers order by 1 limit 3",
  "select id from orders except select id from customers",
  "select id from orders intersect select id from orders",
  "select 1 from dual",
];

const ATTRIBUTES = { tenant: '1', label: 'x' };

test('everyday MySQL queries pass the gate (rewrite only)', async () => {
  for (const sql of MYSQL_QUERIES) {
    const rewritten = await rewriteQuery(gateRequest('mysql', sql, { attributes: ATTRIBUTES }));
    assert.ok(rewritten.sql.length > 0, sql);
  }
});

test('FETCH … WITH TIES is refused: the deparser would print it as a plain LIMIT', async () => {
  const sql = 'select id from orders order by amount desc fetch first 3 rows with ties';
  await assert.rejects(rewriteQuery(gateRequest('postgres', sql, { attributes: ATTRIBUTES })), {
    code: 'QUERY_REFUSED',
  });
});

for (const engine of warehouseEngines()) {
  describe(`everyday queries run on ${engine.name}`, () => {
    let w: Warehouse;
    before(async () => {
      w = await engine.open();
    });
    after(() => w.close());

    test('each rewritten query runs', async () => {
      const queries = w.dialect === 'postgres' ? POSTGRES_QUERIES : MYSQL_QUERIES;
      for (const sql of queries) {
        const rewritten = await rewriteQuery(
          gateRequest(w.dialect, sql, { main: w.main, archive: w.archive, attributes: ATTRIBUTES }),
        );
        await assert.doesNotReject(w.run(rewritten.sql, rewritten.params), sql);
      }
    });
  });
}
