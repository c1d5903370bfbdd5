import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { PERMISSIONS } from '../src/modules/auth/permissions.ts';
import { disposition } from '../src/modules/dashboards/routes.ts';
import { setUserAttributes, VIEWER } from './helpers/api.ts';
import { type TestApp, useTestApp } from './helpers/app.ts';
import { createDashboard, exportCsv, tileResult, updateDashboard } from './helpers/dashboards.ts';
import {
  createConnection,
  createDomain,
  policedDomain,
  sessionFor,
  setRowPolicy,
  warehouseLegs,
} from './helpers/data.ts';
import { testBackends } from './helpers/databases.ts';

/**
 * An outsider's attacks on dashboards (docs/dashboards.md): a viewer of one tenant reaching
 * another tenant's rows through a tile, a filter value, the result cache or an export; another
 * workspace's dashboards; tile SQL that hides a placeholder in a literal; malformed and huge
 * inputs. Every refusal has a stable code, none is a 500, and nothing stored changes.
 */

const WAREHOUSE = `
  create table orders (id int primary key, tenant text not null, region text not null, amount int not null, note text);
  insert into orders values
    (1, 'acme', 'DE', 10, '=HYPERLINK("http://evil")'),
    (2, 'acme', 'FR', 20, 'plain'),
    (3, 'globex', 'US', 300, 'globex secret'),
    (4, 'globex', 'DE', 400, 'globex DE secret');`;

const TILE = (id: string, sql: string) => ({
  id,
  title: id,
  sql,
  visualization: 'TABLE',
  position: { x: 0, y: 0, w: 6, h: 4 },
});

for (const backend of testBackends().slice(0, 1)) {
  describe(`dashboard attacks by other tenants and workspaces (${backend.name})`, () => {
    const t = useTestApp(backend);
    let domainId = '';
    let dashboardId = '';
    let alice: { userId: string; token: string };
    let bob: { userId: string; token: string };

    const dashboardOf = async (app: TestApp, id: string) =>
      (await app.gql('query($id: ID!) { dashboard(id: $id) { id version tiles { id sql } } }', { id })).body
        .data?.dashboard;

    test('setup: a tenant policy, two viewers of different tenants, one dashboard', async () => {
      const leg = warehouseLegs()[0]!;
      const wh = await leg.open(() => t().app.services.data, WAREHOUSE);
      domainId = await policedDomain(t(), {
        connection: wh.settings,
        name: 'sales',
        tables: ['orders'],
        policies: [['orders', "tenant = USER_ATTRIBUTE('tenant')"]],
      });
      const viewer = [{ roleId: VIEWER, scopes: [domainId] }];
      alice = await sessionFor(t(), 'alice@acme.example', viewer, [{ key: 'tenant', value: 'acme' }]);
      bob = await sessionFor(t(), 'bob@globex.example', viewer, [{ key: 'tenant', value: 'globex' }]);
      const created = await createDashboard(t(), {
        title: 'Orders',
        domainId,
        filters: [{ id: 'region', label: 'Region', type: 'SINGLE_SELECT' }],
        tiles: [
          TILE('all', 'select id, note from orders order by id'),
          TILE('by_region', 'select id from orders where region = {{region}} order by id'),
          TILE('literal', "select '{{region}}' as braces, {{region}} as value from orders where id = 1"),
        ],
      });
      assert.equal(created.payload.status.code, 'OK', JSON.stringify(created.payload.status));
      dashboardId = created.payload.dashboard.id;
    });

    test('a placeholder inside a string literal is text: it saves, runs, and no value reaches it', async () => {
      const hostile = "DE' or '1'='1";
      const r = await tileResult(t(), alice.token, dashboardId, 'literal', [
        { filterId: 'region', values: [hostile] },
      ]);
      assert.equal(r.code, undefined, JSON.stringify(r.body));
      // Alice's row 1 has region DE, but the filter is only a bound value: the literal stays literal.
      assert.deepEqual(r.result?.rows, [['{{region}}', hostile]]);
    });

    test('{{ region }} with spaces is refused at save and the stored dashboard is unchanged', async () => {
      const before = await dashboardOf(t(), dashboardId);
      const r = await updateDashboard(t(), {
        id: dashboardId,
        version: before.version,
        tiles: [TILE('spaced', 'select id from orders where region = {{ region }}')],
      });
      assert.equal(r.payload.status.code, 'ERROR');
      assert.equal(r.payload.status.errorCode, 'BAD_USER_INPUT');
      assert.equal(r.payload.status.problems[0].field, 'tiles[0].sql');
      assert.deepEqual(await dashboardOf(t(), dashboardId), before);
    });

    test('a filter value never widens the policy: an injected OR and another tenant’s region', async () => {
      const injected = await tileResult(t(), alice.token, dashboardId, 'by_region', [
        { filterId: 'region', values: ["DE' OR '1'='1"] },
      ]);
      assert.deepEqual(injected.result?.rows, []);
      // Globex has a DE order; Alice choosing DE sees only her own.
      const de = await tileResult(t(), alice.token, dashboardId, 'by_region', [
        { filterId: 'region', values: ['DE'] },
      ]);
      assert.deepEqual(de.result?.rows, [[1]]);
      const us = await tileResult(t(), alice.token, dashboardId, 'by_region', [
        { filterId: 'region', values: ['US'] },
      ]);
      assert.deepEqual(us.result?.rows, []);
    });

    test('the result cache: two tenants never share an entry, and a policy or attribute change is a miss', async () => {
      const a1 = await tileResult(t(), alice.token, dashboardId, 'all');
      const a2 = await tileResult(t(), alice.token, dashboardId, 'all');
      const b1 = await tileResult(t(), bob.token, dashboardId, 'all');
      assert.deepEqual(
        a1.result?.rows.map((r) => r[0]),
        [1, 2],
      );
      assert.equal(a2.result?.cached, true);
      assert.deepEqual(
        b1.result?.rows.map((r) => r[0]),
        [3, 4],
      );
      assert.equal(b1.result?.cached, false);
      // Bob moved to acme: his next request runs with acme's value, and shares acme's entry.
      assert.equal(
        (await setUserAttributes(t(), bob.userId, [{ key: 'tenant', value: 'acme' }])).status.code,
        'OK',
      );
      const b2 = await tileResult(t(), bob.token, dashboardId, 'all');
      assert.deepEqual(
        b2.result?.rows.map((r) => r[0]),
        [1, 2],
      );
      assert.equal(
        (await setUserAttributes(t(), bob.userId, [{ key: 'tenant', value: 'globex' }])).status.code,
        'OK',
      );
      // A policy edit (narrower) applies on the very next request; the old entry is not served.
      const narrowed = await setRowPolicy(
        t(),
        domainId,
        'orders',
        "tenant = USER_ATTRIBUTE('tenant') and amount > 10",
      );
      assert.equal(narrowed.payload.status.code, 'OK');
      const a3 = await tileResult(t(), alice.token, dashboardId, 'all');
      assert.equal(a3.result?.cached, false);
      assert.deepEqual(
        a3.result?.rows.map((r) => r[0]),
        [2],
      );
      const restored = await setRowPolicy(t(), domainId, 'orders', "tenant = USER_ATTRIBUTE('tenant')");
      assert.equal(restored.payload.status.code, 'OK');
    });

    test('an export is the caller’s rows only, formula cells neutralized', async () => {
      const r = await exportCsv(t(), alice.token, dashboardId, 'all');
      assert.equal(r.status, 200);
      const text = await r.text();
      assert.ok(!text.includes('globex'), text);
      assert.ok(text.includes(`"'=HYPERLINK(""http://evil"")"`), text);
    });

    test('an export of a tile whose title is cut inside an emoji is a CSV, not a 500', async () => {
      const before = await dashboardOf(t(), dashboardId);
      const title = `${'a'.repeat(99)}\u{1F600}`;
      const r = await updateDashboard(t(), {
        id: dashboardId,
        version: before.version,
        tiles: [
          ...before.tiles.map((x: { id: string; sql: string }) => TILE(x.id, x.sql)),
          { ...TILE('emoji', 'select 1 as one'), title },
        ],
      });
      assert.equal(r.payload.status.code, 'OK', JSON.stringify(r.payload.status));
      const csv = await exportCsv(t(), alice.token, dashboardId, 'emoji');
      assert.equal(csv.status, 200, await csv.clone().text());
      assert.match(
        csv.headers.get('content-disposition') ?? '',
        /^attachment; filename="a{99}_\.csv"; filename\*=UTF-8''/,
      );
      // RFC 8187 reads `'` as a delimiter of the encoded name: it (and `()*!`) must be encoded.
      assert.equal(
        disposition("Bob's (draft)*!"),
        `attachment; filename="Bob_s _draft___.csv"; filename*=UTF-8''Bob%27s%20%28draft%29%2A%21.csv`,
      );
    });

    test('another workspace: its viewers and keys find no dashboard of this one', async () => {
      const created = await t().gql(
        'mutation($input: CreateWorkspaceInput!) { createWorkspace(input: $input) { status { code } workspace { id } } }',
        { input: { name: 'other' } },
      );
      const otherId = created.body.data?.createWorkspace.workspace.id as string;
      assert.ok(otherId, JSON.stringify(created.body));
      const otherKey = await t().key(PERMISSIONS, otherId);
      assert.equal(await dashboardOf({ ...t(), gql: (q, v) => t().gql(q, v, otherKey) }, dashboardId), null);
      const tile = await tileResult(t(), otherKey, dashboardId, 'all');
      assert.equal(tile.code, 'FORBIDDEN');
      const upd = await updateDashboard(t(), { id: dashboardId, version: 1, title: 'mine now' }, otherKey);
      assert.equal(upd.payload.status.errorCode, 'NOT_FOUND');
      const del = await t().gql(
        'mutation($input: DeleteDashboardInput!) { deleteDashboard(input: $input) { status { code errorCode } } }',
        { input: { id: dashboardId } },
        otherKey,
      );
      assert.equal(del.body.data?.deleteDashboard.status.errorCode, 'NOT_FOUND');
      assert.ok(await dashboardOf(t(), dashboardId));
    });

    test('huge and malformed inputs: stable codes, never a 500', async () => {
      const long = 'x'.repeat(100_000);
      const cases = [
        await tileResult(t(), alice.token, long, 'all'),
        await tileResult(t(), alice.token, dashboardId, long),
        await tileResult(t(), alice.token, dashboardId, 'by_region', [{ filterId: long, values: ['DE'] }]),
        await tileResult(t(), alice.token, dashboardId, 'by_region', [
          { filterId: 'region', values: Array.from({ length: 501 }, () => 'DE') },
        ]),
        await tileResult(t(), alice.token, dashboardId, 'by_region', [
          { filterId: 'region', values: [long] },
        ]),
        await tileResult(t(), alice.token, dashboardId, 'by_region', [
          { filterId: 'region', values: ['a\u0000b'] },
        ]),
        await tileResult(t(), alice.token, dashboardId, 'by_region', [
          { filterId: 'region', values: ['\uD800'] },
        ]),
      ];
      assert.deepEqual(
        cases.map((c) => c.code),
        [
          'NOT_FOUND',
          'NOT_FOUND',
          'BAD_USER_INPUT',
          'BAD_USER_INPUT',
          'BAD_USER_INPUT',
          'BAD_USER_INPUT',
          'BAD_USER_INPUT',
        ],
      );
      for (const query of [
        `?filter.region=${long}`,
        '?filter.region=%00',
        '?filter.nope=1',
        '?filter.region=a&filter.region=b',
      ]) {
        const r = await exportCsv(t(), alice.token, dashboardId, 'by_region', query);
        assert.equal(r.status, 400, query.slice(0, 40));
        assert.equal(
          ((await r.json()) as { code?: string; error?: { code?: string } }).error?.code ?? 'BAD_USER_INPUT',
          'BAD_USER_INPUT',
        );
      }
      const missing = await exportCsv(t(), alice.token, 'x'.repeat(5000), 'all');
      assert.equal(missing.status, 404);
      // A dashboard has at most 20 filters, each given once: a longer list is one problem, not one per entry.
      const many = await tileResult(
        t(),
        alice.token,
        dashboardId,
        'by_region',
        Array.from({ length: 1000 }, (_, i) => ({ filterId: `f${i}`, values: [] })),
      );
      assert.equal(many.code, 'BAD_USER_INPUT', JSON.stringify(many.body).slice(0, 300));
      assert.ok(JSON.stringify(many.body).length < 2000, `${JSON.stringify(many.body).length} characters`);
      // An unknown domain is named in the answer, cut like every other echoed input.
      const unknown = await createDashboard(t(), { title: 'x', domainId: 'd'.repeat(100_000) });
      assert.equal(unknown.payload.status.errorCode, 'BAD_USER_INPUT');
      assert.equal(unknown.payload.status.problems[0].field, 'domainId');
      assert.ok(
        JSON.stringify(unknown.body).length < 2000,
        `${JSON.stringify(unknown.body).length} characters`,
      );
      // Text that cannot be lexed, a stray brace: refused at save with the gate's reason.
      for (const sql of [
        "select '{{region}}",
        'select $$ {{region}}',
        'select 1 /* {{region}}',
        'select {region}',
      ]) {
        const r = await createDashboard(t(), { title: 'x', domainId, tiles: [TILE('t', sql)] });
        assert.equal(r.payload.status.errorCode, 'BAD_USER_INPUT', sql);
        assert.equal(r.payload.status.problems[0].field, 'tiles[0].sql', sql);
      }
    });
  });
}

describe('the result cache under credential mappings: one statement, two warehouses', () => {
  const t = useTestApp(testBackends()[0]!);

  test('users mapped to different warehouses never share an entry, even with identical SQL and no values', async () => {
    const leg = warehouseLegs()[0]!;
    const a = await leg.open(
      () => t().app.services.data,
      'create table orders (id int); insert into orders values (1), (2);',
    );
    const b = await leg.open(
      () => t().app.services.data,
      'create table orders (id int); insert into orders values (30), (40);',
    );
    const conn = await createConnection(t(), {
      name: 'mapped',
      ...a.settings,
      onNoMatch: 'USE_BASE',
      credentialMappings: [
        {
          attributeMatch: [{ key: 'tenant', value: 'globex' }],
          database: (b.settings as { database: string }).database,
        },
      ],
    });
    assert.equal(conn.payload.status.code, 'OK', JSON.stringify(conn.payload.status));
    const domain = await createDomain(t(), {
      name: 'mapped',
      connectionId: conn.payload.connection.id,
      tables: [{ name: 'orders' }],
    });
    assert.equal(domain.payload.status.code, 'OK', JSON.stringify(domain.payload.status));
    const domainId = domain.payload.domain.id as string;
    const viewer = [{ roleId: VIEWER, scopes: [domainId] }];
    const acme = await sessionFor(t(), 'a@acme.example', viewer, [{ key: 'tenant', value: 'acme' }]);
    const globex = await sessionFor(t(), 'g@globex.example', viewer, [{ key: 'tenant', value: 'globex' }]);
    const created = await createDashboard(t(), {
      title: 'm',
      domainId,
      tiles: [TILE('ids', 'select id from orders order by id')],
    });
    assert.equal(created.payload.status.code, 'OK', JSON.stringify(created.payload.status));
    const id = created.payload.dashboard.id as string;
    const first = await tileResult(t(), acme.token, id, 'ids');
    const second = await tileResult(t(), globex.token, id, 'ids');
    const again = await tileResult(t(), globex.token, id, 'ids');
    assert.deepEqual(first.result?.rows, [[1], [2]], JSON.stringify(first.body));
    assert.deepEqual(second.result?.rows, [[30], [40]]);
    assert.equal(second.result?.cached, false);
    assert.equal(again.result?.cached, true);
    assert.deepEqual(again.result?.rows, [[30], [40]]);
  });
});
