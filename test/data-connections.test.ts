import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { STATUS } from './helpers/api.ts';
import { startTestApp, type TestApp } from './helpers/app.ts';
import { CONNECTION_FIELDS, createConnection, createDomain } from './helpers/data.ts';
import { testBackends } from './helpers/databases.ts';

const PASSWORD = 'base-Secret-9f2c';
const MAPPING_PASSWORD = 'mapping-Secret-77ab';

for (const backend of testBackends()) {
  describe(`connections (${backend.name})`, () => {
    const data = { data: () => t.app.services.data };
    let t: TestApp;
    before(async () => {
      t = await startTestApp(backend, {
        env: { TESSERA_WAREHOUSE_DIR: 'memory' },
      });
      await data
        .data()
        .warehouses.load(
          'discover_me',
          'create table items (id int primary key, label text not null, tenant_id text)',
        );
    });
    after(() => t?.close());

    const rawRows = () =>
      t.app.services.db.selectFrom('data_connections').selectAll().orderBy('id').execute();
    const update = (input: Record<string, unknown>) =>
      t.gql(
        `mutation($input: UpdateConnectionInput!) { updateConnection(input: $input) { ${STATUS} connection { ${CONNECTION_FIELDS} } } }`,
        { input },
      );

    test('secrets are stored encrypted and never returned', async () => {
      const created = await createConnection(t, {
        name: 'Production',
        engine: 'postgres',
        host: '127.0.0.1',
        port: 1,
        database: 'analytics',
        user: 'reader',
        password: PASSWORD,
        credentialMappings: [
          { attributeMatch: [{ key: 'tenant_id', value: 'acme' }], user: 'acme', password: MAPPING_PASSWORD },
        ],
      });
      assert.equal(created.payload.status.code, 'OK', JSON.stringify(created.payload.status));
      const c = created.payload.connection;
      assert.equal(c.hasPassword, true);
      assert.equal(c.credentialMappings[0].hasPassword, true);
      assert.equal(c.onNoMatch, 'DENY');
      const listed = await t.gql(`{ connections { ${CONNECTION_FIELDS} } connection(id: "${c.id}") { id } }`);
      for (const text of [JSON.stringify(created.body), JSON.stringify(listed.body)]) {
        assert.equal(text.includes(PASSWORD), false);
        assert.equal(text.includes(MAPPING_PASSWORD), false);
      }
      const row = (await rawRows()).find((r) => r.id === c.id)!;
      assert.match(row.password_sealed!, /^v1\./);
      assert.equal(JSON.stringify(row).includes(PASSWORD), false);
      assert.equal(JSON.stringify(row).includes(MAPPING_PASSWORD), false);
      assert.equal(
        t.app.services.secrets.open(row.password_sealed!, `connection:${c.id}:password`),
        PASSWORD,
      );
      const audit = await t.app.services.db.selectFrom('audit_events').select('details').execute();
      assert.equal(JSON.stringify(audit).includes(PASSWORD), false);

      // Omitted password: kept. Empty password: cleared.
      const renamed = await update({ id: c.id, name: 'Production EU' });
      assert.equal(renamed.body.data!.updateConnection.connection.hasPassword, true);
      const kept = (await rawRows()).find((r) => r.id === c.id)!;
      assert.equal(
        t.app.services.secrets.open(kept.password_sealed!, `connection:${c.id}:password`),
        PASSWORD,
      );
      const cleared = await update({ id: c.id, password: '' });
      assert.equal(cleared.body.data!.updateConnection.connection.hasPassword, false);
    });

    test('bad settings are refused with problems naming each field, and nothing is written', async () => {
      const before = await rawRows();
      const cases: [Record<string, unknown>, string][] = [
        [{ name: 'x', engine: 'oracle' }, 'engine'],
        [{ name: '', engine: 'pglite', database: 'demo' }, 'name'],
        [{ name: 'x', engine: 'postgres', database: 'd', user: 'u' }, 'host'],
        [{ name: 'x', engine: 'postgres', host: 'h', port: 70000, database: 'd', user: 'u' }, 'port'],
        [{ name: 'x', engine: 'postgres', host: 'h', database: 'tenant_{{id}}', user: 'u' }, 'database'],
        [{ name: 'x', engine: 'pglite', database: 'demo', host: 'h' }, 'host'],
        [{ name: 'x', engine: 'pglite', database: '../etc' }, 'database'],
        [
          {
            name: 'x',
            engine: 'postgres',
            host: 'h',
            database: 'd',
            user: 'u',
            credentialMappings: [{ attributeMatch: [], database: 'tenant_{{bad name}}' }],
          },
          'credentialMappings[0].database',
        ],
        [
          {
            name: 'x',
            engine: 'postgres',
            host: 'h',
            database: 'd',
            user: 'u',
            credentialMappings: [{ attributeMatch: [], schema: 'tenant_{{id' }],
          },
          'credentialMappings[0].schema',
        ],
        [
          {
            name: 'x',
            engine: 'postgres',
            host: 'h',
            database: 'd',
            user: 'u',
            credentialMappings: [{ attributeMatch: [], database: 't_{{id}}', slotPattern: '[a-z]+' }],
          },
          'credentialMappings[0].slotPattern',
        ],
        [
          {
            name: 'x',
            engine: 'postgres',
            host: 'h',
            database: 'd',
            user: 'u',
            credentialMappings: [{ attributeMatch: [{ key: '1bad', value: 'v' }] }],
          },
          'credentialMappings[0].attributeMatch[0].key',
        ],
      ];
      for (const [input, field] of cases) {
        const r = await createConnection(t, input);
        assert.equal(r.payload.status.code, 'ERROR', JSON.stringify(input));
        assert.equal(r.payload.status.errorCode, 'BAD_USER_INPUT');
        assert.ok(
          r.payload.status.problems.some((p: any) => p.field === field),
          `${field}: ${JSON.stringify(r.payload.status.problems)}`,
        );
      }
      const dup = await createConnection(t, { name: 'dup', engine: 'pglite', database: 'demo' });
      assert.equal(dup.payload.status.code, 'OK');
      const again = await createConnection(t, { name: 'DUP', engine: 'pglite', database: 'demo' });
      assert.equal(again.payload.status.problems[0]!.field, 'name');
      const badUpdate = await update({ id: dup.payload.connection.id, engine: 'mysql' }); // mysql needs host and user
      assert.equal(badUpdate.body.data!.updateConnection.status.code, 'ERROR');
      const afterRows = (await rawRows()).filter((r) => r.id !== dup.payload.connection.id);
      assert.deepEqual(afterRows, before);
      const dupRow = (await rawRows()).find((r) => r.id === dup.payload.connection.id)!;
      assert.equal(dupRow.engine, 'pglite');
      const missing = await update({ id: 'con_unknown', name: 'y' });
      assert.equal(missing.body.data!.updateConnection.status.code, 'NOT_FOUND');
    });

    test('testConnection reports success and failures as data, without secrets', async () => {
      const ok = await createConnection(t, { name: 'wh', engine: 'pglite', database: 'discover_me' });
      const r = await t.gql(
        `mutation($id: ID!) { testConnection(id: $id) { ok errorCode serverVersion resolved { database hasPassword mappingIndex } } }`,
        {
          id: ok.payload.connection.id,
        },
      );
      assert.equal(r.body.data!.testConnection.ok, true);
      assert.match(r.body.data!.testConnection.serverVersion, /PostgreSQL/);
      const refused = await createConnection(t, {
        name: 'nowhere',
        engine: 'postgres',
        host: '127.0.0.1',
        port: 1,
        database: 'd',
        user: 'u',
        password: PASSWORD,
      });
      const failed = await t.gql(`mutation($id: ID!) { testConnection(id: $id) { ok errorCode message } }`, {
        id: refused.payload.connection.id,
      });
      assert.equal(failed.body.data!.testConnection.ok, false);
      assert.equal(failed.body.data!.testConnection.errorCode, 'CONNECTION_FAILED');
      assert.equal(JSON.stringify(failed.body).includes(PASSWORD), false);
    });

    test('discoverTables lists schemas, tables and columns', async () => {
      const c = (await t.gql('{ connections { id name } }')).body.data!.connections.find(
        (x: any) => x.name === 'wh',
      );
      const r = await t.gql(
        `query($id: ID!) { discoverTables(connectionId: $id) { schema name columns { name type } } }`,
        { id: c.id },
      );
      const items = r.body.data!.discoverTables.find((x: any) => x.name === 'items');
      assert.equal(items.schema, 'public');
      assert.deepEqual(
        items.columns.map((col: any) => col.name),
        ['id', 'label', 'tenant_id'],
      );
    });

    test('a connection a domain uses cannot be deleted; an unused one can', async () => {
      const c = await createConnection(t, { name: 'used', engine: 'pglite', database: 'discover_me' });
      const d = await createDomain(t, {
        name: 'uses it',
        connectionId: c.payload.connection.id,
        tables: [{ name: 'items' }],
      });
      assert.equal(d.payload.status.code, 'OK', JSON.stringify(d.payload.status));
      const del = (id: string) =>
        t.gql(`mutation($id: ID!) { deleteConnection(input: { id: $id }) { ${STATUS} } }`, { id });
      const conflict = await del(c.payload.connection.id);
      assert.equal(conflict.body.data!.deleteConnection.status.errorCode, 'CONFLICT');
      assert.ok(
        await t
          .gql(`{ connection(id: "${c.payload.connection.id}") { id } }`)
          .then((r) => r.body.data!.connection),
      );
      const unused = await createConnection(t, { name: 'unused', engine: 'pglite', database: 'x' });
      assert.equal((await del(unused.payload.connection.id)).body.data!.deleteConnection.status.code, 'OK');
      assert.equal(
        (await del(unused.payload.connection.id)).body.data!.deleteConnection.status.code,
        'NOT_FOUND',
      );
    });

    test('only data:admin manages connections; other workspaces see nothing', async () => {
      const iam = await t.key(['iam:write']);
      const r = await t.gql('{ connections { id } }', {}, iam);
      assert.equal(r.body.errors![0]!.extensions!.code, 'FORBIDDEN');
      const create = await createConnection(t, { name: 'nope', engine: 'pglite', database: 'x' }, iam);
      assert.equal(create.body.errors![0]!.extensions!.code, 'FORBIDDEN');
      const other = await t.app.services.workspaces.create('Other', {
        requestId: null,
        ip: null,
        actorKeyId: null,
        actorUserId: null,
      });
      const otherKey = await t.key(['data:admin'], other.id);
      const mine = (await t.gql('{ connections { id } }')).body.data!.connections;
      assert.ok(mine.length > 0);
      const seen = await t.gql(`{ connections { id } connection(id: "${mine[0].id}") { id } }`, {}, otherKey);
      assert.deepEqual(seen.body.data, { connections: [], connection: null });
    });
  });
}
