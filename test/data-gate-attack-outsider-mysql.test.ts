import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { rewriteQuery } from '../src/modules/query-gate/index.ts';
import { MYSQL_FUNCTIONS } from '../src/modules/query-gate/mysql/allowlist.ts';
import { ROLE_IDS } from '../src/modules/roles/roles.ts';
import { startTestApp, type TestApp } from './helpers/app.ts';
import { policedDomain, runQuery, sessionFor, settingsOf } from './helpers/data.ts';
import { createScratchMysqlDatabase, testBackends } from './helpers/databases.ts';
import { gateRequest } from './helpers/gate-warehouse.ts';

/**
 * MariaDB, attacked from outside the gate's own test lists, through `runQuery` over HTTP as a
 * non-admin user with a row policy:
 *
 * - a function name the server resolves to a stored function of the warehouse database instead
 *   of the built-in the allow-list means (a quoted name, or a name one server lacks), which runs
 *   with its definer's rights and reads every tenant's rows;
 * - a short query on which the gate's parser takes exponential time, stalling the process.
 */

const myUrl = process.env.TEST_MYSQL_URL;

test('every allow-listed MySQL function is printed with its name directly before its parenthesis', async () => {
  // With a space MariaDB reads `SUBSTRING (…)`, `NOW ()` as a call of a stored function.
  let printed = 0;
  for (const name of MYSQL_FUNCTIONS) {
    for (const sql of [`select ${name}(1)`, `select ${name} (1, 2)`, `select ${name}() over ()`]) {
      let out: string;
      try {
        out = (await rewriteQuery(gateRequest('mysql', sql))).sql;
      } catch {
        continue; // refused (wrong arity, a window function without OVER…): nothing runs
      }
      printed++;
      assert.match(out, new RegExp(`\\b${name}\\(`, 'i'), `${sql} printed as ${out}`);
    }
  }
  assert.ok(printed > MYSQL_FUNCTIONS.size / 2, `only ${printed} calls printed`);
});
const FOREIGN = 'FOREIGN_MARKER_B';

describe('MariaDB: stored functions by every spelling, parser blow-ups', { skip: !myUrl }, () => {
  let t: TestApp;
  let main: Awaited<ReturnType<typeof createScratchMysqlDatabase>>;
  let domainId: string;
  let alice: string;

  const raw = async (sql: string) => {
    const mysql = await import('mysql2/promise');
    const c = await mysql.createConnection({ uri: main.url, multipleStatements: true });
    try {
      return (await c.query(sql))[0] as Record<string, unknown>[];
    } finally {
      await c.end();
    }
  };

  before(async () => {
    main = await createScratchMysqlDatabase(myUrl!);
    // Stored functions a warehouse might hold (a REGEXP_LIKE shim ported from MySQL, names that
    // happen to match built-ins), each reading every tenant's rows with its definer's rights.
    const everyone = '(select group_concat(secret order by id) from orders)';
    await raw(
      `create table orders (id int primary key, tenant_id varchar(32) not null, secret varchar(64) not null);
       insert into orders values (1, 'A', 'mine_1'), (2, 'B', '${FOREIGN}'), (3, 'A', 'mine_3');
       create function \`substring\`(a text, b int, c int) returns text reads sql data sql security definer return ${everyone};
       create function \`regexp_like\`(a text, b text) returns text reads sql data sql security definer return ${everyone};
       create function \`now\`() returns text reads sql data sql security definer return ${everyone};
       create function \`left\`(a text, b int) returns text reads sql data sql security definer return ${everyone};
       create function \`if\`(a int, b text, c text) returns text reads sql data sql security definer return ${everyone};
       create function \`concat\`(a text, b text) returns text reads sql data sql security definer return ${everyone};`,
    );
    t = await startTestApp(testBackends()[0]!, {
      env: { TESSERA_QUERY_TIMEOUT_MS: '3000', TESSERA_WAREHOUSE_DIR: 'memory' },
    });
    domainId = await policedDomain(t, {
      connection: settingsOf('mysql', main.url),
      name: 'outsider',
      tables: ['orders'],
      policies: [['orders', "tenant_id = USER_ATTRIBUTE('tenant')"]],
    });
    alice = (
      await sessionFor(
        t,
        'alice@outsider.attack.test',
        [{ roleId: ROLE_IDS.EXPLORER, scopes: [domainId] }],
        [{ key: 'tenant', value: 'A' }],
      )
    ).token;
  });
  after(async () => {
    await t?.close();
    await main?.drop();
  });

  const run = (sql: string) => runQuery(t, alice, domainId, sql);
  const noForeign = (body: unknown, what: string) => {
    const text = JSON.stringify(body);
    assert.ok(!text.includes(FOREIGN), `${what}: ${text}`);
  };

  test('a function call never reaches a stored function of the warehouse', async () => {
    for (const sql of [
      // A quoted name is no built-in for the server: it resolves to the stored function.
      'select `substring`(secret, 1, 3) as s from orders',
      'select `now`() as s from orders',
      'select `left`(secret, 2) as s from orders',
      "select `if`(1, secret, 'x') as s from orders",
      "select `concat`(secret, 'x') as s from orders",
      'select id from orders where `substring`(secret, 1, 3) is not null',
      // MySQL has REGEXP_LIKE, MariaDB does not: there the name is the stored function's.
      "select regexp_like(secret, 'm') as s from orders",
      "select id from orders where regexp_like(secret, 'm') is not null",
    ]) {
      const r = await run(sql);
      noForeign(r.body, sql);
      assert.equal(r.code, 'QUERY_REFUSED', `${sql}: ${JSON.stringify(r.body)}`);
    }
  });

  test('the built-ins themselves still run, on the caller’s rows only', async () => {
    const r = await run(
      "select substring(secret, 1, 4) as a, left(secret, 2) as b, if(1, secret, 'x') as c, concat(secret, '!') as d from orders order by id",
    );
    assert.equal(r.code, undefined, JSON.stringify(r.body));
    assert.deepEqual(r.result?.rows, [
      ['mine', 'mi', 'mine_1', 'mine_1!'],
      ['mine', 'mi', 'mine_3', 'mine_3!'],
    ]);
    noForeign(r.body, 'built-ins');
  });

  test('a query the parser would take exponential time on is refused promptly', async () => {
    // Each nested CAST roughly doubles node-sql-parser's work: thirteen took about half a minute
    // of a blocked event loop, twenty would take hours.
    const bomb = `select ${'cast('.repeat(13)}secret${' as char)'.repeat(13)} as s from orders`;
    const r = await run(bomb);
    // Refused by the parse budget (a bounded number of bounded attempts), not by anything later.
    assert.equal(r.code, 'QUERY_REFUSED', JSON.stringify(r.body));
    assert.match(JSON.stringify(r.body), /too complex to parse in time/);
    // The process is not stalled and ordinary nesting still passes.
    const ok = await run(
      `select ${'cast('.repeat(4)}secret${' as char)'.repeat(4)} as s from orders order by id`,
    );
    assert.equal(ok.code, undefined, JSON.stringify(ok.body));
    assert.deepEqual(ok.result?.rows, [['mine_1'], ['mine_3']]);
  });
});
