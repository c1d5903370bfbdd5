import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { parse } from 'csv-parse/sync';
import { ROLE_IDS } from '../src/modules/roles/roles.ts';
import { STATUS } from './helpers/api.ts';
import { startTestApp, type TestApp } from './helpers/app.ts';
import { createDashboard, exportCsv, tileResult } from './helpers/dashboards.ts';
import {
  createConnection,
  createDomain,
  runQuery,
  sessionFor,
  setRowPolicy,
  type Warehouse,
  warehouseLegs,
} from './helpers/data.ts';
import { testBackends } from './helpers/databases.ts';

/**
 * A column policy (docs/data-access.md "Column policies") seen through every dashboard path:
 * tile results, previews, filter options, CSV exports, `runQuery`, `explainAccess`, aggregates
 * over the masked column, and the tile result cache (docs/dashboards.md "The result cache") with
 * two users whose row policies bind the same values but whose mask outcomes differ.
 */

// Names with capitals no mask, id or hash can contain, so a leak is found by plain text search.
const WAREHOUSE_SQL = `
  create table customers (id int primary key, tenant_id varchar(32) not null, name varchar(64) not null);
  create table orders (id int primary key, tenant_id varchar(32) not null, customer_id int not null, amount int not null);
  insert into customers values (1, 't_a', 'Zed Quill'), (2, 't_a', 'Yul Vance'), (3, 't_a', 'Xio Kemp'),
    (4, 't_b', 'Wren Ode');
  insert into orders values (10, 't_a', 1, 100), (11, 't_a', 1, 200), (12, 't_a', 2, 300), (13, 't_a', 3, 400),
    (20, 't_b', 4, 1000);
`;
const NAMES = ['Zed Quill', 'Yul Vance', 'Xio Kemp', 'Wren Ode'];
const HIDDEN = '(hidden)';
const TENANT = "tenant_id = USER_ATTRIBUTE('tenant_id')";
const CONDITION = "USER_ATTRIBUTE('pii') = 'allowed'";

const tile = (id: string, sql: string, visualization = 'TABLE') => ({
  id,
  title: id,
  sql,
  visualization,
  position: { x: 0, y: 0, w: 6, h: 3 },
});
const TILES = [
  tile('names', 'select id, name from customers order by id'),
  tile(
    'distinct_names',
    'select count(distinct name) as n, min(name) as first, max(length(name)) as longest from customers',
    'NUMBER',
  ),
  tile(
    'orders_by_name',
    'select c.name, count(*) as orders, sum(o.amount) as total from orders o join customers c on c.id = o.customer_id group by c.name order by c.name',
    'BAR',
  ),
  tile('named', 'select count(*) as n from customers where name = {{customer}}', 'NUMBER'),
  tile('named_any', 'select count(*) as n from customers where name in ({{customers}})', 'NUMBER'),
];
const FILTERS = [
  {
    id: 'customer',
    label: 'Customer',
    type: 'SINGLE_SELECT',
    optionsSql: 'select distinct name from customers order by name',
  },
  {
    id: 'customers',
    label: 'Customers',
    type: 'MULTI_SELECT',
    optionsSql: 'select name from customers order by name',
  },
];

const OPTIONS = `query($d: ID!, $f: ID!) { dashboardFilterOptions(dashboardId: $d, filterId: $f) { values truncated } }`;
const PREVIEW = `query($d: ID!, $tile: DashboardTileInput!) {
  dashboardTilePreview(dashboardId: $d, tile: $tile) { columns { name } rows cached }
}`;
const EXPLAIN = `query($d: ID!, $u: ID!, $sql: String!) { explainAccess(domainId: $d, sql: $sql, userId: $u) {
  sql params attributesUsed maskedColumns { name column mask condition } } }`;

const cells = (rows: unknown[][]) => rows.map((row) => row.map((v) => (v === null ? null : String(v))));
const direct = (rows: Record<string, unknown>[]) => cells(rows.map((r) => Object.values(r)));

for (const leg of warehouseLegs()) {
  describe(`column policies on dashboards (${leg.engine} warehouse)`, () => {
    const data = { data: () => t.app.services.data };
    let t: TestApp;
    let wh: Warehouse;
    let domainId: string;
    let dashboardId: string;
    let cachedId: string;
    const users: Record<string, { userId: string; token: string }> = {};

    /** The customers as `pii` decides, straight from the warehouse: the mask written out by hand. */
    const customersFor = (pii: string) =>
      `(select id, tenant_id, case when '${pii}' = 'allowed' then name else '${HIDDEN}' end as name from customers)`;

    before(async () => {
      t = await startTestApp(testBackends()[0]!, { env: { TESSERA_WAREHOUSE_DIR: 'memory' } });
      wh = await leg.open(data.data, WAREHOUSE_SQL);
      const conn = await createConnection(t, { name: 'warehouse', ...wh.settings });
      assert.equal(conn.payload.status.code, 'OK', JSON.stringify(conn.payload.status));
      const domain = await createDomain(t, {
        name: 'crm',
        connectionId: conn.payload.connection.id,
        tables: [{ name: 'customers' }, { name: 'orders' }],
      });
      domainId = domain.payload.domain.id;
      for (const table of ['customers', 'orders'])
        assert.equal((await setRowPolicy(t, domainId, table, TENANT)).payload.status.code, 'OK');
      const set = await t.gql(
        `mutation($input: SetColumnPolicyInput!) { setColumnPolicy(input: $input) { ${STATUS} } }`,
        {
          input: {
            domainId,
            table: { name: 'customers' },
            column: 'name',
            mask: 'TEXT',
            maskText: HIDDEN,
            condition: CONDITION,
          },
        },
      );
      assert.equal(set.body.data!.setColumnPolicy.status.code, 'OK', JSON.stringify(set.body));
      // The same tenant for all four, so the row policy binds the same value; only `pii` differs.
      for (const [name, pii] of [
        ['alice', 'allowed'],
        ['alba', 'allowed'],
        ['mona', 'none'],
        ['mia', 'none'],
      ] as const)
        users[name] = await sessionFor(
          t,
          `${name}@${leg.engine}.dash-colpol.test`,
          [{ roleId: ROLE_IDS.EXPLORER, scopes: [domainId] }],
          [
            { key: 'tenant_id', value: 't_a' },
            { key: 'pii', value: pii },
          ],
        );
      // Caching off here, so every answer below is computed; the cache has its own dashboard.
      const d = await createDashboard(t, {
        title: 'CRM',
        domainId,
        filters: FILTERS,
        tiles: TILES,
        cacheTtlSeconds: 0,
      });
      assert.equal(d.payload.status.code, 'OK', JSON.stringify(d.payload.status));
      dashboardId = d.payload.dashboard.id;
      const c = await createDashboard(t, {
        title: 'CRM cached',
        domainId,
        tiles: TILES.slice(0, 3),
        cacheTtlSeconds: 300,
      });
      assert.equal(c.payload.status.code, 'OK', JSON.stringify(c.payload.status));
      cachedId = c.payload.dashboard.id;
    });
    after(async () => {
      await t?.close();
      await wh?.drop();
    });

    const rowsOf = async (
      who: string,
      tileId: string,
      filters?: { filterId: string; values: string[] }[],
    ) => {
      const r = await tileResult(t, users[who]!.token, dashboardId, tileId, filters);
      assert.equal(r.code, undefined, `${who} ${tileId}: ${JSON.stringify(r.body.errors)}`);
      assert.equal(r.result!.cached, false);
      return cells(r.result!.rows);
    };
    const assertNoName = (who: string, text: string) => {
      for (const name of NAMES) assert.ok(!text.includes(name), `${who} saw ${name}: ${text}`);
    };

    test('dashboardTileResult: masked for a user the condition rejects, as stored for one it accepts; both equal SQL', async () => {
      for (const [who, pii] of [
        ['alice', 'allowed'],
        ['mona', 'none'],
      ] as const) {
        assert.deepEqual(
          await rowsOf(who, 'names'),
          direct(
            await wh.raw(`select id, name from ${customersFor(pii)} c where tenant_id = 't_a' order by id`),
          ),
          who,
        );
        assert.deepEqual(
          await rowsOf(who, 'orders_by_name'),
          direct(
            await wh.raw(
              `select c.name, count(*) as orders, sum(o.amount) as total from orders o join ${customersFor(pii)} c
               on c.id = o.customer_id where o.tenant_id = 't_a' and c.tenant_id = 't_a' group by c.name order by c.name`,
            ),
          ),
          who,
        );
      }
      assert.deepEqual(await rowsOf('mona', 'names'), [
        ['1', HIDDEN],
        ['2', HIDDEN],
        ['3', HIDDEN],
      ]);
      assert.deepEqual(await rowsOf('alice', 'names'), [
        ['1', 'Zed Quill'],
        ['2', 'Yul Vance'],
        ['3', 'Xio Kemp'],
      ]);
      // Grouping by the masked name puts all of mona's orders in one group.
      assert.deepEqual(await rowsOf('mona', 'orders_by_name'), [[HIDDEN, '4', '1000']]);
    });

    test('aggregates over the masked column compute on the masked value', async () => {
      assert.deepEqual(await rowsOf('mona', 'distinct_names'), [['1', HIDDEN, String(HIDDEN.length)]]);
      assert.deepEqual(await rowsOf('alice', 'distinct_names'), [['3', 'Xio Kemp', '9']]);
    });

    test('a filter compares the masked value: a stored name selects nothing for a masked user', async () => {
      const one = (v: string) => [{ filterId: 'customer', values: [v] }];
      assert.deepEqual(await rowsOf('alice', 'named', one('Zed Quill')), [['1']]);
      assert.deepEqual(await rowsOf('mona', 'named', one('Zed Quill')), [['0']]);
      assert.deepEqual(await rowsOf('mona', 'named', one(HIDDEN)), [['3']]);
      const many = [{ filterId: 'customers', values: ['Zed Quill', 'Yul Vance'] }];
      assert.deepEqual(await rowsOf('alice', 'named_any', many), [['2']]);
      assert.deepEqual(await rowsOf('mona', 'named_any', many), [['0']]);
    });

    test('dashboardFilterOptions offers a masked user only the masked value, single and multi select', async () => {
      for (const filterId of ['customer', 'customers']) {
        const mona = await t.gql(OPTIONS, { d: dashboardId, f: filterId }, users.mona!.token);
        assert.equal(mona.body.errors, undefined, JSON.stringify(mona.body.errors));
        const values = mona.body.data!.dashboardFilterOptions.values as string[];
        assert.deepEqual(new Set(values), new Set([HIDDEN]), filterId);
        assertNoName('mona', JSON.stringify(mona.body));
        const alice = await t.gql(OPTIONS, { d: dashboardId, f: filterId }, users.alice!.token);
        assert.deepEqual(alice.body.data!.dashboardFilterOptions.values, [
          'Xio Kemp',
          'Yul Vance',
          'Zed Quill',
        ]);
      }
    });

    test('dashboardTilePreview masks like a saved tile', async () => {
      const preview = async (who: string, sql: string) => {
        const r = await t.gql(
          PREVIEW,
          {
            d: dashboardId,
            tile: { title: 'p', sql, visualization: 'TABLE', position: { x: 0, y: 0, w: 6, h: 3 } },
          },
          users[who]!.token,
        );
        assert.equal(r.body.errors, undefined, JSON.stringify(r.body.errors));
        return r.body.data!.dashboardTilePreview as { rows: unknown[][]; cached: boolean };
      };
      const mona = await preview('mona', 'select * from customers order by id');
      assertNoName('mona', JSON.stringify(mona));
      assert.deepEqual(
        mona.rows.map((r) => r[2]),
        [HIDDEN, HIDDEN, HIDDEN],
      );
      const agg = await preview('mona', 'select count(distinct name) as n from customers');
      assert.deepEqual(cells(agg.rows), [['1']]);
      const alice = await preview('alice', 'select name from customers order by id');
      assert.deepEqual(cells(alice.rows), [['Zed Quill'], ['Yul Vance'], ['Xio Kemp']]);
    });

    test('the CSV export masks the column', async () => {
      const csv = async (who: string, tileId: string, query = '') => {
        const r = await exportCsv(t, users[who]!.token, dashboardId, tileId, query);
        assert.equal(r.status, 200, `${who} ${tileId}`);
        const text = await r.text();
        return { text, rows: parse(text, { bom: true }) as string[][] };
      };
      const mona = await csv('mona', 'names');
      assertNoName('mona', mona.text);
      assert.deepEqual(mona.rows, [
        ['id', 'name'],
        ['1', HIDDEN],
        ['2', HIDDEN],
        ['3', HIDDEN],
      ]);
      assert.deepEqual((await csv('mona', 'distinct_names')).rows.slice(1), [['1', HIDDEN, '8']]);
      const filtered = await csv('mona', 'named', `?filter.customer=${encodeURIComponent('Zed Quill')}`);
      assert.deepEqual(filtered.rows, [['n'], ['0']]);
      assert.deepEqual((await csv('alice', 'names')).rows.slice(1), [
        ['1', 'Zed Quill'],
        ['2', 'Yul Vance'],
        ['3', 'Xio Kemp'],
      ]);
    });

    test('runQuery masks the column, aggregates included', async () => {
      const mona = await runQuery(
        t,
        users.mona!.token,
        domainId,
        'select name, count(*) over () as n from customers order by id',
      );
      assert.ok(mona.result, JSON.stringify(mona.body));
      assertNoName('mona', JSON.stringify(mona.body));
      assert.deepEqual(cells(mona.result.rows), [
        [HIDDEN, '3'],
        [HIDDEN, '3'],
        [HIDDEN, '3'],
      ]);
      const agg = await runQuery(
        t,
        users.mona!.token,
        domainId,
        "select count(distinct name) as n, sum(case when name = 'Zed Quill' then 1 else 0 end) as zed from customers",
      );
      assert.deepEqual(cells(agg.result!.rows), [['1', '0']]);
      const alice = await runQuery(
        t,
        users.alice!.token,
        domainId,
        'select count(distinct name) as n from customers',
      );
      assert.deepEqual(cells(alice.result!.rows), [['3']]);
    });

    test('explainAccess shows the mask, and its SQL run with its parameters gives the masked rows', async () => {
      const sql = 'select id, name from customers order by id';
      for (const [who, expected] of [
        ['mona', [HIDDEN, HIDDEN, HIDDEN]],
        ['alice', ['Zed Quill', 'Yul Vance', 'Xio Kemp']],
      ] as const) {
        const r = await t.gql(EXPLAIN, { d: domainId, u: users[who]!.userId, sql });
        assert.equal(r.body.errors, undefined, JSON.stringify(r.body.errors));
        const e = r.body.data!.explainAccess;
        assert.deepEqual(e.maskedColumns, [
          { name: 'customers', column: 'name', mask: 'TEXT', condition: CONDITION },
        ]);
        assert.ok(e.attributesUsed.includes('pii'), JSON.stringify(e.attributesUsed));
        const rows = await wh.raw(e.sql, e.params);
        assert.deepEqual(
          rows.map((row) => row.name),
          expected,
          `${who}: ${e.sql} ${JSON.stringify(e.params)}`,
        );
      }
    });

    test('the result cache never serves an unmasked entry to a masked user, nor the other way round', async () => {
      const run = async (who: string, tileId: string) => {
        const r = await tileResult(t, users[who]!.token, cachedId, tileId);
        assert.equal(r.code, undefined, JSON.stringify(r.body.errors));
        return { cached: r.result!.cached, rows: cells(r.result!.rows) };
      };
      const shown = [
        ['1', 'Zed Quill'],
        ['2', 'Yul Vance'],
        ['3', 'Xio Kemp'],
      ];
      const hidden = shown.map(([id]) => [id, HIDDEN]);
      // The unmasked user fills the entry first: the masked user must miss it.
      assert.deepEqual(await run('alice', 'names'), { cached: false, rows: shown });
      assert.deepEqual(await run('mona', 'names'), { cached: false, rows: hidden });
      assert.deepEqual(await run('mia', 'names'), { cached: true, rows: hidden });
      assert.deepEqual(await run('alba', 'names'), { cached: true, rows: shown });
      assert.deepEqual(await run('alice', 'names'), { cached: true, rows: shown });
      // And the other order, on an aggregate.
      assert.deepEqual(await run('mona', 'distinct_names'), {
        cached: false,
        rows: [['1', HIDDEN, String(HIDDEN.length)]],
      });
      assert.deepEqual(await run('alice', 'distinct_names'), {
        cached: false,
        rows: [['3', 'Xio Kemp', '9']],
      });
      assert.deepEqual(await run('mia', 'distinct_names'), {
        cached: true,
        rows: [['1', HIDDEN, String(HIDDEN.length)]],
      });
    });
  });
}
