// Set-up the data-plane benchmarks share: the admin key they drive the API with, a policed
// domain over a warehouse, GraphQL in process, and the native RLS baseline.
import type pg from 'pg';
import type { App } from '../src/app.ts';
import type { ConnectionInput } from '../src/modules/data/connections/validation.ts';

/** No request behind the set-up's writes. */
export const ORIGIN = { requestId: null, ip: null, actorKeyId: null, actorUserId: null };

/** The default workspace, and an access key that may impersonate, administer data and write IAM. */
export async function benchAdmin(app: App): Promise<{ workspaceId: string; key: string }> {
  const ws = await app.services.workspaces.ensureDefault();
  const { token: key } = await app.services.accessKeys.create(
    {
      workspaceId: ws.id,
      name: 'bench',
      permissions: ['impersonate', 'data:admin', 'iam:write'],
      expiresAt: null,
    },
    null,
  );
  return { workspaceId: ws.id, key };
}

/**
 * A connection named `bench` with `settings` and a domain `bench` over the tables of `policies`,
 * each with its row policy, through the services. Returns the domain's id.
 */
export async function benchDomain(
  app: App,
  spec: {
    readonly workspaceId: string;
    readonly settings: ConnectionInput;
    readonly policies: Readonly<Record<string, string>>;
  },
): Promise<string> {
  const data = app.services.data;
  const connection = await data.connections.create(
    spec.workspaceId,
    { name: 'bench', ...spec.settings },
    ORIGIN,
  );
  const tables = Object.keys(spec.policies).map((name) => ({ name }));
  const domain = await data.domains.create(
    spec.workspaceId,
    { name: 'bench', connectionId: connection.id, tables },
    ORIGIN,
  );
  for (const [table, policy] of Object.entries(spec.policies))
    await data.policies.set(
      spec.workspaceId,
      { domainId: domain.id, table: { name: table }, policy },
      ORIGIN,
    );
  return domain.id;
}

/** GraphQL through `app.fetch` (no socket); any error in the response throws. */
export function inProcessGql(app: App) {
  return graphqlOver((request) => app.fetch(request), 'http://tessera.bench');
}

/** GraphQL sent by `send` to `baseUrl`/graphql with a bearer token; any error in the response throws. */
export function graphqlOver(send: (request: Request) => Promise<Response>, baseUrl: string) {
  return async (query: string, variables: Record<string, unknown>, token: string): Promise<any> => {
    const r = await send(
      new Request(`${baseUrl}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify({ query, variables }),
      }),
    );
    const body = (await r.json()) as any;
    if (body.errors) throw new Error(JSON.stringify(body.errors));
    return body.data;
  };
}

/**
 * Native row-level security on `orders` as its user would write it, for `role` (superusers bypass
 * row-level security, so the baseline runs as a role of its own): a policy on the tenant column.
 */
export const nativeRlsOnOrders = (role: string) => `
  create role ${role} nologin;
  grant select on orders to ${role};
  alter table orders enable row level security;
  create policy tenant_rows on orders for select to ${role}
    using (tenant_id = current_setting('app.tenant'));`;

/** What a user of native RLS runs per request: the tenant set in the query's own read-only transaction. */
export async function underNativeRls(
  pool: pg.Pool,
  tenant: string,
  sql: string,
): Promise<Record<string, unknown>[]> {
  const client = await pool.connect();
  try {
    await client.query('begin read only');
    await client.query("select set_config('app.tenant', $1, true)", [tenant]);
    const { rows } = await client.query(sql);
    await client.query('commit');
    return rows;
  } catch (err) {
    await client.query('rollback').catch(() => {});
    throw err;
  } finally {
    client.release();
  }
}
