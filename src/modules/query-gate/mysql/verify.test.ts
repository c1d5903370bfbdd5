import assert from 'node:assert/strict';
import { test } from 'node:test';
import mysqlGrammar from 'node-sql-parser/build/mysql.js';
import { gateRequest } from '../../../../test/helpers/gate-warehouse.ts';
import { rewriteQuery } from '../index.ts';
import { checkMysqlOutput } from './engine.ts';

/**
 * The invariant check on its own: printed SQL that a faulty printer could have produced (a table
 * outside its wrapper, a wrapper with another policy, a `?` out of place…) is refused, whatever
 * the rewrite's tree said. The check reads nothing but the text and the domain.
 */

const parser = new mysqlGrammar.Parser();
const request = gateRequest('mysql', 'select id from orders');
const check = (sql: string) => checkMysqlOutput(parser, sql, request);
const WRAP = (table: string, policy = `\`${table}\`.\`tenant_id\` = ?`) =>
  `(SELECT * FROM \`shop\`.\`${table}\` WHERE (${policy}) LIMIT 18446744073709551615) AS \`${table}\``;

test('the gate’s own output passes and yields its parameters in text order', async () => {
  const tenant2 = gateRequest('mysql', 'select o.id from customers c join orders o on o.customer_id = c.id', {
    attributes: { tenant: '2' },
  });
  const r = await rewriteQuery(tenant2);
  assert.deepEqual(checkMysqlOutput(parser, r.sql, tenant2), r.params);
  assert.deepEqual(r.params, ['2', 2]);
  // The hand-written wrapper below is the gate's own: the refusals that follow are about the change.
  assert.deepEqual(check(`SELECT \`id\` FROM ${WRAP('orders')}`), [1]);
  assert.deepEqual(
    check(`SELECT \`id\` FROM ${WRAP('orders')} UNION ALL SELECT \`id\` FROM ${WRAP('tenants')}`),
    [1, 1],
  );
});

test('anything but policy wrappers around protected tables is refused', () => {
  const refused = [
    // A protected table read bare, qualified or not, beside a correct wrapper.
    `SELECT \`id\` FROM ${WRAP('orders')} UNION ALL SELECT \`id\` FROM \`shop\`.\`orders\``,
    `SELECT \`id\` FROM ${WRAP('orders')} UNION ALL SELECT \`id\` FROM \`orders\``,
    `SELECT \`id\` FROM ${WRAP('orders')} WHERE \`id\` IN (SELECT \`id\` FROM \`shop\`.\`tenants\`)`,
    // A wrapper whose policy was changed, weakened or swapped for another table's.
    `SELECT \`id\` FROM ${WRAP('orders', '`orders`.`tenant_id` = ? OR 1 = 1')}`,
    `SELECT \`id\` FROM ${WRAP('orders', '`orders`.`tenant_id` > ?')}`,
    `SELECT \`id\` FROM ${WRAP('orders', '`orders`.`id` = ?')}`,
    `SELECT \`id\` FROM (SELECT * FROM \`shop\`.\`orders\` WHERE (\`orders\`.\`tenant_id\` = ?)) AS \`orders\``,
    `SELECT \`id\` FROM (SELECT * FROM \`shop\`.\`orders\` WHERE (\`orders\`.\`tenant_id\` = ?) LIMIT 10) AS \`orders\``,
    // A table outside the domain, a policy's own table outside its wrapper, another database.
    'SELECT `id` FROM `shop`.`secrets`',
    'SELECT `user_email` FROM `shop`.`entitlements`',
    'SELECT `id` FROM `other`.`orders`',
    // Placeholders out of place, or a wrapper missing one.
    `SELECT \`id\`, ? FROM ${WRAP('orders')}`,
    `SELECT \`id\` FROM ${WRAP('orders', '`orders`.`tenant_id` = 1')}`,
    // Not one read-only SELECT, or text the server splits otherwise.
    `SELECT \`id\` FROM ${WRAP('orders')} FOR UPDATE`,
    `SELECT \`id\` FROM ${WRAP('orders')} /*! UNION SELECT 1 */`,
    `SELECT \`id\` FROM ${WRAP('orders')} -- x`,
    `SELECT \`id\` FROM ${WRAP('orders')}; SELECT 1`,
  ];
  for (const sql of refused) {
    assert.throws(
      () => check(sql),
      (e: { code?: string }) => ['QUERY_REFUSED', 'ACCESS_DENIED'].includes(e.code ?? ''),
      sql,
    );
  }
});

test('an admin bypass may read bare domain tables, still only qualified ones from the domain', () => {
  const bypass = { ...request, applyPolicies: false };
  assert.deepEqual(checkMysqlOutput(parser, 'SELECT `id` FROM `shop`.`orders`', bypass), []);
  for (const sql of ['SELECT `id` FROM `orders`', 'SELECT `id` FROM `shop`.`secrets`']) {
    assert.throws(() => checkMysqlOutput(parser, sql, bypass), { code: 'QUERY_REFUSED' }, sql);
  }
});

test('a wrapper of a table with column policies must carry exactly the masked projection', async () => {
  const base = gateRequest('mysql', 'select ssn from people');
  const masked: typeof base = {
    ...base,
    tables: [
      {
        schema: 'shop',
        name: 'people',
        policy: null,
        columns: ['id', 'ssn'],
        columnPolicies: [
          {
            column: 'ssn',
            mask: 'NULL',
            maskText: null,
            maskExpression: null,
            condition: "USER_ATTRIBUTE('team') = 'hr'",
          },
        ],
      },
    ],
    user: { email: 'a@a.test', attributes: new Map([['team', 'sales']]) },
  };
  const r = await rewriteQuery(masked);
  assert.deepEqual(checkMysqlOutput(parser, r.sql, masked), r.params);
  assert.match(r.sql, /CASE WHEN/);
  for (const sql of [
    r.sql.replace('ELSE NULL', 'ELSE `people`.`ssn`'),
    r.sql.replace("= 'hr'", "= 'hr' OR 1 = 1"),
    'SELECT `ssn` FROM (SELECT * FROM `shop`.`people` LIMIT 18446744073709551615) AS `people`',
    'SELECT `ssn` FROM `shop`.`people`',
  ]) {
    assert.notEqual(sql, r.sql);
    assert.throws(
      () => checkMysqlOutput(parser, sql, masked),
      (e: { code?: string }) => e.code === 'QUERY_REFUSED',
      sql,
    );
  }
});
