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

    it('refuses attributes that would make a token longer than any request may carry, starting no session', async () => {
      await userWithEmail(t(), 'big@acme.test');
      // 60 values of 200 characters: each within the attribute rules, together a ~16 KB token.
      const attributes = Array.from({ length: 60 }, (_, i) => ({
        key: `k${i}`,
        value: `${i}`.padEnd(200, 'x'),
      }));
      const r = await impersonate(t(), 'big@acme.test', { attributes });
      assert.equal(r.status, 200, r.text);
      assert.equal(r.token, undefined);
      assert.equal(r.body.errors[0].extensions.code, 'BAD_USER_INPUT');
      assert.equal(r.body.errors[0].extensions.problems[0].field, 'attributes');
      const me = await t()
        .app.services.db.selectFrom('users')
        .select('last_active_session_at')
        .where('email', '=', 'big@acme.test')
        .executeTakeFirstOrThrow();
      assert.equal(me.last_active_session_at, null, 'no session was recorded');

      const fits = await impersonate(t(), 'big@acme.test', { attributes: attributes.slice(0, 20) });
      assert.ok(fits.token && fits.token.length <= 8192, fits.text);
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

    it('concurrent impersonations share statements, yet each has its own session, audit event and lastActiveSessionTimestamp', async () => {
      const emails = Array.from({ length: 12 }, (_, i) => `many${i}@acme.test`);
      const ids = await Promise.all(emails.map((e) => userWithEmail(t(), e)));
      const before = t().clock.now();
      // Three calls per user, all at once, mixed with two that fail.
      const calls = [...emails, ...emails, ...emails, 'nobody@acme.test', 'nobody2@acme.test'];
      const results = await Promise.all(calls.map((e) => impersonate(t(), e)));
      const tokens = results.slice(0, emails.length * 3).map((r) => r.token);
      assert.ok(tokens.every(Boolean), results.find((r) => !r.token)?.text);
      assert.equal(new Set(tokens).size, tokens.length);
      assert.deepEqual(
        results.slice(-2).map((r) => r.body.errors?.[0]?.extensions?.code),
        ['NOT_FOUND', 'NOT_FOUND'],
      );
      for (const [i, token] of tokens.entries())
        assert.equal(decodeJwt(token!).payload.sub, ids[i % emails.length]);
      const db = t().app.services.db;
      const events = await db
        .selectFrom('audit_events')
        .select(['target_id', 'outcome', 'details'])
        .where('action', '=', 'user.impersonate')
        .where('target_id', 'in', ids)
        .execute();
      assert.equal(events.length, tokens.length);
      assert.ok(events.every((e) => e.outcome === 'SUCCESS'));
      const jtis = new Set(tokens.map((token) => decodeJwt(token!).payload.jti));
      assert.deepEqual(new Set(events.map((e) => (e.details as { jti: string }).jti)), jtis);
      const users = await db
        .selectFrom('users')
        .select('last_active_session_at')
        .where('id', 'in', ids)
        .execute();
      assert.ok(users.every((u) => u.last_active_session_at && u.last_active_session_at >= before));
    });
  });
}
