import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { sql } from 'kysely';
import { deleteUsers, rowCounts, setUserAttributes } from '../../../test/helpers/api.ts';
import { useTestApp } from '../../../test/helpers/app.ts';
import { testBackends } from '../../../test/helpers/databases.ts';
import { type Instances, startInstances } from '../../../test/helpers/instances.ts';
import {
  decodeJwt,
  gqlFrom,
  IMPERSONATE,
  impersonate,
  userWithEmail,
} from '../../../test/helpers/sessions.ts';
import { UNAUTHORIZED_BODY } from '../../graphql/errors.ts';

const EFFECTIVE = '{ effectiveAttributes { key value source overridden { source value } } }';
const CURRENT_USER = '{ currentUser { id } }';

for (const backend of testBackends()) {
  describe(`live sessions (${backend.name})`, () => {
    // Failure rate limits have their own tests; here they would only couple the cases.
    const t = useTestApp(backend, { env: { TESSERA_AUTH_FAILURES_PER_MINUTE: '100000' } });
    const asSession = (token: string, query: string, variables: Record<string, unknown> = {}) =>
      gqlFrom(t(), query, variables, '127.0.0.1', token);

    it('transient attributes override stored ones for the session and are never stored', async () => {
      const userId = await userWithEmail(t(), 'ann@acme.test', [
        { key: 'region', value: 'eu' },
        { key: 'plan', value: 'gold' },
      ]);
      await t().app.services.users.setJwtAttributes(
        t().workspaceId,
        userId,
        [{ key: 'region', value: 'sso' }],
        {
          requestId: null,
          ip: null,
          actorKeyId: null,
          actorUserId: null,
        },
      );
      const before = await t()
        .app.services.db.selectFrom('user_attributes')
        .selectAll()
        .where('user_id', '=', userId)
        .execute();
      const r = await impersonate(t(), 'ann@acme.test', {
        attributes: [
          { key: 'region', value: 'us' },
          { key: 'team', value: 'red' },
        ],
      });
      assert.equal(r.status, 200, r.text);
      const eff = await asSession(r.token!, EFFECTIVE);
      assert.deepEqual(eff.body.data!.effectiveAttributes, [
        { key: 'plan', value: 'gold', source: 'DATABASE', overridden: [] },
        {
          key: 'region',
          value: 'us',
          source: 'TRANSIENT',
          overridden: [
            { source: 'DATABASE', value: 'eu' },
            { source: 'JWT', value: 'sso' },
          ],
        },
        { key: 'team', value: 'red', source: 'TRANSIENT', overridden: [] },
      ]);
      const after = await t()
        .app.services.db.selectFrom('user_attributes')
        .selectAll()
        .where('user_id', '=', userId)
        .execute();
      assert.deepEqual(after, before);
      assert.ok(!after.some((a) => a.key === 'team' || a.value === 'us'));
      // The User field gives the same view for the session's own user.
      const me = await asSession(r.token!, '{ currentUser { effectiveAttributes { key source } } }');
      assert.deepEqual(
        me.body.data!.currentUser.effectiveAttributes.map(
          (a: { key: string; source: string }) => `${a.key}:${a.source}`,
        ),
        ['plan:DATABASE', 'region:TRANSIENT', 'team:TRANSIENT'],
      );
    });

    it('rejects reserved, malformed and duplicate transient attribute keys, writing nothing', async () => {
      await userWithEmail(t(), 'res@acme.test');
      const counts = await rowCounts(t());
      const sessionsBefore = await t()
        .app.services.db.selectFrom('users')
        .select('last_active_session_at')
        .where('email_normalized', '=', 'res@acme.test')
        .executeTakeFirst();
      for (const attributes of [
        [{ key: 'impersonated_user_id', value: 'usr_x' }],
        [{ key: 'sub', value: 'x' }],
        [{ key: 'Email', value: 'x' }],
        [{ key: '1bad', value: 'x' }],
        [
          { key: 'a', value: 'x' },
          { key: 'a', value: 'y' },
        ],
        [{ key: 'nul', value: 'a\u0000b' }],
        [{ key: 'big', value: 'x'.repeat(4097) }],
      ]) {
        const r = await impersonate(t(), 'res@acme.test', { attributes });
        assert.equal(r.body.errors?.[0]?.extensions?.code, 'BAD_USER_INPUT', JSON.stringify(attributes));
        assert.ok(r.body.errors![0]!.extensions!.problems.length > 0);
        assert.equal(r.body.data, null);
      }
      assert.deepEqual(await rowCounts(t()), counts);
      const sessionsAfter = await t()
        .app.services.db.selectFrom('users')
        .select('last_active_session_at')
        .where('email_normalized', '=', 'res@acme.test')
        .executeTakeFirst();
      assert.deepEqual(sessionsAfter, sessionsBefore);
    });

    it('setUserAttributes during a live session applies on its next request', async () => {
      const userId = await userWithEmail(t(), 'bo@acme.test', [{ key: 'region', value: 'eu' }]);
      const token = (await impersonate(t(), 'bo@acme.test')).token!;
      const first = await asSession(token, EFFECTIVE);
      assert.deepEqual(
        first.body.data!.effectiveAttributes.map((a: { value: string }) => a.value),
        ['eu'],
      );
      assert.equal(
        (await setUserAttributes(t(), userId, [{ key: 'region', value: 'apac' }])).status.code,
        'OK',
      );
      const second = await asSession(token, EFFECTIVE);
      assert.deepEqual(
        second.body.data!.effectiveAttributes.map((a: { value: string }) => a.value),
        ['apac'],
      );
    });

    it('deleting the user ends its sessions on the next request', async () => {
      const userId = await userWithEmail(t(), 'del@acme.test');
      const token = (await impersonate(t(), 'del@acme.test')).token!;
      assert.equal((await asSession(token, CURRENT_USER)).body.data!.currentUser.id, userId);
      assert.equal((await deleteUsers(t(), [userId])).status.code, 'OK');
      const r = await asSession(token, CURRENT_USER);
      assert.equal(r.status, 401);
      assert.equal(r.text, UNAUTHORIZED_BODY);
    });

    for (const status of ['SUSPENDED', 'INACTIVE'] as const) {
      it(`${status}: the user's sessions end and new ones are refused; reactivating allows new ones`, async () => {
        const email = `${status.toLowerCase()}@acme.test`;
        const userId = await userWithEmail(t(), email);
        const token = (await impersonate(t(), email)).token!;
        const setStatus = (to: string) =>
          t().gql('mutation($i: SetUserStatusInput!) { setUserStatus(input: $i) { status { code } } }', {
            i: { userId, status: to },
          });
        assert.equal((await setStatus(status)).body.data!.setUserStatus.status.code, 'OK');
        assert.equal((await asSession(token, CURRENT_USER)).text, UNAUTHORIZED_BODY);
        const refused = await impersonate(t(), email);
        assert.equal(refused.body.errors?.[0]?.extensions?.code, 'FORBIDDEN', refused.text);
        assert.equal((await setStatus('ACTIVE')).body.data!.setUserStatus.status.code, 'OK');
        const again = await impersonate(t(), email);
        assert.equal((await asSession(again.token!, CURRENT_USER)).body.data!.currentUser.id, userId);
      });
    }

    it('revokeSessions ends every session of the workspace issued until then; later ones work', async () => {
      await userWithEmail(t(), 'rev@acme.test');
      const token = (await impersonate(t(), 'rev@acme.test')).token!;
      const r = await t().gql('mutation { revokeSessions { status { code } revokedAt } }');
      assert.equal(r.body.data!.revokeSessions.status.code, 'OK', JSON.stringify(r.body));
      assert.equal((await asSession(token, CURRENT_USER)).text, UNAUTHORIZED_BODY);
      t().clock.advance(1000); // `iat` has second precision: a token in the same second is refused too
      const fresh = (await impersonate(t(), 'rev@acme.test')).token!;
      assert.equal((await asSession(fresh, CURRENT_USER)).status, 200);
      const ws = await t().gql('{ workspace { sessionsRevokedAt } }');
      assert.equal(ws.body.data!.workspace.sessionsRevokedAt, r.body.data!.revokeSessions.revokedAt);
      // iam:write only.
      const reader = await t().key(['iam:read']);
      const denied = await t().gql('mutation { revokeSessions { status { code } } }', {}, reader);
      assert.equal(denied.body.errors?.[0]?.extensions?.code, 'FORBIDDEN');
    });

    it('a token verified on earlier requests is refused once it expires, and a tampered copy never passes', async () => {
      await userWithEmail(t(), 'exp@acme.test');
      const token = (await impersonate(t(), 'exp@acme.test')).token!;
      for (let i = 0; i < 3; i++) assert.equal((await asSession(token, CURRENT_USER)).status, 200);
      // The same claims with another signature: not the text that verified, so it is verified (and fails).
      const [h, p, sig] = token.split('.') as [string, string, string];
      const flipped = `${h}.${p}.${sig.slice(0, 10)}${sig[10] === 'A' ? 'B' : 'A'}${sig.slice(11)}`;
      assert.equal((await asSession(flipped, CURRENT_USER)).text, UNAUTHORIZED_BODY);
      // Within the clock skew after `exp` it still holds; past it, it does not.
      t().clock.advance(3600 * 1000 + 30_000);
      assert.equal((await asSession(token, CURRENT_USER)).status, 200);
      t().clock.advance(40_000);
      assert.equal((await asSession(token, CURRENT_USER)).text, UNAUTHORIZED_BODY);
    });

    it('a database failure while checking a session is a 500, not a verdict on the token', async () => {
      await userWithEmail(t(), 'outage@acme.test');
      const token = (await impersonate(t(), 'outage@acme.test')).token!;
      const db = t().app.services.db;
      await sql`alter table users rename to users_offline`.execute(db);
      try {
        // The app answers the failure itself (logged with its cause): the masked 500, never a 401.
        const r = await t().app.fetch(
          new Request('http://tessera.test/graphql', {
            method: 'POST',
            headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
            body: JSON.stringify({ query: CURRENT_USER }),
          }),
        );
        assert.equal(r.status, 500);
        const body = (await r.json()) as { errors: { extensions: { code: string } }[] };
        assert.equal(body.errors[0]!.extensions.code, 'INTERNAL_SERVER_ERROR');
      } finally {
        await sql`alter table users_offline rename to users`.execute(db);
      }
      assert.equal((await asSession(token, CURRENT_USER)).status, 200);
    });

    it('answers each key failure with the one 401; unknown email NOT_FOUND; audits success and failure', async () => {
      await userWithEmail(t(), 'aud@acme.test');
      const noPermission = await t().key(['iam:write']);
      const keyId = t().rootKey.split('_')[1]!;
      const revoked = await t().key(['impersonate']);
      await t().app.services.accessKeys.revoke(t().workspaceId, revoked.split('_')[1]!, {
        requestId: null,
        ip: null,
        actorKeyId: null,
        actorUserId: null,
      });
      const expiring = await t().app.services.accessKeys.create(
        {
          workspaceId: t().workspaceId,
          name: 'short',
          permissions: ['impersonate'],
          expiresAt: new Date(t().clock.now().getTime() + 1000),
        },
        null,
      );
      t().clock.advance(2000);
      const expired = expiring.token;
      const wrongSecret = `tsk_${keyId}_${'A'.repeat(43)}`;
      const unknownId = `tsk_${'0'.repeat(16)}_${'A'.repeat(43)}`;
      for (const key of [noPermission, revoked, expired, wrongSecret, unknownId, 'garbage', '']) {
        const r = await impersonate(t(), 'aud@acme.test', { key, ip: '10.0.0.9' });
        assert.equal(r.status, 401, key);
        assert.equal(r.text, UNAUTHORIZED_BODY, key);
        assert.equal(r.headers.get('www-authenticate'), 'Bearer');
      }
      const unknown = await impersonate(t(), 'nobody@acme.test', { ip: '10.0.0.10' });
      assert.equal(unknown.body.errors?.[0]?.extensions?.code, 'NOT_FOUND');
      const ok = await impersonate(t(), 'aud@acme.test', { ip: '10.0.0.11' });
      assert.equal(ok.status, 200);
      const events = await t()
        .app.services.db.selectFrom('audit_events')
        .selectAll()
        .where('action', '=', 'user.impersonate')
        .execute();
      assert.equal(events.filter((e) => e.outcome === 'FAILURE' && e.ip === '10.0.0.9').length, 7);
      assert.equal(events.filter((e) => e.outcome === 'FAILURE' && e.ip === '10.0.0.10').length, 1);
      const success = events.filter((e) => e.outcome === 'SUCCESS' && e.ip === '10.0.0.11');
      assert.equal(success.length, 1);
      assert.equal(success[0]!.actor_key_id, keyId);
      const user = await t()
        .app.services.db.selectFrom('users')
        .select('last_active_session_at')
        .where('email_normalized', '=', 'aud@acme.test')
        .executeTakeFirst();
      assert.equal(user!.last_active_session_at?.getTime(), t().clock.now().getTime());
    });

    it('effectiveAttributes: a key with iam:read sees any user of its workspace, another workspace is NOT_FOUND', async () => {
      const userId = await userWithEmail(t(), 'ea@acme.test', [{ key: 'region', value: 'eu' }]);
      const q =
        'query($u: ID, $s: [UserAttributeInput!]) { effectiveAttributes(userId: $u, sessionAttributes: $s) { key value source overridden { source value } } }';
      const reader = await t().key(['iam:read']);
      const r = await t().gql(q, { u: userId, s: [{ key: 'region', value: 'us' }] }, reader);
      assert.deepEqual(r.body.data!.effectiveAttributes, [
        {
          key: 'region',
          value: 'us',
          source: 'TRANSIENT',
          overridden: [{ source: 'DATABASE', value: 'eu' }],
        },
      ]);
      const bad = await t().gql(q, { u: userId, s: [{ key: 'exp', value: '1' }] }, reader);
      assert.equal(bad.body.errors?.[0]?.extensions?.code, 'BAD_USER_INPUT');
      const ws = await t().gql('mutation { createWorkspace(input: { name: "Other" }) { workspace { id } } }');
      const otherWs = ws.body.data!.createWorkspace.workspace.id;
      const otherKey = await t().key(['iam:read'], otherWs);
      const bola = await t().gql(q, { u: userId }, otherKey);
      assert.equal(bola.body.errors?.[0]?.extensions?.code, 'NOT_FOUND');
      const missing = await t().gql(q, { u: 'usr_missing' }, reader);
      assert.equal(missing.body.errors?.[0]?.extensions?.code, 'NOT_FOUND');
      assert.deepEqual(
        { ...bola.body.errors[0], path: null, locations: null },
        { ...missing.body.errors[0], path: null, locations: null },
      );
      const noRead = await t().gql(q, { u: userId }, await t().key(['impersonate']));
      assert.equal(noRead.body.errors?.[0]?.extensions?.code, 'FORBIDDEN');
      // A session asking about another user, or passing its own session attributes: FORBIDDEN.
      const other = await userWithEmail(t(), 'ea2@acme.test');
      const token = (await impersonate(t(), 'ea@acme.test')).token!;
      assert.equal((await asSession(token, q, { u: other })).body.errors?.[0]?.extensions?.code, 'FORBIDDEN');
      assert.equal(
        (await asSession(token, q, { s: [{ key: 'region', value: 'x' }] })).body.errors?.[0]?.extensions
          ?.code,
        'FORBIDDEN',
      );
      const own = await asSession(token, q, { u: userId });
      assert.deepEqual(
        own.body.data!.effectiveAttributes.map((a: { value: string }) => a.value),
        ['eu'],
      );
    });

    it('a user of another workspace cannot be impersonated with this workspace key', async () => {
      const ws = await t().gql(
        'mutation { createWorkspace(input: { name: "Elsewhere" }) { workspace { id } } }',
      );
      const otherWs = ws.body.data!.createWorkspace.workspace.id;
      await t().gql('mutation($i: CreateUsersInput!) { createUsers(input: $i) { status { code } } }', {
        i: { emails: ['far@acme.test'], workspaceID: otherWs },
      });
      const r = await impersonate(t(), 'far@acme.test', { key: await t().key(['impersonate']) });
      assert.equal(r.body.errors?.[0]?.extensions?.code, 'NOT_FOUND');
      const there = await impersonate(t(), 'far@acme.test', { key: await t().key(['impersonate'], otherWs) });
      assert.equal(
        (await asSession(there.token!, '{ currentUser { workspaceId } }')).body.data!.currentUser.workspaceId,
        otherWs,
      );
    });

    it('exchangeAccessToken gives an API JWT with the key permissions that dies with the key', async () => {
      const keyToken = await t().key(['iam:read']);
      const x = await gqlFrom(t(), 'query($k: String!) { exchangeAccessToken(accessToken: $k) }', {
        k: keyToken,
      });
      const api = x.body.data!.exchangeAccessToken as string;
      const list = await asSession(api, '{ listUsers { id } }');
      assert.equal(list.status, 200);
      assert.ok(Array.isArray(list.body.data!.listUsers));
      const write = await asSession(
        api,
        'mutation { createUsers(input: { emails: ["x@acme.test"] }) { status { code } } }',
      );
      assert.equal(write.body.errors?.[0]?.extensions?.code, 'FORBIDDEN');
      await t().app.services.accessKeys.revoke(t().workspaceId, keyToken.split('_')[1]!, {
        requestId: null,
        ip: null,
        actorKeyId: null,
        actorUserId: null,
      });
      const after = await asSession(api, '{ listUsers { id } }');
      assert.equal(after.status, 401);
      assert.equal(after.text, UNAUTHORIZED_BODY);
      // An expired API token fails too.
      const fresh = (
        await gqlFrom(t(), 'query($k: String!) { exchangeAccessToken(accessToken: $k) }', { k: t().rootKey })
      ).body.data!.exchangeAccessToken;
      t().clock.advance((900 + 61) * 1000);
      assert.equal((await asSession(fresh, '{ listUsers { id } }')).status, 401);
    });
  });
}

const pgUrl = process.env.TEST_DATABASE_URL;
if (pgUrl) {
  describe('ending sessions and API tokens on one instance ends them on the other', () => {
    let s: Instances;
    before(async () => {
      s = await startInstances(pgUrl, 2);
    });
    after(async () => {
      await s?.close();
    });
    const origin = { requestId: null, ip: null, actorKeyId: null, actorUserId: null };
    const session = async (email: string) => {
      await s.apps[0]!.services.users.createUsers(s.workspaceId, { emails: [email] }, origin);
      const r = await s.gql(0, IMPERSONATE, { accessToken: s.rootKey, userEmail: email }, { token: null });
      return {
        token: r.body.data.impersonateUser as string,
        userId: decodeJwt(r.body.data.impersonateUser).payload.sub,
      };
    };
    const me = (i: number, token: string) => s.gql(i, CURRENT_USER, {}, { token });

    it('suspension, deletion and revokeSessions on instance 0 refuse the token on instance 1', async () => {
      const a = await session('a@two.test');
      const b = await session('b@two.test');
      const c = await session('c@two.test');
      for (const x of [a, b, c]) assert.equal((await me(1, x.token)).status, 200);
      await s.apps[0]!.services.users.setStatus(s.workspaceId, a.userId, 'SUSPENDED', origin);
      await s.apps[0]!.services.users.deleteUsers(s.workspaceId, [b.userId], origin);
      assert.equal((await me(1, a.token)).text, UNAUTHORIZED_BODY);
      assert.equal((await me(1, b.token)).text, UNAUTHORIZED_BODY);
      assert.equal((await me(1, c.token)).status, 200);
      await s.apps[0]!.services.sessions.revokeSessions(s.workspaceId, origin);
      assert.equal((await me(1, c.token)).text, UNAUTHORIZED_BODY);
    });

    it('a key revoked on instance 0 ends its API tokens on instance 1', async () => {
      const key = await s.key(['iam:read']);
      const x = await s.gql(
        1,
        'query($k: String!) { exchangeAccessToken(accessToken: $k) }',
        { k: key },
        { token: null },
      );
      const api = x.body.data.exchangeAccessToken as string;
      assert.equal((await s.gql(1, '{ listUsers { id } }', {}, { token: api })).status, 200);
      await s.apps[0]!.services.accessKeys.revoke(s.workspaceId, key.split('_')[1]!, origin);
      assert.equal((await s.gql(1, '{ listUsers { id } }', {}, { token: api })).text, UNAUTHORIZED_BODY);
    });
  });
}
