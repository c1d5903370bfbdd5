import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createUsers, deleteUsers, STATUS } from './helpers/api.ts';
import { useTestApp } from './helpers/app.ts';
import { testBackends } from './helpers/databases.ts';

/**
 * A write that checks a group or user exists and then references it races a delete of that row.
 * Whichever commits first, the other answers with a status (NOT_FOUND, or OK for the write that
 * came first), never a foreign-key failure from inside the database. Only PostgreSQL runs
 * transactions side by side; on PGlite the suite checks the same answers one after the other.
 */
for (const backend of testBackends()) {
  describe(`writes racing deletes (${backend.name})`, () => {
    const t = useTestApp(backend);
    const ROUNDS = 15;

    const createGroup = async (name: string): Promise<string> => {
      const r = await t().gql(
        `mutation($n: String!) { createUserGroup(input: { name: $n }) { userGroup { id } } }`,
        {
          n: name,
        },
      );
      return r.body.data!.createUserGroup.userGroup.id;
    };
    const deleteGroup = (id: string) =>
      t().gql(`mutation($id: ID!) { deleteUserGroup(input: { id: $id }) { ${STATUS} } }`, { id });
    const addMembers = (groupId: string, userIds: string[]) =>
      t().gql(`mutation($i: GroupMembersInput!) { addUsersToGroup(input: $i) { ${STATUS} } }`, {
        i: { groupId, userIds },
      });

    const statusOf = (r: { body: { data?: any; errors?: unknown } }, field: string): string => {
      assert.equal(r.body.errors, undefined, `${field}: ${JSON.stringify(r.body.errors)}`);
      return r.body.data[field].status.code;
    };

    it('addUsersToGroup and createUsers(userGroupIds) against deleteUserGroup', async () => {
      for (let round = 0; round < ROUNDS; round++) {
        const groupId = await createGroup(`race-group-${round}`);
        const users = await createUsers(t(), {
          emails: [`g${round}a@race.example`, `g${round}b@race.example`],
        });
        const ids = users.payload.results.map((u) => u.userId);
        const [added, created, deleted] = await Promise.all([
          addMembers(groupId, ids),
          createUsers(t(), { emails: [`g${round}c@race.example`], userGroupIds: [groupId] }),
          deleteGroup(groupId),
        ]);
        assert.match(statusOf(added, 'addUsersToGroup'), /^(OK|NOT_FOUND)$/);
        assert.equal(created.body.errors, undefined, JSON.stringify(created.body.errors));
        assert.match(created.payload.status.code, /^(OK|ERROR)$/);
        assert.equal(statusOf(deleted, 'deleteUserGroup'), 'OK');
      }
    });

    it('addUsersToGroup against deleteUsersFromWorkspace', async () => {
      const groupId = await createGroup('race-members');
      for (let round = 0; round < ROUNDS; round++) {
        const users = await createUsers(t(), {
          emails: [`u${round}a@race.example`, `u${round}b@race.example`],
        });
        const ids = users.payload.results.map((u) => u.userId);
        const [added, deleted] = await Promise.all([addMembers(groupId, ids), deleteUsers(t(), ids)]);
        assert.match(statusOf(added, 'addUsersToGroup'), /^(OK|NOT_FOUND)$/);
        assert.equal(deleted.body.errors, undefined);
        assert.equal(deleted.status.code, 'OK');
      }
      const members = await t().gql(`query($id: ID!) { userGroup(id: $id) { members { id } } }`, {
        id: groupId,
      });
      assert.deepEqual(members.body.data?.userGroup.members, []);
    });
  });
}
