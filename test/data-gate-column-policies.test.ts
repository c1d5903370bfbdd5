import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { ROLE_IDS } from '../src/modules/roles/roles.ts';
import { STATUS } from './helpers/api.ts';
import { startTestApp, type TestApp } from './helpers/app.ts';
import {
  createConnection,
  createDomain,
  policedDomain,
  runQuery,
  sessionFor,
  type Warehouse,
  warehouseLegs,
} from './helpers/data.ts';
import { testBackends } from './helpers/databases.ts';

/**
 * Column policies (docs/data-access.md "Column policies") through `runQuery` over HTTP: a masked
 * column is masked in every query shape, aggregates compute on the masked value, and a database
 * holding only the caller's rows with the masks already applied answers every query the same.
 */

// Letters outside a-f, so no hash (lowercase hex) can contain them by chance.
const WAREHOUSE_SQL = `
  create table people (id int primary key, tenant_id varchar(32) not null, name varchar(64) not null,
                       ssn varchar(64) not null, salary int not null);
  create table notes (id int primary key, person_id int not null, body varchar(64) not null);
  insert into people values (1, 't_a', 'Zed', '111-22-3333', 777001), (2, 't_a', 'Yul', '444-55-6666', 777002),
                            (3, 't_b', 'Xio', '777-88-9999', 777003);
  insert into notes values (1, 1, 'note_secret_1'), (2, 3, 'note_secret_3');
`;
/** What no query of Alice's may ever return (Bob's row aside, which the row policy hides). */
const SECRETS = ['111-22', '444-55', '777-88', '77700', 'Zed', 'Yul', 'Xio', 'note_secret', 't_b'];

const COLUMN_POLICY = `columnPolicy { table { schema name } column mask maskText maskExpression condition updatedTimestamp }`;

async function setColumnPolicy(t: TestApp, input: Record<string, unknown>) {
  const r = await t.gql(
    `mutation($input: SetColumnPolicyInput!) { setColumnPolicy(input: $input) { ${STATUS} ${COLUMN_POLICY} } }`,
    { input },
  );
  return r.body.data?.setColumnPolicy as { status: any; columnPolicy: any };
}

async function deleteColumnPolicy(t: TestApp, input: Record<string, unknown>) {
  const r = await t.gql(
    `mutation($input: DeleteColumnPolicyInput!) { deleteColumnPolicy(input: $input) { ${STATUS} } }`,
    { input },
  );
  return r.body.data?.deleteColumnPolicy as { status: any };
}

async function listColumnPolicies(t: TestApp, domainId: string) {
  const r = await t.gql(
    `query($id: ID!) { domain(id: $id) { columnPolicies { table { name } column mask maskText maskExpression condition } } }`,
    { id: domainId },
  );
  return r.body.data?.domain?.columnPolicies as unknown[];
}

const sha256 = (s: string) => createHash('sha256').update(s, 'utf8').digest('hex');

/** Queries whose answers must match the pre-masked database; each ordered for a stable answer. */
const DIFFERENTIAL = [
  'select * from people order by id',
  'select p.* from people p order by p.id',
  'select id, name, ssn, salary from people order by 1',
  'select count(*) as n, count(salary) as s, sum(salary) as total, max(ssn) as m from people',
  "select id from people where ssn = '111-22-3333' or ssn like '111%' or salary > 0 order by id",
  "select id from people where ssn = '3333' order by id",
  'select ssn, count(*) as n from people group by ssn order by ssn',
  'select upper(name) as u, length(ssn) as l from people order by id',
  'select p.id, n.body from people p join notes n on n.person_id = p.id order by p.id',
  'select id from people where ssn in (select ssn from people where id = 1) order by id',
  'select ssn as v from people union select body from notes order by v',
  'with x as (select * from people) select x.ssn, x.salary from x order by x.id',
  'select (select max(name) from people) as m',
  'select body, count(*) as n from notes group by body order by body',
  'select id from people order by salary, ssn desc, id',
];

const SHAPES = [
  ...DIFFERENTIAL,
  'select people.ssn from people',
  'select public_ssn from (select ssn as public_ssn from people) s',
  'select * from (select * from people) a natural join (select * from people) b',
  'select row(p.*)::text as r from people p',
  'select p::text as r from people p',
  'select coalesce(ssn, name) as c from people',
  "select case when ssn like '1%' then 'yes' else 'no' end as c from people",
  "select id from people where substr(ssn, 1, 3) = '111'",
  "select string_agg(ssn, ',') as s, array_agg(salary)::text as a from people",
  "select * from people where exists (select 1 from notes where notes.body like 'note%')",
  'select ssn from people intersect select ssn from people',
  'select ssn from people except select body from notes',
  'with recursive r(n) as (select 1 union all select n + 1 from r where n < 2) select ssn from people, r',
];

for (const leg of warehouseLegs()) {
  describe(`column policies (${leg.engine} warehouse)`, () => {
    const data = { data: () => t.app.services.data };
    let t: TestApp;
    let wh: Warehouse;
    let masked: Warehouse;
    let domainId: string;
    let maskedDomainId: string;
    let alice: string;
    let hannah: string;
    let aliceId: string;

    before(async () => {
      t = await startTestApp(testBackends()[0]!, {
        env: { TESSERA_QUERY_TIMEOUT_MS: '5000', TESSERA_WAREHOUSE_DIR: 'memory' },
      });
      wh = await leg.open(data.data, WAREHOUSE_SQL);
      domainId = await policedDomain(t, {
        connection: wh.settings,
        name: 'people',
        tables: ['people', 'notes'],
        policies: [['people', "tenant_id = USER_ATTRIBUTE('tenant_id')"]],
      });
      const hr = "USER_ATTRIBUTE('team') = 'hr'";
      for (const input of [
        {
          table: { name: 'people' },
          column: 'ssn',
          mask: 'EXPRESSION',
          maskExpression: 'LAST_4',
          condition: hr,
        },
        { table: { name: 'people' }, column: 'salary', mask: 'NULL', condition: hr },
        { table: { name: 'people' }, column: 'name', mask: 'HASH', condition: hr },
        { table: { name: 'people' }, column: 'tenant_id', mask: 'TEXT', maskText: 'tenant', condition: hr },
        // No row policy on notes: the column policy alone puts a wrapper around it.
        { table: { name: 'notes' }, column: 'body', mask: 'TEXT', maskText: 'redacted', condition: hr },
      ]) {
        const set = await setColumnPolicy(t, { domainId, ...input });
        assert.equal(set.status.code, 'OK', JSON.stringify(set.status));
      }
      // Alice's rows with her masks already applied, in a database of their own.
      masked = await leg.open(
        data.data,
        `create table people (id int primary key, tenant_id text, name text, ssn text, salary int);
         create table notes (id int primary key, person_id int not null, body text);
         insert into people values (1, 'tenant', '${sha256('Zed')}', '3333', null),
                                   (2, 'tenant', '${sha256('Yul')}', '6666', null);
         insert into notes values (1, 1, 'redacted'), (2, 3, 'redacted');`,
      );
      const maskedConn = await createConnection(t, { name: 'premasked', ...masked.settings });
      const maskedDomain = await createDomain(t, {
        name: 'premasked',
        connectionId: maskedConn.payload.connection.id,
        tables: [{ name: 'people' }, { name: 'notes' }],
      });
      maskedDomainId = maskedDomain.payload.domain.id;
      const explorer = (scopes: string[]) => [{ roleId: ROLE_IDS.EXPLORER, scopes }];
      const a = await sessionFor(t, `alice@${leg.engine}.colpol.test`, explorer([domainId, maskedDomainId]), [
        { key: 'tenant_id', value: 't_a' },
        { key: 'team', value: 'sales' },
      ]);
      alice = a.token;
      aliceId = a.userId;
      hannah = (
        await sessionFor(t, `hannah@${leg.engine}.colpol.test`, explorer([domainId]), [
          { key: 'tenant_id', value: 't_a' },
          { key: 'team', value: 'hr' },
        ])
      ).token;
    });
    after(async () => {
      await t?.close();
      await wh?.drop();
      await masked?.drop();
    });

    test('the column policies are listed on the domain', async () => {
      const list = await listColumnPolicies(t, domainId);
      assert.equal(list.length, 5);
      assert.deepEqual(list[0], {
        table: { name: 'notes' },
        column: 'body',
        mask: 'TEXT',
        maskText: 'redacted',
        maskExpression: null,
        condition: "USER_ATTRIBUTE('team') = 'hr'",
      });
    });

    test('every query shape sees the masked value, never the stored one', async () => {
      for (const sql of SHAPES) {
        const r = await runQuery(t, alice, domainId, sql);
        const text = JSON.stringify(r.body);
        if (r.code !== undefined) {
          // A refusal is safe too, as long as it echoes nothing stored.
          assert.ok(['QUERY_REFUSED', 'QUERY_FAILED'].includes(r.code), `${sql}: ${text}`);
        } else {
          assert.ok(r.result, `${sql}: ${text}`);
        }
        for (const secret of SECRETS) assert.ok(!text.includes(secret), `${sql} leaked ${secret}: ${text}`);
      }
    });

    test('the masks: hash, last 4, NULL (type kept), fixed text; aggregates on masked values', async () => {
      const r = await runQuery(t, alice, domainId, 'select * from people order by id');
      assert.deepEqual(
        r.result!.columns.map((c) => c.name),
        ['id', 'tenant_id', 'name', 'ssn', 'salary'],
      );
      assert.deepEqual(r.result!.rows, [
        [1, 'tenant', sha256('Zed'), '3333', null],
        [2, 'tenant', sha256('Yul'), '6666', null],
      ]);
      const agg = await runQuery(
        t,
        alice,
        domainId,
        'select sum(salary) as s, count(salary) as c from people',
      );
      assert.deepEqual(
        agg.result!.rows.map((row) => row.map((v) => (v === null ? null : String(v)))),
        [[null, '0']],
      );
    });

    test('the condition holding shows the stored values', async () => {
      const r = await runQuery(t, hannah, domainId, 'select name, ssn, salary from people order by id');
      assert.deepEqual(
        r.result!.rows.map((row) => row.map(String)),
        [
          ['Zed', '111-22-3333', '777001'],
          ['Yul', '444-55-6666', '777002'],
        ],
      );
      const sum = await runQuery(t, hannah, domainId, 'select sum(salary) as s from people');
      assert.equal(String(sum.result!.rows[0]![0]), '1554003');
    });

    test('differential: the gated answers equal those of a database holding only the masked rows', async () => {
      for (const sql of DIFFERENTIAL) {
        const gated = await runQuery(t, alice, domainId, sql);
        const direct = await runQuery(t, alice, maskedDomainId, sql);
        assert.ok(gated.result && direct.result, `${sql}: ${JSON.stringify([gated.body, direct.body])}`);
        const norm = (rows: unknown[][]) =>
          JSON.stringify(rows.map((row) => row.map((v) => (v === null ? null : String(v)))));
        assert.equal(norm(gated.result.rows), norm(direct.result.rows), sql);
      }
    });

    test('explainAccess names the masked columns', async () => {
      const r = await t.gql(
        `query($d: ID!, $u: ID!) { explainAccess(domainId: $d, sql: "select * from notes", userId: $u) {
          sql maskedColumns { schema name column mask condition } } }`,
        { d: domainId, u: aliceId },
      );
      const e = r.body.data!.explainAccess;
      assert.match(e.sql, /CASE WHEN/);
      assert.deepEqual(
        e.maskedColumns.map((m: { name: string; column: string; mask: string }) => [
          m.name,
          m.column,
          m.mask,
        ]),
        [['notes', 'body', 'TEXT']],
      );
    });

    test('bad column policies are refused with stable codes and change nothing', async () => {
      const before = await listColumnPolicies(t, domainId);
      const bad: [Record<string, unknown>, string][] = [
        [{ column: 'nope', mask: 'NULL', condition: 'true' }, 'column'],
        [{ column: 'ssn', mask: 'TEXT', condition: 'true' }, 'maskText'],
        [{ column: 'ssn', mask: 'NULL', maskText: 'x', condition: 'true' }, 'maskText'],
        [
          { column: 'ssn', mask: 'EXPRESSION', maskExpression: 'pg_read_file(ssn)', condition: 'true' },
          'maskExpression',
        ],
        [{ column: 'ssn', mask: 'EXPRESSION', condition: 'true' }, 'maskExpression'],
        [{ column: 'ssn', mask: 'NULL', condition: 'pg_sleep(1) is null' }, 'condition'],
        [{ column: 'ssn', mask: 'NULL', condition: 'true; drop table people' }, 'condition'],
        [
          { column: 'ssn', mask: 'NULL', condition: "USER_ATTRIBUTE('team') = 'hr' AND missing_col = 1" },
          'condition',
        ],
      ];
      for (const [input, field] of bad) {
        const r = await setColumnPolicy(t, { domainId, table: { name: 'people' }, ...input });
        assert.equal(r.status.code, 'ERROR', JSON.stringify(input));
        assert.equal(r.status.errorCode, 'BAD_USER_INPUT', JSON.stringify(r.status));
        assert.ok(
          r.status.problems.some((p: { field: string }) => p.field.startsWith(field)),
          `${JSON.stringify(input)}: ${JSON.stringify(r.status.problems)}`,
        );
      }
      const missing = await deleteColumnPolicy(t, { domainId, table: { name: 'people' }, column: 'id' });
      assert.equal(missing.status.errorCode, 'NOT_FOUND');
      assert.deepEqual(await listColumnPolicies(t, domainId), before);
    });

    test('changing a column policy applies on the next query (the rewrite cache follows it)', async () => {
      const sql = 'select ssn from notes n join people p on p.id = n.person_id';
      const first = await runQuery(t, alice, domainId, sql);
      assert.deepEqual(first.result!.rows, [['3333']]);
      const del = await deleteColumnPolicy(t, { domainId, table: { name: 'people' }, column: 'ssn' });
      assert.equal(del.status.code, 'OK', JSON.stringify(del.status));
      const open = await runQuery(t, alice, domainId, sql);
      assert.deepEqual(open.result!.rows, [['111-22-3333']]);
      const set = await setColumnPolicy(t, {
        domainId,
        table: { name: 'people' },
        column: 'ssn',
        mask: 'TEXT',
        maskText: '***',
        condition: "USER_ATTRIBUTE('team') = 'hr'",
      });
      assert.equal(set.status.code, 'OK', JSON.stringify(set.status));
      const again = await runQuery(t, alice, domainId, sql);
      assert.deepEqual(again.result!.rows, [['***']]);
    });
  });
}
