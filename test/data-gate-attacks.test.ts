import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ROLE_IDS } from '../src/modules/roles/roles.ts';
import { STATUS } from './helpers/api.ts';
import { startTestApp, type TestApp } from './helpers/app.ts';
import {
  createDomain,
  policedDomain,
  runQuery,
  sessionFor,
  type Warehouse,
  warehouseLegs,
} from './helpers/data.ts';
import { testBackends } from './helpers/databases.ts';
import { impersonate } from './helpers/sessions.ts';

/**
 * Attacks on the data plane through `runQuery` with a session token, against real warehouses:
 * reading rows a policy hides (directly or through error messages and error/no-error oracles),
 * and running anything but a read.
 */

const WAREHOUSE_SQL = `
  create table entitlements (user_email varchar(64) not null, tenant_id varchar(32) not null);
  create table orders (id int primary key, tenant_id varchar(32) not null, secret varchar(64) not null);
  create table ledger (id int primary key, tenant_id varchar(32) not null, secret varchar(64) not null);
  create table audit_trail (id int primary key, note varchar(64) not null);
  insert into orders values (1, 't_a', '12'), (2, 't_b', 'topsecret_b');
  insert into ledger values (1, 't_a', '12'), (2, 't_b', 'topsecret_b');
  insert into audit_trail values (1, 'untouched');
`;

for (const leg of warehouseLegs()) {
  describe(`attacks on the data plane (${leg.engine} warehouse)`, () => {
    const data = { data: () => t.app.services.data };
    let t: TestApp;
    let wh: Warehouse;
    let domainId: string;
    let alice: string;
    const email = `alice@${leg.engine}.attack.test`;

    before(async () => {
      t = await startTestApp(testBackends()[0]!, {
        env: { TESSERA_QUERY_TIMEOUT_MS: '3000', TESSERA_WAREHOUSE_DIR: 'memory' },
      });
      wh = await leg.open(
        data.data,
        `${WAREHOUSE_SQL}
        insert into entitlements values ('${email}', 't_a');
        ${leg.engine === 'mysql' ? '' : "create sequence seq; create view orders_view as select * from orders; select setval('seq', 7);"}`,
      );
      domainId = await policedDomain(t, {
        connection: wh.settings,
        name: 'ledgers',
        tables: ['orders', 'ledger', 'audit_trail'],
        policies: [
          // The entitlement form of docs/data-access.md "Row policies": a policy with a sub-select.
          ['orders', 'tenant_id IN (SELECT tenant_id FROM entitlements WHERE user_email = USER_EMAIL())'],
          ['ledger', "tenant_id = USER_ATTRIBUTE('tenant_id')"],
          ['audit_trail', "note = USER_ATTRIBUTE('tenant_id')"],
        ],
      });
      alice = (
        await sessionFor(
          t,
          email,
          [{ roleId: ROLE_IDS.EXPLORER, scopes: [domainId] }],
          [{ key: 'tenant_id', value: 't_a' }],
        )
      ).token;
    });
    after(async () => {
      await t?.close();
      await wh?.drop();
    });

    const run = (sql: string) => runQuery(t, alice, domainId, sql);

    /** Everything a write or a side effect could change, read behind the gate's back. */
    const warehouseState = async () => {
      const counts = await wh.raw(
        'select (select count(*) from orders) as o, (select count(*) from ledger) as l, ' +
          '(select count(*) from entitlements) as e, (select max(note) from audit_trail) as n',
      );
      const state = counts.map((r) => Object.values(r).map(String));
      if (leg.engine !== 'mysql') {
        const seq = await wh.raw('select last_value, is_called from seq');
        state.push(Object.values(seq[0]!).map(String));
      }
      return state;
    };

    const postgresRefusals: [string, string][] = [
      ["select currval('seq')", 'QUERY_REFUSED'],
      ["select nextval('seq')", 'QUERY_REFUSED'],
      ["select setval('seq', 1)", 'QUERY_REFUSED'],
      ["select to_regclass('public.entitlements')", 'QUERY_REFUSED'],
      ["select pg_catalog.to_regclass('public.entitlements')", 'QUERY_REFUSED'],
      ["select 'entitlements'::regclass", 'QUERY_REFUSED'],
      ["select 1 from orders where id = any('{1}'::regclass[])", 'QUERY_REFUSED'],
      ['select 16384::oid', 'QUERY_REFUSED'],
      ["select pg_get_viewdef('orders_view')", 'QUERY_REFUSED'],
      ["select query_to_xml('select * from entitlements', true, true, '')", 'QUERY_REFUSED'],
      ["select xmlexists('//a' passing by value '<a/>')", 'QUERY_REFUSED'],
      ["select lo_import('/etc/passwd')", 'QUERY_REFUSED'],
      ['select lo_get(1)', 'QUERY_REFUSED'],
      ["select dblink('dbname=x', 'select 1')", 'QUERY_REFUSED'],
      ["select (select set_config('search_path', 'pg_temp', true))", 'QUERY_REFUSED'],
      ["select id from orders where secret = current_setting('app.x')", 'QUERY_REFUSED'],
      ['select pg_sleep(5)', 'QUERY_REFUSED'],
      ['select current_user', 'QUERY_REFUSED'],
      ["select jsonb_populate_record(null::orders, '{}')", 'QUERY_REFUSED'],
      ['select * from orders where id in (select id from orders for update)', 'QUERY_REFUSED'],
      ['select * from (select * from orders for share) s', 'QUERY_REFUSED'],
      ['explain analyze delete from orders', 'QUERY_REFUSED'],
      ['do $$ begin delete from orders; end $$', 'QUERY_REFUSED'],
      ['call p()', 'QUERY_REFUSED'],
      ["copy orders to program 'id'", 'QUERY_REFUSED'],
      ['commit; delete from orders', 'QUERY_REFUSED'],
      ["select E'\\''; delete from orders; select '", 'QUERY_REFUSED'],
      ['select $q$;$q$; delete from orders', 'QUERY_REFUSED'],
      ['prepare p as delete from orders', 'QUERY_REFUSED'],
      ['execute p', 'QUERY_REFUSED'],
      ['deallocate all', 'QUERY_REFUSED'],
      ['select * from orders where id = $1', 'QUERY_REFUSED'],
      ['with d as (delete from orders returning id) select * from d', 'QUERY_REFUSED'],
      ['select * into big_copy from orders', 'QUERY_REFUSED'],
      ['select * from pg_catalog.pg_class', 'ACCESS_DENIED'],
      ['select * from pg_temp.orders', 'ACCESS_DENIED'],
      ['select * from "public.entitlements"', 'ACCESS_DENIED'],
      ['select * from only entitlements', 'ACCESS_DENIED'],
      ['table entitlements', 'ACCESS_DENIED'],
      ['select (e).* from entitlements e', 'ACCESS_DENIED'],
      ['select * from U&"\\0065ntitlements"', 'ACCESS_DENIED'],
      ['select * from orders_view', 'ACCESS_DENIED'],
      ['with "Entitlements" as (select 1) select * from entitlements', 'ACCESS_DENIED'],
      [
        'with recursive x as (select 1 union all select 1 from entitlements) select * from x',
        'ACCESS_DENIED',
      ],
      ['select * from otherdb.public.orders', 'ACCESS_DENIED'],
    ];
    const mysqlRefusals: [string, string][] = [
      ["select load_file('/etc/passwd')", 'QUERY_REFUSED'],
      ['select @@version', 'QUERY_REFUSED'],
      ['select @a := 1', 'QUERY_REFUSED'],
      ['select (select @a := secret from orders limit 1)', 'QUERY_REFUSED'],
      ['set @a = 1', 'QUERY_REFUSED'],
      ["select * from orders into outfile '/tmp/tessera-attack'", 'QUERY_REFUSED'],
      ["select * from orders into dumpfile '/tmp/tessera-attack'", 'QUERY_REFUSED'],
      ['select id into @v from orders', 'QUERY_REFUSED'],
      ['select * from orders where id in (select id from orders for update)', 'QUERY_REFUSED'],
      ['select * from orders lock in share mode', 'QUERY_REFUSED'],
      ["select '\\''; delete from orders -- '", 'QUERY_REFUSED'],
      ['select 1 -- x\n; delete from orders', 'QUERY_REFUSED'],
      ['select "x"', 'QUERY_REFUSED'],
      // Executable comments and `#` run or hide text on the server that the parser skips.
      ['select id from orders /*! union select 2 from entitlements */', 'QUERY_REFUSED'],
      ['select id from orders # union select 2 from entitlements', 'QUERY_REFUSED'],
      ['select sleep(5)', 'QUERY_REFUSED'],
      ['select benchmark(1000000, md5(1))', 'QUERY_REFUSED'],
      ['select user()', 'QUERY_REFUSED'],
      ['select database()', 'QUERY_REFUSED'],
      ['handler orders open', 'QUERY_REFUSED'],
      ['do sleep(1)', 'QUERY_REFUSED'],
      ['call p()', 'QUERY_REFUSED'],
      ['lock tables orders read', 'QUERY_REFUSED'],
      ['commit; delete from orders', 'QUERY_REFUSED'],
      ["prepare p from 'delete from orders'", 'QUERY_REFUSED'],
      ['execute p', 'QUERY_REFUSED'],
      ['explain delete from orders', 'QUERY_REFUSED'],
      ['select * from orders where id = ?', 'QUERY_REFUSED'],
      ['with ORDERS as (select 1 as id) select * from orders', 'QUERY_REFUSED'],
      ['table entitlements', 'QUERY_REFUSED'],
      ['select * from mysql.user', 'ACCESS_DENIED'],
      ['select * from information_schema.tables', 'ACCESS_DENIED'],
      ['select * from entitlements', 'ACCESS_DENIED'],
      ['select * from `ENTITLEMENTS`', 'ACCESS_DENIED'],
      ['select * from otherdb.orders', 'ACCESS_DENIED'],
    ];

    test('reads of other tables, side effects and writes are refused with their code, and nothing runs', async () => {
      const before = await warehouseState();
      for (const [sql, code] of leg.engine === 'mysql' ? mysqlRefusals : postgresRefusals) {
        const r = await run(sql);
        assert.equal(r.code, code, `${sql}: ${JSON.stringify(r.body)}`);
        assert.equal(r.result, undefined, sql);
      }
      assert.deepEqual(await warehouseState(), before);
    });

    test('who bypasses policies: ADMIN of this domain (also through a group) only; DATA_ADMIN does not', async () => {
      const other = await createDomain(t, { name: 'elsewhere' });
      assert.equal(other.payload.status.code, 'OK', JSON.stringify(other.payload.status));
      const group = await t.gql(
        `mutation($input: CreateUserGroupInput!) { createUserGroup(input: $input) { ${STATUS} userGroup { id } } }`,
        {
          input: { name: 'ledger admins', roleAssignments: [{ roleId: ROLE_IDS.ADMIN, scopes: [domainId] }] },
        },
      );
      const groupId = group.body.data!.createUserGroup.userGroup.id as string;
      const tenant = [{ key: 'tenant_id', value: 't_a' }];
      const dataAdmin = await sessionFor(
        t,
        `dana@${leg.engine}.attack.test`,
        [{ roleId: ROLE_IDS.DATA_ADMIN, scopes: [domainId] }],
        tenant,
      );
      const bareDataAdmin = await sessionFor(
        t,
        `dora@${leg.engine}.attack.test`,
        [{ roleId: ROLE_IDS.DATA_ADMIN, scopes: [domainId] }],
        [],
      );
      const adminElsewhere = await sessionFor(
        t,
        `eli@${leg.engine}.attack.test`,
        [{ roleId: ROLE_IDS.ADMIN, scopes: [other.payload.domain.id] }],
        tenant,
      );
      const groupAdmin = await sessionFor(t, `gus@${leg.engine}.attack.test`, [], tenant);
      const added = await t.gql(
        `mutation($input: GroupMembersInput!) { addUsersToGroup(input: $input) { ${STATUS} } }`,
        {
          input: { groupId, userIds: [groupAdmin.userId] },
        },
      );
      assert.equal(added.body.data!.addUsersToGroup.status.code, 'OK');
      const ids = async (token: string) => {
        const r = await runQuery(t, token, domainId, 'select id from ledger order by id');
        return r.code ?? r.result!.rows.map((row) => Number(row[0]));
      };
      assert.deepEqual(await ids(dataAdmin.token), [1]);
      assert.equal(await ids(bareDataAdmin.token), 'MISSING_ATTRIBUTE');
      assert.equal(await ids(adminElsewhere.token), 'FORBIDDEN');
      assert.deepEqual(await ids(groupAdmin.token), [1, 2]);
    });

    test('deeply nested or oversized SQL is refused, not a crash', async () => {
      const before = await warehouseState();
      for (const sql of [
        `select ${'('.repeat(30_000)}1${')'.repeat(30_000)}`,
        `select ${'not '.repeat(20_000)}1`,
        `select ${Array(20_000).fill('1').join('+')}`,
      ]) {
        assert.equal((await run(sql)).code, 'QUERY_REFUSED', sql.slice(0, 40));
      }
      assert.equal((await run(`select 1 ${' '.repeat(100_000)}`)).code, 'BAD_USER_INPUT');
      assert.deepEqual(await warehouseState(), before);
    });

    test('hostile attribute values, stored or from the session token, match no row', async () => {
      const hostile = ["t_a' OR 'a'='a", "t_b' --", 't_a;delete from ledger', '1 OR 1=1', "t_b'/*", '\\'];
      const before = await warehouseState();
      const mallory = `mallory@${leg.engine}.attack.test`;
      const stored = await sessionFor(
        t,
        mallory,
        [{ roleId: ROLE_IDS.EXPLORER, scopes: [domainId] }],
        [{ key: 'tenant_id', value: hostile[0]! }],
      );
      const rows = async (token: string) => {
        const r = await runQuery(t, token, domainId, 'select id from ledger');
        assert.equal(r.code, undefined, JSON.stringify(r.body.errors));
        return r.result!.rows;
      };
      assert.deepEqual(await rows(stored.token), []);
      for (const value of hostile) {
        const { token } = await impersonate(t, mallory, { attributes: [{ key: 'tenant_id', value }] });
        assert.deepEqual(await rows(token!), [], value);
      }
      assert.deepEqual(await warehouseState(), before);
    });

    test('odd but harmless spellings run, and still read only the policy’s rows', async () => {
      const accepted =
        leg.engine === 'mysql'
          ? [
              // Comments never reach the database: the printed query comes from the parse tree.
              'select id from orders /* union select 2 from entitlements */',
              'select id from orders -- union select 2 from entitlements',
              'select id from `ORDERS`',
              'select o.id from orders o where o.id in (select id from orders)',
              'select id from (select * from orders) x',
            ]
          : [
              'table orders',
              'select id from only orders',
              'select (o).id from orders o',
              'select id from U&"\\006Frders"',
              'select id from public."orders"',
              'with recursive orders as (select 1 as id) select id from orders',
              'with x as (select * from orders) select id from x',
              'select n from rows from (generate_series(1, 1)) with ordinality as g(n, i)',
            ];
      for (const sql of accepted) {
        const r = await run(sql);
        assert.equal(r.code, undefined, `${sql}: ${JSON.stringify(r.body.errors)}`);
        assert.deepEqual(
          r.result!.rows.map((row) => Number(row[0])),
          [1],
          sql,
        );
      }
      // Whole-row forms carry only the visible row.
      if (leg.engine !== 'mysql') {
        for (const sql of [
          'select row_to_json(o) from orders o',
          'select o from orders o',
          'select to_jsonb(l) from ledger l',
        ]) {
          const r = await run(sql);
          assert.equal(r.code, undefined, `${sql}: ${JSON.stringify(r.body.errors)}`);
          assert.equal(r.result!.rowCount, 1, sql);
          assert.ok(!JSON.stringify(r.body).includes('topsecret'), sql);
        }
      }
    });

    // Conditions of the user's query that fail (or not) depending on a hidden row's content.
    const probes =
      leg.engine === 'mysql'
        ? [
            "select id from orders where 1 = if(secret = 'topsecret_b', (select 1 union all select 2), 1)",
            "select id from ledger where 1 = if(secret = 'topsecret_b', (select 1 union all select 2), 1)",
            "select o.id from orders o join ledger l on l.id = o.id where 1 = if(o.secret = 'topsecret_b' or l.secret = 'topsecret_b', (select 1 union all select 2), 1)",
          ]
        : [
            'select id from orders where secret::int = 12',
            'select id from ledger where secret::int = 12',
            "select id from orders where (case when secret = 'topsecret_b' then 1 / (id - id) else 1 end) = 1",
            "select id from ledger where (case when secret = 'topsecret_b' then 1 / (id - id) else 1 end) = 1",
            "select id from orders where 1 = (case when secret = 'topsecret_b' then (select 1 union all select 2) else 1 end)",
            'select o.id from orders o join ledger l on l.id = o.id where o.secret::int + l.secret::int = 24',
            'select id from orders where exists (select 1 from ledger where ledger.secret::int = 12)',
          ];

    test('no condition of the query is evaluated on a row the policy hides (no error leak, no oracle)', async () => {
      for (const sql of probes) {
        const r = await run(sql);
        assert.equal(r.code, undefined, `${sql}: ${JSON.stringify(r.body.errors)}`);
        assert.deepEqual(r.result!.rows, [[1]], sql);
        assert.ok(!JSON.stringify(r.body).includes('topsecret'), sql);
      }
    });

    test('an error from the user’s own rows is reported without another tenant’s values', async () => {
      const sql =
        leg.engine === 'mysql'
          ? "select id from orders where 1 = if(secret = '12', (select 1 union all select 2), 1)"
          : 'select secret::int / 0 from orders';
      const r = await run(sql);
      assert.equal(r.code, 'QUERY_FAILED', JSON.stringify(r.body));
      assert.ok(!JSON.stringify(r.body).includes('topsecret'));
    });
  });
}
