import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ROLE_IDS } from '../src/modules/roles/roles.ts';
import { startTestApp, type TestApp } from './helpers/app.ts';
import { policedDomain, runQuery, sessionFor, type Warehouse, warehouseLegs } from './helpers/data.ts';
import { testBackends } from './helpers/databases.ts';

/**
 * PostgreSQL and PGlite: rows the policy did not produce, and functions reached by spellings
 * other than a plain call (attribute notation, casts to row types, operators, SRFs in FROM),
 * through `runQuery`. The warehouse holds functions that read every tenant's rows themselves
 * and, when they run, take a session advisory lock (which survives the read-only transaction's
 * rollback), so a refusal is also shown to have run nothing.
 */

const MARK = 'FOREIGN_MARKER';
const WAREHOUSE_SQL = `
  create table customers (id int primary key, tenant_id varchar(32) not null, name varchar(64) not null);
  create table orders (id int primary key, tenant_id varchar(32) not null, customer_id int not null,
    amount int not null, note varchar(64) not null);
  insert into customers values (1, 't_a', 'mine'), (2, 't_b', '${MARK}_customer');
  insert into orders values (1, 't_a', 1, 10, 'mine'), (2, 't_b', 2, 900000, '${MARK}_order');
  create function ran() returns boolean language plpgsql as
    $$ begin perform pg_advisory_lock(7701); return true; end $$;
  create function order_total(c customers) returns bigint language sql as
    $$ select sum(amount) from orders where ran() $$;
  create function notes(c customers) returns text language sql as
    $$ select string_agg(note, ',') from orders where ran() $$;
  create function notes_any(x anyelement) returns text language sql as
    $$ select string_agg(note, ',') from orders where ran() $$;
  create function notes_text(x text) returns text language sql as
    $$ select string_agg(note, ',') from orders where ran() $$;
  create function notes_int(x int) returns text language sql as
    $$ select string_agg(note, ',') from orders where ran() $$;
  create function all_orders(x int) returns setof orders language sql as
    $$ select * from orders where ran() $$;
  create function notes_op(a int, b varchar) returns text language sql as
    $$ select string_agg(note, ',') from orders where ran() $$;
  create operator + (leftarg = int, rightarg = varchar, function = notes_op);
  create function notes_ints(a int, b int) returns text language sql as
    $$ select string_agg(note, ',') from orders where ran() $$;
  create operator ### (leftarg = int, rightarg = int, function = notes_ints);
  create domain checked_text as text check (ran());
  create function notes_step(s text, x int) returns text language sql as
    $$ select string_agg(note, ',') from orders where ran() $$;
  create aggregate notes_agg(int) (sfunc = notes_step, stype = text);
`;

for (const leg of warehouseLegs().filter((l) => l.engine !== 'mysql')) {
  describe(`forged rows and functions by every spelling (${leg.engine} warehouse)`, () => {
    const data = { data: () => t.app.services.data };
    let t: TestApp;
    let wh: Warehouse;
    let domainId: string;
    let alice: string;

    before(async () => {
      t = await startTestApp(testBackends()[0]!, {
        env: { TESSERA_QUERY_TIMEOUT_MS: '3000', TESSERA_WAREHOUSE_DIR: 'memory' },
      });
      wh = await leg.open(data.data, WAREHOUSE_SQL);
      domainId = await policedDomain(t, {
        connection: wh.settings,
        name: 'shop',
        tables: ['customers', 'orders'],
        policies: ['customers', 'orders'].map(
          (table) => [table, "tenant_id = USER_ATTRIBUTE('tenant_id')"] as const,
        ),
      });
      const email = `alice@${leg.engine}.forged.test`;
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
    const functionsRan = async () =>
      Number(
        (
          await wh.raw(
            "select count(*) as n from pg_locks where locktype = 'advisory' and objid = 7701 and granted",
          )
        )[0]!.n,
      );
    const noForeignValue = (sql: string, body: unknown) => {
      const text = JSON.stringify(body);
      assert.ok(
        !text.includes(MARK) && !text.includes('900000') && !text.includes('900010'),
        `${sql}: ${text}`,
      );
    };

    test('the warehouse functions do read other tenants’ rows when called directly', async () => {
      // The premise of this suite: were any of these calls to run, it would leak and be seen.
      const rows = await wh.raw("select notes_text('x') as n");
      assert.ok(String(rows[0]!.n).includes(MARK));
      await wh.raw('select pg_advisory_unlock_all()');
      assert.equal(await functionsRan(), 0);
    });

    const refused: string[] = [
      // forged composite rows: row constructors and text literals cast to a table's row type
      "select ('(2,t_b,x)'::customers).order_total",
      "select ('(2,t_b,x)'::public.customers).notes",
      "select (row(2, 't_b', 'x')::public.customers).order_total",
      "select (cast(row(2, 't_b', 'x') as customers)).notes",
      "select (row(1, 't_a', 'x')::customers).*",
      "select jsonb_populate_record(null::customers, '{}')",
      "select id from customers where (customers.*)::text = '(2,t_b,x)'::customers::text",
      // calls to user functions, however spelled
      'select order_total(c) from customers c',
      'select public.order_total(c) from customers c',
      'select c.id from customers c where c.id = any (select public.notes_int(c.id)::int)',
      'select * from all_orders(1)',
      'select * from public.all_orders(1)',
      'select * from rows from (all_orders(1)) x',
      'select o.id from customers c, lateral all_orders(c.id) o',
      'select notes_agg(amount) from orders',
      // printed as `1.notes_int`, which does not parse back to the same tree
      'select (1).notes_int',
      'select 1 operator(public.###) 2',
      "select 1 operator(public.+) 'x'",
      // casts to types whose input or checks run code
      "select 'x'::checked_text",
      "select 'x'::public.checked_text",
      "select cast('x' as public.checked_text)",
      // attribute notation onto built-ins that read more than their argument
      "select ('select note from orders').ts_stat",
      'select (c.name).ts_stat from customers c',
      "select ('/etc/passwd').pg_read_file",
      "select ('public.orders').to_regclass",
      "select ('tessera.x').current_setting",
      'select (1).pg_advisory_lock',
      // number literals another server version would split differently
      'select 1_000.5',
      'select 0xFFFFFFFFFFFFFFFFFF',
    ];

    test('forged rows, user functions and catalog calls by other spellings are refused, and nothing runs', async () => {
      for (const sql of refused) {
        const r = await run(sql);
        assert.equal(r.code, 'QUERY_REFUSED', `${sql}: ${JSON.stringify(r.body)}`);
        assert.equal(r.result, undefined, sql);
        noForeignValue(sql, r.body);
      }
      assert.equal(await functionsRan(), 0);
    });

    // Accepted by the gate (they look like columns); the server finds no column and, with the
    // search path pinned to pg_catalog, no user function either: an error naming the column.
    const failing: string[] = [
      'select c.order_total from customers c',
      'select (c).order_total from customers c',
      'select c.notes from customers c',
      'select c.notes_any from customers c',
      'select (c.name).notes_text from customers c',
      'select (c.id).notes_int from customers c',
      'select (o.customer_id).notes_int from orders o',
      "select (row(1, 't_a', 'x')).order_total",
      "select ('x'::text).notes_text",
      'select 1 ### 2',
      'select x.notes_int from generate_series(1, 1) x',
      "select u.notes_text from unnest(array['a']) u",
      'select c.id + c.name from customers c',
      'select customers.order_total from customers',
      'select w.order_total from (select * from customers) w',
      'with w as (select * from customers) select w.notes from w',
    ];

    test('attribute notation onto user functions reaches no function: the column is not found', async () => {
      for (const sql of failing) {
        const r = await run(sql);
        assert.equal(r.code, 'QUERY_FAILED', `${sql}: ${JSON.stringify(r.body)}`);
        noForeignValue(sql, r.body);
      }
      assert.equal(await functionsRan(), 0);
    });

    test('whole-row values, row constructors and harmless built-ins see the caller’s rows only', async () => {
      const cases: [string, unknown[][]][] = [
        ['select sum(amount) from orders', [['10']]],
        ['select count(*) from customers c where c.name collate "C" > \'\'', [['1']]],
        ['select customers::text from customers', [['(1,t_a,mine)']]],
        ['select (c).name from customers c', [['mine']]],
        ['select (c).* from customers c', [[1, 't_a', 'mine']]],
        ['select c.row_to_json::text from customers c', [['{"id":1,"tenant_id":"t_a","name":"mine"}']]],
        ["select (row(1, 'x'::text)).f2", [['x']]],
        ['select (c.name).length from customers c', [[4]]],
        ['select count(*) from orders o where o.customer_id = any (select id from customers)', [['1']]],
        ['select n from generate_series(1, 2) n order by 1', [[1], [2]]],
        ['select o.id from customers c, lateral (select * from orders where customer_id = c.id) o', [[1]]],
        ['select x.id from rows from (unnest(array[1])) x(id)', [[1]]],
      ];
      for (const [sql, rows] of cases) {
        const r = await run(sql);
        assert.equal(r.code, undefined, `${sql}: ${JSON.stringify(r.body.errors)}`);
        assert.deepEqual(r.result!.rows, rows, sql);
        noForeignValue(sql, r.body);
      }
      assert.equal(await functionsRan(), 0);
    });

    test('lexical variants mean to the server what they meant to the parser', async () => {
      const cases: [string, unknown[][]][] = [
        ["select 'a\\' as s", [['a\\']]],
        ["select E'a\\'b' as s", [["a'b"]]],
        ["select U&'d!0061t' uescape '!' as s", [['dat']]],
        ["select U&'\\0061' as s", [['a']]],
        ["select $q$it's$q$ as s", [["it's"]]],
        ["select /* nested /* ' */ union select note from orders -- */ 'x' as s", [['x']]],
        ['select "name" from customers', [['mine']]],
        ['select U&"\\006Eame" from customers', [['mine']]],
      ];
      for (const [sql, rows] of cases) {
        const r = await run(sql);
        assert.equal(r.code, undefined, `${sql}: ${JSON.stringify(r.body.errors)}`);
        assert.deepEqual(r.result!.rows, rows, sql);
        noForeignValue(sql, r.body);
      }
    });
  });
}
