import { randomBytes } from 'node:crypto';
import { PGlite } from '@electric-sql/pglite';
import pg from 'pg';
import type { GateRequest, GateTable, SqlDialect } from '../../src/modules/query-gate/index.ts';
import { createScratchPostgresDatabase } from './databases.ts';

/**
 * A multi-tenant warehouse for the query gate's tests: three tenants' tenants, customers,
 * orders, regions, order lines (a mixed-case table name), an archive schema/database with its
 * own `orders`, accounts reached through an entitlements table, labels with hostile text, and a
 * `secrets` table outside the domain. The same data on PGlite, PostgreSQL and MariaDB.
 */
export interface Warehouse {
  readonly name: 'pglite' | 'postgres' | 'mariadb';
  readonly dialect: SqlDialect;
  /** The default schema (Postgres) or database (MariaDB). */
  readonly main: string;
  /** The second schema/database. */
  readonly archive: string;
  /** Quotes an identifier for this engine (test input only). */
  quote(name: string): string;
  run(sql: string, params: readonly unknown[]): Promise<Record<string, unknown>[]>;
  close(): Promise<void>;
}

export const TENANTS = [1, 2, 3] as const;
export const REGIONS = ['DE', 'FR', 'US', 'IT'] as const;
/** Label values that would break out of a string literal if ever spliced into SQL. */
export const HOSTILE_LABELS = [
  "it's",
  "x' OR '1'='1",
  '1; DROP TABLE orders; --',
  '$$ OR true $$',
  'back\\slash\\',
  "\\' OR 1=1 -- ",
  '-- comment',
  '"double" `back` ;',
] as const;

export interface Row {
  readonly table: string;
  readonly values: readonly (string | number)[];
}

/** Every fixture row, for computing expectations. */
export function warehouseRows(): Row[] {
  const rows: Row[] = [];
  for (const t of TENANTS) {
    rows.push({ table: 'tenants', values: [t, t, `Tenant ${t}`] });
    for (let i = 1; i <= 4; i++) {
      rows.push({
        table: 'customers',
        values: [t * 100 + i, t, `Customer ${t}-${i}`, REGIONS[(i + t) % 4]!],
      });
    }
    for (let i = 1; i <= 8; i++) {
      const id = t * 1000 + i;
      rows.push({ table: 'orders', values: [id, t, t * 100 + ((i % 4) + 1), i * 10, REGIONS[(i * t) % 4]!] });
      rows.push({ table: 'OrderLines', values: [id * 10, t, id, `SKU-${t}-${i}`] });
    }
    for (let i = 1; i <= 2; i++) {
      rows.push({
        table: 'archive.orders',
        values: [t * 1000 + 500 + i, t, t * 100 + i, i * 5, REGIONS[i]!],
      });
    }
    for (const code of ['DE', 'FR', 'US'])
      rows.push({ table: 'regions', values: [code, t, `${code} of ${t}`] });
    for (let i = 1; i <= 3; i++)
      rows.push({ table: 'accounts', values: [t * 10 + i, t, `Account ${t}-${i}`] });
    rows.push({ table: 'secrets', values: [t, t, `secret of ${t}`] });
  }
  rows.push({ table: 'entitlements', values: ['alice@a.test', 11] });
  rows.push({ table: 'entitlements', values: ['alice@a.test', 12] });
  rows.push({ table: 'entitlements', values: ['bob@b.test', 21] });
  rows.push({ table: 'entitlements', values: ['mallory@m.test', 31] });
  HOSTILE_LABELS.forEach((label, i) => {
    rows.push({ table: 'labels', values: [i + 1, 1, label] });
  });
  return rows;
}

const COLUMNS: Record<string, string> = {
  tenants: 'id int primary key, tenant_id int not null, name varchar(100) not null',
  customers:
    'id int primary key, tenant_id int not null, name varchar(100) not null, region varchar(10) not null',
  orders:
    'id int primary key, tenant_id int not null, customer_id int not null, amount int not null, region varchar(10) not null',
  OrderLines: 'id int primary key, tenant_id int not null, order_id int not null, sku varchar(40) not null',
  'archive.orders':
    'id int primary key, tenant_id int not null, customer_id int not null, amount int not null, region varchar(10) not null',
  regions: 'code varchar(10) not null, tenant_id int not null, name varchar(100) not null',
  accounts: 'id int primary key, tenant_id int not null, name varchar(100) not null',
  entitlements: 'user_email varchar(100) not null, resource_value int not null',
  secrets: 'id int, tenant_id int, secret varchar(100)',
  labels: 'id int primary key, tenant_id int not null, label varchar(200) not null',
};

/** The domain: every table but `entitlements` (read by a policy only) and `secrets`. */
export function warehouseDomain(w: Pick<Warehouse, 'main' | 'archive'>): GateTable[] {
  const tenant = "tenant_id = USER_ATTRIBUTE_INT('tenant')";
  return [
    { schema: w.main, name: 'tenants', policy: tenant },
    { schema: w.main, name: 'customers', policy: "tenant_id = USER_ATTRIBUTE('tenant')" },
    { schema: w.main, name: 'orders', policy: tenant },
    { schema: w.main, name: 'OrderLines', policy: tenant },
    { schema: w.main, name: 'regions', policy: tenant },
    { schema: w.archive, name: 'orders', policy: tenant },
    {
      schema: w.main,
      name: 'accounts',
      policy: 'id IN (SELECT resource_value FROM entitlements WHERE user_email = USER_EMAIL())',
    },
    { schema: w.main, name: 'labels', policy: "label = USER_ATTRIBUTE_STR('label')" },
  ];
}

/**
 * The rows one user may see under `warehouseDomain`'s policies: the tenant's rows, the accounts
 * the email is entitled to, no labels; tables outside the domain are kept whole.
 */
export function callerRows(tenant: number, email: string): Row[] {
  const rows = warehouseRows();
  const entitled = new Set(
    rows.filter((r) => r.table === 'entitlements' && r.values[0] === email).map((r) => r.values[1]),
  );
  return rows.filter((r) => {
    if (r.table === 'entitlements' || r.table === 'secrets') return true;
    if (r.table === 'accounts') return entitled.has(r.values[0]!);
    if (r.table === 'labels') return false;
    return r.values[1] === tenant;
  });
}

function statements(
  w: Pick<Warehouse, 'main' | 'archive' | 'quote'>,
  rows: readonly Row[] = warehouseRows(),
): string[] {
  const name = (table: string) =>
    table === 'archive.orders'
      ? `${w.quote(w.archive)}.${w.quote('orders')}`
      : `${w.quote(w.main)}.${w.quote(table)}`;
  const literal = (v: string | number) =>
    typeof v === 'number' ? String(v) : `'${v.replaceAll("'", "''")}'`;
  const out = Object.entries(COLUMNS).map(([table, cols]) => `create table ${name(table)} (${cols})`);
  for (const row of rows) {
    if (row.table === 'labels') continue; // hostile text goes in as parameters
    out.push(`insert into ${name(row.table)} values (${row.values.map(literal).join(', ')})`);
  }
  return out;
}

async function insertLabels(w: Warehouse, placeholder: (i: number) => string): Promise<void> {
  for (const row of warehouseRows().filter((r) => r.table === 'labels')) {
    await w.run(
      `insert into ${w.quote(w.main)}.${w.quote('labels')} values (${placeholder(1)}, ${placeholder(2)}, ${placeholder(3)})`,
      row.values,
    );
  }
}

const pgQuote = (name: string) => `"${name.replaceAll('"', '""')}"`;

/**
 * A gate request over the fixture's domain for a user with `attributes` (default: tenant 1),
 * policies applied. `main` defaults to the dialect's schema (`public`) or database (`shop`).
 */
export function gateRequest(
  dialect: SqlDialect,
  sql: string,
  options: {
    attributes?: Record<string, string>;
    main?: string;
    archive?: string;
    tables?: GateTable[];
  } = {},
): GateRequest {
  const main = options.main ?? (dialect === 'postgres' ? 'public' : 'shop');
  return {
    dialect,
    sql,
    tables: options.tables ?? warehouseDomain({ main, archive: options.archive ?? 'archive' }),
    defaultSchema: main,
    user: {
      email: 'alice@a.test',
      attributes: new Map(Object.entries(options.attributes ?? { tenant: '1' })),
    },
    applyPolicies: true,
    requirePolicies: false,
  };
}

export async function openPglite(): Promise<Warehouse> {
  const db = new PGlite();
  const w: Warehouse = {
    name: 'pglite',
    dialect: 'postgres',
    main: 'public',
    archive: 'archive',
    quote: pgQuote,
    run: async (sql, params) => (await db.query<Record<string, unknown>>(sql, params as unknown[])).rows,
    close: () => db.close(),
  };
  await db.exec('create schema archive');
  for (const s of statements(w)) await db.exec(s);
  await insertLabels(w, (i) => `$${i}`);
  return w;
}

export async function openPostgres(adminUrl: string): Promise<Warehouse> {
  const scratch = await createScratchPostgresDatabase(adminUrl);
  const client = new pg.Client({ connectionString: scratch.url });
  await client.connect();
  const w: Warehouse = {
    name: 'postgres',
    dialect: 'postgres',
    main: 'public',
    archive: 'archive',
    quote: pgQuote,
    run: async (sql, params) => (await client.query(sql, params as unknown[])).rows,
    close: async () => {
      await client.end();
      await scratch.drop();
    },
  };
  await client.query('create schema archive');
  for (const s of statements(w)) await client.query(s);
  await insertLabels(w, (i) => `$${i}`);
  return w;
}

/**
 * Two scratch databases (main and archive) on the server of TEST_MYSQL_URL, dropped on close.
 * `rows` (default: all) lets a test build a copy holding one caller's rows only.
 */
export async function openMariadb(
  adminUrl: string,
  rows: readonly Row[] = warehouseRows(),
): Promise<Warehouse> {
  const mysql = await import('mysql2/promise');
  const main = `tessera_t_${randomBytes(6).toString('hex')}`;
  const archive = `${main}_archive`;
  const conn = await mysql.createConnection({ uri: adminUrl, multipleStatements: false });
  await conn.query(`create database ${main}`);
  await conn.query(`create database ${archive}`);
  await conn.query(`use ${main}`);
  // The session the executor gives every query (src/modules/data/engines/mysql.ts), so gated SQL
  // run here behaves as it does through runQuery.
  const { WAREHOUSE_OPTIMIZER_SWITCH } = await import('../../src/modules/data/engines/mysql.ts');
  const { WAREHOUSE_SQL_MODE } = await import('../../src/modules/query-gate/index.ts');
  await conn.query('set session sql_mode = ?, session optimizer_switch = ?', [
    WAREHOUSE_SQL_MODE,
    WAREHOUSE_OPTIMIZER_SWITCH,
  ]);
  const w: Warehouse = {
    name: 'mariadb',
    dialect: 'mysql',
    main,
    archive,
    quote: (name) => `\`${name.replaceAll('`', '``')}\``,
    // execute(): a server-side prepared statement, so parameters are really bound.
    run: async (sql, params) => (await conn.execute(sql, params as never))[0] as Record<string, unknown>[],
    close: async () => {
      await conn.query(`drop database if exists ${main}`);
      await conn.query(`drop database if exists ${archive}`);
      await conn.end();
    },
  };
  for (const s of statements(w, rows)) await conn.query(s);
  if (rows.some((r) => r.table === 'labels')) await insertLabels(w, () => '?');
  return w;
}

/** PGlite always; PostgreSQL and MariaDB when TEST_DATABASE_URL / TEST_MYSQL_URL are set. */
export function warehouseEngines(dialects: readonly SqlDialect[] = ['postgres', 'mysql']) {
  const engines: { name: Warehouse['name']; open: () => Promise<Warehouse> }[] = [];
  if (dialects.includes('postgres')) {
    engines.push({ name: 'pglite', open: openPglite });
    const pgUrl = process.env.TEST_DATABASE_URL;
    if (pgUrl) engines.push({ name: 'postgres', open: () => openPostgres(pgUrl) });
  }
  const myUrl = process.env.TEST_MYSQL_URL;
  if (dialects.includes('mysql') && myUrl) engines.push({ name: 'mariadb', open: () => openMariadb(myUrl) });
  return engines;
}

/** Rows as order-free comparable strings (every value as text). */
export const sorted = (rows: Record<string, unknown>[]) =>
  rows.map((r) => JSON.stringify(Object.values(r).map(String))).sort();

/** What a query answered, for a differential comparison: its sorted rows, or that it failed. */
export async function outcome(work: () => Promise<Record<string, unknown>[]>): Promise<string[] | 'error'> {
  try {
    return sorted(await work());
  } catch {
    return 'error';
  }
}
