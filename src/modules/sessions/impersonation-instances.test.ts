import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type Instances, startInstances } from '../../../test/helpers/instances.ts';
import { IMPERSONATE } from '../../../test/helpers/sessions.ts';
import { UNAUTHORIZED_BODY } from '../../graphql/errors.ts';
import { ROLE_IDS } from '../roles/roles.ts';

const pgUrl = process.env.TEST_DATABASE_URL;
const codeOf = (body: any): string | undefined => body.errors?.[0]?.extensions?.code;

/**
 * impersonateUser reads the key, the user, the definitions of its transient attributes and the
 * failure counts in statements shared by the calls that arrive together: a change made on one instance still applies to the very next call on
 * another, because nothing of it is kept between statements.
 */
if (pgUrl) {
  describe('impersonateUser sees changes made on another instance at once (PostgreSQL)', () => {
    let s: Instances;
    before(async () => {
      s = await startInstances(pgUrl, 2);
    });
    after(async () => {
      await s?.close();
    });

    const createUser = async (email: string) => {
      const r = await s.gql(
        0,
        'mutation($e: [String!]!) { createUsers(input: { emails: $e }) { results { userId } } }',
        {
          e: [email],
        },
      );
      return r.body.data.createUsers.results[0].userId as string;
    };
    const impersonate = (
      instance: number,
      key: string,
      email: string,
      attributes?: readonly { key: string; value: string }[],
    ) =>
      s.gql(
        instance,
        IMPERSONATE,
        { accessToken: key, userEmail: email, ...(attributes ? { attributes } : {}) },
        { token: null, ip: '10.9.9.9' },
      );

    it('a key revoked on one instance is refused by the next call on the other', async () => {
      await createUser('rev@acme.test');
      const key = await s.key(['impersonate']);
      assert.equal((await impersonate(1, key, 'rev@acme.test')).status, 200);
      const keyId = key.split('_')[1];
      const revoked = await s.gql(
        0,
        'mutation($id: ID!) { revokeAccessKey(input: { id: $id }) { status { code } } }',
        {
          id: keyId,
        },
      );
      assert.equal(revoked.status, 200, revoked.text);
      assert.equal((await impersonate(1, key, 'rev@acme.test')).text, UNAUTHORIZED_BODY);
    });

    it('a user suspended, then deleted, on one instance cannot start a session on the other', async () => {
      const userId = await createUser('gone@acme.test');
      const key = await s.key(['impersonate']);
      assert.equal((await impersonate(1, key, 'gone@acme.test')).status, 200);
      await s.gql(
        0,
        'mutation($u: ID!) { setUserStatus(input: { userId: $u, status: SUSPENDED }) { status { code } } }',
        {
          u: userId,
        },
      );
      assert.equal(codeOf((await impersonate(1, key, 'gone@acme.test')).body), 'FORBIDDEN');
      await s.gql(
        0,
        'mutation($u: [ID!]!) { deleteUsersFromWorkspace(input: { userIds: $u }) { status { code } } }',
        {
          u: [userId],
        },
      );
      const after = await impersonate(1, key, 'gone@acme.test');
      assert.ok(['FORBIDDEN', 'NOT_FOUND'].includes(codeOf(after.body)!), after.text);
    });

    it('a burst that shares statements on one instance sees a revocation made on the other', async () => {
      await createUser('burst@acme.test');
      const key = await s.key(['impersonate']);
      // From an address of its own: its 20 refusals count against it, not against the other tests.
      const once = () =>
        s.gql(
          1,
          IMPERSONATE,
          { accessToken: key, userEmail: 'burst@acme.test' },
          { token: null, ip: '10.9.9.20' },
        );
      const burst = () => Promise.all(Array.from({ length: 20 }, once));
      assert.ok((await burst()).every((r) => r.status === 200));
      const revoked = await s.gql(
        0,
        'mutation($id: ID!) { revokeAccessKey(input: { id: $id }) { status { code } } }',
        { id: key.split('_')[1] },
      );
      assert.equal(revoked.status, 200, revoked.text);
      assert.ok((await burst()).every((r) => r.text === UNAUTHORIZED_BODY));
    });

    it('a definition made on one instance refuses the overrides of the next burst on the other, and only those', async () => {
      await createUser('defs@acme.test');
      const key = await s.key(['impersonate']);
      // In one burst, so calls that ask for different keys share one statement.
      const burst = () =>
        Promise.all([
          impersonate(1, key, 'defs@acme.test', [{ key: 'region_lock', value: 'eu' }]),
          impersonate(1, key, 'defs@acme.test', [{ key: 'free_text', value: 'x' }]),
          impersonate(1, key, 'defs@acme.test'),
          impersonate(1, key, 'defs@acme.test', [
            { key: 'free_text', value: 'y' },
            { key: 'region_lock', value: 'us' },
          ]),
        ]);
      assert.deepEqual(
        (await burst()).map((r) => r.status),
        [200, 200, 200, 200],
      );
      const defined = await s.gql(
        0,
        'mutation { defineAttribute(input: { key: "region_lock", type: STRING, transientOverride: NEVER }) { status { code } } }',
      );
      assert.equal(defined.body.data.defineAttribute.status.code, 'OK', defined.text);
      const after = await burst();
      assert.deepEqual(
        after.map((r) => codeOf(r.body) ?? 'OK'),
        ['ATTRIBUTE_OVERRIDE_REFUSED', 'OK', 'OK', 'ATTRIBUTE_OVERRIDE_REFUSED'],
      );
    });

    it('a role change made on one instance shows on the next request of a session started on the other', async () => {
      const userId = await createUser('roles@acme.test');
      const key = await s.key(['impersonate']);
      const session = (await impersonate(1, key, 'roles@acme.test')).body.data.impersonateUser as string;
      assert.ok(session);
      const roles = async () =>
        (await s.gql(1, '{ currentUser { roleAssignments { roleId } } }', {}, { token: session })).body.data
          .currentUser.roleAssignments as { roleId: string }[];
      assert.deepEqual(await roles(), []);
      const set = await s.gql(
        0,
        'mutation($input: SetUserRoleAssignmentsInput!) { setUserRoleAssignments(input: $input) { status { code } } }',
        { input: { userId, roleAssignments: [{ roleId: ROLE_IDS.VIEWER, scopes: ['default'] }] } },
      );
      assert.equal(set.body.data.setUserRoleAssignments.status.code, 'OK', set.text);
      assert.deepEqual(await roles(), [{ roleId: ROLE_IDS.VIEWER }]);
      // And a new session on the other instance starts with it too.
      const next = (await impersonate(1, key, 'roles@acme.test')).body.data.impersonateUser as string;
      const fresh = await s.gql(1, '{ currentUser { roleAssignments { roleId } } }', {}, { token: next });
      assert.deepEqual(fresh.body.data.currentUser.roleAssignments, [{ roleId: ROLE_IDS.VIEWER }]);
    });
  });
}
