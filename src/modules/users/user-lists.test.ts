import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createUsers, EXPLORER, STATUS, USER_FIELDS, VIEWER } from '../../../test/helpers/api.ts';
import { useTestApp } from '../../../test/helpers/app.ts';
import { testBackends } from '../../../test/helpers/databases.ts';
import {
  attributesOf,
  groupIdsOf,
  lockUsers,
  roleAssignmentsOf,
  touchUsers,
  usersByEmails,
  usersByIds,
} from './queries/users.ts';

/** More ids than Postgres accepts as bind parameters in one statement (65,535). */
const MANY = 70_000;

for (const backend of testBackends()) {
  describe(`user lists (${backend.name})`, () => {
    const t = useTestApp(backend);
    let ids: string[] = [];
    let groupId = '';

    it('setup: users with attributes, direct roles and a group with its own role', async () => {
      const g = await t().gql(
        `mutation($i: CreateUserGroupInput!) { createUserGroup(input: $i) { ${STATUS} userGroup { id } } }`,
        { i: { name: 'Analysts', roleAssignments: [{ roleId: EXPLORER, scopes: ['default'] }] } },
      );
      groupId = g.body.data!.createUserGroup.userGroup.id;
      const withAll = await createUsers(t(), {
        emails: ['amy@lists.test', 'bob@lists.test'],
        roleAssignments: [{ roleId: VIEWER, scopes: ['default'] }],
        userAttributes: [
          { key: 'display_name', value: 'Shown Name' },
          { key: 'tenant', value: 't1' },
        ],
        userGroupIds: [groupId],
      });
      const bare = await createUsers(t(), { emails: ['cid@lists.test'] });
      ids = [...withAll.payload.results, ...bare.payload.results].map((r) => r.userId);
      assert.equal(ids.length, 3);
    });

    it('User fields are the same selected directly, through fragments, in every list and one by one', async () => {
      const direct = (await t().gql(`query { listUsers { ${USER_FIELDS} } }`)).body.data!.listUsers;
      assert.equal(direct.length, 3);
      const amy = direct.find((u: any) => u.email === 'amy@lists.test');
      assert.equal(amy.name, 'Shown Name');
      assert.deepEqual(amy.userGroups, [{ id: groupId, name: 'Analysts' }]);
      assert.deepEqual(amy.roleAssignments, [
        { roleId: VIEWER, scopes: ['default'], inheritedFromGroupId: null },
        { roleId: EXPLORER, scopes: ['default'], inheritedFromGroupId: groupId },
      ]);
      const cid = direct.find((u: any) => u.email === 'cid@lists.test');
      assert.deepEqual(
        [cid.name, cid.userAttributes, cid.roleAssignments, cid.userGroups],
        ['cid@lists.test', [], [], []],
      );

      const fragment = `fragment F on User { ${USER_FIELDS} }`;
      const viaNamed = await t().gql(`query { listUsers { ...F } } ${fragment}`);
      assert.deepEqual(viaNamed.body.data!.listUsers, direct);
      const viaInline = await t().gql(`query { listUsers { ... on User { ${USER_FIELDS} } } }`);
      assert.deepEqual(viaInline.body.data!.listUsers, direct);

      const page = await t().gql(
        `query { users(first: 10) { edges { ... on UserEdge { node { ...F } } } } } ${fragment}`,
      );
      assert.deepEqual(
        page.body.data!.users.edges.map((e: any) => e.node),
        direct,
      );
      for (const user of direct) {
        const one = await t().gql(`query($id: ID!) { user(id: $id) { ${USER_FIELDS} } }`, { id: user.id });
        assert.deepEqual(one.body.data!.user, user);
      }

      // Only `name`: the attributes behind it are fetched all the same.
      const names = await t().gql('query { listUsers { email name } }');
      assert.deepEqual(
        names.body.data!.listUsers,
        direct.map((u: any) => ({ email: u.email, name: u.name })),
      );

      // createUsers answers its users the same way (re-applying an unchanged input).
      const again = await createUsers(t(), {
        emails: ['amy@lists.test', 'bob@lists.test'],
        roleAssignments: [{ roleId: VIEWER, scopes: ['default'] }],
        userAttributes: [
          { key: 'display_name', value: 'Shown Name' },
          { key: 'tenant', value: 't1' },
        ],
        userGroupIds: [groupId],
      });
      assert.deepEqual(
        again.payload.results.map((r) => r.outcome),
        ['UNCHANGED', 'UNCHANGED'],
      );
      assert.deepEqual(
        again.payload.users,
        direct.filter((u: any) => u.email !== 'cid@lists.test'),
      );
    });

    it('a listing of every user of a workspace attaches what the reads by id return, and nothing of another workspace', async () => {
      const { services } = t().app;
      const origin = { requestId: null, ip: null, actorKeyId: null, actorUserId: null };
      const other = await services.workspaces.create('Lists elsewhere', origin);
      const [elsewhere] = await services.users.createUsers(
        other.id,
        {
          emails: ['amy@lists.test'],
          roleAssignments: [{ roleId: VIEWER, scopes: ['default'] }],
          userAttributes: [{ key: 'tenant', value: 't9' }],
        },
        origin,
      );
      const db = services.db;
      const everything = { attributes: true, roleAssignments: true, groupIds: true };
      const listed = await services.users.listForResponse(t().workspaceId, everything);
      const all = listed.map((u) => u.id);
      assert.deepEqual(
        all,
        (await services.users.list(t().workspaceId)).map((u) => u.id),
      );
      const [attributes, assignments, groupIds] = [
        await attributesOf(db, all),
        await roleAssignmentsOf(db, all),
        await groupIdsOf(db, all),
      ];
      for (const u of listed) {
        // Attached rows carry their user's id beside the fields the API reads.
        assert.deepEqual(
          u.attributes?.map(({ key, value, source }) => ({ key, value, source })),
          attributes.get(u.id) ?? [],
        );
        assert.deepEqual(
          u.roleAssignments?.map(({ roleId, scopes, inheritedFromGroupId, source }) => ({
            roleId,
            scopes,
            inheritedFromGroupId,
            source,
          })),
          assignments.get(u.id) ?? [],
        );
        assert.deepEqual(u.groupIds, groupIds.get(u.id) ?? []);
      }
      assert.equal(all.includes(elsewhere!.userId), false);
      // The other workspace's user has the same email: its rows sort among this workspace's.
      const theirs = await services.users.listForResponse(other.id, everything);
      assert.deepEqual(
        theirs.map((u) => [u.id, u.attributes?.map((a) => a.value), u.roleAssignments?.length, u.groupIds]),
        [[elsewhere!.userId, ['t9'], 1, []]],
      );
    });

    it(`reads and locks lists of ${MANY.toLocaleString('en-US')} ids (past the bind-parameter limit)`, async () => {
      const db = t().app.services.db;
      const many = [...ids, ...Array.from({ length: MANY - ids.length }, (_, i) => `usr_missing${i}`)];
      assert.equal((await usersByIds(db, many)).size, 3);
      assert.equal((await attributesOf(db, many)).get(ids[0]!)?.length, 2);
      assert.equal((await roleAssignmentsOf(db, many)).get(ids[0]!)?.length, 2);
      assert.deepEqual((await groupIdsOf(db, many)).get(ids[1]!), [groupId]);
      const emails = ['amy@lists.test', ...Array.from({ length: MANY }, (_, i) => `nobody${i}@lists.test`)];
      assert.equal((await usersByEmails(db, t().workspaceId, emails)).length, 1);
      // An email listed twice is still one user (the lookup joins the list, it does not filter by it).
      assert.equal(
        (await usersByEmails(db, t().workspaceId, ['amy@lists.test', 'amy@lists.test'])).length,
        1,
      );
      await db.transaction().execute(async (tx) => {
        assert.equal((await lockUsers(tx, t().workspaceId, many)).length, 3);
        await touchUsers(tx, many, new Date('2030-01-01T00:00:00Z'));
      });
      const touched = await usersByIds(db, ids);
      for (const id of ids)
        assert.equal(touched.get(id)?.updated_at.toISOString(), '2030-01-01T00:00:00.000Z');
    });
  });
}
