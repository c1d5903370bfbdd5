// The demo dashboard ("Sales overview", from `tessera demo`) served by a real `tessera serve`
// process and embedded by the example host, plus what each tenant should see, computed straight
// in SQL on a separate copy of the demo warehouse (PGlite, in this process).
import { execFileSync } from 'node:child_process';
import { PGlite } from '@electric-sql/pglite';
import { type ExampleHost, startExampleHost } from '../../examples/host/server.ts';
import {
  DEMO_COLUMN_POLICY,
  DEMO_POLICIES,
  DEMO_USERS,
  DEMO_WAREHOUSE_SQL,
} from '../../src/modules/data/demo.ts';
import { ROLE_IDS } from '../../src/modules/roles/roles.ts';
import { type ServerProcess, startServerProcess } from './server-process.ts';
import { ensureWebBuilt } from './web-build.ts';

export const DEMO_TITLE = 'Sales overview';
/** A VIEWER of the demo domain, same tenant and regions as Alice, but customer names masked (pii none). */
export const VIEWER = 'vera@acme.example';

export interface DemoTile {
  readonly id: string;
  readonly title: string;
  readonly sql: string;
  readonly visualization: string;
  readonly bindings: { readonly y: readonly string[] };
}
export interface DemoFilter {
  readonly id: string;
  readonly type: string;
  readonly defaultValues: readonly string[];
}
export interface DemoDashboard {
  readonly id: string;
  readonly domainId: string;
  readonly tiles: readonly DemoTile[];
  readonly filters: readonly DemoFilter[];
}

export interface DashboardStack {
  readonly tessera: ServerProcess;
  readonly host: ExampleHost;
  readonly dashboard: DemoDashboard;
  /** A copy of the demo with a `region` select filter that its "Orders in region" tile uses. */
  readonly filtered: DemoDashboard;
  /** A dashboard with a date-range filter (`period`) and a text filter (`customer`), tiles over each. */
  readonly explore: DemoDashboard;
  gql(query: string, variables?: Record<string, unknown>): Promise<Record<string, any>>;
  /**
   * The rows `sql` returns for a demo user, from their tenant's rows only, with the values of
   * `dashboard`'s filters bound (the demo dashboard's when omitted).
   */
  expected(
    email: string,
    sql: string,
    filters?: ReadonlyMap<string, readonly string[]>,
    dashboard?: DemoDashboard,
  ): Promise<unknown[][]>;
  stop(): Promise<void>;
}

const sqlText = (s: string) => `'${s.replace(/'/g, "''")}'`;

/** "Sales explorer": a date range and a free-text customer name, each narrowing its own tiles. */
const EXPLORE = (domainId: string) => ({
  title: 'Sales explorer',
  domainId,
  filters: [
    { id: 'period', label: 'Period', type: 'DATE_RANGE', defaultValues: ['2026-01-01', '2026-12-31'] },
    { id: 'customer', label: 'Customer name', type: 'TEXT' },
  ],
  tiles: [
    {
      id: 'period_revenue',
      title: 'Revenue in period',
      sql: 'select sum(amount) as revenue from orders where ordered_at >= CAST({{period_from}} AS date) and ordered_at <= CAST({{period_to}} AS date)',
      visualization: 'NUMBER',
      bindings: { y: ['revenue'] },
      position: { x: 0, y: 0, w: 3, h: 2 },
    },
    {
      id: 'period_orders',
      title: 'Orders in period',
      sql: 'select id, ordered_at, amount from orders where ordered_at >= CAST({{period_from}} AS date) and ordered_at <= CAST({{period_to}} AS date) order by ordered_at, id',
      visualization: 'TABLE',
      bindings: { y: ['amount'] },
      position: { x: 3, y: 0, w: 9, h: 4 },
    },
    {
      id: 'customer_orders',
      title: 'Orders of the customer',
      sql: 'select count(*) as orders from orders o join customers c on c.id = o.customer_id where c.name = {{customer}}',
      visualization: 'NUMBER',
      bindings: { y: ['orders'] },
      position: { x: 0, y: 4, w: 3, h: 2 },
    },
    {
      id: 'customer_amounts',
      title: 'Amounts of the customer',
      sql: 'select o.id, o.amount from orders o join customers c on c.id = o.customer_id where c.name = {{customer}} order by o.id',
      visualization: 'TABLE',
      bindings: { y: ['amount'] },
      position: { x: 3, y: 4, w: 9, h: 4 },
    },
  ],
});

export async function startDashboardStack(): Promise<DashboardStack> {
  await ensureWebBuilt();
  const tessera = await startServerProcess(
    { TESSERA_SESSION_TTL_SECONDS: '30' },
    {
      setup: (dataDir) => {
        execFileSync(process.execPath, ['src/cli.ts', 'demo', '--json'], {
          env: { ...process.env, TESSERA_DATA_DIR: dataDir, LOG_LEVEL: 'silent', NODE_ENV: 'test' },
          encoding: 'utf8',
        });
      },
    },
  );
  const warehouse = new PGlite();
  try {
    const gql = async (query: string, variables: Record<string, unknown> = {}) => {
      const r = await fetch(`${tessera.url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${tessera.firstKey}` },
        body: JSON.stringify({ query, variables }),
      });
      const body = (await r.json()) as { data?: Record<string, any>; errors?: unknown[] };
      if (r.status !== 200 || body.errors) throw new Error(`GraphQL failed: ${JSON.stringify(body)}`);
      return body.data!;
    };
    const listed = (await gql('{ dashboards { id title domainId } }')).dashboards as {
      id: string;
      title: string;
      domainId: string;
    }[];
    const demo = listed.find((d) => d.title === DEMO_TITLE);
    if (!demo) throw new Error(`tessera demo made no "${DEMO_TITLE}" dashboard: ${JSON.stringify(listed)}`);
    const dashboard = (
      await gql(
        'query($id: ID!) { dashboard(id: $id) { id domainId filters { id type defaultValues } tiles { id title sql visualization bindings { y } } } }',
        { id: demo.id },
      )
    ).dashboard as DemoDashboard;
    const read = async (id: string) =>
      (
        await gql(
          'query($id: ID!) { dashboard(id: $id) { id domainId filters { id type defaultValues } tiles { id title sql visualization bindings { y } } } }',
          { id },
        )
      ).dashboard as DemoDashboard;
    const created = await gql(
      'mutation($input: CreateDashboardInput!) { createDashboard(input: $input) { status { code message } dashboard { id } } }',
      {
        input: {
          title: 'Sales by region',
          domainId: dashboard.domainId,
          filters: [
            {
              id: 'region',
              label: 'Region',
              type: 'SINGLE_SELECT',
              optionsSql: 'select code from regions order by code',
            },
          ],
          tiles: [
            {
              id: 'in_region',
              title: 'Orders in region',
              sql: 'select count(*) as orders from orders where region = {{region}}',
              visualization: 'NUMBER',
              bindings: { y: ['orders'] },
              position: { x: 0, y: 0, w: 4, h: 2 },
            },
            {
              id: 'all_regions',
              title: 'Orders in all regions',
              sql: 'select count(*) as orders from orders',
              visualization: 'NUMBER',
              bindings: { y: ['orders'] },
              position: { x: 4, y: 0, w: 4, h: 2 },
            },
          ],
        },
      },
    );
    if (created.createDashboard.status.code !== 'OK') throw new Error(JSON.stringify(created));
    const filtered = await read(created.createDashboard.dashboard.id);
    const explored = await gql(
      'mutation($input: CreateDashboardInput!) { createDashboard(input: $input) { status { code message } dashboard { id } } }',
      { input: EXPLORE(dashboard.domainId) },
    );
    if (explored.createDashboard.status.code !== 'OK') throw new Error(JSON.stringify(explored));
    const explore = await read(explored.createDashboard.dashboard.id);
    const vera = DEMO_USERS[0];
    await gql('mutation($input: CreateUsersInput!) { createUsers(input: $input) { status { code } } }', {
      input: {
        emails: [VIEWER],
        roleAssignments: [{ roleId: ROLE_IDS.VIEWER, scopes: [dashboard.domainId] }],
        userAttributes: [
          { key: 'tenant_id', value: vera.tenant },
          { key: 'regions', value: JSON.stringify(vera.regions) },
          { key: 'pii', value: 'none' },
        ],
      },
    });
    const key = await gql(
      'mutation { createAccessKey(input: { name: "example host", permissions: ["impersonate"] }) { token } }',
    );
    const host = await startExampleHost({
      tesseraUrl: tessera.url,
      accessKey: key.createAccessKey.token,
      port: 0,
      dashboardId: dashboard.id,
    });
    await gql(
      'mutation($input: UpdateWorkspaceEmbedSettingsInput!) { updateWorkspaceEmbedSettings(input: $input) { status { code } } }',
      { input: { allowedEmbedOrigins: [host.url] } },
    );

    // One schema per demo user: views that hold only the rows the row policies give that user,
    // with the column policy's mask applied where its condition does not hold for them.
    await warehouse.exec(DEMO_WAREHOUSE_SQL);
    const users = [...DEMO_USERS, { email: VIEWER, tenant: vera.tenant, regions: vera.regions, pii: 'none' }];
    const columnsOf = async (table: string) =>
      (
        await warehouse.query<{ column_name: string }>(
          `select column_name from information_schema.columns where table_schema = 'public' and table_name = $1 order by ordinal_position`,
          [table],
        )
      ).rows.map((r) => r.column_name);
    for (const [i, u] of users.entries()) {
      const written = (expression: string) =>
        expression
          .replace(/USER_ATTRIBUTE\('tenant_id'\)/g, sqlText(u.tenant))
          .replace(/USER_ATTRIBUTE\('pii'\)/g, sqlText(u.pii))
          .replace(
            /USER_ATTRIBUTE_STR_LIST\('regions'\)/g,
            `ARRAY[${u.regions.map(sqlText).join(', ')}]::text[]`,
          );
      await warehouse.exec(`create schema u${i}`);
      for (const [table, policy] of Object.entries(DEMO_POLICIES)) {
        const { column, condition, maskText } = DEMO_COLUMN_POLICY;
        const projection =
          table === DEMO_COLUMN_POLICY.table
            ? (await columnsOf(table))
                .map((c) =>
                  c === column
                    ? `case when ${written(condition)} then ${c} else ${sqlText(maskText)} end as ${c}`
                    : c,
                )
                .join(', ')
            : '*';
        await warehouse.exec(
          `create view u${i}.${table} as select ${projection} from public.${table} where ${written(policy)}`,
        );
      }
    }
    const schemaOf = (email: string) => {
      const i = users.findIndex((u) => u.email === email);
      if (i < 0) throw new Error(`not a demo user: ${email}`);
      return `u${i}`;
    };
    // Filters of one dashboard only: two dashboards may give one filter id different types.
    const filterValues = (board: DemoDashboard, filters?: ReadonlyMap<string, readonly string[]>) => {
      const values = new Map<string, unknown>();
      for (const f of board.filters) {
        // An untouched filter is sent with its default values, as the page does.
        const given = filters?.get(f.id);
        const v = given && given.length > 0 ? given : f.defaultValues;
        if (f.type === 'DATE_RANGE') {
          values.set(`${f.id}_from`, v[0] ?? null);
          values.set(`${f.id}_to`, v[1] ?? null);
        } else if (f.type === 'MULTI_SELECT') values.set(f.id, [...v]);
        else values.set(f.id, v[0] ?? null);
      }
      return values;
    };
    return {
      tessera,
      host,
      dashboard,
      filtered,
      explore,
      gql,
      async expected(email, sql, filters, board = dashboard) {
        const values = filterValues(board, filters);
        const params: unknown[] = [];
        // A list filter (`x IN ({{list}})`) is bound one parameter per value, as MySQL's gate binds it.
        const bound = sql.replace(/\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}/g, (_, name: string) => {
          const value = values.has(name) ? values.get(name) : null;
          const list = Array.isArray(value) ? (value.length > 0 ? value : [null]) : [value];
          return list.map((v) => `$${params.push(v)}`).join(', ');
        });
        return warehouse.transaction(async (tx) => {
          await tx.exec(`set local search_path to ${schemaOf(email)}`);
          const r = await tx.query(bound, params, { rowMode: 'array' });
          return r.rows as unknown[][];
        });
      },
      stop: async () => {
        await host.stop();
        await tessera.stop();
        await warehouse.close();
      },
    };
  } catch (err) {
    await tessera.stop();
    await warehouse.close();
    throw err;
  }
}
