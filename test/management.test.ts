import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { createApp } from '../src/app.ts';
import { runCli } from '../src/cli.ts';
import { ADMIN, createUsers, EXPLORER, STATUS, VIEWER } from './helpers/api.ts';
import { type TestApp, testConfig, useTestApp } from './helpers/app.ts';
import { createScratchPostgresDatabase, testBackends } from './helpers/databases.ts';

const keyIdOf = (token: string) => token.slice(4).split('_')[0]!;
const code = (r: { body: { errors?: { extensions?: Record<string, any> }[] } }) =>
  r.body.errors?.[0]?.extensions?.code;

const userView = async (t: TestApp, id: string) =>
  (
    await t.gql(
      `query($id: ID!) { user(id: $id) { status roleAssignments { roleId scopes inheritedFromGroupId } userGroups { id } } }`,
      {
        id,
      },
    )
  ).body.data!.user;

for (const backend of testBackends()) {
  describe(`management operations (${backend.name})`, () => {
    const t = useTestApp(backend);

    it('setUserStatus changes the status, refuses DELETED and unknown users, needs iam:write, and is audited', async () => {
      const [u] = (await createUsers(t(), { emails: ['status@example.com'] })).payload.results;
      const set = (status: string, userId = u!.userId, token?: string) =>
        t().gql(
          `mutation($input: SetUserStatusInput!) { setUserStatus(input: $input) { ${STATUS} } }`,
          { input: { userId, status } },
          token,
        );
      assert.equal((await set('SUSPENDED')).body.data!.setUserStatus.status.code, 'OK');
      assert.equal((await userView(t(), u!.userId)).status, 'SUSPENDED');
      const deleted = (await set('DELETED')).body.data!.setUserStatus.status;
      assert.equal(deleted.errorCode, 'BAD_USER_INPUT');
      assert.equal(deleted.problems[0].field, 'status');
      assert.equal((await set('NOPE')).status, 400, 'not a UserStatus at all');
      assert.equal(
        (await set('ACTIVE', 'usr_unknown')).body.data!.setUserStatus.status.errorCode,
        'NOT_FOUND',
      );
      assert.equal(code(await set('ACTIVE', u!.userId, await t().key(['iam:read']))), 'FORBIDDEN');
      assert.equal((await userView(t(), u!.userId)).status, 'SUSPENDED', 'refused calls changed nothing');
      const audit = await t().gql(
        `query($target: ID) { auditEvents(filter: { action: "user.setStatus", targetId: $target }) { edges { node { details } } } }`,
        { target: u!.userId },
      );
      assert.deepEqual(JSON.parse(audit.body.data!.auditEvents.edges[0].node.details), {
        from: 'ACTIVE',
        to: 'SUSPENDED',
      });
    });

    it('updateUserGroup replaces what members inherit; deleteUserGroup removes the group and what it gave', async () => {
      const create = await t().gql(
        `mutation($input: CreateUserGroupInput!) { createUserGroup(input: $input) { ${STATUS} userGroup { id } } }`,
        { input: { name: 'Sales', roleAssignments: [{ roleId: VIEWER, scopes: ['default'] }] } },
      );
      const groupId = create.body.data!.createUserGroup.userGroup.id;
      const [u] = (await createUsers(t(), { emails: ['member@example.com'], userGroupIds: [groupId] }))
        .payload.results;
      const update = (input: Record<string, unknown>) =>
        t().gql(
          `mutation($input: UpdateUserGroupInput!) { updateUserGroup(input: $input) { ${STATUS} userGroup { name description roleAssignments { roleId scopes } } } }`,
          { input },
        );
      const updated = (
        await update({
          id: groupId,
          name: 'Sales EU',
          roleAssignments: [{ roleId: EXPLORER, scopes: ['default'] }],
        })
      ).body.data!.updateUserGroup;
      assert.equal(updated.status.code, 'OK');
      assert.equal(updated.userGroup.name, 'Sales EU');
      assert.deepEqual((await userView(t(), u!.userId)).roleAssignments, [
        { roleId: EXPLORER, scopes: ['default'], inheritedFromGroupId: groupId },
      ]);
      // Only the description: the roles stay.
      await update({ id: groupId, description: 'EU team' });
      assert.equal((await userView(t(), u!.userId)).roleAssignments.length, 1);

      const other = await t().gql(
        `mutation { createUserGroup(input: { name: "Other" }) { status { code } userGroup { id } } }`,
      );
      const clash = (await update({ id: other.body.data!.createUserGroup.userGroup.id, name: 'sales eu' }))
        .body.data!.updateUserGroup.status;
      assert.equal(clash.errorCode, 'CONFLICT', 'group names are unique per workspace, any case');
      const badRole = (await update({ id: groupId, roleAssignments: [{ roleId: 'nope', scopes: [] }] })).body
        .data!.updateUserGroup.status;
      assert.equal(badRole.errorCode, 'BAD_USER_INPUT');
      assert.equal(
        (await update({ id: 'grp_unknown', name: 'x' })).body.data!.updateUserGroup.status.errorCode,
        'NOT_FOUND',
      );
      assert.equal(
        (await userView(t(), u!.userId)).roleAssignments[0].roleId,
        EXPLORER,
        'refused updates changed nothing',
      );

      const del = (id: string) =>
        t().gql(`mutation($id: ID!) { deleteUserGroup(input: { id: $id }) { ${STATUS} } }`, { id });
      assert.equal((await del(groupId)).body.data!.deleteUserGroup.status.code, 'OK');
      const after = await userView(t(), u!.userId);
      assert.deepEqual(after.roleAssignments, []);
      assert.deepEqual(after.userGroups, []);
      assert.equal((await del(groupId)).body.data!.deleteUserGroup.status.errorCode, 'NOT_FOUND');
    });

    it('workspaces: site:admin creates and lists them; other keys see only their own', async () => {
      const created = await t().gql(
        `mutation { createWorkspace(input: { name: "Tenant B" }) { ${STATUS} workspace { id name isDefault } } }`,
      );
      const ws = created.body.data!.createWorkspace.workspace;
      assert.equal(ws.name, 'Tenant B');
      assert.equal(ws.isDefault, false);
      const all = await t().gql('{ workspaces { id isDefault } }');
      assert.deepEqual(
        all.body.data!.workspaces.map((w: { id: string }) => w.id).sort(),
        [t().workspaceId, ws.id].sort(),
      );
      const writer = await t().key(['iam:read', 'iam:write']);
      assert.equal(
        code(
          await t().gql('mutation { createWorkspace(input: { name: "X" }) { status { code } } }', {}, writer),
        ),
        'FORBIDDEN',
      );
      assert.equal(code(await t().gql('{ workspaces { id } }', {}, writer)), 'FORBIDDEN');
      assert.equal(
        (await t().gql('{ workspace { id } }', {}, writer)).body.data!.workspace.id,
        t().workspaceId,
      );
      assert.equal(
        code(await t().gql('query($id: ID) { workspace(id: $id) { id } }', { id: ws.id }, writer)),
        'FORBIDDEN',
      );
      const blank = await t().gql(
        'mutation { createWorkspace(input: { name: "  " }) { status { errorCode } } }',
      );
      assert.equal(blank.body.data!.createWorkspace.status.errorCode, 'BAD_USER_INPUT');
    });

    it('roles lists the built-in roles with their compat ids', async () => {
      const r = await t().gql('{ roles { id name assignableToDomains } }', {}, await t().key(['iam:read']));
      const byName = new Map(r.body.data!.roles.map((x: { name: string; id: string }) => [x.name, x.id]));
      assert.equal(byName.get('ADMIN'), ADMIN);
      assert.equal(byName.get('VIEWER'), VIEWER);
      assert.equal(byName.get('EXPLORER'), EXPLORER);
      assert.equal(byName.get('BASIC_EXPLORER'), '00000000-0000-0000-0000-000000000015');
    });

    it('access keys: iam:read cannot manage keys; iam:write may revoke only keys no stronger than its own', async () => {
      const reader = await t().key(['iam:read']);
      const writer = await t().key(['iam:read', 'iam:write']);
      const admin = await t().key(['site:admin', 'iam:write']);
      const weak = await t().key(['impersonate']);
      const revoke = (id: string, token?: string) =>
        t().gql(`mutation($id: ID!) { revokeAccessKey(input: { id: $id }) { ${STATUS} } }`, { id }, token);
      assert.equal(
        code(
          await t().gql(
            'mutation { createAccessKey(input: { permissions: ["iam:read"] }) { token } }',
            {},
            reader,
          ),
        ),
        'FORBIDDEN',
      );
      assert.equal(code(await t().gql('{ accessKeys { id } }', {}, reader)), 'FORBIDDEN');
      assert.equal(code(await revoke(keyIdOf(admin), writer)), 'FORBIDDEN', 'a stronger key stays');
      assert.equal((await t().gql('{ health }', {}, admin)).status, 200);
      assert.equal(
        code(await revoke(keyIdOf(weak), writer)),
        'FORBIDDEN',
        'impersonate is not held by the writer',
      );
      const readerId = keyIdOf(reader);
      assert.equal((await revoke(readerId, writer)).body.data!.revokeAccessKey.status.code, 'OK');
      assert.equal((await t().gql('{ roles { id } }', {}, reader)).status, 401, 'revoked at once');
      assert.equal((await revoke(readerId, writer)).body.data!.revokeAccessKey.status.errorCode, 'NOT_FOUND');
      assert.equal(
        (await revoke(keyIdOf(weak), admin)).body.data!.revokeAccessKey.status.code,
        'OK',
        'site:admin may',
      );
      const keys = await t().gql('{ accessKeys { id revokedAt } }');
      const revoked = keys.body
        .data!.accessKeys.filter((k: { revokedAt: string | null }) => k.revokedAt)
        .map((k: { id: string }) => k.id);
      assert.deepEqual(revoked.sort(), [readerId, keyIdOf(weak)].sort());
    });

    it('auditEvents filters by action, prefix, outcome, actor, target and time, and pages newest first', async () => {
      const actor = await t().key(['iam:read', 'iam:write']);
      const start = t().clock.now();
      t().clock.advance(60_000);
      const made = (await createUsers(t(), { emails: ['audit1@example.com', 'audit2@example.com'] }, actor))
        .payload.results;
      t().clock.advance(60_000);
      const middle = t().clock.now();
      await t().gql(
        `mutation($input: SetUserAttributesInput!) { setUserAttributes(input: $input) { status { code } } }`,
        { input: { userId: made[0]!.userId, userAttributes: [{ key: 'k', value: 'v' }] } },
        actor,
      );
      await t().gql('{ health }', {}, 'tsk_bogus');
      const events = async (filter: Record<string, unknown>, first = 50, after?: string) =>
        (
          await t().gql(
            `query($f: AuditEventFilter, $first: Int, $after: String) { auditEvents(filter: $f, first: $first, after: $after) {
              edges { cursor node { action outcome actorKeyId targetId occurredAt } } pageInfo { hasNextPage endCursor } } }`,
            { f: filter, first, after },
          )
        ).body.data!.auditEvents;
      const mine = { actorKeyId: keyIdOf(actor) };
      assert.deepEqual(
        (await events(mine)).edges.map((e: any) => e.node.action),
        ['user.setAttributes', 'user.create', 'user.create', 'accessKey.use'],
        'newest first, only this actor (its first use is recorded too)',
      );
      assert.equal((await events({ ...mine, action: 'user.create' })).edges.length, 2);
      assert.equal((await events({ ...mine, actionPrefix: 'user.set' })).edges.length, 1);
      assert.equal(
        (await events({ ...mine, actionPrefix: 'user_' })).edges.length,
        0,
        'LIKE wildcards are literal',
      );
      assert.equal((await events({ ...mine, targetId: made[1]!.userId })).edges.length, 1);
      assert.equal((await events({ ...mine, since: middle.toISOString() })).edges.length, 1);
      assert.equal(
        (
          await events({
            ...mine,
            actionPrefix: 'user.',
            since: start.toISOString(),
            until: middle.toISOString(),
          })
        ).edges.length,
        2,
      );
      const failures = await events({ outcome: 'FAILURE', action: 'auth.failure' });
      assert.ok(failures.edges.length >= 1);
      assert.ok(failures.edges.every((e: any) => e.node.outcome === 'FAILURE'));

      const page1 = await events(mine, 2);
      assert.equal(page1.pageInfo.hasNextPage, true);
      const page2 = await events(mine, 2, page1.pageInfo.endCursor);
      assert.equal(page2.edges.length, 2);
      assert.equal(page2.pageInfo.hasNextPage, false);
      const bad = await t().gql('{ auditEvents(after: "x") { edges { cursor } } }');
      assert.equal(code(bad), 'BAD_USER_INPUT');
      const badTime = await t().gql('{ auditEvents(filter: { since: "yesterday" }) { edges { cursor } } }');
      assert.equal(code(badTime), 'BAD_USER_INPUT');
      assert.equal(
        code(await t().gql('{ auditEvents { edges { cursor } } }', {}, await t().key(['impersonate']))),
        'FORBIDDEN',
      );
    });
  });
}

describe('tessera keys (PGlite data directory)', () => {
  it('create --json, list, revoke: a revoked key shows as revoked; bad input exits 2', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tessera-keys-'));
    const env = { NODE_ENV: 'test', LOG_LEVEL: 'silent', TESSERA_DATA_DIR: join(dir, 'data') };
    const cli = async (...argv: string[]) => {
      const out: string[] = [];
      const err: string[] = [];
      const status = await runCli(argv, { out: (l) => out.push(l), err: (l) => err.push(l) }, env);
      return { status, out: out.join('\n'), err: err.join('\n') };
    };
    try {
      const created = await cli(
        'keys',
        'create',
        '--permissions',
        'iam:read,impersonate',
        '--name',
        'backend',
        '--json',
      );
      assert.equal(created.status, 0, created.err);
      const { workspaceId, accessKey } = JSON.parse(created.out);
      assert.match(workspaceId, /^ws_/);
      const id = keyIdOf(accessKey);
      let listed = await cli('keys', 'list');
      assert.match(listed.out, new RegExp(`${id}\\s+active\\s+iam:read,impersonate\\s+backend`));
      const json = JSON.parse((await cli('keys', 'list', '--json')).out);
      assert.deepEqual(json.find((k: { id: string }) => k.id === id).permissions, [
        'iam:read',
        'impersonate',
      ]);

      assert.equal((await cli('keys', 'revoke', id)).status, 0);
      listed = await cli('keys', 'list');
      assert.match(listed.out, new RegExp(`${id}\\s+revoked`));
      const again = await cli('keys', 'revoke', id);
      assert.equal(again.status, 2);
      assert.match(again.err, /^NOT_FOUND/);
      const bad = await cli('keys', 'create', '--permissions', 'iam:everything');
      assert.equal(bad.status, 2);
      assert.match(bad.err, /^BAD_USER_INPUT/);
      assert.equal((await cli('keys', 'create', '--permissions', 'iam:read', '--expires', 'soon')).status, 2);
      assert.equal((await cli('keys', 'list', '--workspace', 'ws_missing')).status, 2);
      assert.equal((await cli('keys', 'frobnicate')).status, 2);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('request ids (pglite)', () => {
  const t = useTestApp(testBackends()[0]!);
  it('echoes a well-formed x-request-id and replaces a malformed one', async () => {
    const given = await t().gql('{ health }', {}, undefined, { 'x-request-id': 'req-123.abc' });
    assert.equal(given.headers.get('x-request-id'), 'req-123.abc');
    const malformed = await t().gql('{ health }', {}, undefined, { 'x-request-id': 'bad id\twith spaces' });
    assert.match(malformed.headers.get('x-request-id')!, /^[0-9a-f-]{36}$/);
  });
});

const pgUrl = process.env.TEST_DATABASE_URL;
describe('revocation across instances (PostgreSQL)', {
  skip: pgUrl ? false : 'TEST_DATABASE_URL not set',
}, () => {
  it('a key revoked on one instance is refused by the other on its next request', async () => {
    const scratch = await createScratchPostgresDatabase(pgUrl!);
    const config = {
      ...testConfig(),
      database: { kind: 'postgres' as const, url: scratch.url, poolSize: 4 },
    };
    const [a, b] = await Promise.all([createApp(config), createApp(config)]);
    try {
      const ws = await a.services.workspaces.ensureDefault();
      const { token, key } = await a.services.accessKeys.create(
        { workspaceId: ws.id, name: 'k', permissions: ['iam:read'], expiresAt: null },
        null,
      );
      const ask = (app: typeof a) =>
        app.fetch(
          new Request('http://tessera.test/graphql', {
            method: 'POST',
            headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
            body: JSON.stringify({ query: '{ listUsers { id } }' }),
          }),
        );
      assert.equal((await ask(b)).status, 200, 'instance B accepts the key');
      await a.services.accessKeys.revoke(ws.id, key.id, {
        requestId: null,
        ip: null,
        actorKeyId: null,
        actorUserId: null,
      });
      assert.equal((await ask(b)).status, 401, 'instance B refuses it at once');
    } finally {
      await a.close();
      await b.close();
      await scratch.drop();
    }
  });
});
