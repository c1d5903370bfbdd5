import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { loadModule } from 'pgsql-parser';
import { gateRequest } from '../../../../test/helpers/gate-warehouse.ts';
import { AppError } from '../../../errors.ts';
import type { GateRequest } from '../types.ts';
import { invariantPlan } from './engine.ts';
import { parseOneSelect } from './parse.ts';
import { PolicyTemplates } from './templates.ts';
import { type QuerySlot, verifyInvariant } from './verify.ts';

/**
 * The invariant check on its own, fed printed SQL as a faulty rewrite or printer could produce
 * it: it must refuse every table, call or slot the gate did not account for, whatever the
 * rewrite believed.
 */

before(() => loadModule());

const ORDERS =
  '( SELECT * FROM public.orders WHERE orders.tenant_id = CAST($1 AS bigint) OFFSET 0 ) AS orders';

function verdict(
  sql: string,
  params: unknown[],
  request: GateRequest = gateRequest('postgres', 'select 1'),
  querySlots: readonly QuerySlot[] = [],
) {
  const templates = new PolicyTemplates(request, new Set(request.tables.map((t) => t.schema)));
  try {
    verifyInvariant(parseOneSelect(sql, 'query'), invariantPlan(request, params, templates, querySlots));
    return 'OK';
  } catch (error) {
    if (error instanceof AppError) return error.code;
    throw error;
  }
}

test('what the rewrite prints for tenant 1 passes', () => {
  assert.equal(verdict(`SELECT id FROM ${ORDERS}`, [1]), 'OK');
  assert.equal(
    verdict(
      `SELECT 1 FROM ${ORDERS} JOIN ( SELECT * FROM public.customers WHERE customers.tenant_id = $2 OFFSET 0 ) AS c ON c.id = orders.customer_id`,
      [1, '1'],
    ),
    'OK',
  );
  assert.equal(verdict(`WITH x AS (SELECT id FROM ${ORDERS}) SELECT pg_catalog.count(*) FROM x`, [1]), 'OK');
});

test('a protected table outside its wrapper, or in a wrapper with another policy, is refused', () => {
  for (const sql of [
    'SELECT id FROM public.orders',
    `SELECT id FROM ${ORDERS} UNION ALL SELECT id FROM public.orders`,
    'SELECT id FROM ( SELECT * FROM public.orders WHERE orders.tenant_id <> CAST($1 AS bigint) OFFSET 0 ) AS o',
    'SELECT id FROM ( SELECT * FROM public.orders WHERE orders.tenant_id = CAST($1 AS bigint) OR true OFFSET 0 ) AS o',
    // without its fence, under a query with a cast, a call or an operator outside the wrappers
    'SELECT id FROM ( SELECT * FROM public.orders WHERE orders.tenant_id = CAST($1 AS bigint) ) AS o WHERE o.id::text IS NULL',
    'SELECT pg_catalog.abs(id) FROM ( SELECT * FROM public.orders WHERE orders.tenant_id = CAST($1 AS bigint) ) AS o',
    'SELECT id FROM ( SELECT * FROM public.orders WHERE orders.tenant_id = CAST($1 AS bigint) ) AS o ORDER BY id + 1',
    `SELECT o.id FROM ( SELECT * FROM public.orders WHERE orders.tenant_id = CAST($1 AS bigint) ) AS o JOIN ${ORDERS.replace('$1', '$2')} ON o.id = orders.id`,
    'SELECT id FROM ( SELECT * FROM public.orders WHERE orders.tenant_id = CAST($1 AS bigint) OFFSET 1 ) AS o',
    'SELECT id FROM ( SELECT * FROM public.orders WHERE orders.tenant_id = CAST($1 AS bigint) LIMIT 5 ) AS o',
    'SELECT id FROM ( SELECT id FROM public.orders WHERE orders.tenant_id = CAST($1 AS bigint) OFFSET 0 ) AS o',
    // customers' policy is untyped `tenant_id = $n`: the orders form is not it
    'SELECT id FROM ( SELECT * FROM public.customers WHERE customers.tenant_id = CAST($1 AS bigint) OFFSET 0 ) AS c',
    'SELECT id FROM ( SELECT * FROM public.secrets WHERE secrets.tenant_id = CAST($1 AS bigint) OFFSET 0 ) AS s',
    'SELECT id FROM public.entitlements',
    'SELECT id FROM orders',
    'WITH a AS (SELECT * FROM b), b AS (SELECT 1) SELECT * FROM a',
  ]) {
    assert.equal(verdict(sql, [1]), 'QUERY_REFUSED', sql);
  }
});

test('a wrapper without its fence passes only where nothing outside the wrappers could fail on a row', () => {
  const bare = ORDERS.replace(' OFFSET 0', '');
  for (const sql of [
    `SELECT * FROM ${bare} ORDER BY created_at DESC LIMIT 50`,
    `SELECT id FROM ${bare} WHERE id IS NOT NULL AND NOT (region IS NULL) ORDER BY id`,
    `WITH x AS (SELECT id FROM ${bare}) SELECT id FROM x`,
  ]) {
    assert.equal(verdict(sql, [1]), 'OK', sql);
  }
  // A policy with a sub-select (a join, not a scan condition) always keeps its fence.
  const request = gateRequest('postgres', 'select 1');
  const accounts = request.tables.find((t) => t.name === 'accounts')!;
  assert.match(accounts.policy ?? '', /SELECT/i);
  const fenced =
    'SELECT id FROM ( SELECT * FROM public.accounts WHERE accounts.id IN (SELECT resource_value FROM public.entitlements WHERE user_email = CAST($1 AS pg_catalog.text)) OFFSET 0 ) AS accounts';
  assert.equal(verdict(fenced, ['alice@a.test'], request), 'OK');
  assert.equal(verdict(fenced.replace(' OFFSET 0', ''), ['alice@a.test'], request), 'QUERY_REFUSED');
});

test('a cast on a query slot other than its own keeps the fence', () => {
  const request = gateRequest('postgres', 'select 1');
  const unfenced = ORDERS.replace(' OFFSET 0', '').replaceAll('$1', '$2');
  const text: QuerySlot = { kind: 'text', value: 'DE', cast: 'text' };
  const untyped: QuerySlot = { kind: 'null', value: null, cast: null };
  // The gate's own typing of a slot is no cast of the user's: the fence may go.
  assert.equal(
    verdict(`SELECT id FROM ${unfenced} WHERE CAST($1 AS pg_catalog.text) IS NULL`, ['DE', 1], request, [
      text,
    ]),
    'OK',
  );
  assert.equal(verdict(`SELECT id FROM ${unfenced} WHERE $1 IS NULL`, [null, 1], request, [untyped]), 'OK');
  // A cast the user wrote on an untyped slot runs per row under a generic plan: fenced only.
  const cast = `SELECT id FROM ${unfenced} WHERE $1::int4 IS NULL`;
  assert.equal(verdict(cast, [null, 1], request, [untyped]), 'QUERY_REFUSED');
  const fenced = `SELECT id FROM ${ORDERS.replaceAll('$1', '$2')} WHERE $1::int4 IS NULL`;
  assert.equal(verdict(fenced, [null, 1], request, [untyped]), 'OK');
});

test('slots: each parameter is one wrapper’s, holding the policy’s value', () => {
  assert.equal(verdict(`SELECT id FROM ${ORDERS}`, [2]), 'QUERY_REFUSED'); // another tenant's value
  assert.equal(verdict(`SELECT id FROM ${ORDERS}`, ['1']), 'QUERY_REFUSED'); // another type
  assert.equal(verdict(`SELECT id FROM ${ORDERS}`, [1, 1]), 'QUERY_REFUSED'); // an unclaimed slot
  assert.equal(
    verdict(`SELECT id FROM ${ORDERS} UNION SELECT id FROM ${ORDERS.replace('AS orders', 'AS o')}`, [1]),
    'QUERY_REFUSED',
  );
  assert.equal(verdict(`SELECT $1 FROM ${ORDERS.replace('$1', '$2')}`, [1, 1]), 'QUERY_REFUSED');
});

test('calls, casts, operators, fields and literals outside the lists are refused', () => {
  for (const sql of [
    `SELECT count(*) FROM ${ORDERS}`,
    `SELECT public.order_total(orders) FROM ${ORDERS}`,
    `SELECT pg_catalog.pg_read_file('x') FROM ${ORDERS}`,
    `SELECT CAST(ROW(1, 2) AS public.customers) FROM ${ORDERS}`,
    `SELECT CAST('x' AS regclass) FROM ${ORDERS}`,
    `SELECT 1 OPERATOR(public.+) 2 FROM ${ORDERS}`,
    `SELECT (orders).ts_stat FROM ${ORDERS}`,
    `SELECT orders.pg_read_file FROM ${ORDERS}`,
    `SELECT 1_000.5 FROM ${ORDERS}`,
    `SELECT current_user FROM ${ORDERS}`,
    `SELECT id FROM ${ORDERS} FOR UPDATE`,
    `SELECT id INTO copy FROM ${ORDERS}`,
    `SELECT xmlelement(name a) FROM ${ORDERS}`,
  ]) {
    assert.equal(verdict(sql, [1]), 'QUERY_REFUSED', sql);
  }
});

test('tables read without a policy pass bare, and only those', () => {
  const open = gateRequest('postgres', 'select 1', {
    tables: [{ schema: 'public', name: 'orders', policy: null }],
  });
  assert.equal(verdict('SELECT id FROM public.orders', [], open), 'OK');
  assert.equal(verdict('SELECT id FROM public.customers', [], open), 'QUERY_REFUSED');
  const admin = { ...gateRequest('postgres', 'select 1'), applyPolicies: false };
  assert.equal(verdict('SELECT id FROM public.orders JOIN public.customers ON true', [], admin), 'OK');
  const strict = { ...open, requirePolicies: true };
  assert.equal(verdict('SELECT id FROM public.orders', [], strict), 'QUERY_REFUSED');
});

test('a wrapper of a table with column policies must carry exactly the masked projection', () => {
  const request: GateRequest = {
    ...gateRequest('postgres', 'select 1'),
    tables: [
      {
        schema: 'public',
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
  const masked = "CASE WHEN $1 = 'hr' THEN people.ssn ELSE NULL END AS ssn";
  assert.equal(
    verdict(
      `SELECT ssn FROM ( SELECT people.id, ${masked} FROM public.people OFFSET 0 ) AS p`,
      ['sales'],
      request,
    ),
    'OK',
  );
  for (const [sql, params] of [
    ['SELECT ssn FROM ( SELECT * FROM public.people OFFSET 0 ) AS p', []],
    ['SELECT ssn FROM ( SELECT people.id, people.ssn FROM public.people OFFSET 0 ) AS p', []],
    [
      `SELECT ssn FROM ( SELECT people.id, ${masked}, people.ssn AS raw FROM public.people OFFSET 0 ) AS p`,
      ['sales'],
    ],
    [`SELECT ssn FROM ( SELECT ${masked}, people.id FROM public.people OFFSET 0 ) AS p`, ['sales']],
    [
      "SELECT ssn FROM ( SELECT people.id, CASE WHEN $1 = 'hr' OR true THEN people.ssn ELSE NULL END AS ssn FROM public.people OFFSET 0 ) AS p",
      ['sales'],
    ],
    [
      "SELECT ssn FROM ( SELECT people.id, CASE WHEN $1 = 'hr' THEN people.ssn ELSE people.ssn END AS ssn FROM public.people OFFSET 0 ) AS p",
      ['sales'],
    ],
    // The condition's slot must hold the user's own value.
    [`SELECT ssn FROM ( SELECT people.id, ${masked} FROM public.people OFFSET 0 ) AS p`, ['hr']],
    [
      `SELECT ssn FROM ( SELECT people.id, ${masked} FROM public.people WHERE true OFFSET 0 ) AS p`,
      ['sales'],
    ],
    [`SELECT ssn FROM ( SELECT people.id, ${masked} FROM public.people ) AS p`, ['sales']],
    ['SELECT ssn FROM public.people', []],
  ] as const) {
    assert.equal(verdict(sql, [...params], request), 'QUERY_REFUSED', sql);
  }
});
