import assert from 'node:assert/strict';
import { test } from 'node:test';
import { gateRequest } from '../../../../test/helpers/gate-warehouse.ts';
import { rewriteQuery } from '../index.ts';
import { lexMysql } from './lex.ts';

/**
 * The MySQL gate's lexical rules, its printer hygiene and its exact comparisons, without a
 * database (the MariaDB legs in test/data-gate-mysql-lexical.test.ts and
 * mysql-differential.test.ts run the same classes against the server).
 */

const rewrite = (sql: string, attributes?: Record<string, string>) =>
  rewriteQuery(gateRequest('mysql', sql, attributes === undefined ? {} : { attributes }));

test('text the parser and the server could split differently is refused', async () => {
  for (const sql of [
    'select id from orders /*! union select id from secrets */',
    'select id from orders /*!50000 union select id from secrets */',
    'select id from orders /*M! union select id from secrets */',
    'select /*+ BKA(orders) */ id from orders',
    'select id from orders # union select id from secrets',
    'select 1--1 as x from orders',
    'select id from orders where id = 1--1',
    'select id from orders /* a /* b */ union select id from secrets */',
    'select id from orders /* open',
    'select id from orders -- x\r union select id from secrets',
    "select _latin1'x' from orders",
    "select _utf8mb4 'x' from orders",
    'select \\N from orders',
    '{fn now()}',
    'select 1abc from orders',
    'select 0x1g from orders',
    'select a$b from orders',
    'select id from orders\u00a0where id = 1',
    'select id from orders\u000bwhere id = 1',
    "select 'a\u0001' from orders",
    "select 'it\\'s' from orders",
    'select "x" from orders',
    'select @x from orders',
    'select id from orders where id = ?',
    'select id from orders; select id from secrets',
    "select 'unterminated from orders",
    'select `unterminated from orders',
    // Adjacent literals are one string to the server, a literal and its alias to the parser.
    "select 'a' 'b' from orders",
    "select 'a'-- -1\n'b' from orders",
    "select 'a' /* x */ 'b' from orders",
    "select 'a' x'62' from orders",
    "select id from orders where 'a' 'b' = 'ab'",
  ]) {
    await assert.rejects(rewrite(sql), { code: 'QUERY_REFUSED' }, JSON.stringify(sql));
  }
});

test('comments the server reads the same way are accepted and never printed', async () => {
  for (const sql of [
    'select id from orders -- trailing',
    'select id from orders --\tx\n where id > 0',
    'select id /* c */ from orders',
    'select id from orders --',
    'select id from orders;',
  ]) {
    const r = await rewrite(sql);
    assert.ok(!/--|\/\*|#/.test(r.sql), r.sql);
    assert.doesNotThrow(() => lexMysql(r.sql, 'output'));
  }
});

test('quoted tokens the printer would write back raw are refused or re-quoted', async () => {
  for (const sql of [
    'select id from orders where region collate `utf8mb4_bin union select id from secrets` is null',
    "select id from orders where region collate 'utf8mb4_bin union select id from secrets' is null",
    "select id from orders where region = 'a' collate `utf8mb4_bin /*! union select id from secrets */`",
    "select id as 'x` from secrets union select id from secrets where `' from orders",
    'select convert(region using `utf8mb4) union select id from secrets -- `) from orders',
    'select cast(region as char character set `utf8mb4) union select id from secrets -- `) from orders',
  ]) {
    await assert.rejects(rewrite(sql), { code: 'QUERY_REFUSED' }, sql);
  }
  // A backtick in an alias is refused however it was written (the printer would not double it).
  await assert.rejects(rewrite('select id as `a``b` from orders'), { code: 'QUERY_REFUSED' });
  const quoted = await rewrite(
    "select `id` as `a b`, 'it''s' as s, region collate utf8mb4_bin as r from orders",
  );
  assert.match(quoted.sql, /AS `a b`/);
  assert.match(quoted.sql, /'it''s'/);
  assert.match(quoted.sql, /COLLATE utf8mb4_bin/);
});

test('text parameters compare binary-exact, in = and in every IN (…) element; integers stay numbers', async () => {
  const tables = gateRequest('mysql', '').tables.map((t) =>
    t.name === 'customers'
      ? { ...t, policy: "region IN (USER_ATTRIBUTE_STR_LIST('regions')) AND name = USER_ATTRIBUTE('n')" }
      : t,
  );
  const r = await rewriteQuery({
    ...gateRequest('mysql', 'select c.id, o.id from customers c join orders o on o.customer_id = c.id', {
      attributes: { tenant: '1', regions: '["DE","FR"]', n: 'Customer 1-1' },
    }),
    tables,
  });
  assert.equal(r.sql.match(/CAST\(\? AS BINARY\)/g)?.length, 3, r.sql);
  assert.match(r.sql, /`tenant_id` = \?\)/);
  assert.deepEqual(r.params, ['DE', 'FR', 'Customer 1-1', 1]);
});

test('<=>, SUBSTRING(x FROM n FOR m) and NATURAL JOIN are parsed and printed as the server reads them', async () => {
  const r = await rewrite(
    "select substring(sku from 2 for 3) as s, region <=> 'DE' as d from orders natural left join (select id from OrderLines) l",
  );
  assert.match(r.sql, /substring\(`sku`, 2, 3\)/i);
  assert.match(r.sql, /`region` <=> 'DE'/);
  assert.match(r.sql, /NATURAL LEFT JOIN \(SELECT/);
  // Every table still sits in its wrapper: two policies, one parameter each.
  assert.equal(r.params.length, 2);
  await assert.rejects(rewrite('select 1 <@ 2'), { code: 'QUERY_REFUSED' });
  await assert.rejects(rewrite('select id from orders natural join secrets'), { code: 'ACCESS_DENIED' });
});
