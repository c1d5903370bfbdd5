import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { sql } from 'kysely';
import { READ_MODELS } from '../src/db/tables.ts';
import { ADMIN, STATUS } from './helpers/api.ts';
import { type TestApp, useTestApp } from './helpers/app.ts';
import { testBackends } from './helpers/databases.ts';
import { IMPERSONATE } from './helpers/sessions.ts';

/**
 * docs/data-access.md, "The snapshot cache": the workspace's snapshot version moves with every
 * write a runQuery snapshot depends on, whichever path makes it, once per transaction, and not
 * with writes it does not depend on (a session start).
 */
for (const backend of testBackends()) {
  describe(`the data snapshot version (${backend.name})`, () => {
    const t = useTestApp(backend);
    const version = async (app: TestApp) => {
      const { rows } = await sql<{ v: string }>`
        select coalesce((select version from data_snapshot_versions where workspace_id = ${app.workspaceId}), 0)::text as v`.execute(
        app.app.services.db,
      );
      return Number(rows[0]!.v);
    };
    const ok = async (query: string, variables: Record<string, unknown>) => {
      const r = await t().gql(query, variables);
      const payload = Object.values(r.body.data ?? {})[0] as { status: { code: string } } | undefined;
      assert.equal(payload?.status.code, 'OK', JSON.stringify(r.body));
      return payload as any;
    };
    /** How far the version moved over `work`. */
    const moved = async (work: () => Promise<unknown>) => {
      const before = await version(t());
      await work();
      return (await version(t())) - before;
    };

    it('every table the query snapshot reads has the triggers that bump it', async () => {
      const snapshot = READ_MODELS.find((m) => m.file === 'src/modules/data/query/snapshot.ts')!;
      const { rows } = await sql<{ table: string; event: string }>`
        select event_object_table as table, event_manipulation as event from information_schema.triggers
        where trigger_name like '%\_snapshot\_%'`.execute(t().app.services.db);
      for (const table of snapshot.reads) {
        const events = new Set(rows.filter((r) => r.table === table).map((r) => r.event));
        // A user row is inserted before anything can refer to it; only its updates and deletion matter.
        const expected = table === 'users' ? ['DELETE', 'UPDATE'] : ['DELETE', 'INSERT', 'UPDATE'];
        assert.deepEqual([...events].sort(), expected, table);
      }
    });

    it('moves once for a write of many rows in one transaction', async () => {
      const n = await moved(() =>
        ok(`mutation($input: CreateUsersInput!) { createUsers(input: $input) { ${STATUS} } }`, {
          input: {
            emails: ['a@v.test', 'b@v.test', 'c@v.test'],
            roleAssignments: [{ roleId: ADMIN, scopes: [] }],
            userAttributes: [
              { key: 'tenant', value: 't1' },
              { key: 'region', value: 'eu' },
            ],
          },
        }),
      );
      assert.equal(n, 1);
    });

    it('moves for group roles, membership and a group deleted with its members', async () => {
      const users = await t()
        .app.services.db.selectFrom('users')
        .select('id')
        .where('email', '=', 'a@v.test')
        .execute();
      const userId = users[0]!.id;
      let groupId = '';
      assert.equal(
        await moved(async () => {
          const g = await ok(
            `mutation($input: CreateUserGroupInput!) { createUserGroup(input: $input) { ${STATUS} userGroup { id } } }`,
            { input: { name: 'admins', roleAssignments: [{ roleId: ADMIN, scopes: [] }] } },
          );
          groupId = g.userGroup.id;
        }),
        1,
      );
      const members = `mutation($input: GroupMembersInput!) { addUsersToGroup(input: $input) { ${STATUS} } }`;
      assert.equal(await moved(() => ok(members, { input: { groupId, userIds: [userId] } })), 1);
      const del = `mutation($input: DeleteUserGroupInput!) { deleteUserGroup(input: $input) { ${STATUS} } }`;
      assert.equal(await moved(() => ok(del, { input: { id: groupId } })), 1);
    });

    it('moves for a user status change and a deletion, not for a session start', async () => {
      const key = await t().key(['impersonate']);
      const start = () => t().gql(IMPERSONATE, { accessToken: key, userEmail: 'b@v.test' }, null);
      assert.equal(await moved(start), 0);
      const users = await t()
        .app.services.db.selectFrom('users')
        .select('id')
        .where('email', '=', 'b@v.test')
        .execute();
      const userId = users[0]!.id;
      const status = `mutation($input: SetUserStatusInput!) { setUserStatus(input: $input) { ${STATUS} } }`;
      assert.equal(await moved(() => ok(status, { input: { userId, status: 'INACTIVE' } })), 1);
      const remove = `mutation($input: DeleteUsersFromWorkspaceInput!) { deleteUsersFromWorkspace(input: $input) { ${STATUS} } }`;
      assert.equal(await moved(() => ok(remove, { input: { userIds: [userId] } })), 1);
    });
  });
}
