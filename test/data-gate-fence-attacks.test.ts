import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ROLE_IDS } from '../src/modules/roles/roles.ts';
import { STATUS } from './helpers/api.ts';
import { startTestApp, type TestApp } from './helpers/app.ts';
import { policedDomain, runQuery, sessionFor, type Warehouse, warehouseLegs } from './helpers/data.ts';
import { testBackends } from './helpers/databases.ts';

/**
 * Attacks on the fence-less policy wrapper (docs/query-gate.md, "When the fence is dropped"),
 * differential: every query runs as tenant A through the gate on a warehouse holding both
 * tenants' rows and on one holding only A's rows. Any difference (rows, error code, error text)
 * is an answer that depends on a row the policy hides.
 */

const SCHEMA = `
  create table events (
    id int primary key, tenant_id text not null, created_at timestamptz not null,
    secret text not null, n int not null, flag boolean not null, note text,
    amount numeric not null default 1, day date not null default '2026-01-01'
  );
  create index events_tenant_created on events (tenant_id, created_at);
  create table notes (
    id int primary key, tenant_id text not null, body text not null, pinned boolean not null,
    score float8 not null default 1
  );
  create index notes_tenant on notes (tenant_id);
  create domain digits as text check (value ~ '^[0-9]+$');
  create domain number_text as text check (value::int >= 0);
  -- An ordinary reporting view: casts and a division an administrator would not think twice about.
  create view events_report as
    select id, tenant_id, created_at, secret::int as secret_number, 100 / n as per_unit,
           secret::digits as code, secret::number_text as amount, (secret::int > 0) as positive, flag
    from events;
`;

const A_ROWS = `
  insert into events values
    (1, 't_a', '2026-01-01', '12', 1, true, 'a1'),
    (2, 't_a', '2026-01-02', '34', 2, false, null),
    (3, 't_a', '2026-01-03', '56', 4, true, 'a3');
  insert into notes values (1, 't_a', 'hello', true), (2, 't_a', 'world', false);
`;

const B_ROWS = `
  insert into events
    select 100 + g, 't_b', '2026-01-01'::timestamptz + g * interval '1 hour', 'topsecret_b', 0, g % 2 = 0, null
    from generate_series(1, 200) g;
  insert into notes select 100 + g, 't_b', 'b', g % 2 = 0 from generate_series(1, 200) g;
  -- Values whose implicit casts fail: numeric beyond float8, a date beyond timestamptz.
  insert into events values (999, 't_b', '2026-02-01', '0', 1, true, null, 1e400, '300000-01-01');
`;

/** Queries whose plans may drop the fence, or nearly so; each must answer as if only A's rows existed. */
const HOLDING = [
  'select id, secret from events order by created_at desc limit 2',
  'select * from events order by created_at desc limit 50',
  'select id from events where flag order by created_at',
  'select id from events where not flag or note is null order by id',
  'select id from events where flag is not true and note is not null order by id',
  'select id from events where (flag and note is null) is unknown order by id',
  'select distinct flag from events order by flag',
  'select distinct on (flag) flag, id from events order by flag, id',
  'select flag from events group by flag order by flag',
  'select note from events group by grouping sets ((note), ()) order by note',
  'select id from events union select id from notes order by 1',
  'select id from events intersect select id from notes order by 1',
  'select id from events except all select id from notes order by 1',
  'select e.id, n.body from events e join notes n on n.pinned order by 1, 2',
  'select e.id, n.body from events e left join notes n on e.flag order by 1, 2',
  'select e.id, n.id from events e full join notes n on e.flag and n.pinned order by 1, 2',
  'select e.id, x.id from events e cross join lateral (select n.id from notes n where e.flag) x order by 1, 2',
  'select a.id, b.id from events a join events b on a.flag and b.flag order by 1, 2',
  'with c as (select * from events where flag) select id from c order by id',
  'with c as materialized (select * from events) select id from c where flag order by id',
  'with c as not materialized (select * from events) select id from c where note is null order by id',
  'with recursive r as (select id from events union select id from r) select id from r order by id',
  'select id from (select id, flag from events) d where d.flag order by id',
  'select t.id from events t where t is not null order by 1',
  'select secret from events order by created_at desc limit 1 offset 1',
  'select id from events order by secret collate "C" limit 1',
  'select id from events where secret::int > 0 order by id',
  'select id from events where 100 / n > 0 order by id',
  'select id from events order by created_at desc limit 2',
  'select e.id from events e, notes n where n.pinned order by 1',
  // Set operations coerce a branch's column (numeric to float8, date to timestamptz); PostgreSQL
  // pushes no condition into branches whose column types differ, so the cast never meets a hidden row.
  'select x.v from (select amount as v from events union all select score from notes) x where x.v is null',
  'select x.v from (select amount as v from events union select score from notes) x where x.v is not null order by 1',
  'select x.v from (select day as v from events union all select created_at from events) x where x.v is null',
  'select e.id from events e, lateral (values (e.amount), (e.id)) v (x) where v.x is null',
];

/**
 * Queries over a view in the domain. A view's columns are expressions: `per_unit` is `100 / n`,
 * `code` is `secret::digits`. The query itself is plain (column references and IS NULL only), so
 * the wrapper goes without its fence; PostgreSQL then flattens wrapper and view into one scan whose
 * filter holds the policy and the view's expressions side by side, ordered by cost. `code IS NOT
 * NULL` costs nothing (domain checks are not costed) and `100 / n IS NULL` no more than the policy,
 * so both run on the other tenant's rows: "division by zero" and "value for domain digits violates
 * check constraint" answer yes/no questions about rows the policy hides (steerable by the plain
 * boolean columns the query may still name, `flag AND code IS NOT NULL`), and `amount`, whose
 * domain check casts to int, prints the other tenant's secret: `invalid input syntax for type
 * integer: "topsecret_b"`.
 */
const VIEW_QUERIES = [
  'select id from events_report where positive order by id',
  'select id from events_report where secret_number is not null order by id',
  'select id from events_report where per_unit is null order by id',
  'select id from events_report where code is not null order by id',
  'select id from events_report where flag and code is not null order by id',
  'select id from events_report where amount is not null order by id',
  'select id from events_report where not flag and amount is null order by id',
  'select r.id from notes n join events_report r on r.per_unit is null order by 1',
  'select id from events_report where flag and positive order by id',
  'select r.id from events_report r join notes n on r.positive order by 1',
  'select id, secret_number from events_report order by created_at desc limit 2',
];

/** A masked column keeps its wrapper fenced whatever the query (docs/query-gate.md "Column masks in the wrapper"). */
const MASKED_QUERIES = [
  'select id, body from notes order by id',
  'select body from notes where pinned order by id',
  'select n.body, e.id from notes n join events e on n.pinned order by 2',
  'select body from notes group by body',
  'select t from notes t order by id',
];

async function maskNoteBodies(t: TestApp, domainId: string) {
  const r = await t.gql(
    `mutation($input: SetColumnPolicyInput!) { setColumnPolicy(input: $input) { ${STATUS} } }`,
    {
      input: {
        domainId,
        table: { name: 'notes' },
        column: 'body',
        mask: 'TEXT',
        maskText: 'redacted',
        condition: "USER_ATTRIBUTE('team') = 'hr'",
      },
    },
  );
  assert.equal(r.body.data?.setColumnPolicy?.status.code, 'OK', JSON.stringify(r.body));
}

const outcome = (r: Awaited<ReturnType<typeof runQuery>>) =>
  r.result
    ? { rows: r.result.rows }
    : { code: r.code, message: r.body.errors?.[0]?.message as string | undefined };

for (const leg of warehouseLegs().filter((l) => l.engine !== 'mysql')) {
  for (const policy of [
    "tenant_id = USER_ATTRIBUTE('tenant_id')",
    "tenant_id = ANY(USER_ATTRIBUTE_STR_LIST('tenants'))",
  ]) {
    describe(`fence-less wrapper attacks, ${policy} (${leg.engine} warehouse)`, () => {
      const data = () => t.app.services.data;
      let t: TestApp;
      let both: Warehouse;
      let onlyA: Warehouse;
      let bothDomain: string;
      let onlyADomain: string;
      let alice: string;

      before(async () => {
        t = await startTestApp(testBackends()[0]!, {
          env: { TESSERA_QUERY_TIMEOUT_MS: '5000', TESSERA_WAREHOUSE_DIR: 'memory' },
        });
        both = await leg.open(data, `${SCHEMA}${A_ROWS}${B_ROWS} analyze events; analyze notes;`);
        onlyA = await leg.open(data, `${SCHEMA}${A_ROWS} analyze events; analyze notes;`);
        const tables = ['events', 'notes', 'events_report'];
        const policies = tables.map((table) => [table, policy] as const);
        bothDomain = await policedDomain(t, {
          connection: { ...both.settings, name: 'both' },
          name: 'both',
          tables,
          policies,
        });
        onlyADomain = await policedDomain(t, {
          connection: { ...onlyA.settings, name: 'only_a' },
          name: 'only_a',
          tables,
          policies,
        });
        await maskNoteBodies(t, bothDomain);
        await maskNoteBodies(t, onlyADomain);
        alice = (
          await sessionFor(
            t,
            `alice@${leg.engine}.fattack.test`,
            [
              { roleId: ROLE_IDS.EXPLORER, scopes: [bothDomain] },
              { roleId: ROLE_IDS.EXPLORER, scopes: [onlyADomain] },
            ],
            [
              { key: 'tenant_id', value: 't_a' },
              { key: 'tenants', value: '["t_a"]' },
              { key: 'team', value: 'sales' },
            ],
          )
        ).token;
      });
      after(async () => {
        await t?.close();
        await both?.drop();
        await onlyA?.drop();
      });

      const differential = async (sql: string) => {
        const seen = outcome(await runQuery(t, alice, bothDomain, sql));
        const own = outcome(await runQuery(t, alice, onlyADomain, sql));
        assert.deepEqual(seen, own, `${sql}\nanswers differently when another tenant's rows exist`);
      };

      test('the latest-rows query answers with A rows alone', async () => {
        const r = await runQuery(
          t,
          alice,
          bothDomain,
          'select id from events order by created_at desc limit 50',
        );
        assert.deepEqual(r.result?.rows, [[3], [2], [1]]);
      });

      for (const sql of HOLDING) test(`holds: ${sql}`, () => differential(sql));
      for (const sql of VIEW_QUERIES) test(`view: ${sql}`, () => differential(sql));
      for (const sql of MASKED_QUERIES) {
        test(`masked: ${sql}`, async () => {
          await differential(sql);
          const r = await runQuery(t, alice, bothDomain, sql);
          assert.ok(r.result, JSON.stringify(r.body));
          assert.doesNotMatch(JSON.stringify(r.result.rows), /hello|world/);
        });
      }
    });
  }
}
