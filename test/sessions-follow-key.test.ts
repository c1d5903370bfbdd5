import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { UNAUTHORIZED_BODY } from '../src/graphql/errors.ts';
import { useTestApp } from './helpers/app.ts';
import { testBackends } from './helpers/databases.ts';
import { type Instances, startInstances } from './helpers/instances.ts';
import { decodeJwt, gqlFrom, IMPERSONATE, impersonate, userWithEmail } from './helpers/sessions.ts';

/** docs/sessions.md, "Ending sessions": revoking an access key ends the sessions it minted. */
const CURRENT_USER = '{ currentUser { id } }';
const REVOKE = `mutation($input: RevokeAccessKeyInput!) { revokeAccessKey(input: $input) { status { code errorCode } } }`;

for (const backend of testBackends()) {
  describe(`sessions follow their key (${backend.name})`, () => {
    const t = useTestApp(backend);

    it('revoking the minting key ends its sessions and only those', async () => {
      await userWithEmail(t(), 'kim@follow.test');
      const doomedKey = await t().key(['impersonate']);
      const otherKey = await t().key(['impersonate']);
      const doomed = await impersonate(t(), 'kim@follow.test', { key: doomedKey });
      const survivor = await impersonate(t(), 'kim@follow.test', { key: otherKey });
      const keyId = decodeJwt(doomed.token!).payload.act.sub as string;
      assert.equal(keyId, t().app.services.accessKeys.keyIdOf(doomedKey));
      for (const token of [doomed.token!, survivor.token!])
        assert.equal((await gqlFrom(t(), CURRENT_USER, {}, '127.0.0.1', token)).status, 200);

      const r = await t().gql(REVOKE, { input: { id: keyId } });
      assert.equal(r.body.data!.revokeAccessKey.status.code, 'OK', JSON.stringify(r.body));

      const ended = await gqlFrom(t(), CURRENT_USER, {}, '127.0.0.1', doomed.token!);
      assert.equal(ended.status, 401);
      assert.equal(ended.text, UNAUTHORIZED_BODY);
      const kept = await gqlFrom(t(), CURRENT_USER, {}, '127.0.0.1', survivor.token!);
      assert.equal(kept.status, 200, kept.text);
      assert.ok(kept.body.data.currentUser.id);
    });
  });
}

const pgUrl = process.env.TEST_DATABASE_URL;
describe('sessions follow their key across instances (postgres)', { skip: !pgUrl }, () => {
  let s: Instances;
  before(async () => {
    s = await startInstances(pgUrl!, 2);
  });
  after(async () => {
    await s?.close();
  });

  it('a key revoked on instance 0 ends its session on instance 1 at the next request', async () => {
    const origin = { requestId: null, ip: null, actorKeyId: null, actorUserId: null };
    await s.apps[0]!.services.users.createUsers(s.workspaceId, { emails: ['lee@two.test'] }, origin);
    const key = await s.key(['impersonate']);
    const minted = await s.gql(
      1,
      IMPERSONATE,
      { accessToken: key, userEmail: 'lee@two.test' },
      { token: null },
    );
    const token = minted.body.data.impersonateUser as string;
    assert.equal((await s.gql(1, CURRENT_USER, {}, { token })).status, 200);

    const keyId = decodeJwt(token).payload.act.sub as string;
    const r = await s.gql(0, REVOKE, { input: { id: keyId } });
    assert.equal(r.body.data.revokeAccessKey.status.code, 'OK', r.text);

    const ended = await s.gql(1, CURRENT_USER, {}, { token });
    assert.equal(ended.status, 401);
    assert.equal(ended.text, UNAUTHORIZED_BODY);
  });
});
