import type { RunningApp } from '../../kernel/command.ts';
import type { AuditOrigin } from '../audit/service.ts';
import { ROLE_IDS } from '../roles/roles.ts';
import type { DataAccess } from './access.ts';

/** The demo warehouse: three tenants' orders, customers and regions, loaded idempotently. */
export const DEMO_WAREHOUSE_SQL = `
  create table if not exists regions (code text primary key, name text not null);
  create table if not exists customers (
    id integer primary key, tenant_id text not null, name text not null, region text not null references regions (code)
  );
  create table if not exists orders (
    id integer primary key, tenant_id text not null, customer_id integer not null references customers (id),
    region text not null references regions (code), amount numeric(10, 2) not null, ordered_at date not null
  );
  create index if not exists orders_tenant on orders (tenant_id, region);
  insert into regions values ('DE', 'Germany'), ('FR', 'France'), ('US', 'United States'), ('JP', 'Japan')
    on conflict do nothing;
  insert into customers values
    (1, 'acme', 'Acme Berlin', 'DE'), (2, 'acme', 'Acme Paris', 'FR'), (3, 'acme', 'Acme Austin', 'US'),
    (4, 'globex', 'Globex Boston', 'US'), (5, 'globex', 'Globex Lyon', 'FR'),
    (6, 'initech', 'Initech Tokyo', 'JP'), (7, 'initech', 'Initech Munich', 'DE')
    on conflict do nothing;
  insert into orders values
    (101, 'acme', 1, 'DE', 1200.00, '2026-01-05'), (102, 'acme', 2, 'FR', 640.50, '2026-01-09'),
    (103, 'acme', 3, 'US', 980.00, '2026-02-01'), (104, 'acme', 1, 'DE', 310.25, '2026-02-14'),
    (201, 'globex', 4, 'US', 2250.00, '2026-01-11'), (202, 'globex', 5, 'FR', 415.00, '2026-01-20'),
    (203, 'globex', 4, 'US', 99.99, '2026-03-02'),
    (301, 'initech', 6, 'JP', 5000.00, '2026-01-30'), (302, 'initech', 7, 'DE', 725.00, '2026-02-22')
    on conflict do nothing;
`;

export const DEMO_CONNECTION = 'Demo warehouse';
export const DEMO_DOMAIN = 'Demo sales';

export const DEMO_POLICIES: Record<string, string> = {
  orders: "tenant_id = USER_ATTRIBUTE('tenant_id') AND region = ANY(USER_ATTRIBUTE_STR_LIST('regions'))",
  customers: "tenant_id = USER_ATTRIBUTE('tenant_id')",
  regions: "code = ANY(USER_ATTRIBUTE_STR_LIST('regions'))",
};

/**
 * The demo's column policy (docs/data-access.md "Column policies"): customer names are personal
 * data, shown only to users whose `pii` attribute is `allowed`; everyone else reads the fixed text
 * instead, in every tile, filter option, export and ad-hoc query.
 */
export const DEMO_COLUMN_POLICY = {
  table: 'customers',
  column: 'name',
  mask: 'TEXT',
  maskText: '(hidden)',
  condition: "USER_ATTRIBUTE('pii') = 'allowed'",
} as const;

/** Every demo user has a `pii` value, so the column policy's condition never lacks its attribute. */
export const DEMO_USERS = [
  { email: 'alice@acme.example', tenant: 'acme', regions: ['DE', 'FR'], pii: 'allowed' },
  { email: 'bob@globex.example', tenant: 'globex', regions: ['US'], pii: 'none' },
  { email: 'carol@initech.example', tenant: 'initech', regions: ['DE', 'JP'], pii: 'none' },
] as const;

export interface DemoSetup {
  readonly workspaceId: string;
  readonly connectionId: string;
  readonly domainId: string;
  readonly users: readonly {
    email: string;
    userId: string;
    tenant: string;
    regions: readonly string[];
    pii: string;
  }[];
  /** The "Sales overview" dashboard over the domain (docs/dashboards.md "The demo dashboard"). */
  readonly dashboardId: string;
}

const CLI_ORIGIN: AuditOrigin = { requestId: null, ip: null, actorKeyId: null, actorUserId: null };

/**
 * `tessera demo`: a `pglite` warehouse with three tenants, a domain with row policies and a
 * column policy on customer names, three EXPLORER users with different attributes, and a six-tile
 * dashboard over the domain. Running it again changes nothing that already exists.
 */
export async function setUpDemo(app: RunningApp, data: DataAccess, workspaceId: string): Promise<DemoSetup> {
  const connection =
    (await data.connections.list(workspaceId)).find((c) => c.name === DEMO_CONNECTION) ??
    (await data.connections.create(
      workspaceId,
      { name: DEMO_CONNECTION, engine: 'pglite', database: 'demo' },
      CLI_ORIGIN,
    ));
  await data.warehouses.load(connection.database, DEMO_WAREHOUSE_SQL);
  const existing = (await data.domains.list(workspaceId)).find((d) => d.name === DEMO_DOMAIN);
  const domain =
    existing ??
    (await data.domains.create(
      workspaceId,
      {
        name: DEMO_DOMAIN,
        description: 'Orders, customers and regions of three tenants (tessera demo).',
        connectionId: connection.id,
        tables: Object.keys(DEMO_POLICIES).map((name) => ({ name })),
      },
      CLI_ORIGIN,
    ));
  for (const [table, policy] of Object.entries(DEMO_POLICIES)) {
    const current = domain.tables.find((t) => t.name === table);
    if (current && current.policy === null)
      await data.policies.set(
        workspaceId,
        { domainId: domain.id, table: { name: table }, policy },
        CLI_ORIGIN,
      );
  }
  const { table, ...columnPolicy } = DEMO_COLUMN_POLICY;
  const masked = (await data.policies.columnPolicies(workspaceId, domain)).some(
    (p) => p.table === table && p.column === columnPolicy.column,
  );
  if (!masked)
    await data.policies.setColumn(
      workspaceId,
      { domainId: domain.id, table: { name: table }, policy: columnPolicy },
      CLI_ORIGIN,
    );
  const users = [];
  for (const u of DEMO_USERS) {
    const [result] = await app.services.users.createUsers(
      workspaceId,
      {
        emails: [u.email],
        roleAssignments: [{ roleId: ROLE_IDS.EXPLORER, scopes: [domain.id] }],
        userAttributes: [
          { key: 'tenant_id', value: u.tenant },
          { key: 'regions', value: JSON.stringify(u.regions) },
          { key: 'pii', value: u.pii },
        ],
      },
      CLI_ORIGIN,
    );
    users.push({ email: u.email, userId: result!.userId, tenant: u.tenant, regions: u.regions, pii: u.pii });
  }
  const dashboard = await app.services.dashboards.ensureDemo(workspaceId, domain.id, CLI_ORIGIN);
  return { workspaceId, connectionId: connection.id, domainId: domain.id, users, dashboardId: dashboard.id };
}
