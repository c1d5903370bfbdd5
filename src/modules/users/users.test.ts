import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  ADMIN,
  createUsers,
  deleteUsers,
  EXPLORER,
  listUsers,
  STATUS,
  setUserAttributes,
  USER_FIELDS,
  VIEWER,
} from '../../../test/helpers/api.ts';
import { useTestApp } from '../../../test/helpers/app.ts';
import { testBackends } from '../../../test/helpers/databases.ts';

const origin = { requestId: null, ip: null, actorKeyId: null, actorUserId: null };

for (const backend of testBackends()) {
  describe(`user lifecycle (${backend.name})`, () => {
    const t = useTestApp(backend);

    it('createUsers creates users with roles, attributes and CREATED results, then lists them by email', async () => {
      const r = await createUsers(t(), {
        emails: ['carol@acme.test', 'Alice@Acme.test'],
        roleAssignments: [{ roleId: VIEWER, scopes: ['default'] }],
        userAttributes: [
          { key: 'account_id', value: 'acct_456' },
          { key: 'display_name', value: 'Someone' },
        ],
      });
      assert.equal(r.status, 200);
      assert.equal(r.payload.status.code, 'OK');
      assert.deepEqual(
        r.payload.results.map((x) => [x.email, x.outcome]),
        [
          ['carol@acme.test', 'CREATED'],
          ['Alice@Acme.test', 'CREATED'],
        ],
      );
      const { users } = await listUsers(t());
      const alice = users.find((u) => u.email === 'Alice@Acme.test');
      assert.ok(alice, 'email stored as given');
      assert.equal(alice.name, 'Someone', 'name comes from display_name');
      assert.equal(alice.profilePicture, '');
      assert.equal(alice.status, 'ACTIVE');
      assert.equal(alice.lastActiveSessionTimestamp, null);
      assert.match(alice.creationTimestamp, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
      assert.deepEqual(alice.roleAssignments, [
        { roleId: VIEWER, scopes: ['default'], inheritedFromGroupId: null },
      ]);
      assert.deepEqual(alice.userAttributes.map((a: any) => [a.key, a.value, a.source]).sort(), [
        ['account_id', 'acct_456', 'DATABASE'],
        ['display_name', 'Someone', 'DATABASE'],
      ]);
      const emails = users.map((u) => u.email.toLowerCase());
      assert.deepEqual(emails, [...emails].sort(), 'ordered by email');
    });

    it('re-createUsers of an existing email re-applies roles (UPDATED), and an identical call is UNCHANGED', async () => {
      await createUsers(t(), {
        emails: ['dave@acme.test'],
        roleAssignments: [{ roleId: VIEWER, scopes: ['default'] }],
      });
      const again = await createUsers(t(), {
        emails: ['DAVE@acme.test'],
        roleAssignments: [{ roleId: EXPLORER, scopes: ['default'] }],
      });
      assert.equal(again.payload.status.code, 'OK');
      assert.equal(again.payload.results[0]!.outcome, 'UPDATED');
      assert.deepEqual(again.payload.users[0].roleAssignments, [
        { roleId: EXPLORER, scopes: ['default'], inheritedFromGroupId: null },
      ]);
      const same = await createUsers(t(), {
        emails: ['dave@acme.test'],
        roleAssignments: [{ roleId: EXPLORER, scopes: ['default'] }],
      });
      assert.equal(same.payload.results[0]!.outcome, 'UNCHANGED');
      const omitted = await createUsers(t(), { emails: ['dave@acme.test'] });
      assert.equal(omitted.payload.results[0]!.outcome, 'UNCHANGED', 'fields not given are left alone');
      assert.deepEqual(omitted.payload.users[0].roleAssignments, [
        { roleId: EXPLORER, scopes: ['default'], inheritedFromGroupId: null },
      ]);
    });

    it('treats case variants as one user, plus-addressed emails as distinct, and collapses duplicates in one call', async () => {
      const r = await createUsers(t(), {
        emails: ['erin+t1@acme.test', 'erin+t2@acme.test', ' ERIN+t1@ACME.test ', 'erin+T1@acme.test'],
      });
      assert.equal(r.payload.results.length, 2);
      assert.notEqual(r.payload.results[0]!.userId, r.payload.results[1]!.userId);
      const again = await createUsers(t(), { emails: ['Erin+T2@Acme.Test'] });
      assert.equal(again.payload.results[0]!.userId, r.payload.results[1]!.userId);
    });

    it('setUserAttributes replaces all DATABASE attributes, [] clears them, and JWT attributes survive', async () => {
      const { payload } = await createUsers(t(), {
        emails: ['frank@acme.test'],
        userAttributes: [
          { key: 'a', value: '1' },
          { key: 'b', value: '2' },
        ],
      });
      const id = payload.results[0]!.userId;
      await t().app.services.users.setJwtAttributes(
        t().workspaceId,
        id,
        [{ key: 'department', value: 'sales' }],
        origin,
      );
      const set = await setUserAttributes(t(), id, [
        { key: 'account_id', value: 'acct_456' },
        { key: 'region', value: 'us-west' },
      ]);
      assert.equal(set.status.code, 'OK');
      const attrs = async () => {
        const r = await t().gql(`query($id: ID!) { user(id: $id) { userAttributes { key value source } } }`, {
          id,
        });
        return r.body.data!.user.userAttributes.map((a: any) => `${a.source}:${a.key}=${a.value}`).sort();
      };
      assert.deepEqual(await attrs(), [
        'DATABASE:account_id=acct_456',
        'DATABASE:region=us-west',
        'JWT:department=sales',
      ]);
      assert.equal((await setUserAttributes(t(), id, [])).status.code, 'OK');
      assert.deepEqual(await attrs(), ['JWT:department=sales']);
    });

    it('setUserAttributes on an unknown user is NOT_FOUND "User not found"', async () => {
      const r = await setUserAttributes(t(), 'usr_doesnotexist', [{ key: 'a', value: '1' }]);
      assert.deepEqual(
        [r.status.code, r.status.message, r.status.errorCode],
        ['NOT_FOUND', 'User not found', 'NOT_FOUND'],
      );
    });

    it('deleteUsersFromWorkspace is atomic: an unknown id deletes nobody; known ids are deleted with their data', async () => {
      const { payload } = await createUsers(t(), {
        emails: ['gina@acme.test', 'hank@acme.test'],
        userAttributes: [{ key: 'x', value: 'y' }],
      });
      const ids = payload.results.map((r) => r.userId);
      const bad = await deleteUsers(t(), [...ids, 'usr_unknown']);
      assert.equal(bad.status.code, 'NOT_FOUND');
      assert.equal(bad.status.problems[0]!.item, 'usr_unknown');
      assert.equal(
        (await listUsers(t())).users.filter((u) => ids.includes(u.id)).length,
        2,
        'nothing deleted',
      );
      const good = await deleteUsers(t(), ids);
      assert.equal(good.status.code, 'OK');
      assert.equal((await listUsers(t())).users.filter((u) => ids.includes(u.id)).length, 0);
      const leftovers = await t()
        .app.services.db.selectFrom('user_attributes')
        .select('user_id')
        .where('user_id', 'in', ids)
        .execute();
      assert.equal(leftovers.length, 0);
    });

    it('groups: members inherit the group role assignments, and userGroupIds adds memberships', async () => {
      const g = await t().gql(
        `mutation($i: CreateUserGroupInput!) { createUserGroup(input: $i) { ${STATUS} userGroup { id name roleAssignments { roleId scopes } } } }`,
        { i: { name: 'Analysts', roleAssignments: [{ roleId: EXPLORER, scopes: ['default'] }] } },
      );
      const group = g.body.data!.createUserGroup.userGroup;
      assert.equal(g.body.data!.createUserGroup.status.code, 'OK');
      const r = await createUsers(t(), {
        emails: ['ivy@acme.test'],
        roleAssignments: [{ roleId: VIEWER, scopes: ['default'] }],
        userGroupIds: [group.id],
      });
      assert.deepEqual(r.payload.users[0].roleAssignments, [
        { roleId: VIEWER, scopes: ['default'], inheritedFromGroupId: null },
        { roleId: EXPLORER, scopes: ['default'], inheritedFromGroupId: group.id },
      ]);
      assert.deepEqual(r.payload.users[0].userGroups, [{ id: group.id, name: 'Analysts' }]);
      const dup = await t().gql(`mutation { createUserGroup(input: {name: "analysts"}) { ${STATUS} } }`);
      assert.equal(dup.body.data!.createUserGroup.status.errorCode, 'CONFLICT');
      const removed = await t().gql(
        `mutation($i: GroupMembersInput!) { removeUsersFromGroup(input: $i) { ${STATUS} } }`,
        {
          i: { groupId: group.id, userIds: [r.payload.results[0]!.userId] },
        },
      );
      assert.equal(removed.body.data!.removeUsersFromGroup.status.code, 'OK');
      const after = await t().gql(
        `query($id: ID!) { user(id: $id) { roleAssignments { roleId inheritedFromGroupId } } }`,
        { id: r.payload.results[0]!.userId },
      );
      assert.deepEqual(after.body.data!.user.roleAssignments, [
        { roleId: VIEWER, inheritedFromGroupId: null },
      ]);
    });

    it('setUserRoleAssignments replaces direct roles; ADMIN may have no scopes, others need a known domain', async () => {
      const { payload } = await createUsers(t(), { emails: ['jack@acme.test'] });
      const id = payload.results[0]!.userId;
      const set = (roleAssignments: unknown) =>
        t().gql(
          `mutation($i: SetUserRoleAssignmentsInput!) { setUserRoleAssignments(input: $i) { ${STATUS} } }`,
          { i: { userId: id, roleAssignments } },
        );
      assert.equal(
        (await set([{ roleId: ADMIN, scopes: [] }])).body.data!.setUserRoleAssignments.status.code,
        'OK',
      );
      const noScope = (await set([{ roleId: VIEWER, scopes: [] }])).body.data!.setUserRoleAssignments.status;
      assert.equal(noScope.errorCode, 'BAD_USER_INPUT');
      assert.equal(noScope.problems[0].field, 'roleAssignments[0].scopes');
      const unknownDomain = (await set([{ roleId: VIEWER, scopes: ['domain_456'] }])).body.data!
        .setUserRoleAssignments.status;
      assert.equal(unknownDomain.problems[0].item, 'domain_456');
      const sharing = (await set([{ roleId: '00000000-0000-0000-0000-000000000008', scopes: ['default'] }]))
        .body.data!.setUserRoleAssignments.status;
      assert.equal(sharing.code, 'ERROR');
      const u = await t().gql(`query($id: ID!) { user(id: $id) { roleAssignments { roleId scopes } } }`, {
        id,
      });
      assert.deepEqual(
        u.body.data!.user.roleAssignments,
        [{ roleId: ADMIN, scopes: [] }],
        'failed calls changed nothing',
      );
    });

    it('users() pages with a stable cursor and filters by prefix, attribute, role, group and status', async () => {
      const emails = Array.from({ length: 25 }, (_, i) => `page${String(i).padStart(2, '0')}@paging.test`);
      await createUsers(t(), {
        emails: emails.slice(0, 10),
        userAttributes: [{ key: 'tier', value: 'gold' }],
      });
      await createUsers(t(), {
        emails: emails.slice(10),
        userAttributes: [{ key: 'tier', value: 'silver' }],
        roleAssignments: [{ roleId: EXPLORER, scopes: ['default'] }],
      });
      const page = (vars: Record<string, unknown>) =>
        t().gql(
          `query($f: UserFilter, $first: Int, $after: String) { users(filter: $f, first: $first, after: $after) { totalCount edges { cursor node { email } } pageInfo { hasNextPage endCursor } } }`,
          vars,
        );
      const seen: string[] = [];
      let after: string | null = null;
      for (;;) {
        const r = await page({ f: { emailPrefix: 'PAGE' }, first: 7, after });
        const c = r.body.data!.users;
        assert.equal(c.totalCount, 25);
        seen.push(...c.edges.map((e: any) => e.node.email));
        if (!c.pageInfo.hasNextPage) break;
        after = c.pageInfo.endCursor;
      }
      assert.deepEqual(seen, emails);
      const gold = await page({ f: { attribute: { key: 'tier', value: 'gold' } }, first: 50 });
      assert.equal(gold.body.data!.users.totalCount, 10);
      const any = await page({
        f: { attribute: { key: 'tier', anyOf: ['gold', 'silver'] }, emailPrefix: 'page' },
        first: 50,
      });
      assert.equal(any.body.data!.users.totalCount, 25);
      const explorers = await page({ f: { roleId: EXPLORER, emailPrefix: 'page' }, first: 50 });
      assert.equal(explorers.body.data!.users.totalCount, 15);
      const suspended = await page({ f: { status: ['SUSPENDED'], emailPrefix: 'page' }, first: 50 });
      assert.equal(suspended.body.data!.users.totalCount, 0);
      const wildcard = await page({ f: { emailPrefix: 'page_' }, first: 50 });
      assert.equal(wildcard.body.data!.users.totalCount, 0, 'LIKE wildcards in the prefix are literal');
      const badCursor = await page({ first: 5, after: 'nonsense' });
      assert.equal(badCursor.body.errors![0]!.extensions!.code, 'BAD_USER_INPUT');
      const clamped = await page({ first: 100000 });
      assert.ok(clamped.body.data!.users.edges.length <= 500);
    });

    it('currentUser is null for an access key', async () => {
      const r = await t().gql('{ currentUser { id } }');
      assert.equal(r.body.data!.currentUser, null);
    });

    it('records an audit event for every mutation, with the acting key and request id', async () => {
      const created = await t().gql(
        'mutation { createUsers(input: { emails: ["kate@acme.test"] }) { results { userId } } }',
        {},
        undefined,
        { 'x-request-id': 'req-123' },
      );
      const r = await t().gql(
        `query($id: ID) { auditEvents(first: 5, filter: { targetId: $id }) { edges { node { action outcome actorKeyId requestId ip } } } }`,
        { id: created.body.data!.createUsers.results[0].userId },
      );
      const events = r.body.data!.auditEvents.edges.map((e: any) => e.node);
      assert.equal(events.length, 1);
      assert.equal(events[0].action, 'user.create');
      assert.match(events[0].actorKeyId, /^[0-9a-z]{16}$/);
      assert.equal(events[0].ip, '127.0.0.1');
      assert.equal(events[0].requestId, 'req-123');
    });
  });
}

describe('User fields (pglite)', () => {
  const t = useTestApp(testBackends()[0]!);
  it('exposes every compat field of User', async () => {
    await createUsers(t(), { emails: ['fields@acme.test'] });
    const r = await t().gql(`{ listUsers { ${USER_FIELDS} } }`);
    assert.equal(r.body.errors, undefined);
    assert.equal(r.body.data!.listUsers[0].isScimManaged, false);
  });
});
