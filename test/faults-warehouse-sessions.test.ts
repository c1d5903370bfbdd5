import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { EXPLORER } from './helpers/api.ts';
import { startTestApp, type TestApp } from './helpers/app.ts';
import { policedDomain, RUN_QUERY, sessionFor, type WarehouseLeg, warehouseLegs } from './helpers/data.ts';
import { testBackends } from './helpers/databases.ts';
import { type FaultProxy, startFaultProxy } from './helpers/fault-proxy.ts';

/**
 * Warehouse sessions under faults a query cannot see coming: a client that leaves while its query
 * waits for a session, a table lock that holds the query's proofs, a session cut or a network
 * stalled under it (docs/data-access.md, "Running queries: runQuery"). Tessera's own database is
 * PGlite; the warehouse is reached through a fault proxy.
 */
const TIMEOUT_MS = 2000;
const SEED = `create table orders (id int primary key, tenant text not null, amount int not null);
  insert into orders values (1, 'a', 10), (2, 'a', 20), (3, 'b', 30);`;

/** How long past the timeout each engine gives a session that does not answer. */
const STALL_GRACE_MS = { postgres: 2000, mysql: 6000, pglite: 0 };

const pglite = testBackends().find((b) => b.name === 'pglite')!;

interface Stack {
  readonly t: TestApp;
  /** Between the app and a PostgreSQL or MariaDB warehouse (a PGlite one has none). */
  readonly proxy: FaultProxy | null;
  readonly domainId: string;
  readonly token: string;
  /** Holds a lock that makes every read of `orders` wait, until the returned function is called. */
  lockOrders(): Promise<() => Promise<void>>;
  close(): Promise<void>;
}

/** An app whose one session per warehouse pool reaches `leg`'s warehouse through a fault proxy. */
async function openStack(leg: WarehouseLeg): Promise<Stack> {
  const t = await startTestApp(pglite, {
    env: { TESSERA_QUERY_TIMEOUT_MS: String(TIMEOUT_MS), TESSERA_DATA_POOL_CONNECTIONS: '1' },
  });
  const warehouse = await leg.open(() => t.app.services.data, SEED);
  const target = warehouse.settings as unknown as Target;
  const proxy = leg.engine === 'pglite' ? null : await startFaultProxy(target);
  const domainId = await policedDomain(t, {
    connection: proxy ? { ...warehouse.settings, host: '127.0.0.1', port: proxy.port } : warehouse.settings,
    name: 'sales',
    tables: ['orders'],
    policies: [['orders', "tenant = USER_ATTRIBUTE('tenant')"]],
  });
  const { token } = await sessionFor(
    t,
    'analyst@faults.test',
    [{ roleId: EXPLORER, scopes: [domainId] }],
    [{ key: 'tenant', value: 'a' }],
  );
  return {
    t,
    proxy,
    domainId,
    token,
    lockOrders: () => (leg.engine === 'postgres' ? lockPostgres(target) : lockMysql(target)),
    close: async () => {
      await proxy?.close();
      await t.close();
      await warehouse.drop();
    },
  };
}

for (const leg of warehouseLegs()) {
  describe(`a query whose client is gone before it reaches the warehouse (${leg.engine})`, () => {
    let s: Stack;
    before(async () => {
      s = await openStack(leg);
    });
    after(async () => {
      await s?.close();
    });

    it('is not run there, and its record says so', async () => {
      const gone = new AbortController();
      // Gone at once: Tessera's own statements (PGlite here) run on, the warehouse's must not.
      const pending = query(s, 'select amount from orders', { signal: gone.signal, requestId: 'gone-early' });
      gone.abort();
      const r = await pending;
      assert.equal(r.body.errors?.[0]?.extensions?.code, 'QUERY_TIMEOUT', JSON.stringify(r.body));
      const record = await auditOf(s, 'gone-early');
      assert.equal(record.outcome, 'FAILURE');
      assert.equal(JSON.parse(record.details).errorCode, 'QUERY_TIMEOUT');
      const next = await query(s, 'select id from orders order by id');
      assert.deepEqual(next.body.data?.runQuery.rows, [[1], [2]]);
    });
  });
}

for (const leg of warehouseLegs().filter((l) => l.engine !== 'pglite')) {
  describe(`warehouse sessions under faults (${leg.engine})`, () => {
    let s: Stack;
    before(async () => {
      s = await openStack(leg);
    });
    after(async () => {
      await s?.close();
    });

    it('a query whose client left while it waited for a session is never run, and is audited as such', async () => {
      const unlock = await s.lockOrders();
      const holder = query(s, 'select id from orders');
      await until(() => poolStats(s).inUse === 1);
      const gone = new AbortController();
      const abandoned = query(s, 'select amount from orders', {
        signal: gone.signal,
        requestId: 'left-in-queue',
      });
      await until(() => poolStats(s).waiting === 1);
      gone.abort();
      await unlock();
      const held = await holder;
      assert.equal(held.status, 200, JSON.stringify(held.body));
      const left = await abandoned;
      assert.equal(left.body.errors?.[0]?.extensions?.code, 'QUERY_TIMEOUT', JSON.stringify(left.body));
      const record = await auditOf(s, 'left-in-queue');
      assert.equal(record.outcome, 'FAILURE');
      assert.equal(JSON.parse(record.details).errorCode, 'QUERY_TIMEOUT');
      // The next query gets a session at once and runs normally.
      const next = await query(s, 'select id from orders order by id');
      assert.deepEqual(next.body.data?.runQuery.rows, [[1], [2]]);
    });

    it('a network that stalls under a pooled session fails the query soon after its timeout', async () => {
      const warm = await query(s, 'select id from orders');
      assert.equal(warm.status, 200, JSON.stringify(warm.body));
      s.proxy!.stall(true);
      try {
        const started = performance.now();
        const r = await Promise.race([query(s, 'select id from orders'), sleep(TIMEOUT_MS + 10_000)]);
        assert.ok(r, 'the query was still waiting for its stalled session');
        assert.equal(r.status, 503, JSON.stringify(r.body));
        assert.equal(r.body.errors?.[0]?.extensions?.code, 'SERVICE_UNAVAILABLE');
        assert.ok(
          performance.now() - started < TIMEOUT_MS + STALL_GRACE_MS[leg.engine] + 2000,
          `took ${performance.now() - started} ms`,
        );
      } finally {
        s.proxy!.stall(false);
      }
      const next = await query(s, 'select id from orders order by id');
      assert.deepEqual(next.body.data?.runQuery.rows, [[1], [2]]);
    });

    if (leg.engine !== 'postgres') return;

    it('a proof held past the statement timeout by a lock is a timeout, not a refused table', async () => {
      const unlock = await s.lockOrders();
      try {
        const started = performance.now();
        const r = await query(s, 'select id from orders');
        assert.equal(r.body.errors?.[0]?.extensions?.code, 'QUERY_TIMEOUT', JSON.stringify(r.body));
        // Answered at the first timeout: not run a second time, fenced, behind the same lock.
        assert.ok(performance.now() - started < TIMEOUT_MS * 1.75, `took ${performance.now() - started} ms`);
      } finally {
        await unlock();
      }
      assert.deepEqual(s.t.app.services.data.queries.fences.stats(), { tables: 0, retried: 0, direct: 0 });
    });

    it('a session cut while its proofs wait on a lock answers 503, and is not run again', async () => {
      const unlock = await s.lockOrders();
      try {
        const pending = query(s, 'select id from orders');
        await until(() => poolStats(s).inUse === 1);
        s.proxy!.cut();
        const r = await pending;
        assert.equal(r.status, 503, JSON.stringify(r.body));
        assert.equal(r.body.errors?.[0]?.extensions?.code, 'SERVICE_UNAVAILABLE');
      } finally {
        await unlock();
      }
      assert.equal(s.t.app.services.data.queries.fences.stats().tables, 0);
      const next = await query(s, 'select id from orders order by id');
      assert.deepEqual(next.body.data?.runQuery.rows, [[1], [2]]);
    });

    it('a client that leaves while its proofs wait on a lock ends its query there', async () => {
      const unlock = await s.lockOrders();
      try {
        const gone = new AbortController();
        const started = performance.now();
        const pending = query(s, 'select id from orders', { signal: gone.signal, requestId: 'left-at-lock' });
        await until(() => poolStats(s).inUse === 1);
        gone.abort();
        const r = await pending;
        assert.equal(r.body.errors?.[0]?.extensions?.code, 'QUERY_TIMEOUT', JSON.stringify(r.body));
        // Cancelled at once, not run again fenced behind the lock until the statement timeout.
        assert.ok(performance.now() - started < TIMEOUT_MS, `took ${performance.now() - started} ms`);
      } finally {
        await unlock();
      }
      const record = await auditOf(s, 'left-at-lock');
      assert.equal(record.outcome, 'FAILURE');
      assert.equal(JSON.parse(record.details).errorCode, 'QUERY_TIMEOUT');
      assert.equal(s.t.app.services.data.queries.fences.stats().tables, 0);
    });

    it('cancel requests a stalled network swallows do not stay open', async () => {
      const warm = await query(s, 'select id from orders');
      assert.equal(warm.status, 200, JSON.stringify(warm.body));
      s.proxy!.stall(true);
      try {
        const gone = new AbortController();
        const pending = query(s, 'select id from orders', { signal: gone.signal });
        await until(() => poolStats(s).inUse === 1);
        gone.abort();
        assert.ok(await Promise.race([pending, sleep(TIMEOUT_MS + 8000)]), 'the query never ended');
        // Every socket through the proxy (the cut session, each repeated cancel) ends in time.
        await until(() => s.proxy!.open === 0, 8000);
      } finally {
        s.proxy!.stall(false);
      }
    });
  });
}

function poolStats(s: Stack): { inUse: number; waiting: number } {
  const [sample] = s.t.app.services.data.pools.samples();
  return { inUse: sample?.inUse ?? 0, waiting: sample?.waiting ?? 0 };
}

async function query(
  s: Stack,
  sql: string,
  options: { signal?: AbortSignal; requestId?: string } = {},
): Promise<{ status: number; body: { data?: any; errors?: { extensions?: Record<string, any> }[] } }> {
  const response = await s.t.app.fetch(
    new Request('http://tessera.test/graphql', {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        authorization: `Bearer ${s.token}`,
        ...(options.requestId ? { 'x-request-id': options.requestId } : {}),
      },
      body: JSON.stringify({ query: RUN_QUERY, variables: { d: s.domainId, sql } }),
      ...(options.signal ? { signal: options.signal } : {}),
    }),
    { ip: '127.0.0.1' },
  );
  return { status: response.status, body: await response.json() };
}

/** The `data.query` record of the request with id `requestId`, once its outcome is written. */
async function auditOf(s: Stack, requestId: string): Promise<{ outcome: string; details: string }> {
  await s.t.app.services.auditTrail.outcomesWritten();
  const r = await s.t.gql(
    `query { auditEvents(filter: { action: "data.query" }, first: 50) { edges { node { outcome details requestId } } } }`,
  );
  const nodes = (r.body.data?.auditEvents.edges ?? []).map((e: any) => e.node);
  const found = nodes.filter((n: any) => n.requestId === requestId);
  assert.equal(found.length, 1, JSON.stringify(r.body));
  return found[0];
}

/** Where the warehouse really is (the app reaches it through the proxy). */
interface Target {
  readonly host: string;
  readonly port: number;
  readonly database: string;
  readonly user: string;
  readonly password?: string;
}

async function lockPostgres(target: Target): Promise<() => Promise<void>> {
  const c = new pg.Client(target);
  await c.connect();
  await c.query('begin');
  await c.query('lock table orders in access exclusive mode');
  return async () => {
    await c.query('rollback');
    await c.end();
  };
}

async function lockMysql(target: Target): Promise<() => Promise<void>> {
  const mysql = await import('mysql2/promise');
  const c = await mysql.createConnection({ ...target });
  await c.query('lock tables orders write');
  return async () => {
    await c.query('unlock tables');
    await c.end();
  };
}

const sleep = (ms: number) => new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), ms));

async function until(condition: () => boolean, withinMs = 5000): Promise<void> {
  const deadline = performance.now() + withinMs;
  while (!condition()) {
    if (performance.now() > deadline) throw new Error('the condition never held');
    await sleep(10);
  }
}
