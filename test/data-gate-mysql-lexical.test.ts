import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ROLE_IDS } from '../src/modules/roles/roles.ts';
import { startTestApp, type TestApp } from './helpers/app.ts';
import { policedDomain, runQuery, sessionFor, settingsOf } from './helpers/data.ts';
import { createScratchMysqlDatabase, testBackends } from './helpers/databases.ts';
import { impersonate } from './helpers/sessions.ts';

/**
 * MariaDB: the classes of issue found by hostile testing, each in several shapes, through
 * `runQuery` over HTTP. Printer injection (a quoted token written back as raw SQL), text the gate's
 * parser and the server split differently (executable comments, `#`, `--x`, backslashes, character
 * set introducers…), and case/trailing-space-insensitive matches of attribute values. Another
 * tenant's marker must appear nowhere in a response, and a refusal must leave nothing run.
 */

const myUrl = process.env.TEST_MYSQL_URL;
const FOREIGN = ['FOREIGN_MARKER_B', 'FOREIGN_MARKER_C', 'OUTSIDE_MARKER'];

describe('MariaDB: printer injection, lexical disagreements, exact attribute matches', {
  skip: !myUrl,
}, () => {
  let t: TestApp;
  let main: Awaited<ReturnType<typeof createScratchMysqlDatabase>>;
  let outside: Awaited<ReturnType<typeof createScratchMysqlDatabase>>;
  let domainId: string;
  let alice: string;
  const email = 'alice@lexical.attack.test';

  const raw = async (url: string, sql: string) => {
    const mysql = await import('mysql2/promise');
    const c = await mysql.createConnection({ uri: url, multipleStatements: true });
    try {
      return (await c.query(sql))[0] as Record<string, unknown>[];
    } finally {
      await c.end();
    }
  };

  before(async () => {
    main = await createScratchMysqlDatabase(myUrl!);
    outside = await createScratchMysqlDatabase(myUrl!);
    await raw(
      main.url,
      `create table orders (id int primary key, tenant_id varchar(32) not null, secret varchar(64) not null,
         amount int not null, key (tenant_id)) charset utf8mb4 collate utf8mb4_general_ci;
       insert into orders values (1, 'B-SECRET-TENANT', 'mine_1', 10), (2, 'b-secret-tenant', 'FOREIGN_MARKER_B', 1000),
         (3, 'B-SECRET-TENANT ', 'FOREIGN_MARKER_C', 2000), (4, 'B-SECRET-TENANT', 'mine_2', 20);
       create table ledger (id int primary key, tenant_id varchar(32) not null, secret varchar(64) not null)
         charset utf8mb4 collate utf8mb4_general_ci;
       insert into ledger values (1, 'B-SECRET-TENANT', 'mine_1'), (2, 'b-secret-tenant', 'FOREIGN_MARKER_B');
       create table audit_trail (id int primary key, note varchar(64) not null);
       insert into audit_trail values (1, 'untouched');`,
    );
    await raw(
      outside.url,
      `create table secrets (id int, secret varchar(64)); insert into secrets values (1, 'OUTSIDE_MARKER')`,
    );
    t = await startTestApp(testBackends()[0]!, {
      env: { TESSERA_QUERY_TIMEOUT_MS: '3000', TESSERA_WAREHOUSE_DIR: 'memory' },
    });
    domainId = await policedDomain(t, {
      connection: settingsOf('mysql', main.url),
      name: 'lexical',
      tables: ['orders', 'ledger', 'audit_trail'],
      policies: [
        ['orders', "tenant_id = USER_ATTRIBUTE('tenant_id')"],
        ['ledger', "tenant_id IN (USER_ATTRIBUTE_STR_LIST('tenants'))"],
        ['audit_trail', "note = USER_ATTRIBUTE_STR('tenant_id')"],
      ],
    });
    alice = (
      await sessionFor(
        t,
        email,
        [{ roleId: ROLE_IDS.EXPLORER, scopes: [domainId] }],
        [
          { key: 'tenant_id', value: 'B-SECRET-TENANT' },
          { key: 'tenants', value: '["B-SECRET-TENANT"]' },
        ],
      )
    ).token;
  });
  after(async () => {
    await t?.close();
    await main?.drop();
    await outside?.drop();
  });

  const run = (sql: string, token = alice) => runQuery(t, token, domainId, sql);
  const noForeign = (body: unknown, what: string) => {
    const text = JSON.stringify(body);
    for (const marker of FOREIGN) assert.ok(!text.includes(marker), `${what}: ${text}`);
  };
  const state = async () =>
    JSON.stringify(
      await raw(
        main.url,
        'select (select count(*) from orders) o, (select count(*) from ledger) l, (select max(note) from audit_trail) n',
      ),
    );
  const other = () => outside.name;

  test('quoted tokens that the printer would write back raw cannot smuggle a table in', async () => {
    const before = await state();
    const injected = `union all select secret from ledger union all select secret from ${'OUTSIDE'}.secrets`;
    const shapes = [
      // COLLATE with every quoting style.
      `select secret from orders where secret collate \`utf8mb4_bin ${injected}\` is not null`,
      `select secret from orders where secret collate 'utf8mb4_bin ${injected} -- ' is not null`,
      `select secret from orders where secret collate "utf8mb4_bin ${injected}" is not null`,
      `select secret from orders order by secret collate \`utf8mb4_bin /*! ${injected} */\``,
      // The shape that reached another database before: an executable comment inside the name.
      "select secret from orders where secret = 'a' collate `utf8mb4_bin /*! union all select secret from OUTSIDE.secrets where 1 = 1 */`",
      "select secret from orders where secret collate `utf8mb4_bin /*! union all select secret from OUTSIDE.secrets where 1 */` = 'x'",
      `select secret collate \`utf8mb4_bin) ${injected} -- \` from orders`,
      // Names, aliases and strings holding SQL.
      `select secret as \`x\` from orders union all select \`secret\`\` from ledger -- \` from orders`,
      `select secret as \`s from ledger ${injected} -- \` from orders`,
      `select \`secret from ledger ${injected} -- \` from orders`,
      `select 'x'' ${injected} -- ' as s from orders`,
      // A string alias holding a backtick: printed between backticks as it stands.
      `select secret as 'x\` from orders ${injected} where \`' from orders`,
      `select o.secret from orders as o where 1 = (select 1 as 's\` from ledger ${injected} where \`')`,
      // Character set names the printer writes unquoted.
      `select convert(secret using \`utf8mb4) ${injected} -- \`) from orders`,
      `select cast(secret as char character set \`utf8mb4) ${injected} -- \`) from orders`,
    ].map((s) => s.replaceAll('OUTSIDE', other()));
    for (const sql of shapes) {
      const r = await run(sql);
      noForeign(r.body, sql);
      if (r.code === undefined) {
        // One row per own order, whatever the select list computes from it.
        assert.equal(r.result!.rowCount, 2, sql);
      } else {
        // Refused by the gate, or (a quoted name that is just a strange column name) failed on
        // the server with an error that names none of the hidden rows.
        assert.ok(['QUERY_REFUSED', 'ACCESS_DENIED', 'QUERY_FAILED'].includes(r.code), `${sql}: ${r.code}`);
        assert.equal(r.result, undefined, sql);
      }
    }
    assert.equal(await state(), before);
  });

  test('text the gate’s parser and the server read differently is refused before anything runs', async () => {
    const before = await state();
    const shapes = [
      'select id from orders /*! union all select id from ledger */',
      `select secret from orders /*!50000 union all select secret from OUTSIDE.secrets */`,
      `select secret from orders /*M! union all select secret from OUTSIDE.secrets */`,
      `select secret from orders /*M!100000 union all select secret from OUTSIDE.secrets */`,
      'select /*+ NO_MERGE(orders) */ secret from orders',
      'select secret from orders # union all select secret from ledger',
      'select secret from orders #\n union all select secret from ledger',
      'select 1--1 as x, secret from orders',
      'select secret from orders where id = 1--1',
      "select secret from orders where secret = 'a\\' union all select secret from ledger -- '",
      "select secret from orders where secret = 'x\\\\'",
      'select secret from orders /* a /* b */ union all select secret from ledger */',
      'select secret from orders /* unterminated',
      'select secret from orders -- x\r union all select secret from ledger',
      "select _latin1'x' as s, secret from orders",
      "select _binary 'x' as s, secret from orders",
      'select \\N, secret from orders',
      'select {fn concat(secret, secret)} from orders',
      'select secret from orders where id = 1e1x',
      'select secret from orders\u00a0union all select secret from ledger',
      'select secret from orders where secret = "x"',
      'select @@version, secret from orders',
      'select secret from orders; select secret from ledger',
      'select secret from orders where id = ?',
    ].map((s) => s.replaceAll('OUTSIDE', other()));
    for (const sql of shapes) {
      const r = await run(sql);
      assert.equal(r.code, 'QUERY_REFUSED', `${sql}: ${JSON.stringify(r.body)}`);
      assert.equal(r.result, undefined, sql);
      noForeign(r.body, sql);
    }
    assert.equal(await state(), before);
  });

  test('comments the server also reads as comments still work', async () => {
    for (const sql of [
      'select secret from orders -- a comment\n order by id',
      'select secret /* a comment */ from orders order by id',
      'select secret from orders --\n order by id',
      'select secret from orders order by id -- the end',
    ]) {
      const r = await run(sql);
      assert.equal(r.code, undefined, `${sql}: ${JSON.stringify(r.body.errors)}`);
      assert.deepEqual(r.result!.rows, [['mine_1'], ['mine_2']], sql);
    }
  });

  test('attribute values match byte for byte: no case folding, no trailing-space padding', async () => {
    await sessionFor(
      t,
      'mallory@lexical.attack.test',
      [{ roleId: ROLE_IDS.EXPLORER, scopes: [domainId] }],
      [],
    );
    // Each fixture row's tenant and marker: a user sees exactly the rows whose tenant is her value.
    const orders: [string, string, number][] = [
      ['B-SECRET-TENANT', 'mine_1', 10],
      ['b-secret-tenant', 'FOREIGN_MARKER_B', 1000],
      ['B-SECRET-TENANT ', 'FOREIGN_MARKER_C', 2000],
      ['B-SECRET-TENANT', 'mine_2', 20],
    ];
    const ledger: [string, string][] = [
      ['B-SECRET-TENANT', 'mine_1'],
      ['b-secret-tenant', 'FOREIGN_MARKER_B'],
    ];
    for (const value of ['b-secret-tenant', 'B-SECRET-TENANT ', 'b-SeCrEt-TeNaNt', ' B-SECRET-TENANT']) {
      const { token } = await impersonate(t, 'mallory@lexical.attack.test', {
        attributes: [
          { key: 'tenant_id', value },
          { key: 'tenants', value: JSON.stringify([value]) },
        ],
      });
      const own = orders.filter((o) => o[0] === value);
      const expectations: [string, unknown[][]][] = [
        ['select secret from orders order by id', own.map((o) => [o[1]])],
        ['select count(*), sum(amount) from orders', [[own.length, own.reduce((a, o) => a + o[2], 0)]]],
        ['select secret from ledger', ledger.filter((l) => l[0] === value).map((l) => [l[1]])],
        ['select note from audit_trail', []],
      ];
      for (const [sql, rows] of expectations) {
        const r = await run(sql, token!);
        assert.equal(r.code, undefined, `${sql}: ${JSON.stringify(r.body.errors)}`);
        const got = r.result!.rows.map((row) => row.map((v) => (sql.includes('count') ? Number(v) : v)));
        assert.deepEqual(got, rows, `${JSON.stringify(value)}: ${sql}`);
        assert.ok(!JSON.stringify(r.body).includes('mine_'), `${value}: ${sql}`);
      }
    }
    // The owner still sees exactly her rows, and the right aggregate.
    const mine = await run('select count(*), sum(amount) from orders');
    assert.deepEqual(
      mine.result!.rows.map((row) => row.map(Number)),
      [[2, 30]],
    );
    const ledgerRows = await run('select secret from ledger');
    assert.deepEqual(ledgerRows.result!.rows, [['mine_1']]);
  });

  test('the exact comparison still uses the index on the policy column', async () => {
    // Enough other tenants' rows that a scan costs more than the index lookup.
    await raw(
      main.url,
      `create table indexed_orders like orders;
       insert into indexed_orders with recursive s(n) as (select 1 union all select n + 1 from s where n < 400)
         select n, concat('tenant-', n), 'filler', n from s;
       analyze table indexed_orders`,
    );
    const { rewriteQuery } = await import('../src/modules/query-gate/index.ts');
    const rewritten = await rewriteQuery({
      dialect: 'mysql',
      sql: 'select id from indexed_orders',
      tables: [{ schema: main.name, name: 'indexed_orders', policy: "tenant_id = USER_ATTRIBUTE('t')" }],
      defaultSchema: main.name,
      user: { email, attributes: new Map([['t', 'tenant-7']]) },
      applyPolicies: true,
      requirePolicies: false,
    });
    assert.match(rewritten.sql, /CAST\(\? AS BINARY\)/);
    const mysql = await import('mysql2/promise');
    const c = await mysql.createConnection({ uri: main.url });
    try {
      const [plan] = await c.execute(`explain ${rewritten.sql}`, rewritten.params as string[]);
      const rows = plan as { table: string; key: string | null }[];
      assert.ok(
        rows.some((r) => r.key === 'tenant_id'),
        JSON.stringify(rows),
      );
      const [found] = await c.execute(rewritten.sql, rewritten.params as string[]);
      assert.deepEqual(found, [{ id: 7 }]);
    } finally {
      await c.end();
    }
  });
});
