// Dashboards attacked from outside, over real HTTP (a listening server, GraphQL and the export
// route) with session tokens from impersonateUser, on a real warehouse (PGlite always, a scratch
// PostgreSQL database when TEST_DATABASE_URL is set) holding two tenants' rows behind a row
// policy and a column mask. The promise under attack: every number a user sees went through the
// gate as that user (docs/dashboards.md), so the result cache, filter values, exports and edits
// can never hand one customer another's rows.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { PERMISSIONS } from '../src/modules/auth/permissions.ts';
import { type RunningServer, startServer } from '../src/server.ts';
import { ADMIN, createUsers, EXPLORER, STATUS, VIEWER } from './helpers/api.ts';
import { startTestApp, type TestApp } from './helpers/app.ts';
import { DASHBOARD_FIELDS } from './helpers/dashboards.ts';
import {
  createConnection,
  createDomain,
  setRowPolicy,
  type Warehouse,
  warehouseLegs,
} from './helpers/data.ts';
import { testBackends } from './helpers/databases.ts';
import { IMPERSONATE } from './helpers/sessions.ts';

const REGIONS = ['DE', 'FR', 'US', 'JP'];
const NOTES = [
  '=HYPERLINK("http://evil.test","x")',
  '+1+1',
  '-2+3',
  '@SUM(A1)',
  '\tTAB',
  '\rCR',
  'plain',
  '-12.5',
];

interface Order {
  id: number;
  tenant: string;
  region: string;
  amount: string;
  note: string;
}
const ORDERS: Order[] = Array.from({ length: 60 }, (_, k) => {
  const i = k + 1;
  return {
    id: i,
    tenant: i % 3 === 0 ? 'globex' : 'acme',
    region: REGIONS[(i * 7) % 4]!,
    amount: `${(i * 37) % 1000}.25`,
    note: NOTES[i % NOTES.length]!,
  };
});
const CUSTOMERS = Array.from({ length: 12 }, (_, k) => ({
  id: k + 1,
  tenant: k % 2 === 0 ? 'acme' : 'globex',
  name: k === 2 ? '=cmd|"/c calc"!A1' : `Customer ${k + 1}`,
  email: `c${k + 1}@example.test`,
}));

const lit = (s: string) => `'${s.replace(/'/g, "''")}'`;
function warehouseSql(tenant: string | null): string {
  const orders = ORDERS.filter((o) => tenant === null || o.tenant === tenant);
  const customers = CUSTOMERS.filter((c) => tenant === null || c.tenant === tenant);
  return [
    'create table orders (id int primary key, tenant text not null, region text not null, amount numeric(10,2) not null, note text not null);',
    'create table customers (id int primary key, tenant text not null, name text not null, email text not null);',
    orders.length > 0
      ? `insert into orders values ${orders.map((o) => `(${o.id}, ${lit(o.tenant)}, ${lit(o.region)}, ${o.amount}, ${lit(o.note)})`).join(', ')};`
      : '',
    customers.length > 0
      ? `insert into customers values ${customers.map((c) => `(${c.id}, ${lit(c.tenant)}, ${lit(c.name)}, ${lit(c.email)})`).join(', ')};`
      : '',
  ].join('\n');
}

const TILES = [
  {
    id: 'total',
    title: 'Revenue',
    sql: 'select count(*) as n, sum(amount) as total from orders where region in ({{region}})',
    visualization: 'NUMBER',
    bindings: { y: ['total'] },
    position: { x: 0, y: 0, w: 3, h: 2 },
  },
  {
    id: 'by_region',
    title: 'By region',
    sql: 'select region, count(*) as n, sum(amount) as total from orders where region in ({{region}}) group by region order by region',
    visualization: 'BAR',
    bindings: { x: 'region', y: ['total'] },
    position: { x: 3, y: 0, w: 9, h: 4 },
  },
  {
    id: 'notes',
    title: 'Notes',
    sql: 'select id, region, amount, note from orders order by id',
    visualization: 'TABLE',
    position: { x: 0, y: 4, w: 12, h: 4 },
  },
  {
    id: 'customers',
    title: 'Customers',
    sql: 'select id, name, email from customers order by id',
    visualization: 'TABLE',
    position: { x: 0, y: 8, w: 12, h: 4 },
  },
  {
    id: 'by_note',
    title: 'By note',
    sql: 'select count(*) as n from orders where note = {{q}}',
    visualization: 'NUMBER',
    position: { x: 0, y: 12, w: 3, h: 2 },
  },
  {
    id: 'tenant_param',
    title: 'A filter named like the policy attribute',
    sql: 'select count(*) as n from orders where tenant = {{tenant}}',
    visualization: 'NUMBER',
    position: { x: 3, y: 12, w: 3, h: 2 },
  },
  {
    id: 'period',
    title: 'In period',
    sql: 'select count(*) as n from orders where CAST({{p_from}} AS date) <= CAST({{p_to}} AS date)',
    visualization: 'NUMBER',
    position: { x: 6, y: 12, w: 3, h: 2 },
  },
  {
    id: 'not_in',
    title: 'Outside the regions',
    sql: 'select region, count(*) as n from orders where region not in ({{region}}) group by region order by region',
    visualization: 'TABLE',
    position: { x: 9, y: 12, w: 3, h: 2 },
  },
];
const FILTERS = [
  {
    id: 'region',
    label: 'Region',
    type: 'MULTI_SELECT',
    defaultValues: REGIONS,
    optionsSql: 'select distinct region from orders order by region',
  },
  { id: 'q', label: 'Note', type: 'TEXT' },
  { id: 'tenant', label: 'Tenant', type: 'SINGLE_SELECT' },
  { id: 'p', label: 'Period', type: 'DATE_RANGE', defaultValues: ['2026-01-01', '2026-12-31'] },
];

/** A cell as a comparable value: numbers (however the driver types them) as numbers, the rest as text. */
const norm = (v: unknown) =>
  v === null || v === undefined
    ? null
    : typeof v === 'number' || typeof v === 'bigint' || /^-?\d+(\.\d+)?$/.test(String(v))
      ? Number(v)
      : String(v);
const normRows = (rows: readonly (readonly unknown[])[]) => rows.map((r) => r.map(norm));

const TILE_QUERY = `query($d: ID!, $t: ID!, $f: [DashboardFilterValueInput!]) {
  dashboardTileResult(dashboardId: $d, tileId: $t, filters: $f) { queryId columns { name } rows rowCount truncated cached computedAt }
}`;

for (const leg of warehouseLegs().filter((l) => l.engine !== 'mysql')) {
  // Tessera's own database: PGlite with the PGlite warehouse, PostgreSQL with the PostgreSQL one.
  const backend = testBackends().find((b) => b.name === (leg.engine === 'postgres' ? 'postgres' : 'pglite'))!;

  describe(`dashboard attacks over HTTP (${leg.engine} warehouse)`, () => {
    let t: TestApp;
    let server: RunningServer;
    let wh: Warehouse;
    const only = new Map<string, Warehouse>();
    let domainId: string;
    let dashboardId: string;
    const tokens = new Map<string, string>();
    const userIds = new Map<string, string>();

    async function post(query: string, variables: Record<string, unknown>, token: string | null = t.rootKey) {
      const res = await fetch(`${server.url}/graphql`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          ...(token ? { authorization: `Bearer ${token}` } : {}),
        },
        body: JSON.stringify({ query, variables }),
      });
      const body = (await res.json()) as any;
      return { status: res.status, body };
    }

    async function tile(who: string, tileId: string, filters?: unknown, dashboard = dashboardId) {
      const r = await post(
        TILE_QUERY,
        { d: dashboard, t: tileId, ...(filters === undefined ? {} : { f: filters }) },
        tokens.get(who)!,
      );
      assert.notEqual(r.status, 500, JSON.stringify(r.body));
      const code = r.body.errors?.[0]?.extensions?.code as string | undefined;
      assert.notEqual(code, 'INTERNAL_SERVER_ERROR', JSON.stringify(r.body));
      return { ...r, code, result: r.body.data?.dashboardTileResult as any };
    }

    async function exportCsv(token: string | null, dashboard: string, tileId: string, query = '') {
      const res = await fetch(`${server.url}/dashboards/${dashboard}/tiles/${tileId}/export.csv${query}`, {
        headers: token ? { authorization: `Bearer ${token}` } : {},
      });
      const text = await res.text();
      assert.notEqual(res.status, 500, text);
      return { status: res.status, text, headers: res.headers };
    }

    async function session(email: string, transient?: { key: string; value: string }[]) {
      const r = await post(IMPERSONATE, {
        accessToken: t.rootKey,
        userEmail: email,
        ...(transient ? { attributes: transient } : {}),
      });
      const token = r.body.data?.impersonateUser as string | undefined;
      assert.ok(token, JSON.stringify(r.body));
      return token;
    }

    async function user(
      name: string,
      roleAssignments: { roleId: string; scopes: string[] }[],
      attrs: Record<string, string>,
    ) {
      const email = `${name}@${leg.engine}.test`;
      const created = await createUsers(t, {
        emails: [email],
        roleAssignments,
        userAttributes: Object.entries(attrs).map(([key, value]) => ({ key, value })),
      });
      assert.equal(created.payload.status.code, 'OK', JSON.stringify(created.body));
      userIds.set(name, created.payload.results[0]!.userId);
      tokens.set(name, await session(email));
    }

    /** What `sql` answers on a database holding only `tenant`'s rows, with filter values written in. */
    async function expected(tenant: string, sql: string, given: Record<string, string | string[]> = {}) {
      const values: Record<string, string | string[]> = {
        region: REGIONS,
        p_from: '2026-01-01',
        p_to: '2026-12-31',
        ...given,
      };
      const text = sql.replace(/\{\{([a-z_]+)\}\}/g, (_, name: string) => {
        const v = values[name];
        return Array.isArray(v) ? v.map(lit).join(', ') : v === undefined ? 'NULL' : lit(v);
      });
      const rows = await only.get(tenant)!.raw(text);
      return rows.map((r) => Object.values(r).map(norm));
    }

    const mask = (rows: unknown[][]) => rows.map(([id, name]) => [id, name, '(hidden)']);

    async function dashboardRow() {
      return t.app.services.db
        .selectFrom('dashboards')
        .selectAll()
        .where('id', '=', dashboardId)
        .executeTakeFirstOrThrow();
    }

    before(async () => {
      t = await startTestApp(backend);
      server = await startServer(t.app, { host: '127.0.0.1', port: 0 });
      wh = await leg.open(() => t.app.services.data, warehouseSql(null));
      for (const tenant of ['acme', 'globex'])
        only.set(tenant, await leg.open(() => t.app.services.data, warehouseSql(tenant)));
      const conn = await createConnection(t, { name: 'warehouse', ...wh.settings });
      assert.equal(conn.payload.status.code, 'OK', JSON.stringify(conn.payload.status));
      const domain = await createDomain(t, {
        name: 'sales',
        connectionId: conn.payload.connection.id,
        tables: [{ name: 'orders' }, { name: 'customers' }],
      });
      assert.equal(domain.payload.status.code, 'OK', JSON.stringify(domain.payload.status));
      domainId = domain.payload.domain.id;
      for (const table of ['orders', 'customers']) {
        const r = await setRowPolicy(t, domainId, table, "tenant = USER_ATTRIBUTE('tenant')");
        assert.equal(r.payload.status.code, 'OK', JSON.stringify(r.payload.status));
      }
      const cp = await t.gql(
        `mutation($input: SetColumnPolicyInput!) { setColumnPolicy(input: $input) { ${STATUS} } }`,
        {
          input: {
            domainId,
            table: { name: 'customers' },
            column: 'email',
            mask: 'TEXT',
            maskText: '(hidden)',
            condition: "USER_ATTRIBUTE('pii') = 'allowed'",
          },
        },
      );
      assert.equal(cp.body.data!.setColumnPolicy.status.code, 'OK', JSON.stringify(cp.body));
      const viewer = [{ roleId: VIEWER, scopes: [domainId] }];
      await user('alice', viewer, { tenant: 'acme', pii: 'allowed' });
      await user('ann', viewer, { tenant: 'acme', pii: 'allowed' });
      await user('carol', viewer, { tenant: 'acme', pii: 'none' });
      await user('bob', viewer, { tenant: 'globex', pii: 'none' });
      await user('dave', [{ roleId: EXPLORER, scopes: [domainId] }], { tenant: 'acme', pii: 'none' });
      await user('erin', [{ roleId: EXPLORER, scopes: [domainId] }], { tenant: 'globex', pii: 'none' });
      await user('eve', [], { tenant: 'acme', pii: 'allowed' });
      await user('root', [{ roleId: ADMIN, scopes: [] }], { tenant: 'acme', pii: 'allowed' });
      const created = await post(
        `mutation($input: CreateDashboardInput!) { createDashboard(input: $input) { ${STATUS} dashboard { ${DASHBOARD_FIELDS} } } }`,
        { input: { title: 'Sales', domainId, filters: FILTERS, tiles: TILES, cacheTtlSeconds: 600 } },
      );
      assert.equal(created.body.data.createDashboard.status.code, 'OK', JSON.stringify(created.body));
      dashboardId = created.body.data.createDashboard.dashboard.id;
    });

    after(async () => {
      server?.server.closeAllConnections();
      await new Promise((r) => server?.server.close(r));
      for (const w of only.values()) await w.drop();
      await wh?.drop();
      await t?.close();
    });

    it('differential: every tile equals the same SQL on a database holding only the viewer’s tenant', async () => {
      const cases: { who: string; tenant: string; masked: boolean }[] = [
        { who: 'alice', tenant: 'acme', masked: false },
        { who: 'carol', tenant: 'acme', masked: true },
        { who: 'bob', tenant: 'globex', masked: true },
        { who: 'ann', tenant: 'acme', masked: false },
      ];
      const filterSets: {
        f?: { filterId: string; values: string[] }[];
        values: Record<string, string | string[]>;
      }[] = [
        { values: { region: REGIONS, p_from: '2026-01-01', p_to: '2026-12-31' } },
        { f: [{ filterId: 'region', values: ['DE'] }], values: { region: ['DE'] } },
        { f: [{ filterId: 'region', values: ['US', 'JP'] }], values: { region: ['US', 'JP'] } },
        { f: [{ filterId: 'q', values: ['plain'] }], values: { q: 'plain' } },
        { f: [{ filterId: 'q', values: ['-2+3'] }], values: { q: '-2+3' } },
      ];
      for (const { who, tenant, masked } of cases) {
        for (const { f, values } of filterSets) {
          for (const tl of TILES.filter((x) => x.id !== 'tenant_param')) {
            const r = await tile(who, tl.id, f);
            assert.equal(r.code, undefined, `${who} ${tl.id}: ${JSON.stringify(r.body)}`);
            const want = await expected(tenant, tl.sql, values);
            const got = normRows(r.result.rows);
            assert.deepEqual(
              got,
              tl.id === 'customers' && masked ? mask(want) : want,
              `${who} ${tl.id} ${JSON.stringify(f)}`,
            );
          }
        }
      }
    });

    it('the cache never hands one user’s entry to a user with other attributes, mask or role', async () => {
      // A cold copy of the dashboard: warm every tile as alice (acme, pii allowed), then ask as each other user.
      const d = await post(
        `mutation($input: CreateDashboardInput!) { createDashboard(input: $input) { ${STATUS} dashboard { id } } }`,
        { input: { title: 'Cold', domainId, filters: FILTERS, tiles: TILES, cacheTtlSeconds: 600 } },
      );
      const cold = d.body.data.createDashboard.dashboard.id;
      for (const tl of ['total', 'by_region', 'notes', 'customers']) await tile('alice', tl, undefined, cold);
      const hit = await tile('ann', 'customers', undefined, cold);
      assert.equal(hit.result.cached, true, 'same attribute values share the entry');
      const carol = await tile('carol', 'customers', undefined, cold);
      assert.equal(carol.result.cached, false);
      assert.ok(
        carol.result.rows.every((r: unknown[]) => r[2] === '(hidden)'),
        JSON.stringify(carol.result.rows),
      );
      const bob = await tile('bob', 'total', undefined, cold);
      assert.equal(bob.result.cached, false);
      assert.deepEqual(normRows(bob.result.rows), await expected('globex', TILES[0]!.sql));
      // ADMIN bypasses row policies: a different statement, never alice's entry, and alice never its.
      const root = await tile('root', 'total', undefined, cold);
      assert.equal(root.result.cached, false);
      assert.equal(norm(root.result.rows[0][0]), ORDERS.length);
      const again = await tile('alice', 'total', undefined, cold);
      assert.equal(again.result.cached, true);
      assert.deepEqual(normRows(again.result.rows), await expected('acme', TILES[0]!.sql));
      // cacheTtlSeconds 0: never served from the cache.
      const off = await post(
        `mutation($input: CreateDashboardInput!) { createDashboard(input: $input) { ${STATUS} dashboard { id } } }`,
        { input: { title: 'Uncached', domainId, filters: FILTERS, tiles: TILES, cacheTtlSeconds: 0 } },
      );
      const offId = off.body.data.createDashboard.dashboard.id;
      for (let i = 0; i < 2; i++)
        assert.equal((await tile('alice', 'total', undefined, offId)).result.cached, false);
      // The entry expires after the TTL: the next request reads again.
      t.clock.advance(601_000);
      assert.equal((await tile('alice', 'total', undefined, cold)).result.cached, false);
    });

    it('an attribute, transient attribute, policy, mask or role change applies on the very next request', async () => {
      const total = TILES[0]!.sql;
      await tile('alice', 'total');
      // A transient attribute from impersonateUser counts like a stored one.
      const transient = await session(`alice@${leg.engine}.test`, [{ key: 'tenant', value: 'globex' }]);
      const tr = await post(TILE_QUERY, { d: dashboardId, t: 'total' }, transient);
      assert.deepEqual(
        normRows(tr.body.data.dashboardTileResult.rows),
        await expected('globex', total, { region: REGIONS }),
      );
      // A stored attribute change reaches the live session.
      const set = await t.gql(
        `mutation($input: SetUserAttributesInput!) { setUserAttributes(input: $input) { ${STATUS} } }`,
        {
          input: {
            userId: userIds.get('alice'),
            userAttributes: [
              { key: 'tenant', value: 'globex' },
              { key: 'pii', value: 'allowed' },
            ],
          },
        },
      );
      assert.equal(set.body.data!.setUserAttributes.status.code, 'OK');
      // (bob's entry, globex with the same values, may serve it: that is the point of the key)
      const moved = await tile('alice', 'total');
      assert.deepEqual(normRows(moved.result.rows), await expected('globex', total, { region: REGIONS }));
      await t.gql(
        `mutation($input: SetUserAttributesInput!) { setUserAttributes(input: $input) { ${STATUS} } }`,
        {
          input: {
            userId: userIds.get('alice'),
            userAttributes: [
              { key: 'tenant', value: 'acme' },
              { key: 'pii', value: 'allowed' },
            ],
          },
        },
      );
      assert.deepEqual(
        normRows((await tile('alice', 'total')).result.rows),
        await expected('acme', total, { region: REGIONS }),
      );

      // A row policy edit.
      await tile('alice', 'by_region');
      const narrowed = await setRowPolicy(
        t,
        domainId,
        'orders',
        "tenant = USER_ATTRIBUTE('tenant') and region = 'DE'",
      );
      assert.equal(narrowed.payload.status.code, 'OK');
      const de = await tile('alice', 'by_region');
      assert.equal(de.result.cached, false);
      assert.deepEqual(
        normRows(de.result.rows).map((r) => r[0]),
        ['DE'],
      );
      await setRowPolicy(t, domainId, 'orders', "tenant = USER_ATTRIBUTE('tenant')");

      // A column policy removed and put back.
      assert.ok((await tile('carol', 'customers')).result.rows.every((r: unknown[]) => r[2] === '(hidden)'));
      const del = await t.gql(
        `mutation($input: DeleteColumnPolicyInput!) { deleteColumnPolicy(input: $input) { ${STATUS} } }`,
        { input: { domainId, table: { name: 'customers' }, column: 'email' } },
      );
      assert.equal(del.body.data!.deleteColumnPolicy.status.code, 'OK', JSON.stringify(del.body));
      assert.ok((await tile('carol', 'customers')).result.rows.every((r: unknown[]) => r[2] !== '(hidden)'));
      const put = await t.gql(
        `mutation($input: SetColumnPolicyInput!) { setColumnPolicy(input: $input) { ${STATUS} } }`,
        {
          input: {
            domainId,
            table: { name: 'customers' },
            column: 'email',
            mask: 'TEXT',
            maskText: '(hidden)',
            condition: "USER_ATTRIBUTE('pii') = 'allowed'",
          },
        },
      );
      assert.equal(put.body.data!.setColumnPolicy.status.code, 'OK');
      const remasked = await tile('carol', 'customers');
      assert.ok(
        remasked.result.rows.every((r: unknown[]) => r[2] === '(hidden)'),
        JSON.stringify(remasked.result.rows),
      );

      // A role taken away: FORBIDDEN at once, though the entry is still in the cache.
      await tile('ann', 'total');
      const roles = `mutation($input: SetUserRoleAssignmentsInput!) { setUserRoleAssignments(input: $input) { ${STATUS} } }`;
      await t.gql(roles, { input: { userId: userIds.get('ann'), roleAssignments: [] } });
      assert.equal((await tile('ann', 'total')).code, 'FORBIDDEN');
      assert.equal((await exportCsv(tokens.get('ann')!, dashboardId, 'total')).status, 403);
      // Made ADMIN: policies no longer apply to them (not alice's cached acme rows).
      await t.gql(roles, {
        input: { userId: userIds.get('ann'), roleAssignments: [{ roleId: ADMIN, scopes: [] }] },
      });
      assert.equal(norm((await tile('ann', 'total')).result.rows[0][0]), ORDERS.length);
      await t.gql(roles, {
        input: { userId: userIds.get('ann'), roleAssignments: [{ roleId: VIEWER, scopes: [domainId] }] },
      });
      assert.deepEqual(
        normRows((await tile('ann', 'total')).result.rows),
        await expected('acme', total, { region: REGIONS }),
      );
      // Suspended: refused even with a warm entry.
      const status = `mutation($input: SetUserStatusInput!) { setUserStatus(input: $input) { ${STATUS} } }`;
      const sus = await t.gql(status, { input: { userId: userIds.get('ann'), status: 'SUSPENDED' } });
      if (sus.body.data?.setUserStatus?.status.code === 'OK') {
        const r = await tile('ann', 'total');
        assert.ok(r.code === 'FORBIDDEN' || r.code === 'UNAUTHENTICATED', JSON.stringify(r.body));
        await t.gql(status, { input: { userId: userIds.get('ann'), status: 'ACTIVE' } });
      }
    });

    it('credential mappings: users routed to different databases never share an entry, and a mapping edit applies at once', async () => {
      const base = await createConnection(t, {
        name: 'routed',
        ...only.get('acme')!.settings,
        onNoMatch: 'USE_BASE',
        credentialMappings: [
          {
            attributeMatch: [{ key: 'tenant', value: 'globex' }],
            database: only.get('globex')!.settings.database,
          },
        ],
      });
      assert.equal(base.payload.status.code, 'OK', JSON.stringify(base.payload.status));
      const domain = await createDomain(t, {
        name: 'routed',
        connectionId: base.payload.connection.id,
        tables: [{ name: 'orders' }],
      });
      assert.equal(domain.payload.status.code, 'OK', JSON.stringify(domain.payload.status));
      const routedDomain = domain.payload.domain.id;
      const roles = `mutation($input: SetUserRoleAssignmentsInput!) { setUserRoleAssignments(input: $input) { ${STATUS} } }`;
      for (const who of ['alice', 'bob'])
        await t.gql(roles, {
          input: {
            userId: userIds.get(who),
            roleAssignments: [{ roleId: VIEWER, scopes: [domainId, routedDomain] }],
          },
        });
      const sql = 'select count(*) as n, sum(amount) as total from orders';
      const created = await post(
        `mutation($input: CreateDashboardInput!) { createDashboard(input: $input) { ${STATUS} dashboard { id } } }`,
        {
          input: {
            title: 'Routed',
            domainId: routedDomain,
            tiles: [
              { id: 'all', title: 'All', sql, visualization: 'NUMBER', position: { x: 0, y: 0, w: 3, h: 2 } },
            ],
            cacheTtlSeconds: 600,
          },
        },
      );
      const routed = created.body.data.createDashboard.dashboard.id;
      const a = await tile('alice', 'all', undefined, routed);
      assert.deepEqual(normRows(a.result.rows), await expected('acme', sql));
      const b = await tile('bob', 'all', undefined, routed);
      assert.equal(b.result.cached, false, 'same SQL, same values, another database: not shared');
      assert.deepEqual(normRows(b.result.rows), await expected('globex', sql));
      // The mapping now sends globex to the base database too: bob's next request reads there.
      const upd = await t.gql(
        `mutation($input: UpdateConnectionInput!) { updateConnection(input: $input) { ${STATUS} } }`,
        {
          input: { id: base.payload.connection.id, credentialMappings: [] },
        },
      );
      assert.equal(upd.body.data!.updateConnection.status.code, 'OK', JSON.stringify(upd.body));
      const b2 = await tile('bob', 'all', undefined, routed);
      assert.deepEqual(normRows(b2.result.rows), await expected('acme', sql));
      for (const who of ['alice', 'bob'])
        await t.gql(roles, {
          input: { userId: userIds.get(who), roleAssignments: [{ roleId: VIEWER, scopes: [domainId] }] },
        });
    });

    it('filter values are only ever bound: quotes, comments, placeholders, unicode select nothing hidden', async () => {
      const hostile = [
        "DE' OR '1'='1",
        "DE') OR 1=1 --",
        'DE/*',
        '*/ OR 1=1',
        '{{region}}',
        '$1',
        '?',
        'globex',
        'Ä🙂ß',
        '\u202eED',
        "acme' OR tenant = 'globex",
      ];
      for (const v of hostile) {
        const r = await tile('alice', 'total', [{ filterId: 'region', values: [v] }]);
        assert.equal(r.code, undefined, JSON.stringify(r.body));
        assert.equal(norm(r.result.rows[0][0]), 0, v);
        const q = await tile('alice', 'by_note', [{ filterId: 'q', values: [v] }]);
        assert.equal(norm(q.result.rows[0][0]), 0, v);
      }
      // A filter named like the policy's attribute does not change the attribute.
      const spoof = await tile('alice', 'tenant_param', [{ filterId: 'tenant', values: ['globex'] }]);
      assert.equal(norm(spoof.result.rows[0][0]), 0);
      const own = await tile('alice', 'tenant_param', [{ filterId: 'tenant', values: ['acme'] }]);
      assert.equal(norm(own.result.rows[0][0]), ORDERS.filter((o) => o.tenant === 'acme').length);
      // Numbers as strings are text, compared exactly.
      const n = await tile('alice', 'by_note', [{ filterId: 'q', values: ['-12.5'] }]);
      assert.deepEqual(normRows(n.result.rows), await expected('acme', TILES[4]!.sql, { q: '-12.5' }));
      // A list of 500 values is fine; every acme region among them.
      const many = [...REGIONS, ...Array.from({ length: 496 }, (_, i) => `R${i}`)];
      const big = await tile('alice', 'total', [{ filterId: 'region', values: many }]);
      assert.deepEqual(normRows(big.result.rows), await expected('acme', TILES[0]!.sql, { region: REGIONS }));
    });

    it('malformed filter values are BAD_USER_INPUT (never a 500) and write nothing', async () => {
      const before = await dashboardRow();
      const bad: unknown[] = [
        [{ filterId: 'region', values: ['DE\u0000'] }],
        [{ filterId: 'region', values: Array.from({ length: 501 }, (_, i) => `R${i}`) }],
        [{ filterId: 'region', values: ['x'.repeat(1001)] }],
        // The limit is on the value bound, not on its trimmed form.
        [{ filterId: 'region', values: [`DE${' '.repeat(5000)}`] }],
        [{ filterId: 'q', values: [`${' '.repeat(999)}ab`] }],
        [{ filterId: 'region', values: ['\ud800'] }],
        [{ filterId: 'nope', values: ['x'] }],
        [{ filterId: 'q', values: ['a', 'b'] }],
        [
          { filterId: 'q', values: ['a'] },
          { filterId: 'q', values: ['b'] },
        ],
        [{ filterId: 'p', values: ['2026-02-30', '2026-03-01'] }],
        [{ filterId: 'p', values: ["2026-01-01' or 1=1", '2026-03-01'] }],
        [{ filterId: 'p', values: ['2026-03-01', '2026-01-01'] }],
        [{ filterId: 'p', values: ['2026-03-01'] }],
      ];
      for (const f of bad) {
        const r = await tile('alice', 'total', f);
        assert.equal(r.code, 'BAD_USER_INPUT', JSON.stringify(r.body).slice(0, 400));
      }
      // Types GraphQL itself refuses: a null in the list, a number, an object, no list at all.
      for (const f of [
        [{ filterId: 'region', values: [null] }],
        [{ filterId: 'region', values: [1] }],
        [{ filterId: 'region', values: [{ a: 1 }] }],
        [{ filterId: 'region', values: null }],
        [{ filterId: null, values: ['DE'] }],
        'DE',
      ]) {
        const r = await tile('alice', 'total', f);
        assert.ok(
          r.code === 'BAD_USER_INPUT' || r.code === 'BAD_REQUEST',
          JSON.stringify(r.body).slice(0, 400),
        );
      }
      const afterRow = await dashboardRow();
      assert.deepEqual(afterRow, before);
      // Default values obey the same limit: an over-long one padded with spaces is refused, nothing stored.
      const count = async () =>
        Number(
          (
            await t.app.services.db
              .selectFrom('dashboards')
              .select((eb) => eb.fn.countAll().as('n'))
              .executeTakeFirstOrThrow()
          ).n,
        );
      const stored = await count();
      const padded = await post(
        `mutation($input: CreateDashboardInput!) { createDashboard(input: $input) { ${STATUS} } }`,
        {
          input: {
            title: 'Padded',
            domainId,
            filters: [
              { id: 'region', label: 'R', type: 'MULTI_SELECT', defaultValues: [`DE${' '.repeat(1500)}`] },
            ],
          },
        },
      );
      assert.equal(
        padded.body.data.createDashboard.status.errorCode,
        'BAD_USER_INPUT',
        JSON.stringify(padded.body).slice(0, 300),
      );
      assert.equal(padded.body.data.createDashboard.status.problems[0].field, 'filters[0].defaultValues[0]');
      assert.equal(await count(), stored);
    });

    it('who may view: no role, another domain, another workspace, another dashboard’s tile, an access key', async () => {
      assert.equal((await tile('eve', 'total')).code, 'FORBIDDEN');
      assert.equal((await exportCsv(tokens.get('eve')!, dashboardId, 'total')).status, 403);
      const r = await post(
        `query($id: ID!) { dashboard(id: $id) { id } }`,
        { id: dashboardId },
        tokens.get('eve')!,
      );
      assert.equal(r.body.errors?.[0]?.extensions?.code, 'FORBIDDEN');
      const list = await post(`{ dashboards { id } }`, {}, tokens.get('eve')!);
      assert.deepEqual(list.body.data.dashboards, []);
      const opts = await post(
        `query($d: ID!, $f: ID!) { dashboardFilterOptions(dashboardId: $d, filterId: $f) { values } }`,
        { d: dashboardId, f: 'region' },
        tokens.get('eve')!,
      );
      assert.equal(opts.body.errors?.[0]?.extensions?.code, 'FORBIDDEN');

      // A second domain alice has no role on, over the same connection.
      const conns = await t.gql(`{ connections { id name } }`);
      const connId = conns.body.data!.connections.find((c: any) => c.name === 'warehouse').id;
      const other = await createDomain(t, {
        name: 'other',
        connectionId: connId,
        tables: [{ name: 'orders' }],
      });
      const otherDash = await post(
        `mutation($input: CreateDashboardInput!) { createDashboard(input: $input) { ${STATUS} dashboard { id } } }`,
        {
          input: {
            title: 'Other',
            domainId: other.payload.domain.id,
            tiles: [
              {
                id: 'total',
                title: 'x',
                sql: 'select count(*) from orders',
                visualization: 'NUMBER',
                position: { x: 0, y: 0, w: 3, h: 2 },
              },
            ],
          },
        },
      );
      const otherId = otherDash.body.data.createDashboard.dashboard.id;
      assert.equal((await tile('alice', 'total', undefined, otherId)).code, 'FORBIDDEN');
      assert.equal((await exportCsv(tokens.get('alice')!, otherId, 'total')).status, 403);
      // An explorer of the sales domain cannot edit or preview in the other domain either.
      const preview = await post(
        `query($d: ID!, $tile: DashboardTileInput!) { dashboardTilePreview(dashboardId: $d, tile: $tile) { rows } }`,
        {
          d: otherId,
          tile: {
            title: 'p',
            sql: 'select count(*) from orders',
            visualization: 'NUMBER',
            position: { x: 0, y: 0, w: 1, h: 1 },
          },
        },
        tokens.get('dave')!,
      );
      assert.equal(preview.body.errors?.[0]?.extensions?.code, 'FORBIDDEN');
      // A tile id of another dashboard.
      assert.equal((await tile('alice', 'notes', undefined, otherId)).code, 'FORBIDDEN');
      const foreignTile = await tile('root', 'notes', undefined, otherId);
      assert.equal(foreignTile.code, 'NOT_FOUND');
      assert.equal((await exportCsv(tokens.get('root')!, otherId, 'notes')).status, 404);
      // A viewer cannot preview (ad-hoc SQL) nor edit.
      const vp = await post(
        `query($d: ID!, $tile: DashboardTileInput!) { dashboardTilePreview(dashboardId: $d, tile: $tile) { rows } }`,
        {
          d: dashboardId,
          tile: {
            title: 'p',
            sql: 'select * from customers',
            visualization: 'TABLE',
            position: { x: 0, y: 0, w: 1, h: 1 },
          },
        },
        tokens.get('alice')!,
      );
      assert.equal(vp.body.errors?.[0]?.extensions?.code, 'FORBIDDEN');
      const beforeRow = await dashboardRow();
      const upd = await post(
        `mutation($input: UpdateDashboardInput!) { updateDashboard(input: $input) { ${STATUS} } }`,
        { input: { id: dashboardId, version: beforeRow.version, title: 'pwned' } },
        tokens.get('alice')!,
      );
      assert.equal(upd.body.errors?.[0]?.extensions?.code, 'FORBIDDEN', JSON.stringify(upd.body));
      assert.deepEqual(await dashboardRow(), beforeRow);

      // Another workspace's user with this dashboard's id.
      const ws = await t.app.services.workspaces.create('other', {
        requestId: 'x',
        ip: '127.0.0.1',
        actorKeyId: null,
        actorUserId: null,
      });
      const key = await t.key(PERMISSIONS, ws.id);
      const mk = await createUsers(
        t,
        { emails: ['mallory@other.test'], userAttributes: [{ key: 'tenant', value: 'acme' }] },
        key,
      );
      assert.equal(mk.payload?.status.code, 'OK', JSON.stringify(mk.body));
      const imp = await post(IMPERSONATE, { accessToken: key, userEmail: 'mallory@other.test' });
      const mallory = imp.body.data?.impersonateUser as string;
      assert.ok(mallory, JSON.stringify(imp.body));
      const m = await post(TILE_QUERY, { d: dashboardId, t: 'total' }, mallory);
      assert.equal(m.body.errors?.[0]?.extensions?.code, 'NOT_FOUND');
      assert.equal((await exportCsv(mallory, dashboardId, 'total')).status, 404);
      const md = await post(`query($id: ID!) { dashboard(id: $id) { id } }`, { id: dashboardId }, mallory);
      assert.equal(md.body.data?.dashboard ?? null, null);
      const ml = await post(
        `query($ws: ID) { dashboards(workspaceId: $ws) { id } }`,
        { ws: t.workspaceId },
        mallory,
      );
      assert.ok(ml.body.errors?.[0] || ml.body.data.dashboards.length === 0, JSON.stringify(ml.body));
      // An access key has no rows of its own.
      const k = await post(TILE_QUERY, { d: dashboardId, t: 'total' }, t.rootKey);
      assert.equal(k.body.errors?.[0]?.extensions?.code, 'FORBIDDEN');
      assert.equal((await exportCsv(t.rootKey, dashboardId, 'total')).status, 403);
      assert.equal((await exportCsv('garbage', dashboardId, 'total')).status, 401);
      assert.equal((await exportCsv(null, dashboardId, 'total')).status, 401);
    });

    it('a share opens one dashboard, under the holder’s own policies, and its removal applies at once', async () => {
      const share = `mutation($scopeId: ID!, $a: [ScopeRoleAssignmentInput!]!) {
        addScopeRoleAssignmentsForSharing(scopeId: $scopeId, scopeRoleAssignments: $a, scopeType: DASHBOARD) { code message } }`;
      const unshare = `mutation($scopeId: ID!, $a: [ScopeRoleAssignmentInput!]!) {
        removeScopeRoleAssignmentsForSharing(scopeId: $scopeId, scopeRoleAssignments: $a, scopeType: DASHBOARD) { code message } }`;
      const viewerRole = '00000000-0000-0000-0000-000000000008';
      const editorRole = '00000000-0000-0000-0000-000000000009';
      const other = await post(
        `mutation($input: CreateDashboardInput!) { createDashboard(input: $input) { ${STATUS} dashboard { id } } }`,
        { input: { title: 'Unshared', domainId, filters: FILTERS, tiles: TILES } },
      );
      const unsharedId = other.body.data.createDashboard.dashboard.id;
      const eve = userIds.get('eve')!;
      const r = await post(share, { scopeId: dashboardId, a: [{ roleId: viewerRole, principalId: eve }] });
      assert.equal(r.body.data.addScopeRoleAssignmentsForSharing.code, 'OK', JSON.stringify(r.body));
      // Eve has no role on the domain: the tile still runs under her row policy (acme) and mask (allowed).
      for (const tl of ['total', 'customers']) {
        const got = await tile('eve', tl);
        assert.equal(got.code, undefined, JSON.stringify(got.body));
        assert.deepEqual(
          normRows(got.result.rows),
          await expected('acme', TILES.find((x) => x.id === tl)!.sql),
        );
      }
      const opts = await post(
        `query($d: ID!, $f: ID!) { dashboardFilterOptions(dashboardId: $d, filterId: $f) { values } }`,
        { d: dashboardId, f: 'region' },
        tokens.get('eve')!,
      );
      const want = (await expected('acme', FILTERS[0]!.optionsSql!)).map((row) => row[0]);
      assert.deepEqual(opts.body.data.dashboardFilterOptions.values, want);
      // The share is for this dashboard only; no preview, no edit, no ad-hoc SQL.
      assert.equal((await tile('eve', 'total', undefined, unsharedId)).code, 'FORBIDDEN');
      const preview = await post(
        `query($d: ID!, $tile: DashboardTileInput!) { dashboardTilePreview(dashboardId: $d, tile: $tile) { rows } }`,
        {
          d: dashboardId,
          tile: {
            title: 'p',
            sql: 'select * from orders',
            visualization: 'TABLE',
            position: { x: 0, y: 0, w: 1, h: 1 },
          },
        },
        tokens.get('eve')!,
      );
      assert.equal(preview.body.errors?.[0]?.extensions?.code, 'FORBIDDEN');
      const adHoc = await post(
        `query($d: ID!) { runQuery(domainId: $d, sql: "select * from orders") { rowCount } }`,
        { d: domainId },
        tokens.get('eve')!,
      );
      assert.equal(adHoc.body.errors?.[0]?.extensions?.code, 'FORBIDDEN');
      // An editor share lets her change this dashboard's tiles, still under her policies, and nothing else.
      await post(share, { scopeId: dashboardId, a: [{ roleId: editorRole, principalId: eve }] });
      const pv = await post(
        `query($d: ID!, $tile: DashboardTileInput!) { dashboardTilePreview(dashboardId: $d, tile: $tile) { rows } }`,
        {
          d: dashboardId,
          tile: {
            title: 'p',
            sql: 'select count(*) from orders',
            visualization: 'NUMBER',
            position: { x: 0, y: 0, w: 1, h: 1 },
          },
        },
        tokens.get('eve')!,
      );
      assert.deepEqual(
        normRows(pv.body.data.dashboardTilePreview.rows),
        await expected('acme', 'select count(*) from orders'),
      );
      const create = await post(
        `mutation($input: CreateDashboardInput!) { createDashboard(input: $input) { ${STATUS} } }`,
        { input: { title: 'Mine', domainId } },
        tokens.get('eve')!,
      );
      assert.equal(create.body.errors?.[0]?.extensions?.code, 'FORBIDDEN');
      const dup = await post(
        `mutation($input: DuplicateDashboardInput!) { duplicateDashboard(input: $input) { ${STATUS} } }`,
        { input: { id: dashboardId } },
        tokens.get('eve')!,
      );
      assert.equal(dup.body.errors?.[0]?.extensions?.code, 'FORBIDDEN');
      // Unshared: the next request is refused though her entries are warm.
      const u = await post(unshare, {
        scopeId: dashboardId,
        a: [
          { roleId: viewerRole, principalId: eve },
          { roleId: editorRole, principalId: eve },
        ],
      });
      assert.equal(u.body.data.removeScopeRoleAssignmentsForSharing.code, 'OK');
      assert.equal((await tile('eve', 'total')).code, 'FORBIDDEN');
      assert.equal((await exportCsv(tokens.get('eve')!, dashboardId, 'total')).status, 403);
    });

    it('a share gives nothing to a user who is not ACTIVE (INACTIVE, PENDING): no view, no edit, no share', async () => {
      const editorRole = '00000000-0000-0000-0000-000000000009';
      const share = `mutation($scopeId: ID!, $a: [ScopeRoleAssignmentInput!]!) {
        addScopeRoleAssignmentsForSharing(scopeId: $scopeId, scopeRoleAssignments: $a, scopeType: DASHBOARD) { code message } }`;
      const setStatus = `mutation($input: SetUserStatusInput!) { setUserStatus(input: $input) { ${STATUS} } }`;
      for (const status of ['INACTIVE', 'PENDING']) {
        const name = `ivy_${status.toLowerCase()}`;
        await user(name, [], { tenant: 'acme', pii: 'allowed' });
        const ivy = userIds.get(name)!;
        const s = await post(share, { scopeId: dashboardId, a: [{ roleId: editorRole, principalId: ivy }] });
        assert.equal(s.body.data.addScopeRoleAssignmentsForSharing.code, 'OK');
        const token = tokens.get(name)!;
        const seen = await post(
          `query($id: ID!) { dashboard(id: $id) { id access } }`,
          { id: dashboardId },
          token,
        );
        assert.equal(seen.body.data.dashboard.access, 'EDIT', 'the share works while ACTIVE');
        const set = await t.gql(setStatus, { input: { userId: ivy, status } });
        assert.equal(set.body.data!.setUserStatus.status.code, 'OK', JSON.stringify(set.body));
        const before = await dashboardRow();
        const sharesBefore = await t.app.services.db.selectFrom('dashboard_shares').selectAll().execute();
        const codeOf = (r: { status: number; body: any }) => {
          assert.notEqual(r.status, 500, JSON.stringify(r.body));
          return r.body.errors?.[0]?.extensions?.code ?? (r.status === 401 ? 'UNAUTHENTICATED' : undefined);
        };
        const refused = (code: string | undefined) => code === 'FORBIDDEN' || code === 'UNAUTHENTICATED';
        const view = await post(
          `query($id: ID!) { dashboard(id: $id) { id tiles { sql } } }`,
          { id: dashboardId },
          token,
        );
        assert.ok(refused(codeOf(view)), `${status} view: ${JSON.stringify(view.body)}`);
        const list = await post(`{ dashboards { id } }`, {}, token);
        assert.ok(
          refused(codeOf(list)) || list.body.data.dashboards.length === 0,
          `${status} list: ${JSON.stringify(list.body)}`,
        );
        const upd = await post(
          `mutation($input: UpdateDashboardInput!) { updateDashboard(input: $input) { ${STATUS} } }`,
          { input: { id: dashboardId, version: before.version, title: 'Changed by a deactivated user' } },
          token,
        );
        assert.ok(refused(codeOf(upd)), `${status} update: ${JSON.stringify(upd.body)}`);
        const reshare = await post(
          share,
          { scopeId: dashboardId, a: [{ roleId: editorRole, principalId: userIds.get('eve') }] },
          token,
        );
        assert.ok(refused(codeOf(reshare)), `${status} share: ${JSON.stringify(reshare.body)}`);
        const del = await post(
          `mutation($input: DeleteDashboardInput!) { deleteDashboard(input: $input) { ${STATUS} } }`,
          { input: { id: dashboardId } },
          token,
        );
        assert.ok(refused(codeOf(del)), `${status} delete: ${JSON.stringify(del.body)}`);
        assert.ok(refused((await tile(name, 'total')).code ?? 'none'));
        assert.deepEqual(await dashboardRow(), before);
        assert.deepEqual(
          await t.app.services.db.selectFrom('dashboard_shares').selectAll().execute(),
          sharesBefore,
        );
      }
    });

    it('CSV export: the viewer’s rows, masks applied, formula cells neutralized, hostile filters bound', async () => {
      const csv = await exportCsv(tokens.get('carol')!, dashboardId, 'customers');
      assert.equal(csv.status, 200, csv.text);
      const lines = csv.text
        .replace(/^\uFEFF/, '')
        .split('\r\n')
        .filter(Boolean);
      assert.equal(lines[0], 'id,name,email');
      const acme = CUSTOMERS.filter((c) => c.tenant === 'acme');
      assert.equal(lines.length - 1, acme.length);
      for (const line of lines.slice(1)) assert.ok(line.endsWith(',(hidden)'), line);
      assert.ok(
        lines.some((l) => l.includes(`"'=cmd|""/c calc""!A1"`)),
        lines.join('\n'),
      );

      const notes = await exportCsv(tokens.get('alice')!, dashboardId, 'notes');
      assert.equal(notes.status, 200);
      const rows = notes.text
        .replace(/^\uFEFF/, '')
        .split('\r\n')
        .slice(1)
        .filter(Boolean);
      assert.equal(rows.length, ORDERS.filter((o) => o.tenant === 'acme').length);
      for (const row of rows) {
        // id,region,amount,note: the note cell must not start a formula.
        const note = row.split(',').slice(3).join(',').replace(/^"/, '');
        assert.ok(!/^[=+@\t\r]/.test(note) && !/^-(?!12\.5$)/.test(note), row);
      }
      // Hostile query-string filters are bound values.
      const h = await exportCsv(
        tokens.get('alice')!,
        dashboardId,
        'total',
        `?filter.region=${encodeURIComponent("DE' OR '1'='1")}&filter.region=${encodeURIComponent('*/--')}`,
      );
      assert.equal(h.status, 200);
      assert.match(h.text, /\r\n0,\r\n$/);
      for (const q of [
        '?filter.nope=1',
        `?filter.q=a&filter.q=b`,
        `?filter.region=${encodeURIComponent('\u0000')}`,
        '?filter.p=2026-13-01&filter.p=2026-01-01',
      ])
        assert.equal((await exportCsv(tokens.get('alice')!, dashboardId, 'total', q)).status, 400, q);
      assert.equal((await exportCsv(tokens.get('alice')!, dashboardId, 'missing')).status, 404);
      assert.equal((await exportCsv(tokens.get('alice')!, 'dsh_missing', 'total')).status, 404);
    });

    it('CSV export reads filters in the embed page’s URL syntax: a date range is from..to', async () => {
      const d = await post(
        `mutation($input: CreateDashboardInput!) { createDashboard(input: $input) { ${STATUS} dashboard { id } } }`,
        {
          input: {
            title: 'Range',
            domainId,
            filters: FILTERS,
            tiles: [
              {
                id: 'range',
                title: 'Range',
                sql: 'select CAST({{p_from}} AS date) as f, CAST({{p_to}} AS date) as t, count(*) as n from orders',
                visualization: 'TABLE',
                position: { x: 0, y: 0, w: 3, h: 2 },
              },
            ],
          },
        },
      );
      const id = d.body.data.createDashboard.dashboard.id;
      const acme = ORDERS.filter((o) => o.tenant === 'acme').length;
      const csv = async (query: string) => {
        const r = await exportCsv(tokens.get('alice')!, id, 'range', query);
        assert.equal(r.status, 200, `${query}: ${r.text}`);
        return r.text.replace(/^\uFEFF/, '').split('\r\n')[1];
      };
      // The embed page's own form (docs/embedding.md), and the two-value form, give the same range.
      assert.equal(await csv('?filter.p=2026-02-01..2026-03-31'), `2026-02-01,2026-03-31,${acme}`);
      assert.equal(await csv('?filter.p=2026-02-01&filter.p=2026-03-31'), `2026-02-01,2026-03-31,${acme}`);
      // `..` alone is the embed page's cleared range: the defaults.
      assert.equal(await csv('?filter.p=..'), `2026-01-01,2026-12-31,${acme}`);
      // The tile over GraphQL shows the same range.
      const tileRows = await tile(
        'alice',
        'range',
        [{ filterId: 'p', values: ['2026-02-01', '2026-03-31'] }],
        id,
      );
      assert.deepEqual(normRows(tileRows.result.rows), [['2026-02-01', '2026-03-31', acme]]);
      for (const q of [
        '?filter.p=2026-02-01..',
        '?filter.p=..2026-02-01',
        '?filter.p=2026-03-01..2026-02-01',
        '?filter.p=a..b..c',
      ])
        assert.equal((await exportCsv(tokens.get('alice')!, id, 'range', q)).status, 400, q);
    });

    it('CSV export: a formula in a column name is neutralized too, the row cap holds, an oversized result is 413', async () => {
      const rowsSql = 'select g as "=HYPERLINK(1)", g % 7 as "-n" from generate_series(1, 100005) g';
      const hugeSql = "select g, repeat('x', 2000) as pad from generate_series(1, 20000) g";
      const d = await post(
        `mutation($input: CreateDashboardInput!) { createDashboard(input: $input) { ${STATUS} dashboard { id } } }`,
        {
          input: {
            title: 'Big',
            domainId,
            tiles: [
              {
                id: 'rows',
                title: 'Rows',
                sql: rowsSql,
                visualization: 'TABLE',
                position: { x: 0, y: 0, w: 3, h: 2 },
              },
              {
                id: 'huge',
                title: 'Huge',
                sql: hugeSql,
                visualization: 'TABLE',
                position: { x: 0, y: 2, w: 3, h: 2 },
              },
            ],
          },
        },
        tokens.get('dave')!,
      );
      assert.equal(d.body.data.createDashboard.status.code, 'OK', JSON.stringify(d.body));
      const id = d.body.data.createDashboard.dashboard.id;
      const r = await exportCsv(tokens.get('alice')!, id, 'rows');
      assert.equal(r.status, 200, r.text.slice(0, 300));
      assert.equal(r.headers.get('x-tessera-row-count'), '100000');
      assert.equal(r.headers.get('x-tessera-truncated'), 'true');
      const lines = r.text.replace(/^\uFEFF/, '').split('\r\n');
      assert.equal(lines[0], "'=HYPERLINK(1),'-n");
      assert.equal(lines.filter(Boolean).length, 100_001);
      const huge = await exportCsv(tokens.get('alice')!, id, 'huge');
      assert.equal(huge.status, 413, huge.text.slice(0, 300));
      assert.equal(
        JSON.parse(huge.text).code ??
          JSON.parse(huge.text).error?.code ??
          JSON.parse(huge.text).errors?.[0]?.extensions?.code,
        'QUERY_RESULT_TOO_LARGE',
      );
    });

    it('two editors saving the same version: one wins, the other gets CONFLICT, nothing is lost or mixed', async () => {
      const current = await dashboardRow();
      const mutation = `mutation($input: UpdateDashboardInput!) { updateDashboard(input: $input) { ${STATUS} dashboard { version title } } }`;
      const editors = ['dave', 'erin', 'root', 'dave', 'erin', 'root'];
      const results = await Promise.all(
        editors.map((who, i) =>
          post(
            mutation,
            { input: { id: dashboardId, version: current.version, title: `Sales ${i}` } },
            tokens.get(who)!,
          ),
        ),
      );
      for (const r of results) assert.equal(r.status, 200, JSON.stringify(r.body));
      const ok = results.filter((r) => r.body.data.updateDashboard.status.code === 'OK');
      const conflicts = results.filter((r) => r.body.data.updateDashboard.status.errorCode === 'CONFLICT');
      assert.equal(ok.length, 1, JSON.stringify(results.map((r) => r.body)));
      assert.equal(conflicts.length, editors.length - 1);
      const now = await dashboardRow();
      assert.equal(now.version, current.version + 1);
      assert.equal(now.title, ok[0]!.body.data.updateDashboard.dashboard.title);
      // A delete naming the old version is refused too.
      const del = await post(
        `mutation($input: DeleteDashboardInput!) { deleteDashboard(input: $input) { ${STATUS} } }`,
        { input: { id: dashboardId, version: current.version } },
        tokens.get('dave')!,
      );
      assert.equal(del.body.data!.deleteDashboard.status.errorCode, 'CONFLICT');
      assert.deepEqual(await dashboardRow(), now);
    });

    it('updates and deletes racing on one version: each is OK, CONFLICT or NOT_FOUND, and the outcome is one of them', async () => {
      const d = await post(
        `mutation($input: CreateDashboardInput!) { createDashboard(input: $input) { ${STATUS} dashboard { id version } } }`,
        { input: { title: 'Raced', domainId, filters: FILTERS, tiles: TILES } },
        tokens.get('dave')!,
      );
      const id = d.body.data.createDashboard.dashboard.id;
      const update = `mutation($input: UpdateDashboardInput!) { updateDashboard(input: $input) { ${STATUS} dashboard { version } } }`;
      const remove = `mutation($input: DeleteDashboardInput!) { deleteDashboard(input: $input) { ${STATUS} } }`;
      const calls = [
        post(
          update,
          { input: { id, version: 1, title: 'A', tiles: TILES.slice(0, 2) } },
          tokens.get('dave')!,
        ),
        post(remove, { input: { id, version: 1 } }, tokens.get('erin')!),
        post(update, { input: { id, version: 1, title: 'B' } }, tokens.get('erin')!),
        post(remove, { input: { id } }, tokens.get('root')!),
        post(update, { input: { id, version: 1, title: 'C' } }, tokens.get('root')!),
      ];
      const outcomes = (await Promise.all(calls)).map((r) => {
        assert.equal(r.status, 200, JSON.stringify(r.body));
        const status = (r.body.data.updateDashboard ?? r.body.data.deleteDashboard).status;
        assert.ok(
          ['OK', 'CONFLICT', 'NOT_FOUND'].includes(status.errorCode ?? status.code),
          JSON.stringify(status),
        );
        return status.errorCode ?? status.code;
      });
      // Version 1 could be taken by only one of the versioned writes.
      const versionedOk = [0, 1, 2, 4].filter((i) => outcomes[i] === 'OK');
      assert.ok(versionedOk.length <= 1, JSON.stringify(outcomes));
      // The unconditional delete removes it unless the versioned one did first: gone either way.
      assert.equal([outcomes[1], outcomes[3]].filter((o) => o === 'OK').length, 1, JSON.stringify(outcomes));
      const left = await t.app.services.db
        .selectFrom('dashboards')
        .select('id')
        .where('id', '=', id)
        .execute();
      assert.deepEqual(left, []);
      const shares = await t.app.services.db
        .selectFrom('dashboard_shares')
        .select('user_id')
        .where('dashboard_id', '=', id)
        .execute();
      assert.deepEqual(shares, []);
    });

    it('a dashboard deleted while its tiles render: each request is its rows or NOT_FOUND, never a 500', async () => {
      const d = await post(
        `mutation($input: CreateDashboardInput!) { createDashboard(input: $input) { ${STATUS} dashboard { id } } }`,
        { input: { title: 'Doomed', domainId, filters: FILTERS, tiles: TILES } },
        tokens.get('dave')!,
      );
      const id = d.body.data.createDashboard.dashboard.id;
      const work: Promise<unknown>[] = [];
      for (let i = 0; i < 12; i++) {
        work.push(tile('alice', TILES[i % 4]!.id, undefined, id));
        if (i === 4)
          work.push(
            post(
              `mutation($input: DeleteDashboardInput!) { deleteDashboard(input: $input) { ${STATUS} } }`,
              { input: { id } },
              tokens.get('dave')!,
            ),
          );
        work.push(exportCsv(tokens.get('alice')!, id, 'notes'));
      }
      const done = await Promise.all(work);
      for (const r of done as any[]) {
        if ('code' in r) assert.ok(r.code === undefined || r.code === 'NOT_FOUND', JSON.stringify(r.body));
        else if ('text' in r)
          assert.ok(r.status === 200 || r.status === 404, `${r.status} ${r.text.slice(0, 200)}`);
        else assert.equal(r.body.data.deleteDashboard.status.code, 'OK');
      }
      assert.equal((await tile('alice', 'total', undefined, id)).code, 'NOT_FOUND');
    });
  });
}
