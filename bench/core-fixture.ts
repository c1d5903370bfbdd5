import { createHash, randomBytes } from 'node:crypto';
import { CompiledQuery } from 'kysely';
import pg from 'pg';
import { type App, createApp } from '../src/app.ts';
import { type Config, loadConfig } from '../src/config.ts';
import type { Executor } from '../src/db/index.ts';
import { PERMISSIONS } from '../src/modules/auth/permissions.ts';
import { ROLE_IDS } from '../src/modules/roles/roles.ts';
import { createScratchPostgresDatabase } from '../test/helpers/databases.ts';
import { benchDatabaseUrl } from './measure.ts';

/**
 * Shared setup of the core benchmarks: a real app (production settings, every core feature) on a
 * fresh database, an access key, in-process GraphQL, and a raw SQL path through the same driver
 * (the app's own Kysely connection: pg.Pool or PGlite) for the baselines.
 */

export interface BenchBackend {
  readonly label: string;
  /** Set for a database kept across runs: its stored secrets must stay readable. */
  readonly masterKey?: string;
  open(): Promise<{ database: Config['database']; drop: () => Promise<void> }>;
}

/** PGlite in memory always; PostgreSQL (a scratch database, dropped afterwards) when a URL is set. */
export function benchBackends(): BenchBackend[] {
  const backends: BenchBackend[] = [
    {
      label: 'PGlite (in-memory)',
      open: async () => ({ database: { kind: 'pglite', dataDir: null }, drop: async () => {} }),
    },
  ];
  const url = benchDatabaseUrl();
  if (url) {
    backends.push({
      label: 'PostgreSQL',
      open: async () => {
        const scratch = await createScratchPostgresDatabase(url);
        return { database: { kind: 'postgres', url: scratch.url, poolSize: 10 }, drop: scratch.drop };
      },
    });
  }
  return backends;
}

/**
 * PostgreSQL in a database named `name` that is created once and kept, so that a large seed is
 * written on the first run only. Its master key is derived from the name, not random: the
 * secrets the app stored on the first run must decrypt on the next.
 */
export function persistentPostgresBackend(name: string): BenchBackend | undefined {
  const url = benchDatabaseUrl();
  if (!url) return undefined;
  return {
    label: 'PostgreSQL',
    masterKey: createHash('sha256').update(`tessera bench ${name}`).digest('hex'),
    open: async () => {
      const admin = new pg.Client({ connectionString: url });
      await admin.connect();
      try {
        const found = await admin.query('select 1 from pg_database where datname = $1', [name]);
        if (found.rowCount === 0) await admin.query(`create database ${pg.escapeIdentifier(name)}`);
      } finally {
        await admin.end();
      }
      const kept = new URL(url);
      kept.pathname = `/${name}`;
      return { database: { kind: 'postgres', url: kept.toString(), poolSize: 10 }, drop: async () => {} };
    },
  };
}

export interface BenchApp {
  readonly app: App;
  readonly workspaceId: string;
  /** An access key with every permission in the default workspace. */
  readonly rootKey: string;
  /** One GraphQL request through `app.fetch` (no sockets); throws on any error in the response. */
  gql<T = any>(query: string, variables?: Record<string, unknown>, token?: string): Promise<T>;
  /** Hand-written SQL through the app's own connection, without GraphQL, auth or services. */
  raw<R = Record<string, unknown>>(text: string, params?: readonly unknown[], db?: Executor): Promise<R[]>;
  /** A new all-permission access key of an existing workspace. */
  key(workspaceId: string): Promise<string>;
  /** A new workspace with its own all-permission key. */
  workspace(name: string): Promise<{ id: string; key: string }>;
  close(): Promise<void>;
}

export async function startBenchApp(backend: BenchBackend): Promise<BenchApp> {
  const { database, drop } = await backend.open();
  const config = {
    ...loadConfig({
      NODE_ENV: 'production',
      LOG_LEVEL: 'silent',
      TESSERA_PUBLIC_URL: 'http://tessera.bench',
      TESSERA_MASTER_KEY: backend.masterKey ?? randomBytes(32).toString('hex'),
      // Seeding writes 100,000 users in set-based statements through the app's own pool, each far
      // longer than a request's statement timeout allows.
      TESSERA_DB_STATEMENT_TIMEOUT_MS: '0',
    }),
    database,
    dataDir: null,
  } as Config;
  const app = await createApp(config);
  const workspace = await app.services.workspaces.ensureDefault();
  const keyFor = async (workspaceId: string) =>
    (
      await app.services.accessKeys.create(
        { workspaceId, name: 'bench', permissions: PERMISSIONS, expiresAt: null },
        null,
      )
    ).token;
  const rootKey = await keyFor(workspace.id);
  const db = app.services.db;
  return {
    app,
    workspaceId: workspace.id,
    rootKey,
    gql: async (query, variables = {}, token = rootKey) => {
      const response = await app.fetch(
        new Request('http://tessera.bench/graphql', {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
          body: JSON.stringify({ query, variables }),
        }),
        { ip: '127.0.0.1' },
      );
      const body = (await response.json()) as { data?: any; errors?: unknown[] };
      if (response.status !== 200 || body.errors)
        throw new Error(`GraphQL request failed (${response.status}): ${JSON.stringify(body.errors)}`);
      return body.data;
    },
    raw: async (text, params = [], executor = db) =>
      (await executor.executeQuery(CompiledQuery.raw(text, [...params]))).rows as any[],
    key: keyFor,
    workspace: async (name) => {
      const ws = await app.services.workspaces.create(name, {
        requestId: null,
        ip: null,
        actorKeyId: null,
        actorUserId: null,
      });
      return { id: ws.id, key: await keyFor(ws.id) };
    },
    close: async () => {
      await app.close();
      await drop();
    },
  };
}

/** The five attributes every seeded (and benchmark-created) user carries. */
export const ATTRIBUTE_KEYS = ['tenant', 'region', 'plan', 'department', 'display_name'] as const;
export const VIEWER_ROLE = ROLE_IDS.VIEWER;

/**
 * Seeds `count` users into a workspace with set-based SQL, writing exactly what createUsers
 * writes for a user with five DATABASE attributes and one VIEWER assignment on the `default`
 * domain: the users row (with email_normalized), the attribute rows and the role assignment.
 * `tenant` takes 100 values (1% of users each), so a tenant filter is selective but not tiny.
 * Ends with VACUUM ANALYZE, the state autovacuum leaves a bulk-loaded table in.
 */
export async function seedUsers(b: BenchApp, workspaceId: string, count: number, tag: string): Promise<void> {
  // $1 is always the tag and $2 the count, so the three statements derive the same ids.
  const id = `'usr_' || substr(md5($1::text || i::text), 1, 26)`;
  await b.app.services.db.transaction().execute(async (tx) => {
    await b.raw(
      `insert into users (id, workspace_id, email, email_normalized, created_at, updated_at)
       select ${id}, $3, 'user' || i || '@' || $1::text || '.bench', 'user' || i || '@' || $1::text || '.bench',
              now(), now()
       from generate_series(1, $2::int) as i`,
      [tag, count, workspaceId],
      tx,
    );
    // With the user's workspace and email copied in, as the service writes them (migration 0005).
    await b.raw(
      `insert into user_attributes (user_id, source, key, value, workspace_id, email_normalized)
       select ${id}, 'DATABASE', a.key, a.value, $3, 'user' || i || '@' || $1::text || '.bench'
       from generate_series(1, $2::int) as i
       cross join lateral (values
         ('tenant', 'tenant-' || (i % 100)),
         ('region', (array['eu', 'us', 'apac', 'latam'])[i % 4 + 1]),
         ('plan', 'plan-' || (i % 3)),
         ('department', 'dept-' || (i % 20)),
         ('display_name', 'User ' || i)
       ) as a(key, value)`,
      [tag, count, workspaceId],
      tx,
    );
    await b.raw(
      `insert into user_role_assignments (user_id, position, role_id, scopes)
       select ${id}, 0, $3, array['default']
       from generate_series(1, $2::int) as i`,
      [tag, count, VIEWER_ROLE],
      tx,
    );
  });
  // The steady state autovacuum reaches after a bulk load: statistics and the visibility map.
  await b.raw('vacuum analyze users, user_attributes, user_role_assignments');
}

/** The attributes createUsers is given for user number `i` (the same shape the seed writes). */
export const attributesFor = (i: number) => [
  { key: 'tenant', value: `tenant-${i % 100}` },
  { key: 'region', value: ['eu', 'us', 'apac', 'latam'][i % 4]! },
  { key: 'plan', value: `plan-${i % 3}` },
  { key: 'department', value: `dept-${i % 20}` },
  { key: 'display_name', value: `User ${i}` },
];

export const label = (backend: BenchBackend, figure: string) => `${figure} (${backend.label})`;
