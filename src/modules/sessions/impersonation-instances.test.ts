import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type Instances, startInstances } from '../../../test/helpers/instances.ts';
import { IMPERSONATE } from '../../../test/helpers/sessions.ts';
import { UNAUTHORIZED_BODY } from '../../graphql/errors.ts';

const pgUrl = process.env.TEST_DATABASE_URL;
const codeOf = (body: any): string | undefined => body.errors?.[0]?.extensions?.code;

/**
 * impersonateUser reads the key, the user and the failure counts in statements shared by the calls
 * that arrive together: a change made on one instance still applies to the very next call on
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
    const impersonate = (instance: number, key: string, email: string) =>
      s.gql(instance, IMPERSONATE, { accessToken: key, userEmail: email }, { token: null, ip: '10.9.9.9' });

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
  });
}
