import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ROLE_IDS } from '../src/modules/roles/roles.ts';
import { createUsers, STATUS } from './helpers/api.ts';
import { startTestApp, type TestApp } from './helpers/app.ts';
import { createConnection, createDomain, setRowPolicy } from './helpers/data.ts';
import { testBackends } from './helpers/databases.ts';

for (const backend of testBackends()) {
  describe(`domains, row policies and data settings (${backend.name})`, () => {
    const data = { data: () => t.app.services.data };
    let t: TestApp;
    let connectionId: string;
    before(async () => {
      t = await startTestApp(backend, {
        env: { TESSERA_WAREHOUSE_DIR: 'memory' },
      });
      await data.data().warehouses.load(
        'sales',
        `create table orders (id int primary key, tenant_id text not null, amount int not null);
         create table notes (id int primary key, body text);
         insert into orders values (1, 't_a', 10), (2, 't_b', 20);`,
      );
      connectionId = (await createConnection(t, { name: 'sales', engine: 'pglite', database: 'sales' }))
        .payload.connection.id;
    });
    after(() => t?.close());

    const counts = async () => ({
      domains: (await t.app.services.db.selectFrom('data_domains').select('id').execute()).length,
      tables: (await t.app.services.db.selectFrom('data_domain_tables').select('policy').execute()).length,
    });
    const deleteDomain = async (id: string) =>
      (await t.gql(`mutation($id: ID!) { deleteDomain(input: { id: $id }) { ${STATUS} } }`, { id })).body
        .data!.deleteDomain.status;

    test('every workspace keeps the built-in default domain; existing default scopes keep working', async () => {
      const r = await t.gql('{ domains { id name isBuiltIn connection { id } tables { name } } }');
      assert.deepEqual(r.body.data!.domains[0], {
        id: 'default',
        name: 'Default',
        isBuiltIn: true,
        connection: null,
        tables: [],
      });
      const u = await createUsers(t, {
        emails: ['viewer@default.test'],
        roleAssignments: [{ roleId: ROLE_IDS.VIEWER, scopes: ['default'] }],
      });
      assert.equal(u.payload.status.code, 'OK');
      const bound = await t.gql(
        `mutation($input: UpdateDomainInput!) { updateDomain(input: $input) { ${STATUS} domain { id isBuiltIn tables { schema name } } } }`,
        { input: { id: 'default', connectionId, tables: [{ name: 'notes' }] } },
      );
      assert.deepEqual(bound.body.data!.updateDomain.domain, {
        id: 'default',
        isBuiltIn: true,
        tables: [{ schema: 'public', name: 'notes' }],
      });
      assert.equal((await deleteDomain('default')).errorCode, 'CONFLICT');
    });

    test('role scopes validate against real domains', async () => {
      const d = await createDomain(t, { name: 'Scoped', connectionId, tables: [{ name: 'orders' }] });
      const ok = await createUsers(t, {
        emails: ['e@scoped.test'],
        roleAssignments: [{ roleId: ROLE_IDS.EXPLORER, scopes: [d.payload.domain.id] }],
      });
      assert.equal(ok.payload.status.code, 'OK');
      const bad = await createUsers(t, {
        emails: ['x@scoped.test'],
        roleAssignments: [{ roleId: ROLE_IDS.EXPLORER, scopes: ['dom_missing'] }],
      });
      assert.equal(bad.payload.status.code, 'ERROR');
      assert.equal(bad.payload.status.problems[0]!.field, 'roleAssignments[0].scopes[0]');
    });

    test('bad domain input is refused naming the field, and nothing is written', async () => {
      const before = await counts();
      const cases: [Record<string, unknown>, string][] = [
        [{ name: '', connectionId }, 'name'],
        [{ name: 'a', connectionId: 'con_missing' }, 'connectionId'],
        [{ name: 'a', tables: [{ name: 'orders' }] }, 'connectionId'],
        [{ name: 'a', connectionId, tables: [{ name: 'no_such_table' }] }, 'tables[0]'],
        [{ name: 'a', connectionId, tables: [{ name: 'orders' }, { name: 'orders' }] }, 'tables[1]'],
        [{ name: 'scoped', connectionId }, 'name'],
      ];
      for (const [input, field] of cases) {
        const r = await createDomain(t, input);
        assert.equal(r.payload.status.code, 'ERROR', JSON.stringify(input));
        assert.ok(
          r.payload.status.problems.some((p: any) => p.field === field),
          `${field}: ${JSON.stringify(r.payload.status)}`,
        );
      }
      assert.deepEqual(await counts(), before);
    });

    test('a domain that role assignments still name cannot be deleted', async () => {
      const d = (await createDomain(t, { name: 'Referenced', connectionId, tables: [{ name: 'orders' }] }))
        .payload.domain.id;
      const user = await createUsers(t, {
        emails: ['r@ref.test'],
        roleAssignments: [{ roleId: ROLE_IDS.EXPLORER, scopes: [d] }],
      });
      const group = await t.gql(
        `mutation($input: CreateUserGroupInput!) { createUserGroup(input: $input) { ${STATUS} userGroup { id } } }`,
        {
          input: { name: 'ref group', roleAssignments: [{ roleId: ROLE_IDS.VIEWER, scopes: [d] }] },
        },
      );
      assert.equal((await deleteDomain(d)).errorCode, 'CONFLICT');
      await t.gql(
        `mutation($input: SetUserRoleAssignmentsInput!) { setUserRoleAssignments(input: $input) { ${STATUS} } }`,
        {
          input: { userId: user.payload.results[0]!.userId, roleAssignments: [] },
        },
      );
      assert.equal((await deleteDomain(d)).errorCode, 'CONFLICT'); // the group still names it
      await t.gql(
        `mutation($input: DeleteUserGroupInput!) { deleteUserGroup(input: $input) { ${STATUS} } }`,
        {
          input: { id: group.body.data!.createUserGroup.userGroup.id },
        },
      );
      assert.equal((await deleteDomain(d)).code, 'OK');
      assert.equal((await deleteDomain(d)).code, 'NOT_FOUND');
      const again = await createUsers(t, {
        emails: ['r2@ref.test'],
        roleAssignments: [{ roleId: ROLE_IDS.EXPLORER, scopes: [d] }],
      });
      assert.equal(again.payload.status.code, 'ERROR');
    });

    test('row policies are validated when saved; unprotectedTables lists tables without one', async () => {
      const d = (
        await createDomain(t, {
          name: 'Policies',
          connectionId,
          tables: [{ name: 'orders' }, { name: 'notes' }],
        })
      ).payload.domain.id;
      for (const bad of [
        "nope = USER_ATTRIBUTE('tenant_id')",
        'pg_sleep(10) IS NULL',
        "tenant_id = USER_ATTRIBUTE('t'); drop table orders",
        'tenant_id =',
      ]) {
        const r = await setRowPolicy(t, d, 'orders', bad);
        assert.equal(r.payload.status.code, 'ERROR', bad);
        assert.ok(
          r.payload.status.problems.every((p: any) => p.field.startsWith('policy')),
          JSON.stringify(r.payload.status),
        );
      }
      const unknownTable = await setRowPolicy(t, d, 'payroll', "tenant_id = USER_ATTRIBUTE('tenant_id')");
      assert.equal(unknownTable.payload.status.code, 'NOT_FOUND');
      const unprotected = async () =>
        (
          await t.gql(`query($d: ID!) { unprotectedTables(domainId: $d) { name } }`, { d })
        ).body.data!.unprotectedTables.map((x: any) => x.name);
      assert.deepEqual(await unprotected(), ['orders', 'notes']);
      const ok = await setRowPolicy(t, d, 'orders', "tenant_id = USER_ATTRIBUTE('tenant_id')");
      assert.equal(ok.payload.status.code, 'OK');
      assert.deepEqual(await unprotected(), ['notes']);
      const removed = await t.gql(
        `mutation($input: RemoveRowPolicyInput!) { removeRowPolicy(input: $input) { ${STATUS} table { name policy } } }`,
        {
          input: { domainId: d, table: { name: 'orders' } },
        },
      );
      assert.deepEqual(removed.body.data!.removeRowPolicy.table, { name: 'orders', policy: null });
      assert.deepEqual(await unprotected(), ['orders', 'notes']);
    });

    test('workspace data settings: compat defaults, updates, Workspace fields, data:admin only', async () => {
      const read = async () =>
        (await t.gql('{ workspace { rowPoliciesApplyToAdmins requireRowPolicies } }')).body.data!.workspace;
      assert.deepEqual(await read(), { rowPoliciesApplyToAdmins: false, requireRowPolicies: false });
      await t.gql(
        'mutation { updateWorkspaceDataSettings(input: { requireRowPolicies: true }) { status { code } } }',
      );
      assert.deepEqual(await read(), { rowPoliciesApplyToAdmins: false, requireRowPolicies: true });
      await t.gql(
        'mutation { updateWorkspaceDataSettings(input: { requireRowPolicies: false }) { status { code } } }',
      );
      const iam = await t.key(['iam:write']);
      const r = await t.gql(
        'mutation { updateWorkspaceDataSettings(input: { requireRowPolicies: true }) { status { code } } }',
        {},
        iam,
      );
      assert.equal(r.body.errors![0]!.extensions!.code, 'FORBIDDEN');
      assert.deepEqual(await read(), { rowPoliciesApplyToAdmins: false, requireRowPolicies: false });
    });

    test('explainAccess shows the rewritten SQL, its parameters and the resolved connection without running it', async () => {
      const d = (await createDomain(t, { name: 'Explained', connectionId, tables: [{ name: 'orders' }] }))
        .payload.domain.id;
      await setRowPolicy(t, d, 'orders', "tenant_id = USER_ATTRIBUTE('tenant_id')");
      const u = await createUsers(t, {
        emails: ['x@explain.test', 'v@explain.test'],
        roleAssignments: [{ roleId: ROLE_IDS.EXPLORER, scopes: [d] }],
        userAttributes: [{ key: 'tenant_id', value: 't_a' }],
      });
      const userId = u.payload.results[0]!.userId;
      const q = `query($d: ID!, $u: ID!, $a: [UserAttributeInput!]) { explainAccess(domainId: $d, sql: "select amount from orders", userId: $u, sessionAttributes: $a) {
        allowed roles policiesApplied sql params connection { connectionId engine database hasPassword mappingIndex } policies { schema name policy } attributesUsed } }`;
      const queriesBefore = (
        await t.app.services.db
          .selectFrom('audit_events')
          .select('id')
          .where('action', '=', 'data.query')
          .execute()
      ).length;
      const r = await t.gql(q, { d, u: userId });
      const e = r.body.data!.explainAccess;
      assert.equal(e.allowed, true);
      assert.deepEqual(e.roles, ['EXPLORER']);
      assert.equal(e.policiesApplied, true);
      assert.match(e.sql, /\$1/);
      assert.deepEqual(e.params, ['t_a']);
      assert.deepEqual(e.connection, {
        connectionId,
        engine: 'pglite',
        database: 'sales',
        hasPassword: false,
        mappingIndex: null,
      });
      assert.deepEqual(e.policies, [
        { schema: 'public', name: 'orders', policy: "tenant_id = USER_ATTRIBUTE('tenant_id')" },
      ]);
      assert.deepEqual(e.attributesUsed, ['tenant_id']);
      const transient = await t.gql(q, { d, u: userId, a: [{ key: 'tenant_id', value: 't_b' }] });
      assert.deepEqual(transient.body.data!.explainAccess.params, ['t_b']);
      const queriesAfter = (
        await t.app.services.db
          .selectFrom('audit_events')
          .select('id')
          .where('action', '=', 'data.query')
          .execute()
      ).length;
      assert.equal(queriesAfter, queriesBefore);
      const iam = await t.key(['iam:read']);
      assert.equal((await t.gql(q, { d, u: userId }, iam)).body.errors![0]!.extensions!.code, 'FORBIDDEN');
    });
  });
}
