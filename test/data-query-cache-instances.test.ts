import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ADMIN, EXPLORER, STATUS } from './helpers/api.ts';
import { RUN_QUERY, settingsOf } from './helpers/data.ts';
import { createScratchPostgresDatabase } from './helpers/databases.ts';
import { type Instances, startInstances } from './helpers/instances.ts';
import { IMPERSONATE } from './helpers/sessions.ts';

/**
 * docs/query-gate.md, "The rewrite cache", and docs/data-access.md, "The snapshot cache": each
 * instance keeps its own cache of rewrites and of users' snapshots, yet a policy, table, settings,
 * mapping, role, attribute or user change, a revoked key and revoked sessions made on one
 * instance apply on the very next query on another.
 */
const pgUrl = process.env.TEST_DATABASE_URL;
describe('runQuery rewrites cached on two instances (postgres)', { skip: !pgUrl }, () => {
  let s: Instances;
  let warehouse: Awaited<ReturnType<typeof createScratchPostgresDatabase>>;
  let domainId: string;
  const tokens: Record<string, string> = {};
  const userIds: Record<string, string> = {};
  let connectionId: string;
  let keyId: string;

  const admin = async (query: string, variables: Record<string, unknown>) => {
    const r = await s.gql(0, query, variables);
    const payload = Object.values(r.body.data ?? {})[0] as { status: { code: string } } | undefined;
    assert.equal(payload?.status.code, 'OK', r.text);
    return payload as any;
  };
  /** The rows (or the error code) a user's query gets on instance 1. */
  const query = async (user: string, sql: string) => {
    const r = await s.gql(1, RUN_QUERY, { d: domainId, sql }, { token: tokens[user]! });
    if (r.body.errors) return r.body.errors[0].extensions.code as string;
    return r.body.data.runQuery.rows as unknown[][];
  };
  const setPolicy = (table: string, policy: string) =>
    admin(
      `mutation($input: SetRowPolicyInput!) { setRowPolicy(input: $input) { ${STATUS} table { name } } }`,
      { input: { domainId, table: { name: table }, policy } },
    );

  before(async () => {
    warehouse = await createScratchPostgresDatabase(pgUrl!);
    const pg = (await import('pg')).default;
    const client = new pg.Client({ connectionString: warehouse.url });
    await client.connect();
    await client.query(`
      create table orders (id int primary key, tenant_id text not null, amount int not null);
      create table notes (id int primary key, body text not null);
      insert into orders values (1, 't_a', 100), (2, 't_a', 200), (3, 't_b', 300), (4, 't_b', 400);
      insert into notes values (1, 'shared');
      create schema alt;
      create table alt.orders (id int primary key, tenant_id text not null, amount int not null);
      create table alt.notes (id int primary key, body text not null);
      insert into alt.orders values (9, 't_a', 900)`);
    await client.end();
    s = await startInstances(pgUrl!, 2);
    const conn = await admin(
      `mutation($input: CreateConnectionInput!) { createConnection(input: $input) { ${STATUS} connection { id } } }`,
      { input: { name: 'warehouse', ...settingsOf('postgres', warehouse.url) } },
    );
    const domain = await admin(
      `mutation($input: CreateDomainInput!) { createDomain(input: $input) { ${STATUS} domain { id } } }`,
      {
        input: {
          name: 'sales',
          connectionId: conn.connection.id,
          tables: [{ name: 'orders' }, { name: 'notes' }],
        },
      },
    );
    domainId = domain.domain.id;
    connectionId = conn.connection.id;
    await setPolicy('orders', "tenant_id = USER_ATTRIBUTE('tenant')");
    const created = await s.apps[0]!.services.accessKeys.create(
      { workspaceId: s.workspaceId, name: 'impersonation', permissions: ['impersonate'], expiresAt: null },
      null,
    );
    const key = created.token;
    keyId = created.key.id;
    for (const [user, tenant, role, scopes] of [
      ['alice', 't_a', EXPLORER, [domainId]],
      ['bob', 't_b', EXPLORER, [domainId]],
      ['root', 't_b', ADMIN, []],
      ['carol', 't_a', EXPLORER, [domainId]],
      ['dave', 't_b', EXPLORER, [domainId]],
    ] as const) {
      const email = `${user}@cache.test`;
      const made = await admin(
        `mutation($input: CreateUsersInput!) { createUsers(input: $input) { ${STATUS} users { id } } }`,
        {
          input: {
            emails: [email],
            roleAssignments: [{ roleId: role, scopes }],
            userAttributes: [{ key: 'tenant', value: tenant }],
          },
        },
      );
      userIds[user] = made.users[0].id;
      const minted = await s.gql(0, IMPERSONATE, { accessToken: key, userEmail: email }, { token: null });
      tokens[user] = minted.body.data.impersonateUser as string;
    }
  });
  after(async () => {
    await s?.close();
    await warehouse?.drop();
  });

  const ORDERS = 'select id from orders order by id';

  test('users sharing a cached rewrite each get only their own rows', async () => {
    for (let round = 0; round < 2; round++) {
      assert.deepEqual(await query('alice', ORDERS), [[1], [2]]);
      assert.deepEqual(await query('bob', ORDERS), [[3], [4]]);
    }
  });

  test('a policy edit on instance 0 applies to the next query on instance 1', async () => {
    assert.deepEqual(await query('alice', ORDERS), [[1], [2]]);
    await setPolicy('orders', "tenant_id = USER_ATTRIBUTE('tenant') and amount > 150");
    assert.deepEqual(await query('alice', ORDERS), [[2]]);
    assert.deepEqual(await query('bob', ORDERS), [[3], [4]]);
    await setPolicy('orders', "tenant_id = USER_ATTRIBUTE('tenant')");
    assert.deepEqual(await query('alice', ORDERS), [[1], [2]]);
  });

  test('a column policy set or deleted on instance 0 applies to the next query on instance 1', async () => {
    const AMOUNTS = 'select id, amount from orders order by id';
    assert.deepEqual(await query('alice', AMOUNTS), [
      [1, 100],
      [2, 200],
    ]);
    const input = { domainId, table: { name: 'orders' }, column: 'amount' };
    await admin(`mutation($input: SetColumnPolicyInput!) { setColumnPolicy(input: $input) { ${STATUS} } }`, {
      input: { ...input, mask: 'NULL', condition: "USER_ATTRIBUTE('tenant') = 't_b'" },
    });
    assert.deepEqual(await query('alice', AMOUNTS), [
      [1, null],
      [2, null],
    ]);
    assert.deepEqual(await query('bob', AMOUNTS), [
      [3, 300],
      [4, 400],
    ]);
    await admin(
      `mutation($input: DeleteColumnPolicyInput!) { deleteColumnPolicy(input: $input) { ${STATUS} } }`,
      { input },
    );
    assert.deepEqual(await query('alice', AMOUNTS), [
      [1, 100],
      [2, 200],
    ]);
  });

  test('a settings change on instance 0 applies to the next query on instance 1', async () => {
    const settings = (input: Record<string, boolean>) =>
      admin(
        `mutation($input: UpdateWorkspaceDataSettingsInput!) { updateWorkspaceDataSettings(input: $input) { ${STATUS} } }`,
        { input },
      );
    assert.deepEqual(await query('root', ORDERS), [[1], [2], [3], [4]]);
    await settings({ rowPoliciesApplyToAdmins: true });
    assert.deepEqual(await query('root', ORDERS), [[3], [4]]);
    assert.deepEqual(await query('alice', 'select body from notes'), [['shared']]);
    await settings({ requireRowPolicies: true });
    assert.equal(await query('alice', 'select body from notes'), 'ACCESS_DENIED');
    await settings({ rowPoliciesApplyToAdmins: false, requireRowPolicies: false });
    assert.deepEqual(await query('root', ORDERS), [[1], [2], [3], [4]]);
  });

  test('a table removed on instance 0 is refused on the next query on instance 1', async () => {
    assert.deepEqual(await query('alice', 'select body from notes'), [['shared']]);
    await admin(`mutation($input: UpdateDomainInput!) { updateDomain(input: $input) { ${STATUS} } }`, {
      input: { id: domainId, tables: [{ name: 'orders' }] },
    });
    assert.equal(await query('alice', 'select body from notes'), 'ACCESS_DENIED');
    assert.deepEqual(await query('alice', ORDERS), [[1], [2]]);
  });
  test('concurrent queries share session checks and audit INSERTs, and each is answered with its own rows and committed record', async () => {
    const users = ['alice', 'bob', 'alice', 'bob'];
    const runs = await Promise.all(
      Array.from({ length: 24 }, (_, i) =>
        s.gql(1, RUN_QUERY, { d: domainId, sql: ORDERS }, { token: tokens[users[i % users.length]!]! }),
      ),
    );
    const ids = runs.map((r) => r.body.data.runQuery.queryId as string);
    assert.equal(new Set(ids).size, ids.length);
    // Their session checks share statements too, and each answer is its own user's.
    for (const [i, r] of runs.entries())
      assert.deepEqual(
        r.body.data.runQuery.rows,
        users[i % users.length] === 'alice' ? [[1], [2]] : [[3], [4]],
      );
    // Read through the other instance: every answered query's record is already committed.
    const events = await s.apps[0]!.services.db.selectFrom('audit_events')
      .select(['details', 'actor_user_id'])
      .where('action', '=', 'data.query')
      .execute();
    for (const id of ids) {
      assert.equal(events.filter((e) => (e.details as { queryId?: string }).queryId === id).length, 1, id);
    }
  });
  test('a role change on instance 0 applies to the next query on instance 1', async () => {
    assert.deepEqual(await query('carol', ORDERS), [[1], [2]]);
    const roles = (roleAssignments: unknown[]) =>
      admin(
        `mutation($input: SetUserRoleAssignmentsInput!) { setUserRoleAssignments(input: $input) { ${STATUS} } }`,
        { input: { userId: userIds.carol, roleAssignments } },
      );
    await roles([]);
    assert.equal(await query('carol', ORDERS), 'FORBIDDEN');
    await roles([{ roleId: ADMIN, scopes: [] }]);
    assert.deepEqual(await query('carol', ORDERS), [[1], [2], [3], [4]]);
    await roles([{ roleId: EXPLORER, scopes: [domainId] }]);
    assert.deepEqual(await query('carol', ORDERS), [[1], [2]]);
  });

  test('an attribute change on instance 0 applies to the next query on instance 1', async () => {
    const tenant = (value: string) =>
      admin(`mutation($input: SetUserAttributesInput!) { setUserAttributes(input: $input) { ${STATUS} } }`, {
        input: { userId: userIds.carol, userAttributes: [{ key: 'tenant', value }] },
      });
    assert.deepEqual(await query('carol', ORDERS), [[1], [2]]);
    await tenant('t_b');
    assert.deepEqual(await query('carol', ORDERS), [[3], [4]]);
    await tenant('t_a');
    assert.deepEqual(await query('carol', ORDERS), [[1], [2]]);
  });

  test('a credential mapping edit on instance 0 applies to the next query on instance 1', async () => {
    const mappings = (credentialMappings: unknown[]) =>
      admin(`mutation($input: UpdateConnectionInput!) { updateConnection(input: $input) { ${STATUS} } }`, {
        input: { id: connectionId, onNoMatch: 'USE_BASE', credentialMappings },
      });
    assert.deepEqual(await query('alice', ORDERS), [[1], [2]]);
    await mappings([{ attributeMatch: [{ key: 'tenant', value: 't_a' }], schema: 'alt' }]);
    assert.deepEqual(await query('alice', ORDERS), [[9]]);
    assert.deepEqual(await query('bob', ORDERS), [[3], [4]]);
    await mappings([]);
    assert.deepEqual(await query('alice', ORDERS), [[1], [2]]);
  });

  test('a suspended user on instance 0 is refused on the next query on instance 1', async () => {
    const status = (value: string) =>
      admin(`mutation($input: SetUserStatusInput!) { setUserStatus(input: $input) { ${STATUS} } }`, {
        input: { userId: userIds.dave, status: value },
      });
    assert.deepEqual(await query('dave', ORDERS), [[3], [4]]);
    await status('INACTIVE');
    assert.equal(await query('dave', ORDERS), 'UNAUTHENTICATED', 'an inactive user keeps no session');
    await status('SUSPENDED');
    assert.equal(await query('dave', ORDERS), 'UNAUTHENTICATED');
    await status('ACTIVE');
    assert.deepEqual(await query('dave', ORDERS), [[3], [4]]);
  });

  test('a user deleted on instance 0 is refused on the next query on instance 1', async () => {
    assert.deepEqual(await query('dave', ORDERS), [[3], [4]]);
    await admin(
      `mutation($input: DeleteUsersFromWorkspaceInput!) { deleteUsersFromWorkspace(input: $input) { ${STATUS} } }`,
      { input: { userIds: [userIds.dave] } },
    );
    assert.equal(await query('dave', ORDERS), 'UNAUTHENTICATED');
  });

  test("a revoked key on instance 0 ends its sessions' queries on the next request on instance 1", async () => {
    assert.deepEqual(await query('carol', ORDERS), [[1], [2]]);
    await admin(`mutation($id: ID!) { revokeAccessKey(input: { id: $id }) { ${STATUS} } }`, { id: keyId });
    assert.equal(await query('carol', ORDERS), 'UNAUTHENTICATED');
    assert.equal(await query('alice', ORDERS), 'UNAUTHENTICATED');
  });
});
