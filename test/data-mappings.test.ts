import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import { AppError } from '../src/errors.ts';
import { resolveConnection } from '../src/modules/data/connections/resolve.ts';
import type { Connection } from '../src/modules/data/connections/types.ts';
import { openPgliteWarehousePool, Warehouses } from '../src/modules/data/engines/pglite.ts';
import { PoolManager } from '../src/modules/data/engines/pools.ts';
import { ROLE_IDS } from '../src/modules/roles/roles.ts';
import { STATUS } from './helpers/api.ts';
import { startTestApp, type TestApp } from './helpers/app.ts';
import { createConnection, createDomain, runQuery, sessionFor, settingsOf } from './helpers/data.ts';
import {
  createScratchMysqlDatabase,
  createScratchPostgresDatabase,
  testBackends,
} from './helpers/databases.ts';

const base: Connection = {
  id: 'con_x',
  workspaceId: 'ws_x',
  name: 'warehouse',
  engine: 'postgres',
  host: 'db.internal',
  port: 5432,
  database: 'base',
  user: 'reader',
  password: 'base-secret',
  schema: null,
  tls: false,
  onNoMatch: 'DENY',
  credentialMappings: [
    {
      attributeMatch: [
        { key: 'plan', value: 'pro' },
        { key: 'tenant', value: 'acme' },
      ],
      database: 'acme_dedicated',
      schema: null,
      user: 'acme_reader',
      host: null,
      password: 'acme-secret',
      slotPattern: null,
    },
    {
      attributeMatch: [{ key: 'plan', value: 'pro' }],
      database: 'tenant_{{tenant}}',
      schema: 'app_{{tenant}}',
      user: null,
      host: null,
      password: null,
      slotPattern: null,
    },
    {
      attributeMatch: [{ key: 'plan', value: 'eu' }],
      database: 'eu_{{tenant}}',
      schema: null,
      user: null,
      host: null,
      password: null,
      slotPattern: '^[a-z]{2,8}$',
    },
  ],
  createdAt: new Date(),
  updatedAt: new Date(),
};

const attrs = (o: Record<string, string>) => new Map(Object.entries(o));
const denied = (fn: () => unknown, slot?: string) =>
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof AppError);
    assert.equal(err.code, 'ACCESS_DENIED');
    assert.equal(err.extra.connectionId, 'con_x');
    if (slot) assert.equal(err.extra.slot, slot);
    return true;
  });

describe('credential mappings', () => {
  test('the first mapping whose every pair matches wins; its overrides replace the base', () => {
    const acme = resolveConnection(base, attrs({ plan: 'pro', tenant: 'acme' }));
    assert.deepEqual(
      [acme.database, acme.user, acme.password, acme.mappingIndex],
      ['acme_dedicated', 'acme_reader', 'acme-secret', 0],
    );
    const other = resolveConnection(base, attrs({ plan: 'pro', tenant: 'globex' }));
    assert.deepEqual(
      [other.database, other.schema, other.user, other.password, other.mappingIndex],
      ['tenant_globex', 'app_globex', 'reader', 'base-secret', 1],
    );
  });

  test('a slot value outside its pattern, or a missing slot attribute, is ACCESS_DENIED', () => {
    denied(
      () => resolveConnection(base, attrs({ plan: 'pro', tenant: 'x"; drop database base; --' })),
      'tenant',
    );
    denied(() => resolveConnection(base, attrs({ plan: 'pro', tenant: 'a'.repeat(64) })), 'tenant');
    denied(() => resolveConnection(base, attrs({ plan: 'pro', tenant: '' })), 'tenant');
    denied(() => resolveConnection(base, attrs({ plan: 'pro' })), 'tenant');
    denied(() => resolveConnection(base, attrs({ plan: 'eu', tenant: 'Acme_1' })), 'tenant'); // its own pattern
    assert.equal(resolveConnection(base, attrs({ plan: 'eu', tenant: 'acme' })).database, 'eu_acme');
  });

  test('a slot pattern anchors the whole value, even with a top-level alternation', () => {
    // `^acme|globex$` reads as `(^acme)|(globex$)`: unwrapped, `acme/../x;y` would pass.
    const alternation = {
      ...base,
      credentialMappings: [{ ...base.credentialMappings[2]!, slotPattern: '^acme|globex$' }],
    };
    for (const tenant of ['acme/../other', 'acme;drop', 'x.globex', 'acme\nglobex', 'acme\u0000']) {
      denied(() => resolveConnection(alternation, attrs({ plan: 'eu', tenant })), 'tenant');
    }
    assert.equal(
      resolveConnection(alternation, attrs({ plan: 'eu', tenant: 'globex' })).database,
      'eu_globex',
    );
    // Look-alikes, path and statement characters, and 64+ characters never fill the default slot.
    for (const tenant of ['ａcme', 'acme\u200b', 'a..b', 'a/b', 'a;b', 'a b', 'a'.repeat(64), 'é']) {
      denied(() => resolveConnection(base, attrs({ plan: 'pro', tenant })), 'tenant');
    }
  });

  test('no match: DENY by default, USE_BASE on request; no mappings at all means the base settings', () => {
    denied(() => resolveConnection(base, attrs({ plan: 'free' })));
    denied(() => resolveConnection(base, new Map()));
    const fallback = resolveConnection({ ...base, onNoMatch: 'USE_BASE' }, attrs({ plan: 'free' }));
    assert.deepEqual([fallback.database, fallback.mappingIndex], ['base', null]);
    assert.equal(resolveConnection({ ...base, credentialMappings: [] }, new Map()).database, 'base');
  });
});

describe('warehouse pools', () => {
  test('capped LRU: past the cap the least recently used pool closes; idle pools close', async () => {
    const warehouses = new Warehouses(null);
    const pools = new PoolManager((s) => openPgliteWarehousePool(warehouses, s), {
      max: 2,
      idleMs: 60_000,
      connectionsPerPool: 1,
    });
    const settings = (database: string) => ({
      ...resolveConnection({ ...base, engine: 'pglite', credentialMappings: [] }, new Map()),
      database,
      schema: 'public',
    });
    try {
      for (const name of ['w1', 'w2', 'w3']) await warehouses.load(name, 'select 1');
      for (const name of ['w1', 'w2', 'w3']) await pools.use(settings(name), (p) => p.ping());
      assert.deepEqual(pools.stats(), { open: 2, max: 2, opened: 3, evicted: 1 });
      await pools.use(settings('w2'), (p) => p.ping()); // reused, not reopened
      assert.equal(pools.stats().opened, 3);
      await pools.sweepIdle(Date.now() + 61_000);
      assert.equal(pools.stats().open, 0);
    } finally {
      await pools.closeAll();
      await warehouses.closeAll();
    }
  });
});

describe('credential mappings end to end (pglite warehouses per tenant)', () => {
  const data = { data: () => t.app.services.data };
  let t: TestApp;
  let domainId: string;
  let connectionId: string;
  before(async () => {
    t = await startTestApp(testBackends()[0]!, {
      env: { TESSERA_WAREHOUSE_DIR: 'memory' },
    });
    for (const tenant of ['acme', 'globex']) {
      await data
        .data()
        .warehouses.load(
          `tenant_${tenant}`,
          `create table orders (id int, owner text); insert into orders values (1, '${tenant}');`,
        );
    }
    const conn = await createConnection(t, {
      name: 'per-tenant',
      engine: 'pglite',
      database: 'tenant_acme',
      credentialMappings: [
        { attributeMatch: [{ key: 'plan', value: 'pro' }], database: 'tenant_{{tenant_id}}' },
      ],
    });
    assert.equal(conn.payload.status.code, 'OK', JSON.stringify(conn.payload.status));
    connectionId = conn.payload.connection.id;
    domainId = (await createDomain(t, { name: 'orders', connectionId, tables: [{ name: 'orders' }] })).payload
      .domain.id;
  });
  after(() => t?.close());

  const userSession = (email: string, attributes: Record<string, string>) =>
    sessionFor(
      t,
      email,
      [{ roleId: ROLE_IDS.EXPLORER, scopes: [domainId] }],
      Object.entries(attributes).map(([key, value]) => ({ key, value })),
    );

  test('each tenant reads its own warehouse', async () => {
    const acme = await userSession('a@acme.test', { plan: 'pro', tenant_id: 'acme' });
    const globex = await userSession('g@globex.test', { plan: 'pro', tenant_id: 'globex' });
    assert.deepEqual((await runQuery(t, acme.token, domainId, 'select owner from orders')).result!.rows, [
      ['acme'],
    ]);
    assert.deepEqual((await runQuery(t, globex.token, domainId, 'select owner from orders')).result!.rows, [
      ['globex'],
    ]);
  });

  test('no matching mapping is ACCESS_DENIED naming the connection, and opens nothing', async () => {
    const free = await userSession('f@free.test', { plan: 'free', tenant_id: 'acme' });
    const opened = data.data().pools.stats().opened;
    const r = await runQuery(t, free.token, domainId, 'select owner from orders');
    assert.equal(r.code, 'ACCESS_DENIED');
    assert.equal(r.extensions?.connectionId, connectionId);
    assert.equal(data.data().pools.stats().opened, opened);
  });

  test('a tenant whose warehouse does not exist gets CONNECTION_FAILED; no warehouse is created', async () => {
    const stranger = await userSession('s@nowhere.test', { plan: 'pro', tenant_id: 'initech' });
    assert.equal(
      (await runQuery(t, stranger.token, domainId, 'select owner from orders')).code,
      'CONNECTION_FAILED',
    );
    assert.equal(
      (await runQuery(t, stranger.token, domainId, 'select owner from orders')).code,
      'CONNECTION_FAILED',
    );
  });

  test('a slot value outside its pattern is ACCESS_DENIED and nothing runs', async () => {
    const evil = await userSession('e@evil.test', { plan: 'pro', tenant_id: '../acme' });
    const opened = data.data().pools.stats().opened;
    const r = await runQuery(t, evil.token, domainId, 'select owner from orders');
    assert.equal(r.code, 'ACCESS_DENIED');
    assert.equal(r.extensions?.slot, 'tenant_id');
    assert.equal(data.data().pools.stats().opened, opened);
    const audit = await t.app.services.db
      .selectFrom('audit_events')
      .select('details')
      .where('action', '=', 'data.query')
      .where('outcome', '=', 'FAILURE')
      .execute();
    assert.ok(
      audit.some(
        (e) => (e.details as any).errorCode === 'ACCESS_DENIED' && (e.details as any).rowCount === undefined,
      ),
    );
  });

  test('updating a connection closes its pools', async () => {
    assert.ok(data.data().pools.stats().open > 0);
    const r = await t.gql(
      `mutation($input: UpdateConnectionInput!) { updateConnection(input: $input) { ${STATUS} } }`,
      {
        input: { id: connectionId, onNoMatch: 'USE_BASE' },
      },
    );
    assert.equal(r.body.data!.updateConnection.status.code, 'OK');
    assert.equal(data.data().pools.stats().open, 0);
  });
});

const pgUrl = process.env.TEST_DATABASE_URL;
describe('two tenants routed to two PostgreSQL databases never share a pool', {
  skip: pgUrl ? false : 'TEST_DATABASE_URL not set',
}, () => {
  let t: TestApp;
  const scratch: { name: string; url: string; drop: () => Promise<void> }[] = [];
  let domainId: string;
  before(async () => {
    t = await startTestApp(testBackends()[0]!, {
      env: { TESSERA_WAREHOUSE_DIR: 'memory' },
    });
    for (let i = 0; i < 2; i++) {
      const db = await createScratchPostgresDatabase(pgUrl!);
      scratch.push(db);
      const c = new pg.Client({ connectionString: db.url });
      await c.connect();
      await c.query(
        'create view session_info as select current_database()::text as db, pg_backend_pid() as pid',
      );
      await c.end();
    }
    const baseSettings = settingsOf('postgres', scratch[0]!.url);
    const conn = await createConnection(t, {
      name: 'routed',
      ...baseSettings,
      credentialMappings: [
        { attributeMatch: [{ key: 'tenant_id', value: 'a' }], database: scratch[0]!.name },
        { attributeMatch: [{ key: 'tenant_id', value: 'b' }], database: scratch[1]!.name },
      ],
    });
    assert.equal(conn.payload.status.code, 'OK', JSON.stringify(conn.payload.status));
    domainId = (
      await createDomain(t, {
        name: 'routed',
        connectionId: conn.payload.connection.id,
        tables: [{ name: 'session_info' }],
      })
    ).payload.domain.id;
  });
  let closed = false;
  after(async () => {
    if (!closed) await t?.close();
    for (const s of scratch) await s.drop();
  });

  test('current_database() and pg_backend_pid() per query', async () => {
    const roles = [{ roleId: ROLE_IDS.EXPLORER, scopes: [domainId] }];
    const a = await sessionFor(t, 'a@routed.test', roles, [{ key: 'tenant_id', value: 'a' }]);
    const b = await sessionFor(t, 'b@routed.test', roles, [{ key: 'tenant_id', value: 'b' }]);
    const seen = { a: new Set<string>(), b: new Set<string>() };
    const pids = { a: new Set<number>(), b: new Set<number>() };
    const runs = [];
    for (let i = 0; i < 6; i++) {
      for (const [who, s] of [
        ['a', a],
        ['b', b],
      ] as const) {
        runs.push(
          runQuery(t, s.token, domainId, 'select db, pid from session_info').then((r) => {
            const [db, pid] = r.result!.rows[0] as [string, number];
            seen[who].add(db);
            pids[who].add(pid);
          }),
        );
      }
    }
    await Promise.all(runs);
    assert.deepEqual([...seen.a], [scratch[0]!.name]);
    assert.deepEqual([...seen.b], [scratch[1]!.name]);
    for (const pid of pids.a) assert.equal(pids.b.has(pid), false);
  });

  test('shutting the app down closes every warehouse session', async () => {
    const sessions = async () => {
      const c = new pg.Client({ connectionString: pgUrl });
      await c.connect();
      try {
        const r = await c.query(
          "select count(*)::int as n from pg_stat_activity where application_name = 'tessera' and datname = any($1)",
          [scratch.map((s) => s.name)],
        );
        return r.rows[0].n as number;
      } finally {
        await c.end();
      }
    };
    assert.ok((await sessions()) >= 2);
    await t.close();
    closed = true;
    // A backend leaves pg_stat_activity a moment after its client disconnects.
    let left = await sessions();
    for (let i = 0; i < 50 && left > 0; i++) {
      await new Promise((r) => setTimeout(r, 100));
      left = await sessions();
    }
    assert.equal(left, 0);
  });
});

describe('a mapping schema override routes one domain to each tenant schema (PostgreSQL)', {
  skip: pgUrl ? false : 'TEST_DATABASE_URL not set',
}, () => {
  let t: TestApp;
  let db: { name: string; url: string; drop: () => Promise<void> };
  let domainId: string;
  before(async () => {
    t = await startTestApp(testBackends()[0]!, {
      env: { TESSERA_WAREHOUSE_DIR: 'memory' },
    });
    db = await createScratchPostgresDatabase(pgUrl!);
    const c = new pg.Client({ connectionString: db.url });
    await c.connect();
    await c.query(`create table public.items (owner text); insert into public.items values ('base');
      create schema t_acme; create table t_acme.items (owner text); insert into t_acme.items values ('acme');
      create schema t_globex; create table t_globex.items (owner text); insert into t_globex.items values ('globex');`);
    await c.end();
    const conn = await createConnection(t, {
      name: 'schemas',
      ...settingsOf('postgres', db.url),
      credentialMappings: [{ attributeMatch: [], schema: 't_{{tenant_id}}' }],
    });
    domainId = (
      await createDomain(t, {
        name: 'items',
        connectionId: conn.payload.connection.id,
        tables: [{ name: 'items' }],
      })
    ).payload.domain.id;
  });
  after(async () => {
    await t?.close();
    await db?.drop();
  });

  test('each tenant reads its own schema, qualified or not', async () => {
    const roles = [{ roleId: ROLE_IDS.EXPLORER, scopes: [domainId] }];
    for (const tenant of ['acme', 'globex']) {
      const s = await sessionFor(t, `${tenant}@schemas.test`, roles, [{ key: 'tenant_id', value: tenant }]);
      assert.deepEqual((await runQuery(t, s.token, domainId, 'select owner from items')).result!.rows, [
        [tenant],
      ]);
      const other = tenant === 'acme' ? 't_globex' : 't_acme';
      assert.equal(
        (await runQuery(t, s.token, domainId, `select owner from ${other}.items`)).code,
        'ACCESS_DENIED',
      );
      assert.equal(
        (await runQuery(t, s.token, domainId, 'select owner from public.items')).code,
        'ACCESS_DENIED',
      );
    }
  });

  test('a tenant schema table the domain also lists is refused, not read without its policy', async () => {
    const conn = (await t.gql('query { connections { id name } }')).body.data!.connections.find(
      (c: { name: string }) => c.name === 'schemas',
    );
    const both = (
      await createDomain(t, {
        name: 'items and acme items',
        connectionId: conn.id,
        tables: [{ name: 'items' }, { schema: 't_acme', name: 'items' }],
      })
    ).payload.domain.id;
    const policy = await t.gql(
      `mutation($input: SetRowPolicyInput!) { setRowPolicy(input: $input) { ${STATUS} } }`,
      { input: { domainId: both, table: { schema: 't_acme', name: 'items' }, policy: "owner = 'nobody'" } },
    );
    assert.equal(policy.body.data?.setRowPolicy.status.code, 'OK', JSON.stringify(policy.body));
    const roles = [{ roleId: ROLE_IDS.EXPLORER, scopes: [both] }];
    // For acme, public.items becomes t_acme.items: two entries, one with a policy, one without.
    const acme = await sessionFor(t, 'acme2@schemas.test', roles, [{ key: 'tenant_id', value: 'acme' }]);
    for (const sql of ['select owner from items', 'select owner from t_acme.items']) {
      const r = await runQuery(t, acme.token, both, sql);
      assert.equal(r.code, 'ACCESS_DENIED', `${sql}: ${JSON.stringify(r.body)}`);
    }
    // For globex the two entries are two tables, each read as listed.
    const globex = await sessionFor(t, 'globex2@schemas.test', roles, [
      { key: 'tenant_id', value: 'globex' },
    ]);
    assert.deepEqual((await runQuery(t, globex.token, both, 'select owner from items')).result!.rows, [
      ['globex'],
    ]);
    assert.deepEqual(
      (await runQuery(t, globex.token, both, 'select owner from t_acme.items')).result!.rows,
      [],
    );
  });
});

const myUrl = process.env.TEST_MYSQL_URL;
describe('a mapping database override routes one domain to each tenant database (MariaDB/MySQL)', {
  skip: myUrl ? false : 'TEST_MYSQL_URL not set',
}, () => {
  let t: TestApp;
  const dbs: { name: string; url: string; drop: () => Promise<void> }[] = [];
  let domainId: string;
  let connectionId: string;
  before(async () => {
    t = await startTestApp(testBackends()[0]!, {
      env: { TESSERA_WAREHOUSE_DIR: 'memory' },
    });
    const mysql = await import('mysql2/promise');
    for (const owner of ['a', 'b']) {
      const db = await createScratchMysqlDatabase(myUrl!);
      dbs.push(db);
      const c = await mysql.createConnection({ uri: db.url, multipleStatements: true });
      await c.query(`create table items (owner varchar(8)); insert into items values ('${owner}');`);
      await c.end();
    }
    const conn = await createConnection(t, {
      name: 'databases',
      ...settingsOf('mysql', dbs[0]!.url),
      credentialMappings: [
        { attributeMatch: [{ key: 'tenant_id', value: 'a' }], database: dbs[0]!.name },
        { attributeMatch: [{ key: 'tenant_id', value: 'b' }], database: dbs[1]!.name },
      ],
    });
    assert.equal(conn.payload.status.code, 'OK', JSON.stringify(conn.payload.status));
    connectionId = conn.payload.connection.id;
    domainId = (
      await createDomain(t, {
        name: 'items',
        connectionId,
        tables: [{ name: 'items' }],
      })
    ).payload.domain.id;
  });
  after(async () => {
    await t?.close();
    for (const d of dbs) await d.drop();
  });

  test('each tenant reads its own database; the other one is out of the domain', async () => {
    const roles = [{ roleId: ROLE_IDS.EXPLORER, scopes: [domainId] }];
    for (const [tenant, mine, other] of [
      ['a', dbs[0]!, dbs[1]!],
      ['b', dbs[1]!, dbs[0]!],
    ] as const) {
      const s = await sessionFor(t, `${tenant}@databases.test`, roles, [{ key: 'tenant_id', value: tenant }]);
      assert.deepEqual((await runQuery(t, s.token, domainId, 'select owner from items')).result!.rows, [
        [tenant],
      ]);
      assert.deepEqual(
        (await runQuery(t, s.token, domainId, `select owner from ${mine.name}.items`)).result!.rows,
        [[tenant]],
      );
      assert.equal(
        (await runQuery(t, s.token, domainId, `select owner from ${other.name}.items`)).code,
        'ACCESS_DENIED',
      );
    }
    const none = await sessionFor(t, 'c@databases.test', roles, [{ key: 'tenant_id', value: 'c' }]);
    assert.equal((await runQuery(t, none.token, domainId, 'select owner from items')).code, 'ACCESS_DENIED');
  });

  test('a table listed in the base database spelled in another case still follows the override', async () => {
    // A server with lower_case_table_names takes `DB.items` and `db.items` for one table, and the
    // gate matches names that way; the mapping must move it the same way, or a tenant's query
    // would read the base database's table. A domain saved while its connection was unreachable
    // (its tables then go unchecked) can hold such a spelling; written here directly.
    const spelled = (
      await createDomain(t, {
        name: 'items in capitals',
        connectionId,
        tables: [{ name: 'items' }],
      })
    ).payload.domain.id;
    await t.app.services.db
      .updateTable('data_domain_tables')
      .set({ schema_name: dbs[0]!.name.toUpperCase() })
      .where('domain_id', '=', spelled)
      .execute();
    const roles = [{ roleId: ROLE_IDS.EXPLORER, scopes: [spelled] }];
    for (const tenant of ['a', 'b']) {
      const s = await sessionFor(t, `${tenant}@capitals.test`, roles, [{ key: 'tenant_id', value: tenant }]);
      const r = await runQuery(t, s.token, spelled, 'select owner from items');
      assert.deepEqual(r.result?.rows, [[tenant]], JSON.stringify(r));
    }
  });
});
