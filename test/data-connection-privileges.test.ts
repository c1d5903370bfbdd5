import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import type { DataAccess } from '../src/modules/data/access.ts';
import { startTestApp, type TestApp } from './helpers/app.ts';
import { createConnection, createDomain, settingsOf } from './helpers/data.ts';
import {
  createScratchMysqlDatabase,
  createScratchPostgresDatabase,
  testBackends,
} from './helpers/databases.ts';

/**
 * `checkConnection`: a deliberately over-privileged role (reads a table outside the domain,
 * writes, executes a warehouse function) and a least-privileged one (SELECT on the domain's
 * table only), on PGlite, PostgreSQL and MariaDB, as the base settings and as a mapping.
 */

const CHECK = `query($id: ID!) { checkConnection(connectionId: $id) {
  mappingIndex user database ok errorCode message findings { kind object privilege } } }`;

interface Finding {
  kind: string;
  object: string;
  privilege: string;
}

interface Setup {
  /** Connection settings of the over-privileged role, and the mapping override to the least one. */
  over: Record<string, unknown>;
  leastMapping: Record<string, unknown>;
  least: Record<string, unknown>;
  /** The findings the over-privileged role must show (at least). */
  expected: Finding[];
  cleanup(): Promise<void>;
}

type Engine = { name: string; setup(data: { data: () => DataAccess }): Promise<Setup> };

const suffix = () => randomBytes(5).toString('hex');
const engines: Engine[] = [
  {
    name: 'pglite',
    setup: async (data) => {
      const [over, least] = [`wh_over_${suffix()}`, `wh_least_${suffix()}`];
      await data.data().warehouses.load(
        over,
        `create table orders (id int, tenant_id text); create table secrets (id int, secret text);
         create function leak() returns bigint language sql as $$ select count(*) from secrets $$;`,
      );
      await data.data().warehouses.load(least, 'create table orders (id int, tenant_id text);');
      return {
        over: { engine: 'pglite', database: over },
        least: { engine: 'pglite', database: least },
        leastMapping: { database: least },
        expected: [
          { kind: 'READ_OUTSIDE_DOMAIN', object: 'public.secrets', privilege: 'SELECT' },
          { kind: 'EXECUTE_FUNCTION', object: 'public.leak()', privilege: 'EXECUTE' },
        ],
        cleanup: async () => {},
      };
    },
  },
];
const pgUrl = process.env.TEST_DATABASE_URL;
if (pgUrl) {
  engines.push({
    name: 'postgres',
    setup: async () => {
      const scratch = await createScratchPostgresDatabase(pgUrl);
      const [over, least] = [`tessera_over_${suffix()}`, `tessera_least_${suffix()}`];
      const admin = new pg.Client({ connectionString: scratch.url });
      await admin.connect();
      await admin.query(`
        create table orders (id int, tenant_id text); create table secrets (id int, secret text);
        create function leak() returns bigint language sql as $$ select count(*) from secrets $$;
        create role ${over} login; create role ${least} login;
        grant select, insert, delete on all tables in schema public to ${over};
        grant create on schema public to ${over};
        -- the recommended role: SELECT on the domain's tables, no EXECUTE through PUBLIC
        revoke execute on all functions in schema public from public;
        grant execute on function leak() to ${over};
        grant select on orders to ${least};`);
      await admin.end();
      const as = (user: string) => {
        const url = new URL(scratch.url);
        url.username = user;
        return settingsOf('postgres', url.toString());
      };
      return {
        over: as(over),
        least: as(least),
        leastMapping: { user: least },
        expected: [
          { kind: 'READ_OUTSIDE_DOMAIN', object: 'public.secrets', privilege: 'SELECT' },
          { kind: 'WRITE', object: 'public.orders', privilege: 'INSERT' },
          { kind: 'WRITE', object: 'public.secrets', privilege: 'DELETE' },
          { kind: 'WRITE', object: 'public', privilege: 'CREATE' },
          { kind: 'EXECUTE_FUNCTION', object: 'public.leak()', privilege: 'EXECUTE' },
        ],
        cleanup: async () => {
          const c = new pg.Client({ connectionString: scratch.url });
          await c.connect();
          await c.query(`drop owned by ${over}, ${least}`);
          await c.end();
          await scratch.drop();
          const root = new pg.Client({ connectionString: pgUrl });
          await root.connect();
          await root.query(`drop role if exists ${over}; drop role if exists ${least}`);
          await root.end();
        },
      };
    },
  });
}
const myUrl = process.env.TEST_MYSQL_URL;
if (myUrl) {
  engines.push({
    name: 'mariadb',
    setup: async () => {
      const mysql = await import('mysql2/promise');
      const scratch = await createScratchMysqlDatabase(myUrl);
      const db = scratch.name;
      const [over, least] = [`tessera_over_${suffix()}`, `tessera_least_${suffix()}`];
      const admin = await mysql.createConnection({ uri: scratch.url, multipleStatements: true });
      await admin.query(`
        create table orders (id int, tenant_id text); create table secrets (id int, secret text);
        create function leak() returns bigint reads sql data return (select count(*) from secrets);
        create user '${over}'@'%'; create user '${least}'@'%';
        grant all on ${db}.* to '${over}'@'%';
        grant select on ${db}.orders to '${least}'@'%';`);
      await admin.end();
      const as = (user: string) => {
        const url = new URL(scratch.url);
        url.username = user;
        url.password = '';
        return settingsOf('mysql', url.toString());
      };
      return {
        over: as(over),
        least: as(least),
        leastMapping: { user: least },
        expected: [
          { kind: 'READ_OUTSIDE_DOMAIN', object: `${db}.secrets`, privilege: `SELECT (on ${db}.*)` },
          { kind: 'WRITE', object: `${db}.*`, privilege: 'INSERT' },
          { kind: 'WRITE', object: `${db}.*`, privilege: 'CREATE' },
          { kind: 'EXECUTE_FUNCTION', object: `${db}.*`, privilege: 'EXECUTE' },
          { kind: 'EXECUTE_FUNCTION', object: `${db}.leak (FUNCTION)`, privilege: 'EXECUTE' },
        ],
        cleanup: async () => {
          const c = await mysql.createConnection(myUrl);
          await c.query(`drop user if exists '${over}'@'%', '${least}'@'%'`);
          await c.end();
          await scratch.drop();
        },
      };
    },
  });
}

for (const engine of engines) {
  describe(`checkConnection (${engine.name} warehouse)`, () => {
    const data = { data: () => t.app.services.data };
    let t: TestApp;
    let setup: Setup;
    before(async () => {
      t = await startTestApp(testBackends()[0]!, {
        env: { TESSERA_WAREHOUSE_DIR: 'memory' },
      });
      setup = await engine.setup(data);
    });
    after(async () => {
      await t?.close();
      await setup?.cleanup();
    });

    const check = async (settings: Record<string, unknown>, extra: Record<string, unknown> = {}) => {
      const conn = await createConnection(t, { name: `c_${suffix()}`, ...settings, ...extra });
      assert.equal(conn.payload.status.code, 'OK', JSON.stringify(conn.payload.status));
      const id = conn.payload.connection.id as string;
      const domain = await createDomain(t, {
        name: `d_${suffix()}`,
        connectionId: id,
        tables: [{ name: 'orders' }],
      });
      assert.equal(domain.payload.status.code, 'OK', JSON.stringify(domain.payload.status));
      const r = await t.gql(CHECK, { id });
      assert.equal(r.body.errors, undefined, JSON.stringify(r.body.errors));
      return r.body.data!.checkConnection as {
        mappingIndex: number | null;
        ok: boolean;
        errorCode: string | null;
        findings: Finding[];
      }[];
    };

    test('an over-privileged role is reported: reads outside the domain, writes, functions', async () => {
      const [base] = await check(setup.over);
      assert.equal(base!.errorCode, null, JSON.stringify(base));
      assert.equal(base!.ok, false);
      for (const finding of setup.expected)
        assert.ok(
          base!.findings.some((f) => JSON.stringify(f) === JSON.stringify(finding)),
          `${JSON.stringify(finding)} in ${JSON.stringify(base!.findings)}`,
        );
      // The domain's own table, read-only, is never a finding.
      assert.ok(!base!.findings.some((f) => f.kind === 'READ_OUTSIDE_DOMAIN' && /orders/.test(f.object)));
    });

    if (engine.name === 'pglite') {
      test('credentials that cannot connect are reported as not checked, with the reason', async () => {
        const [base] = await check({ engine: 'pglite', database: `wh_missing_${suffix()}` });
        assert.deepEqual(
          { ok: base!.ok, errorCode: base!.errorCode, findings: base!.findings },
          { ok: false, errorCode: 'CONNECTION_FAILED', findings: [] },
        );
      });
    }

    test('a role with SELECT on the domain’s tables only passes, as base settings and as a mapping', async () => {
      const [base] = await check(setup.least);
      assert.deepEqual({ ok: base!.ok, findings: base!.findings }, { ok: true, findings: [] });
      const checks = await check(setup.over, {
        credentialMappings: [{ attributeMatch: [{ key: 'tier', value: 'least' }], ...setup.leastMapping }],
      });
      assert.equal(checks.length, 2);
      assert.equal(checks[0]!.ok, false);
      assert.deepEqual(
        { index: checks[1]!.mappingIndex, ok: checks[1]!.ok, findings: checks[1]!.findings },
        { index: 0, ok: true, findings: [] },
      );
    });
  });
}
