import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { useTestApp } from '../../../test/helpers/app.ts';
import { testBackends } from '../../../test/helpers/databases.ts';
import { decodeJwt, gqlFrom, impersonate, userWithEmail } from '../../../test/helpers/sessions.ts';
import { UNAUTHORIZED_BODY } from '../../graphql/errors.ts';

const CURRENT_USER = '{ currentUser { id email workspaceId lastActiveSessionTimestamp } }';

for (const backend of testBackends()) {
  describe(`impersonateUser (${backend.name})`, () => {
    const t = useTestApp(backend);

    it('returns a session JWT with the documented header and claims, usable as a bearer for currentUser', async () => {
      const userId = await userWithEmail(t(), 'Dana@Acme.test', [{ key: 'account_id', value: 'acct_1' }]);
      const key = await t().key(['impersonate']);
      const r = await impersonate(t(), 'dana@ACME.test', {
        key,
        attributes: [{ key: 'tenant', value: 't1' }],
      });
      assert.equal(r.status, 200, r.text);
      const { header, payload } = decodeJwt(r.token!);
      assert.equal(header.alg, 'ES256');
      assert.equal(header.typ, 'session+jwt');
      assert.match(header.kid, /^[0-9a-z]{20}$/);
      assert.equal(payload.iss, 'http://tessera.test');
      assert.equal(payload.aud, 'tessera-session');
      assert.equal(payload.sub, userId);
      assert.equal(payload.impersonated_user_id, userId);
      assert.equal(payload.email, 'Dana@Acme.test');
      assert.equal(payload.wid, t().workspaceId);
      assert.deepEqual(payload.attrs, { tenant: 't1' });
      assert.equal(payload.act.sub, key.split('_')[1]);
      assert.equal(payload.exp - payload.iat, 3600);
      assert.equal(typeof payload.jti, 'string');

      const me = await gqlFrom(t(), CURRENT_USER, {}, '127.0.0.1', r.token!);
      assert.equal(me.status, 200, me.text);
      assert.equal(me.body.data.currentUser.id, userId);
      assert.equal(me.body.data.currentUser.workspaceId, t().workspaceId);
      assert.notEqual(me.body.data.currentUser.lastActiveSessionTimestamp, null);
    });

    it('needs no Authorization header, but an invalid one still gets the one 401', async () => {
      await userWithEmail(t(), 'hdr@acme.test');
      const query = 'mutation($k: String!) { impersonateUser(accessToken: $k, userEmail: "hdr@acme.test") }';
      for (const authorization of ['Bearer not-a-token', 'Basic abc', 'Bearer eyJhbGciOiJub25lIn0.e30.']) {
        const r = await t().app.fetch(
          new Request('http://tessera.test/graphql', {
            method: 'POST',
            headers: { 'content-type': 'application/json', authorization },
            body: JSON.stringify({ query, variables: { k: t().rootKey } }),
          }),
        );
        assert.equal(r.status, 401, authorization);
        assert.equal(await r.text(), UNAUTHORIZED_BODY);
      }
    });

    it('works as a Query too, without any Authorization header', async () => {
      await userWithEmail(t(), 'query@acme.test');
      const r = await gqlFrom(
        t(),
        'query($k: String!) { impersonateUser(accessToken: $k, userEmail: "query@acme.test") }',
        {
          k: t().rootKey,
        },
      );
      assert.equal(r.status, 200, r.text);
      assert.equal(decodeJwt(r.body.data.impersonateUser).header.typ, 'session+jwt');
    });
  });
}
