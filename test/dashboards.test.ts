import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { parse } from 'csv-parse/sync';
import { ROLE_IDS } from '../src/modules/roles/roles.ts';
import { STATUS } from './helpers/api.ts';
import { startTestApp, type TestApp } from './helpers/app.ts';
import {
  createDashboard,
  DASHBOARD_FIELDS,
  DOCS_ADD_SHARING,
  DOCS_REMOVE_SHARING,
  exportCsv,
  tileResult,
  updateDashboard,
} from './helpers/dashboards.ts';
import { policedDomain, sessionFor, type Warehouse, warehouseLegs } from './helpers/data.ts';
import { testBackends } from './helpers/databases.ts';

const WAREHOUSE_SQL = `
  create table orders (id int primary key, tenant_id varchar(32) not null, region varchar(8) not null, amount int not null, ordered_at date not null);
  create table customers (id int primary key, tenant_id varchar(32) not null, name varchar(64) not null);
  insert into orders values (10, 't_a', 'DE', 100, '2026-01-05'), (11, 't_a', 'FR', 200, '2026-01-20'),
    (12, 't_a', 'DE', 300, '2026-02-10'), (20, 't_b', 'US', 1000, '2026-01-07'), (21, 't_b', 'DE', 2000, '2026-03-01');
  insert into customers values (1, 't_a', '=HYPERLINK("http://evil.example","x")'), (2, 't_a', 'Smith, "Jo"'),
    (3, 't_a', '-12.5'), (4, 't_b', 'Globex');
`;

const TILES = [
  {
    id: 'total',
    title: 'Revenue',
    sql: 'select sum(amount) as total from orders',
    visualization: 'NUMBER',
    bindings: { y: ['total'], format: { style: 'CURRENCY', currency: 'EUR', decimals: 0 } },
    position: { x: 0, y: 0, w: 3, h: 2 },
  },
  {
    id: 'by_region',
    title: 'By region',
    sql: 'select region, sum(amount) as revenue from orders group by region order by region',
    visualization: 'BAR',
    bindings: { x: 'region', y: ['revenue'] },
    position: { x: 3, y: 0, w: 9, h: 4 },
  },
  {
    id: 'in_region',
    title: 'Orders in a region',
    sql: 'select count(*) as n from orders where region = {{region}}',
    visualization: 'NUMBER',
    bindings: { y: ['n'] },
    position: { x: 0, y: 4, w: 3, h: 2 },
  },
  {
    id: 'in_regions',
    title: 'Orders in regions and dates',
    sql: 'select count(*) as n from orders where region in ({{regions}}) and ordered_at >= CAST({{period_from}} AS date) and ordered_at <= CAST({{period_to}} AS date)',
    visualization: 'NUMBER',
    bindings: { y: ['n'] },
    position: { x: 3, y: 4, w: 3, h: 2 },
  },
  {
    id: 'customers',
    title: 'Customers',
    sql: 'select id, name from customers order by id',
    visualization: 'TABLE',
    position: { x: 0, y: 6, w: 12, h: 4 },
  },
];

const FILTERS = [
  { id: 'regions', label: 'Regions', type: 'MULTI_SELECT', defaultValues: ['DE', 'FR', 'US'] },
  { id: 'period', label: 'Period', type: 'DATE_RANGE', defaultValues: ['2026-01-01', '2026-12-31'] },
  {
    id: 'region',
    label: 'Region',
    type: 'SINGLE_SELECT',
    optionsSql: 'select distinct region from orders order by region',
  },
];

const DASHBOARD_QUERY = `query($id: ID!) { dashboard(id: $id) { ${DASHBOARD_FIELDS} } }`;
const num = (v: unknown) => Number(v);

for (const leg of warehouseLegs()) {
  describe(`dashboards (${leg.engine} warehouse)`, () => {
    const data = { data: () => t.app.services.data };
    let t: TestApp;
    let wh: Warehouse;
    let domainId: string;
    let dashboardId: string;
    const users: Record<string, { userId: string; token: string }> = {};

    before(async () => {
      t = await startTestApp(testBackends()[0]!, {
        env: { TESSERA_WAREHOUSE_DIR: 'memory' },
      });
      wh = await leg.open(data.data, WAREHOUSE_SQL);
      domainId = await policedDomain(t, {
        connection: wh.settings,
        name: 'sales',
        tables: ['orders', 'customers'],
        policies: ['orders', 'customers'].map(
          (table) => [table, "tenant_id = USER_ATTRIBUTE('tenant_id')"] as const,
        ),
      });
      const role = (roleId: string) => [{ roleId, scopes: [domainId] }];
      const people: [string, { roleId: string; scopes: string[] }[], string][] = [
        ['alice', role(ROLE_IDS.EXPLORER), 't_a'],
        ['bob', role(ROLE_IDS.EXPLORER), 't_b'],
        ['vera', role(ROLE_IDS.VIEWER), 't_a'],
        ['nina', [], 't_a'],
        ['carl', [], 't_b'],
      ];
      for (const [name, roles, tenant] of people)
        users[name] = await sessionFor(t, `${name}@dash.test`, roles, [{ key: 'tenant_id', value: tenant }]);
      const created = await createDashboard(t, { title: 'Sales', domainId, filters: FILTERS, tiles: TILES });
      assert.equal(created.payload.status.code, 'OK', JSON.stringify(created.payload.status));
      dashboardId = created.payload.dashboard.id;
    });
    after(async () => {
      await t?.close();
      await wh?.drop();
    });

    test('tile results differ by tenant and equal the same sums computed directly for that tenant', async () => {
      for (const [name, tenant] of [
        ['alice', 't_a'],
        ['bob', 't_b'],
      ] as const) {
        const total = await tileResult(t, users[name]!.token, dashboardId, 'total');
        assert.equal(total.code, undefined, JSON.stringify(total.body.errors));
        const [direct] = await wh.raw(
          `select sum(amount) as total from orders where tenant_id = '${tenant}'`,
        );
        assert.equal(num(total.result!.rows[0]![0]), num(direct!.total));
        const regions = await tileResult(t, users[name]!.token, dashboardId, 'by_region');
        const expected = await wh.raw(
          `select region, sum(amount) as revenue from orders where tenant_id = '${tenant}' group by region order by region`,
        );
        assert.deepEqual(
          regions.result!.rows.map((r) => [r[0], num(r[1])]),
          expected.map((r) => [r.region, num(r.revenue)]),
        );
      }
      const a = await tileResult(t, users.alice!.token, dashboardId, 'total');
      const b = await tileResult(t, users.bob!.token, dashboardId, 'total');
      assert.notDeepEqual(a.result!.rows, b.result!.rows);
    });

    test('a VIEWER reads the dashboard and its tiles but cannot change it', async () => {
      const r = await t.gql(DASHBOARD_QUERY, { id: dashboardId }, users.vera!.token);
      assert.equal(r.body.data!.dashboard.access, 'VIEW');
      assert.equal((await tileResult(t, users.vera!.token, dashboardId, 'total')).code, undefined);
      const u = await updateDashboard(t, { id: dashboardId, version: 1, title: 'x' }, users.vera!.token);
      assert.equal(u.body.errors?.[0]?.extensions?.code, 'FORBIDDEN');
    });

    test('no role and no share: FORBIDDEN for the dashboard, its tiles, filter options and export', async () => {
      const token = users.nina!.token;
      assert.equal(
        (await t.gql(DASHBOARD_QUERY, { id: dashboardId }, token)).body.errors?.[0]?.extensions?.code,
        'FORBIDDEN',
      );
      assert.equal((await tileResult(t, token, dashboardId, 'total')).code, 'FORBIDDEN');
      const options = await t.gql(
        'query($d: ID!) { dashboardFilterOptions(dashboardId: $d, filterId: "region") { values } }',
        { d: dashboardId },
        token,
      );
      assert.equal(options.body.errors?.[0]?.extensions?.code, 'FORBIDDEN');
      const csv = await exportCsv(t, token, dashboardId, 'customers');
      assert.equal(csv.status, 403);
      const list = await t.gql('{ dashboards { id } }', {}, token);
      assert.deepEqual(list.body.data!.dashboards, []);
      const keyWithout = await t.key(['iam:read']);
      assert.equal(
        (await t.gql(DASHBOARD_QUERY, { id: dashboardId }, keyWithout)).body.errors?.[0]?.extensions?.code,
        'FORBIDDEN',
      );
    });

    test('the docs’ own sharing request works verbatim; sharing and unsharing take effect on the next request', async () => {
      const carl = users.carl!;
      assert.equal((await tileResult(t, carl.token, dashboardId, 'total')).code, 'FORBIDDEN');
      const docsVariables = {
        scopeId: 'story_123456789',
        scopeRoleAssignments: [
          { roleId: '00000000-0000-0000-0000-000000000009', principalId: 'user_987654321' },
        ],
        scopeType: 'DASHBOARD',
        message: 'Please review and edit this dashboard',
      };
      const verbatim = await t.gql(DOCS_ADD_SHARING, docsVariables);
      assert.equal(verbatim.status, 200);
      assert.equal(verbatim.body.data!.addScopeRoleAssignmentsForSharing.code, 'NOT_FOUND');

      const shared = await t.gql(DOCS_ADD_SHARING, {
        ...docsVariables,
        scopeId: dashboardId,
        scopeRoleAssignments: [{ roleId: '00000000-0000-0000-0000-000000000008', principalId: carl.userId }],
      });
      assert.deepEqual(shared.body.data!.addScopeRoleAssignmentsForSharing, {
        code: 'OK',
        message: 'Role added successfully',
      });
      const r = await tileResult(t, carl.token, dashboardId, 'total');
      assert.equal(r.code, undefined, JSON.stringify(r.body.errors));
      const [direct] = await wh.raw(`select sum(amount) as total from orders where tenant_id = 't_b'`);
      assert.equal(
        num(r.result!.rows[0]![0]),
        num(direct!.total),
        'a shared user still sees only their own rows',
      );
      const seen = await t.gql(DASHBOARD_QUERY, { id: dashboardId }, carl.token);
      assert.equal(seen.body.data!.dashboard.access, 'VIEW');
      const edit = await updateDashboard(
        t,
        { id: dashboardId, version: seen.body.data!.dashboard.version, title: 'x' },
        carl.token,
      );
      assert.equal(edit.body.errors?.[0]?.extensions?.code, 'FORBIDDEN', 'a dashboard viewer cannot edit');

      const mail = await t.gql('{ outboxMessages { edges { node { kind recipient subject state } } } }');
      const note = mail.body
        .data!.outboxMessages.edges.map((e: any) => e.node)
        .find((m: any) => m.kind === 'dashboard-share');
      assert.equal(note.recipient, 'carl@dash.test');
      assert.equal(note.state, 'QUEUED');
      // The API lists no bodies; the queued email itself carries the sharer's message.
      const queued = await t.app.services.db
        .selectFrom('outbox_messages')
        .select('body')
        .where('kind', '=', 'dashboard-share')
        .execute();
      assert.match(queued[0]!.body, /Please review and edit this dashboard/);

      const removed = await t.gql(DOCS_REMOVE_SHARING, {
        scopeId: dashboardId,
        scopeRoleAssignments: [{ roleId: '00000000-0000-0000-0000-000000000008', principalId: carl.userId }],
        scopeType: 'DASHBOARD',
      });
      assert.deepEqual(removed.body.data!.removeScopeRoleAssignmentsForSharing, {
        code: 'OK',
        message: 'Role removed successfully',
      });
      assert.equal((await tileResult(t, carl.token, dashboardId, 'total')).code, 'FORBIDDEN');
    });

    test('a dashboard editor share lets the user edit; a bad share request names every bad item and writes nothing', async () => {
      const carl = users.carl!;
      const bad = await t.gql(DOCS_ADD_SHARING, {
        scopeId: dashboardId,
        scopeRoleAssignments: [
          { roleId: ROLE_IDS.EXPLORER, principalId: carl.userId },
          { roleId: '00000000-0000-0000-0000-000000000009', principalId: 'usr_nobody' },
          { roleId: '00000000-0000-0000-0000-000000000009', principalId: carl.userId },
        ],
        scopeType: 'DASHBOARD',
      });
      assert.equal(bad.body.data!.addScopeRoleAssignmentsForSharing.code, 'ERROR');
      assert.equal(
        (await tileResult(t, carl.token, dashboardId, 'total')).code,
        'FORBIDDEN',
        'nothing was written',
      );
      const ok = await t.gql(DOCS_ADD_SHARING, {
        scopeId: dashboardId,
        scopeRoleAssignments: [{ roleId: '00000000-0000-0000-0000-000000000009', principalId: carl.userId }],
        scopeType: 'DASHBOARD',
      });
      assert.equal(ok.body.data!.addScopeRoleAssignmentsForSharing.code, 'OK');
      const seen = await t.gql(DASHBOARD_QUERY, { id: dashboardId }, carl.token);
      assert.equal(seen.body.data!.dashboard.access, 'EDIT');
      await t.gql(DOCS_REMOVE_SHARING, {
        scopeId: dashboardId,
        scopeRoleAssignments: [{ roleId: '00000000-0000-0000-0000-000000000009', principalId: carl.userId }],
        scopeType: 'DASHBOARD',
      });
    });

    test('a stale version is CONFLICT and changes nothing; bad input is BAD_USER_INPUT and writes nothing', async () => {
      const before = (await t.gql(DASHBOARD_QUERY, { id: dashboardId })).body.data!.dashboard;
      const fresh = await updateDashboard(t, { id: dashboardId, version: before.version, description: 'v2' });
      assert.equal(fresh.payload.status.code, 'OK', JSON.stringify(fresh.payload.status));
      assert.equal(fresh.payload.dashboard.version, before.version + 1);
      const stale = await updateDashboard(t, {
        id: dashboardId,
        version: before.version,
        title: 'Lost update',
      });
      assert.equal(stale.payload.status.code, 'ERROR');
      assert.equal(stale.payload.status.errorCode, 'CONFLICT');
      const now = (await t.gql(DASHBOARD_QUERY, { id: dashboardId })).body.data!.dashboard;
      assert.equal(now.title, before.title);
      assert.equal(now.version, before.version + 1);

      const count = async () => (await t.gql('{ dashboards { id } }')).body.data!.dashboards.length;
      const n = await count();
      const invalid = await createDashboard(t, {
        title: ' ',
        domainId,
        tiles: [
          { ...TILES[0], position: { x: 10, y: 0, w: 5, h: 1 } },
          { ...TILES[1], sql: 'select {{nope}}' },
        ],
      });
      assert.equal(invalid.payload.status.errorCode, 'BAD_USER_INPUT');
      const fields = invalid.payload.status.problems.map((p: any) => p.field);
      assert.ok(fields.includes('title') && fields.includes('tiles[0].position'), JSON.stringify(fields));
      const unknownDomain = await createDashboard(t, { title: 'x', domainId: 'dom_missing' });
      assert.equal(unknownDomain.payload.status.code, 'ERROR');
      assert.equal(await count(), n);
      const badUpdate = await updateDashboard(t, {
        id: dashboardId,
        version: now.version,
        tiles: [{ ...TILES[0], sql: '' }],
      });
      assert.equal(badUpdate.payload.status.errorCode, 'BAD_USER_INPUT');
      assert.equal(
        (await t.gql(DASHBOARD_QUERY, { id: dashboardId })).body.data!.dashboard.version,
        now.version,
      );
    });

    test('duplicate, list and delete', async () => {
      const dup = await t.gql(
        `mutation($input: DuplicateDashboardInput!) { duplicateDashboard(input: $input) { ${STATUS} dashboard { id title version tiles { id sql } } } }`,
        { input: { id: dashboardId } },
        users.alice!.token,
      );
      const copy = dup.body.data!.duplicateDashboard.dashboard;
      assert.equal(copy.title, 'Sales (copy)');
      assert.equal(copy.version, 1);
      assert.equal(copy.tiles.length, TILES.length);
      const listed = (await t.gql('{ dashboards { id } }', {}, users.alice!.token)).body.data!.dashboards.map(
        (d: any) => d.id,
      );
      assert.ok(listed.includes(copy.id) && listed.includes(dashboardId));
      const del = await t.gql(
        'mutation($input: DeleteDashboardInput!) { deleteDashboard(input: $input) { status { code errorCode } id } }',
        { input: { id: copy.id, version: 7 } },
      );
      assert.equal(del.body.data!.deleteDashboard.status.errorCode, 'CONFLICT');
      const gone = await t.gql(
        'mutation($input: DeleteDashboardInput!) { deleteDashboard(input: $input) { status { code errorCode } id } }',
        { input: { id: copy.id, version: 1 } },
        users.alice!.token,
      );
      assert.equal(gone.body.data!.deleteDashboard.status.code, 'OK');
      assert.equal((await t.gql(DASHBOARD_QUERY, { id: copy.id })).body.data!.dashboard, null);
    });

    test('filter options run through the gate as the user', async () => {
      const q =
        'query($d: ID!) { dashboardFilterOptions(dashboardId: $d, filterId: "region") { values truncated } }';
      const a = await t.gql(q, { d: dashboardId }, users.alice!.token);
      assert.deepEqual(a.body.data!.dashboardFilterOptions.values, ['DE', 'FR']);
      const b = await t.gql(q, { d: dashboardId }, users.bob!.token);
      assert.deepEqual(b.body.data!.dashboardFilterOptions.values, ['DE', 'US']);
    });

    test('filter values are bound, never spliced: injection through them fails', async () => {
      const alice = users.alice!.token;
      const unknown = await tileResult(t, alice, dashboardId, 'total', [{ filterId: 'nope', values: ['x'] }]);
      assert.equal(unknown.code, 'BAD_USER_INPUT');
      const shape = await tileResult(t, alice, dashboardId, 'in_region', [
        { filterId: 'region', values: ['DE', 'FR'] },
      ]);
      assert.equal(shape.code, 'BAD_USER_INPUT');
      // A filter the tile does not use is ignored by it.
      const ignored = await tileResult(t, alice, dashboardId, 'total', [
        { filterId: 'region', values: ["' or 1=1 --"] },
      ]);
      assert.equal(ignored.code, undefined);
      const de = await tileResult(t, alice, dashboardId, 'in_region', [
        { filterId: 'region', values: ['DE'] },
      ]);
      const [direct] = await wh.raw(
        `select count(*) as n from orders where tenant_id = 't_a' and region = 'DE'`,
      );
      assert.equal(num(de.result!.rows[0]![0]), num(direct!.n));
      for (const attack of [
        "DE' or '1'='1",
        "DE' or tenant_id <> 't_a' --",
        'DE"; select 1; --',
        "x') or ('1'='1",
      ]) {
        const r = await tileResult(t, alice, dashboardId, 'in_region', [
          { filterId: 'region', values: [attack] },
        ]);
        if (r.code !== undefined) assert.notEqual(r.code, 'INTERNAL_SERVER_ERROR');
        else assert.equal(num(r.result!.rows[0]![0]), 0, attack);
      }
      // A list is bound value by value: a value that tries to close the list is one more region nobody has.
      const list = await tileResult(t, alice, dashboardId, 'in_regions', [
        { filterId: 'regions', values: ["DE') or ('1'='1", "x' or tenant_id <> 't_a' --"] },
      ]);
      assert.equal(list.code, undefined, JSON.stringify(list.body.errors));
      assert.equal(num(list.result!.rows[0]![0]), 0);
      // A date is checked to be a date before it is bound at all.
      const date = await tileResult(t, alice, dashboardId, 'in_regions', [
        { filterId: 'period', values: ["2026-01-01' or '1'='1", '2026-12-31'] },
      ]);
      assert.equal(date.code, 'BAD_USER_INPUT');
    });

    test('multi-select and date-range filters bind lists and dates; defaults apply when unset', async () => {
      const alice = users.alice!.token;
      const count = async (filters?: { filterId: string; values: string[] }[]) => {
        const r = await tileResult(t, alice, dashboardId, 'in_regions', filters);
        assert.equal(r.code, undefined, JSON.stringify(r.body.errors));
        return num(r.result!.rows[0]![0]);
      };
      const direct = async (where: string) =>
        num((await wh.raw(`select count(*) as n from orders where tenant_id = 't_a' and ${where}`))[0]!.n);
      assert.equal(await count(), await direct('1 = 1'));
      assert.equal(
        await count([
          { filterId: 'regions', values: ['DE'] },
          { filterId: 'period', values: ['2026-01-01', '2026-01-31'] },
        ]),
        await direct("region = 'DE' and ordered_at between '2026-01-01' and '2026-01-31'"),
      );
      const bad = await tileResult(t, alice, dashboardId, 'in_regions', [
        { filterId: 'period', values: ['2026-02-30', '2026-03-01'] },
      ]);
      assert.equal(bad.code, 'BAD_USER_INPUT');
    });

    test('export: the tile’s rows as CSV, through the gate, quoted and safe for spreadsheets', async () => {
      const r = await exportCsv(t, users.alice!.token, dashboardId, 'customers');
      assert.equal(r.status, 200);
      assert.match(r.headers.get('content-type')!, /^text\/csv/);
      const bytes = new Uint8Array(await r.arrayBuffer());
      assert.deepEqual(
        [...bytes.subarray(0, 3)],
        [0xef, 0xbb, 0xbf],
        'a UTF-8 byte order mark for spreadsheets',
      );
      const text = new TextDecoder().decode(bytes);
      const rows = parse(text, { bom: true }) as string[][];
      assert.deepEqual(rows, [
        ['id', 'name'],
        ['1', `'=HYPERLINK("http://evil.example","x")`],
        ['2', 'Smith, "Jo"'],
        ['3', '-12.5'],
      ]);
      assert.equal((await exportCsv(t, 'garbage', dashboardId, 'customers')).status, 401);
      assert.equal((await exportCsv(t, users.alice!.token, dashboardId, 'nope')).status, 404);
    });
  });
}
