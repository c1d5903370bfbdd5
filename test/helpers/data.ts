import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import type { DataAccess } from '../../src/modules/data/access.ts';
import { createUsers, STATUS } from './api.ts';
import type { TestApp } from './app.ts';
import { createScratchMysqlDatabase, createScratchPostgresDatabase } from './databases.ts';
import { impersonate } from './sessions.ts';

/**
 * Warehouses the data-plane suites query: an embedded PGlite one always, a scratch PostgreSQL
 * database when TEST_DATABASE_URL is set, a scratch MariaDB/MySQL database when TEST_MYSQL_URL is.
 */
export interface WarehouseLeg {
  readonly engine: 'pglite' | 'postgres' | 'mysql';
  /** Creates a fresh warehouse holding `sql`; returns the connection settings and a raw query function. */
  open(data: () => DataAccess, sql: string): Promise<Warehouse>;
}

export interface Warehouse {
  readonly settings: Record<string, unknown>;
  /** Runs SQL on the warehouse directly, with full rights (to count rows behind the gate's back). */
  raw(sql: string, params?: readonly unknown[]): Promise<Record<string, unknown>[]>;
  drop(): Promise<void>;
}

export function warehouseLegs(): WarehouseLeg[] {
  const legs: WarehouseLeg[] = [
    {
      engine: 'pglite',
      open: async (data, sql) => {
        const name = `wh_${randomBytes(5).toString('hex')}`;
        await data().warehouses.load(name, sql);
        return {
          settings: { engine: 'pglite', database: name },
          raw: async (text, params) => {
            const h = await data().warehouses.acquire(name);
            try {
              return (
                await h.serialize(() =>
                  h.pglite.query<Record<string, unknown>>(text, params ? [...params] : []),
                )
              ).rows;
            } finally {
              await h.release();
            }
          },
          drop: async () => {},
        };
      },
    },
  ];
  const pgUrl = process.env.TEST_DATABASE_URL;
  if (pgUrl) {
    legs.push({
      engine: 'postgres',
      open: async (_data, sql) => {
        const scratch = await createScratchPostgresDatabase(pgUrl);
        const raw = async (text: string, params?: readonly unknown[]) => {
          const c = new pg.Client({ connectionString: scratch.url });
          await c.connect();
          try {
            const r = params ? await c.query(text, [...params]) : await c.query(text);
            return (Array.isArray(r) ? r.at(-1)!.rows : r.rows) as Record<string, unknown>[];
          } finally {
            await c.end();
          }
        };
        await raw(sql);
        return { settings: settingsOf('postgres', scratch.url), raw, drop: scratch.drop };
      },
    });
  }
  const myUrl = process.env.TEST_MYSQL_URL;
  if (myUrl) {
    legs.push({
      engine: 'mysql',
      open: async (_data, sql) => {
        const scratch = await createScratchMysqlDatabase(myUrl);
        const mysql = await import('mysql2/promise');
        const raw = async (text: string, params?: readonly unknown[]) => {
          const c = await mysql.createConnection({ uri: scratch.url, multipleStatements: true });
          try {
            const [rows] = params ? await c.query(text, [...params]) : await c.query(text);
            return (Array.isArray(rows) ? rows : []) as Record<string, unknown>[];
          } finally {
            await c.end();
          }
        };
        await raw(sql);
        return { settings: settingsOf('mysql', scratch.url), raw, drop: scratch.drop };
      },
    });
  }
  return legs;
}

/** Connection settings for the API from a database URL. */
export function settingsOf(engine: 'postgres' | 'mysql', url: string) {
  const u = new URL(url);
  return {
    engine,
    host: u.hostname,
    port: Number(u.port || (engine === 'postgres' ? 5432 : 3306)),
    database: decodeURIComponent(u.pathname.slice(1)),
    user: decodeURIComponent(u.username),
    ...(u.password ? { password: decodeURIComponent(u.password) } : {}),
  };
}

export const CONNECTION_FIELDS = `id name engine host port database user hasPassword schema tls onNoMatch
  credentialMappings { attributeMatch { key value } database schema user host hasPassword slotPattern }`;

export async function createConnection(t: TestApp, input: Record<string, unknown>, token?: string) {
  const r = await t.gql(
    `mutation($input: CreateConnectionInput!) { createConnection(input: $input) { ${STATUS} connection { ${CONNECTION_FIELDS} } } }`,
    { input },
    token,
  );
  return { ...r, payload: r.body.data?.createConnection as { status: any; connection: any } };
}

export async function createDomain(t: TestApp, input: Record<string, unknown>) {
  const r = await t.gql(
    `mutation($input: CreateDomainInput!) { createDomain(input: $input) { ${STATUS} domain { id name isBuiltIn tables { schema name policy } } } }`,
    { input },
  );
  return { ...r, payload: r.body.data?.createDomain as { status: any; domain: any } };
}

export async function setRowPolicy(t: TestApp, domainId: string, table: string, policy: string) {
  const r = await t.gql(
    `mutation($input: SetRowPolicyInput!) { setRowPolicy(input: $input) { ${STATUS} table { schema name policy } } }`,
    { input: { domainId, table: { name: table }, policy } },
  );
  return { ...r, payload: r.body.data?.setRowPolicy as { status: any; table: any } };
}

/**
 * A new connection (named `warehouse` unless its settings say otherwise) and a domain over
 * `tables` of it, each `[table, policy]` of `policies` set as a row policy; every step is asserted
 * OK. Returns the domain's id.
 */
export async function policedDomain(
  t: TestApp,
  spec: {
    readonly connection: Record<string, unknown>;
    readonly name: string;
    readonly tables: readonly string[];
    readonly policies?: readonly (readonly [table: string, policy: string])[];
  },
): Promise<string> {
  const conn = await createConnection(t, { name: 'warehouse', ...spec.connection });
  assert.equal(conn.payload.status.code, 'OK', JSON.stringify(conn.payload.status));
  const domain = await createDomain(t, {
    name: spec.name,
    connectionId: conn.payload.connection.id,
    tables: spec.tables.map((name) => ({ name })),
  });
  assert.equal(domain.payload.status.code, 'OK', JSON.stringify(domain.payload.status));
  const domainId: string = domain.payload.domain.id;
  for (const [table, policy] of spec.policies ?? []) {
    const r = await setRowPolicy(t, domainId, table, policy);
    assert.equal(r.payload.status.code, 'OK', JSON.stringify(r.payload.status));
  }
  return domainId;
}

/** Creates a user with roles and attributes and returns a session token for them. */
export async function sessionFor(
  t: TestApp,
  email: string,
  roleAssignments: { roleId: string; scopes: string[] }[],
  userAttributes: { key: string; value: string }[],
  transient?: { key: string; value: string }[],
): Promise<{ userId: string; token: string }> {
  const created = await createUsers(t, { emails: [email], roleAssignments, userAttributes });
  if (created.payload?.status.code !== 'OK') throw new Error(JSON.stringify(created.body));
  const { token } = await impersonate(t, email, transient ? { attributes: transient } : {});
  if (!token) throw new Error(`no session token for ${email}`);
  return { userId: created.payload.results[0]!.userId, token };
}

export const RUN_QUERY = `query($d: ID!, $sql: String!) {
  runQuery(domainId: $d, sql: $sql) { queryId columns { name type } rows rowCount truncated }
}`;

export async function runQuery(t: TestApp, token: string, domainId: string, sql: string) {
  const r = await t.gql(RUN_QUERY, { d: domainId, sql }, token);
  return {
    ...r,
    result: r.body.data?.runQuery as
      | {
          queryId: string;
          columns: { name: string; type: string }[];
          rows: unknown[][];
          rowCount: number;
          truncated: boolean;
        }
      | undefined,
    code: r.body.errors?.[0]?.extensions?.code as string | undefined,
    extensions: r.body.errors?.[0]?.extensions,
  };
}
