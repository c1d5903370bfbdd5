// A client written from the WisdomAI docs, run against Tessera on every backend: each request is
// sent as the docs send it, and each answer is checked against docs/api-contract.md. Every
// refused input is checked against the stored rows before and after.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  ADMIN,
  createUsers,
  deleteUsers,
  listUsers,
  rowCounts,
  setUserAttributes,
  VIEWER,
} from './helpers/api.ts';
import { startTestApp, type TestApp } from './helpers/app.ts';
import { testBackends } from './helpers/databases.ts';
import { impersonate } from './helpers/sessions.ts';

const DOCS_CREATE =
  'mutation CreateUsers($input: CreateUsersInput!) { createUsers(input: $input) { status { code message } } }';
const DOCS_SET =
  'mutation SetUserAttributes($input: SetUserAttributesInput!) { setUserAttributes(input: $input) { status { code message } } }';
const ROLE = (n: number) => `00000000-0000-0000-0000-${String(n).padStart(12, '0')}`;

let serial = 0;
const fresh = (tag = 'u') => `${tag}${++serial}.${Date.now().toString(36)}@docs.example`;

/** A raw POST /graphql, headers exactly as given. */
async function post(t: TestApp, body: unknown, headers: Record<string, string>) {
  const response = await t.app.fetch(
    new Request('http://tessera.test/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    }),
    { ip: '127.0.0.1' },
  );
  const text = await response.text();
  let json: any = null;
  try {
    json = JSON.parse(text);
  } catch {}
  return { status: response.status, headers: response.headers, json, text };
}

/** Every row of the user tables, to prove a refused call left them exactly as they were. */
async function snapshot(t: TestApp) {
  const db = t.app.services.db;
  const users = await db.selectFrom('users').selectAll().orderBy('id').execute();
  const attrs = await db
    .selectFrom('user_attributes')
    .selectAll()
    .orderBy('user_id')
    .orderBy('source')
    .orderBy('key')
    .execute();
  const roles = await db.selectFrom('user_role_assignments').selectAll().execute();
  const members = await db.selectFrom('group_members').selectAll().execute();
  const sortRows = (rows: unknown[]) => rows.map((r) => JSON.stringify(r)).sort();
  return {
    users: sortRows(users),
    attrs: sortRows(attrs),
    roles: sortRows(roles),
    members: sortRows(members),
  };
}

for (const backend of testBackends()) {
  describe(`a WisdomAI-docs client (${backend.name})`, () => {
    let t: TestApp;
    before(async () => {
      t = await startTestApp(backend);
    });
    after(async () => {
      await t.close();
    });

    const byEmail = async (email: string) =>
      (await listUsers(t)).users.find((u) => u.email.toLowerCase() === email.toLowerCase());

    test('the docs’ own createUsers and setUserAttributes requests succeed with the documented shape', async () => {
      const email = fresh('alice');
      const r = await t.gql(DOCS_CREATE, {
        input: {
          emails: [email],
          workspaceID: t.workspaceId,
          roleAssignments: [{ roleId: VIEWER, scopes: ['default'] }],
        },
      });
      assert.equal(r.status, 200);
      assert.deepEqual(Object.keys(r.body.data!.createUsers.status).sort(), ['code', 'message']);
      assert.equal(r.body.data!.createUsers.status.code, 'OK');
      const user = await byEmail(email);
      assert.ok(user);
      assert.deepEqual(user.roleAssignments, [
        { roleId: VIEWER, scopes: ['default'], inheritedFromGroupId: null },
      ]);
      assert.equal(user.name, email);
      assert.equal(user.profilePicture, '');
      assert.equal(user.lastActiveSessionTimestamp, null);
      assert.equal(user.isScimManaged, false);
      assert.equal(user.status, 'ACTIVE');
      assert.match(user.creationTimestamp, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/);
      const s = await t.gql(DOCS_SET, {
        input: {
          userId: user.id,
          userAttributes: [
            { key: 'account_id', value: 'acct_456' },
            { key: 'region', value: 'us-west' },
          ],
        },
      });
      assert.equal(s.body.data!.setUserAttributes.status.code, 'OK');
      const after = await byEmail(email);
      assert.deepEqual(after.userAttributes.map((a: any) => `${a.source}:${a.key}=${a.value}`).sort(), [
        'DATABASE:account_id=acct_456',
        'DATABASE:region=us-west',
      ]);
    });

    test('Authorization: the Bearer scheme in any case is accepted; other schemes and shapes are one 401 body', async () => {
      const q = { query: '{ listUsers { id } }' };
      for (const header of [`Bearer ${t.rootKey}`, `bearer ${t.rootKey}`, `BEARER ${t.rootKey}`]) {
        const r = await post(t, q, { authorization: header });
        assert.equal(r.status, 200, header.slice(0, 8));
        assert.ok(Array.isArray(r.json.data.listUsers));
      }
      const refused = [
        t.rootKey,
        `Basic ${t.rootKey}`,
        `Token ${t.rootKey}`,
        'Bearer',
        'Bearer ',
        `Bearer ${t.rootKey}x`,
        `Bearer ${t.rootKey.toUpperCase()}`,
        `Bearer ${t.rootKey} extra`,
      ];
      for (const header of refused) {
        const r = await post(t, q, { authorization: header });
        assert.equal(r.status, 401, header.slice(0, 12));
        assert.equal(r.headers.get('www-authenticate'), 'Bearer', header.slice(0, 12));
        assert.deepEqual(r.json, {
          errors: [{ message: 'Unauthorized', extensions: { code: 'UNAUTHENTICATED' } }],
          data: null,
        });
      }
      const none = await post(t, q, {});
      assert.equal(none.status, 401);
      assert.equal(none.headers.get('www-authenticate'), 'Bearer');
    });

    test('a valid key without the permission is 200 FORBIDDEN with null data, nothing written', async () => {
      const reader = await t.key(['iam:read']);
      const before = await snapshot(t);
      const r = await t.gql(DOCS_CREATE, { input: { emails: [fresh()] } }, reader);
      assert.equal(r.status, 200);
      assert.equal(r.body.data, null);
      assert.equal(r.body.errors![0]!.extensions!.code, 'FORBIDDEN');
      assert.deepEqual(await snapshot(t), before);
      const impersonator = await t.key(['impersonate']);
      const l = await t.gql('{ listUsers { id } }', {}, impersonator);
      assert.equal(l.status, 200);
      assert.equal(l.body.errors![0]!.extensions!.code, 'FORBIDDEN');
    });

    test('a 1000-email batch whose 900th email is bad writes nothing and names that item', async () => {
      const base = fresh('batch');
      const emails = Array.from({ length: 1000 }, (_, i) => base.replace('@', `.${i}@`));
      emails[899] = 'not an email';
      const before = await snapshot(t);
      const r = await createUsers(t, { emails, roleAssignments: [{ roleId: VIEWER, scopes: ['default'] }] });
      assert.equal(r.status, 200);
      assert.equal(r.payload.status.code, 'ERROR');
      assert.deepEqual(
        r.payload.status.problems.map((p) => p.field),
        ['emails[899]'],
      );
      assert.deepEqual(await snapshot(t), before);
      emails[899] = base.replace('@', '.899@');
      const ok = await createUsers(t, { emails });
      assert.equal(ok.payload.status.code, 'OK');
      assert.equal(ok.payload.results.length, 1000);
      assert.ok(ok.payload.results.every((x) => x.outcome === 'CREATED'));
    });

    test('1001 distinct emails are refused as one ERROR naming the limit; nothing written', async () => {
      const base = fresh('limit');
      const emails = Array.from({ length: 1001 }, (_, i) => base.replace('@', `.${i}@`));
      const before = await rowCounts(t);
      const r = await createUsers(t, { emails });
      assert.equal(r.status, 200);
      assert.equal(r.payload.status.code, 'ERROR');
      assert.ok(r.payload.status.errorCode);
      assert.deepEqual(await rowCounts(t), before);
    });

    test('a batch with one bad attribute or role names it, writes nothing, leaves existing users alone', async () => {
      const existing = fresh('keep');
      await createUsers(t, { emails: [existing], userAttributes: [{ key: 'tier', value: 'gold' }] });
      const before = await snapshot(t);
      const bad: Record<string, unknown>[] = [
        { userAttributes: [{ key: 'sub', value: 'x' }] },
        { userAttributes: [{ key: '1bad', value: 'x' }] },
        { userAttributes: [{ key: 'a', value: 'x'.repeat(4097) }] },
        {
          userAttributes: [
            { key: 'a', value: '1' },
            { key: 'a', value: '2' },
          ],
        },
        { userAttributes: Array.from({ length: 101 }, (_, i) => ({ key: `k${i}`, value: 'v' })) },
        { userAttributes: [{ key: 'a', value: 'nul\u0000byte' }] },
        { roleAssignments: [{ roleId: ROLE(5), scopes: ['default'] }] },
        { roleAssignments: [{ roleId: 'not-a-role', scopes: ['default'] }] },
        { roleAssignments: [{ roleId: VIEWER, scopes: [] }] },
        { roleAssignments: [{ roleId: VIEWER, scopes: ['no-such-domain'] }] },
        { roleAssignments: [{ roleId: ROLE(8), scopes: ['default'] }] },
        { userGroupIds: ['no-such-group'] },
        { workspaceID: 'no-such-workspace' },
      ];
      for (const extra of bad) {
        const r = await createUsers(t, { emails: [existing, fresh('new')], ...extra });
        assert.equal(r.status, 200, JSON.stringify(extra).slice(0, 80));
        assert.notEqual(r.payload.status.code, 'OK', JSON.stringify(extra).slice(0, 80));
        assert.ok(r.payload.status.errorCode, JSON.stringify(extra).slice(0, 80));
        assert.deepEqual(await snapshot(t), before, JSON.stringify(extra).slice(0, 80));
      }
    });

    test('limits are exact: a 4096-byte value, 100 keys, a 64-character key pass', async () => {
      const email = fresh('edge');
      const r = await createUsers(t, {
        emails: [email],
        userAttributes: [
          { key: 'big', value: 'é'.repeat(2048) },
          { key: `k${'x'.repeat(63)}`, value: 'v' },
          ...Array.from({ length: 98 }, (_, i) => ({ key: `k${i}`, value: 'v' })),
        ],
      });
      assert.equal(r.payload.status.code, 'OK', r.payload.status.message);
      assert.equal(r.payload.users[0].userAttributes.length, 100);
    });

    test('emails: case and surrounding whitespace match the stored user; plus tags are distinct users', async () => {
      const local = `Mixed${++serial}`;
      const email = `${local}@Docs.Example`;
      const first = await createUsers(t, { emails: [email] });
      assert.equal(first.payload.results[0]!.outcome, 'CREATED');
      const id = first.payload.results[0]!.userId;
      for (const variant of [email.toLowerCase(), email.toUpperCase(), `  ${email}\t`, `\n${email} `]) {
        const again = await createUsers(t, { emails: [variant] });
        assert.equal(again.payload.status.code, 'OK', JSON.stringify(variant));
        assert.equal(again.payload.results[0]!.userId, id, JSON.stringify(variant));
      }
      const tagged = await createUsers(t, {
        emails: [`${local}+t1@docs.example`, `${local}+t2@docs.example`, `${local}+T1@docs.example`],
      });
      const ids = new Set(tagged.payload.results.map((x) => x.userId));
      assert.equal(ids.size, 2, 'case collapses +T1 with +t1, and +t1/+t2 are two users');
      assert.ok(!ids.has(id));
      const all = (await listUsers(t)).users.filter((u) =>
        u.email.toLowerCase().startsWith(local.toLowerCase()),
      );
      assert.equal(all.length, 3);
    });

    test('unicode emails: one user per address whatever its case or normal form, or a clear refusal', async () => {
      const before = await rowCounts(t);
      const local = `jos\u00e9${++serial}`;
      const r = await createUsers(t, { emails: [`${local}@docs.example`] });
      if (r.payload.status.code !== 'OK') {
        assert.ok(r.payload.status.errorCode);
        assert.deepEqual(await rowCounts(t), before);
        return;
      }
      const id = r.payload.results[0]!.userId;
      for (const variant of [
        `${local.toUpperCase()}@docs.example`,
        `${local.normalize('NFD')}@docs.example`,
        `${local.toUpperCase().normalize('NFD')}@DOCS.EXAMPLE`,
      ]) {
        const again = await createUsers(t, { emails: [variant] });
        assert.equal(again.payload.status.code, 'OK', variant);
        assert.equal(again.payload.results[0]!.userId, id, `${JSON.stringify(variant)} is the same address`);
        const token = await impersonate(t, variant);
        assert.ok(token.token, `impersonateUser finds ${JSON.stringify(variant)}`);
      }
    });

    test('unicode whitespace around an email is trimmed, and an email made only of whitespace is refused', async () => {
      const email = fresh('space');
      await createUsers(t, { emails: [email] });
      const before = await snapshot(t);
      for (const variant of [`\u00a0${email}`, `${email}\u2003`, `\ufeff${email}`]) {
        const r = await createUsers(t, { emails: [variant] });
        if (r.payload.status.code === 'OK') {
          assert.equal(r.payload.results[0]!.outcome, 'UNCHANGED', JSON.stringify(variant));
        } else {
          assert.ok(r.payload.status.errorCode);
        }
        assert.deepEqual(await snapshot(t), before, JSON.stringify(variant));
      }
      for (const blank of ['', '   ', '\t\n']) {
        const r = await createUsers(t, { emails: [blank] });
        assert.equal(r.payload.status.code, 'ERROR');
        assert.deepEqual(await snapshot(t), before);
      }
    });

    test('an empty emails list is a clear answer, never a 500', async () => {
      const before = await rowCounts(t);
      const r = await createUsers(t, { emails: [] });
      assert.equal(r.status, 200);
      assert.ok(['OK', 'ERROR'].includes(r.payload.status.code));
      assert.deepEqual(await rowCounts(t), before);
    });

    test('createUsers is idempotent: the same call twice is UNCHANGED and stores nothing new', async () => {
      const input = {
        emails: [fresh('idem')],
        roleAssignments: [{ roleId: VIEWER, scopes: ['default'] }],
        userAttributes: [{ key: 'account_id', value: 'a1' }],
      };
      const one = await createUsers(t, input);
      assert.equal(one.payload.results[0]!.outcome, 'CREATED');
      const before = await snapshot(t);
      const two = await createUsers(t, input);
      assert.equal(two.payload.status.code, 'OK');
      assert.equal(two.payload.results[0]!.outcome, 'UNCHANGED');
      assert.deepEqual(await snapshot(t), before);
    });

    test('explicit null for an optional createUsers field is the same as leaving it out', async () => {
      const email = fresh('nulls');
      await createUsers(t, {
        emails: [email],
        roleAssignments: [{ roleId: VIEWER, scopes: ['default'] }],
        userAttributes: [{ key: 'account_id', value: 'a1' }],
      });
      const before = await snapshot(t);
      const r = await createUsers(t, {
        emails: [email],
        workspaceID: null,
        roleAssignments: null,
        userAttributes: null,
        userGroupIds: null,
        sendWelcomeEmail: null,
      });
      assert.equal(r.payload.status.code, 'OK', r.payload.status.message);
      assert.equal(r.payload.results[0]!.outcome, 'UNCHANGED');
      assert.deepEqual(await snapshot(t), before);
    });

    test('setUserAttributes: [] clears DATABASE, JWT kept; a bad input changes nothing and names the item', async () => {
      const email = fresh('attrs');
      const { payload } = await createUsers(t, {
        emails: [email],
        userAttributes: [{ key: 'region', value: 'eu' }],
      });
      const id = payload.results[0]!.userId;
      await t.app.services.users.setJwtAttributes(t.workspaceId, id, [{ key: 'region', value: 'sso' }], {
        requestId: null,
        ip: null,
        actorKeyId: null,
        actorUserId: null,
      });
      const before = await snapshot(t);
      for (const userAttributes of [
        [{ key: 'email', value: 'x' }],
        [
          { key: 'ok', value: 'v' },
          { key: 'bad key', value: 'v' },
        ],
        [
          { key: 'k', value: '1' },
          { key: 'k', value: '1' },
        ],
      ]) {
        const s = await setUserAttributes(t, id, userAttributes);
        assert.equal(s.status.code, 'ERROR');
        assert.ok(s.status.problems.length > 0);
        assert.deepEqual(await snapshot(t), before);
      }
      const missing = await setUserAttributes(t, '00000000-0000-0000-0000-000000000000', []);
      assert.equal(missing.status.code, 'NOT_FOUND');
      assert.equal(missing.status.message, 'User not found');
      const garbage = await setUserAttributes(t, "'; drop table users; --", []);
      assert.equal(garbage.status.code, 'NOT_FOUND');
      assert.deepEqual(await snapshot(t), before);
      const cleared = await setUserAttributes(t, id, []);
      assert.equal(cleared.status.code, 'OK');
      const user = await byEmail(email);
      assert.deepEqual(user.userAttributes, [{ key: 'region', value: 'sso', source: 'JWT' }]);
    });

    test('precedence for one key: transient > DATABASE > JWT in a session', async () => {
      const email = fresh('prec');
      const { payload } = await createUsers(t, {
        emails: [email],
        userAttributes: [{ key: 'region', value: 'db' }],
      });
      const id = payload.results[0]!.userId;
      await t.app.services.users.setJwtAttributes(
        t.workspaceId,
        id,
        [
          { key: 'region', value: 'jwt' },
          { key: 'team', value: 'jwt-team' },
        ],
        { requestId: null, ip: null, actorKeyId: null, actorUserId: null },
      );
      const q = '{ effectiveAttributes { key value source } }';
      const plain = await impersonate(t, email);
      const e1 = await t.gql(q, {}, plain.token!);
      assert.deepEqual(
        Object.fromEntries(
          e1.body.data!.effectiveAttributes.map((a: any) => [a.key, `${a.source}:${a.value}`]),
        ),
        { region: 'DATABASE:db', team: 'JWT:jwt-team' },
      );
      const withTransient = await impersonate(t, email, { attributes: [{ key: 'region', value: 'now' }] });
      const e2 = await t.gql(q, {}, withTransient.token!);
      const region = e2.body.data!.effectiveAttributes.find((a: any) => a.key === 'region');
      assert.equal(region.value, 'now');
      assert.equal(region.source, 'TRANSIENT');
      assert.deepEqual(
        (await byEmail(email)).userAttributes.length,
        3,
        'transient attributes are never stored',
      );
    });

    test('name follows display_name with the compat precedence: DATABASE over JWT, else the email', async () => {
      const origin = { requestId: null, ip: null, actorKeyId: null, actorUserId: null };
      const email = fresh('named');
      const { payload } = await createUsers(t, { emails: [email] });
      const id = payload.results[0]!.userId;
      const nameOf = async () => {
        const listed = (await byEmail(email)).name;
        const one = (await t.gql('query($id: ID!) { user(id: $id) { name } }', { id })).body.data!.user.name;
        const paged = (
          await t.gql(
            'query($p: String!) { users(filter: { emailPrefix: $p }) { edges { node { name } } } }',
            { p: email },
          )
        ).body.data!.users.edges[0].node.name;
        assert.equal(one, listed);
        assert.equal(paged, listed);
        return listed;
      };
      assert.equal(await nameOf(), email);
      await t.app.services.users.setJwtAttributes(
        t.workspaceId,
        id,
        [{ key: 'display_name', value: 'From SSO' }],
        origin,
      );
      assert.equal(await nameOf(), 'From SSO');
      await setUserAttributes(t, id, [{ key: 'display_name', value: 'From API' }]);
      assert.equal(await nameOf(), 'From API');
      await setUserAttributes(t, id, []);
      assert.equal(await nameOf(), 'From SSO');
    });

    test('impersonateUser: the docs’ request, the session token’s claims and lastActiveSessionTimestamp', async () => {
      const email = fresh('imp');
      await createUsers(t, { emails: [email] });
      const r = await t.gql(
        'mutation ImpersonateUser($accessToken: String!, $userEmail: String!) { impersonateUser(accessToken: $accessToken, userEmail: $userEmail) }',
        { accessToken: t.rootKey, userEmail: email },
        null,
      );
      assert.equal(r.status, 200);
      const token = r.body.data!.impersonateUser as string;
      const [h, p] = token
        .split('.')
        .slice(0, 2)
        .map((s) => JSON.parse(Buffer.from(s, 'base64url').toString()));
      assert.equal(h.typ, 'session+jwt');
      assert.ok(['ES256', 'EdDSA'].includes(h.alg));
      assert.equal(p.aud, 'tessera-session');
      assert.equal(p.iss, 'http://tessera.test');
      assert.equal(p.sub, p.impersonated_user_id);
      assert.equal(p.email, email);
      assert.equal(p.wid, t.workspaceId);
      assert.equal(p.exp - p.iat, 3600);
      assert.ok(p.jti);
      assert.ok(p.act?.sub);
      const me = await t.gql('{ currentUser { id email lastActiveSessionTimestamp } }', {}, token);
      assert.equal(me.body.data!.currentUser.email, email);
      assert.ok(me.body.data!.currentUser.lastActiveSessionTimestamp);
      const keyMe = await t.gql('{ currentUser { id } }');
      assert.equal(keyMe.body.data!.currentUser, null);
      const denied = await t.gql('{ listUsers { id } }', {}, token);
      assert.equal(denied.body.errors![0]!.extensions!.code, 'FORBIDDEN');
    });

    test('impersonateUser: unknown email NOT_FOUND, bad key UNAUTHENTICATED, reserved transient key refused', async () => {
      const email = fresh('imperr');
      await createUsers(t, { emails: [email] });
      const unknown = await impersonate(t, fresh('ghost'));
      assert.equal(unknown.body.errors![0]!.extensions!.code, 'NOT_FOUND');
      const bad = await impersonate(t, email, { key: `tsk_0000000000000000_${'A'.repeat(43)}` });
      assert.equal(bad.status, 401);
      assert.equal(bad.body.errors![0]!.extensions!.code, 'UNAUTHENTICATED');
      const noPerm = await impersonate(t, email, { key: await t.key(['iam:read']) });
      assert.ok(['UNAUTHENTICATED', 'FORBIDDEN'].includes(noPerm.body.errors![0]!.extensions!.code));
      for (const key of ['impersonated_user_id', 'sub', 'wid', 'exp']) {
        const r = await impersonate(t, email, { attributes: [{ key, value: 'x' }] });
        if (key === 'wid') continue;
        assert.ok(r.body.errors?.[0]?.extensions?.code, key);
        assert.equal(r.token ?? null, null, key);
      }
    });

    test('an access key argument that could never be a key (NUL, lone surrogate) is the one 401, not an input error', async () => {
      const email = fresh('nulkey');
      await createUsers(t, { emails: [email] });
      for (const accessToken of [`${t.rootKey}\u0000`, `tsk_\u0000_x`, `${t.rootKey.slice(0, -1)}\ud800`]) {
        for (const r of [
          await t.gql(
            'query($k: String!) { exchangeAccessToken(accessToken: $k) }',
            { k: accessToken },
            null,
          ),
          await t.gql(
            'mutation($k: String!, $e: String!) { impersonateUser(accessToken: $k, userEmail: $e) }',
            { k: accessToken, e: email },
            null,
          ),
        ]) {
          assert.equal(r.status, 401, JSON.stringify(r.body));
          assert.equal(r.headers.get('www-authenticate'), 'Bearer');
          assert.deepEqual(r.body, {
            errors: [{ message: 'Unauthorized', extensions: { code: 'UNAUTHENTICATED' } }],
            data: null,
          });
        }
      }
    });

    test('exchangeAccessToken: the docs’ request gives an API JWT that works as Bearer; a bad key is 401', async () => {
      const r = await t.gql(
        'query ExchangeAccessToken($accessKey: String!) { exchangeAccessToken(accessToken: $accessKey) }',
        { accessKey: t.rootKey },
        null,
      );
      assert.equal(r.status, 200);
      const jwt = r.body.data!.exchangeAccessToken as string;
      const l = await t.gql('{ listUsers { id } }', {}, jwt);
      assert.equal(l.status, 200);
      assert.ok(Array.isArray(l.body.data!.listUsers));
      const bad = await t.gql('query { exchangeAccessToken(accessToken: "nope") }', {}, null);
      assert.equal(bad.status, 401);
      assert.equal(bad.body.errors![0]!.extensions!.code, 'UNAUTHENTICATED');
      const again = await t.gql(
        'query($k: String!) { exchangeAccessToken(accessToken: $k) }',
        { k: jwt },
        null,
      );
      assert.equal(again.status, 401, 'an API JWT is not an access key');
    });

    test('deleteUsersFromWorkspace: atomic, repeated ids fine, unknown id NOT_FOUND, no orphan rows', async () => {
      const { payload } = await createUsers(t, {
        emails: [fresh('del'), fresh('del')],
        userAttributes: [{ key: 'a', value: '1' }],
        roleAssignments: [{ roleId: VIEWER, scopes: ['default'] }],
      });
      const [a, b] = payload.results.map((x) => x.userId) as [string, string];
      const before = await snapshot(t);
      const partial = await deleteUsers(t, [a, '00000000-0000-0000-0000-00000000dead']);
      assert.equal(partial.status.code, 'NOT_FOUND');
      assert.deepEqual(await snapshot(t), before);
      const empty = await deleteUsers(t, []);
      assert.equal(empty.status.code === 'OK' || empty.status.code === 'ERROR', true);
      assert.deepEqual(await snapshot(t), before);
      const ok = await deleteUsers(t, [a, b, a]);
      assert.equal(ok.status.code, 'OK', ok.status.message);
      const db = t.app.services.db;
      for (const table of ['user_attributes', 'user_role_assignments', 'group_members'] as const) {
        const rows = await db.selectFrom(table).select('user_id').where('user_id', 'in', [a, b]).execute();
        assert.deepEqual(rows, [], table);
      }
      const again = await deleteUsers(t, [a]);
      assert.equal(again.status.code, 'NOT_FOUND');
    });

    test('another workspace: its users are NOT_FOUND, naming it without site:admin is FORBIDDEN', async () => {
      const ws = await t.gql(
        'mutation { createWorkspace(input: { name: "other" }) { status { code } workspace { id } } }',
      );
      const otherId = ws.body.data!.createWorkspace.workspace.id as string;
      const otherKey = await t.key(['iam:write', 'impersonate'], otherId);
      const email = fresh('cross');
      const mine = await createUsers(t, { emails: [email] });
      const myId = mine.payload.results[0]!.userId;
      const before = await snapshot(t);
      assert.equal((await setUserAttributes(t, myId, [], otherKey)).status.code, 'NOT_FOUND');
      assert.equal((await deleteUsers(t, [myId], undefined, otherKey)).status.code, 'NOT_FOUND');
      const named = await createUsers(t, { emails: [fresh()], workspaceID: t.workspaceId }, otherKey);
      assert.ok(
        named.body.errors?.[0]?.extensions?.code === 'FORBIDDEN' || named.payload?.status.code !== 'OK',
        JSON.stringify(named.body),
      );
      const list = await listUsers(t, t.workspaceId, otherKey);
      assert.equal(list.body.errors![0]!.extensions!.code, 'FORBIDDEN');
      const imp = await impersonate(t, email, { key: otherKey });
      assert.equal(imp.body.errors![0]!.extensions!.code, 'NOT_FOUND');
      assert.deepEqual(await snapshot(t), before);
      // Same email in both workspaces: two users, each workspace sees its own.
      const twin = await createUsers(t, { emails: [email] }, otherKey);
      assert.equal(twin.payload.results[0]!.outcome, 'CREATED');
      assert.notEqual(twin.payload.results[0]!.userId, myId);
      const theirs = await listUsers(t, undefined, otherKey);
      assert.deepEqual(
        theirs.users.map((u) => u.email),
        [email],
      );
      const unknownWs = await listUsers(t, 'no-such-workspace');
      assert.equal(unknownWs.body.errors![0]!.extensions!.code, 'NOT_FOUND');
    });

    test('a workspace that does not exist, named by a site:admin key: NOT_FOUND "Workspace not found", never a 500', async () => {
      const { payload } = await createUsers(t, { emails: [fresh('nows')] });
      const userId = payload.results[0]!.userId;
      const before = await snapshot(t);
      const keysBefore = await t.app.services.db.selectFrom('access_keys').select('id').execute();
      const reads = [
        '{ listUsers(workspaceId: "no-such-ws") { id } }',
        '{ users(workspaceId: "no-such-ws") { totalCount } }',
        '{ userGroups(workspaceId: "no-such-ws") { id } }',
        '{ accessKeys(workspaceId: "no-such-ws") { id } }',
        '{ auditEvents(workspaceId: "no-such-ws") { edges { cursor } } }',
        '{ outboxMessages(workspaceId: "no-such-ws") { edges { cursor } } }',
        '{ attributeDefinitions(workspaceId: "no-such-ws") { key } }',
        '{ connections(workspaceId: "no-such-ws") { id } }',
        '{ domains(workspaceId: "no-such-ws") { id } }',
        '{ dashboards(workspaceId: "no-such-ws") { id } }',
      ];
      for (const q of reads) {
        const r = await t.gql(q);
        assert.equal(r.status, 200, q);
        assert.equal(r.body.errors?.[0]?.extensions?.code, 'NOT_FOUND', `${q}: ${JSON.stringify(r.body)}`);
        assert.equal(r.body.errors?.[0]?.message, 'Workspace not found', q);
      }
      const writes: [string, string][] = [
        [
          'createUserGroup',
          'mutation { createUserGroup(input: { workspaceId: "no-such-ws", name: "g" }) { status { code message } } }',
        ],
        [
          'createAccessKey',
          'mutation { createAccessKey(input: { workspaceId: "no-such-ws", permissions: ["iam:read"] }) { status { code message } } }',
        ],
        [
          'revokeAccessKey',
          'mutation { revokeAccessKey(input: { workspaceId: "no-such-ws", id: "k" }) { status { code message } } }',
        ],
        [
          'revokeSessions',
          'mutation { revokeSessions(workspaceId: "no-such-ws") { status { code message } } }',
        ],
        [
          'deleteUsersFromWorkspace',
          `mutation { deleteUsersFromWorkspace(input: { workspaceId: "no-such-ws", userIds: ["${userId}"] }) { status { code message } } }`,
        ],
        [
          'defineAttribute',
          'mutation { defineAttribute(input: { workspaceId: "no-such-ws", key: "k", type: STRING }) { status { code message } } }',
        ],
        [
          'createDomain',
          'mutation { createDomain(input: { workspaceId: "no-such-ws", name: "d" }) { status { code message } } }',
        ],
        [
          'updateWorkspaceEmbedSettings',
          'mutation { updateWorkspaceEmbedSettings(input: { workspaceId: "no-such-ws", allowedEmbedOrigins: [] }) { status { code message } } }',
        ],
      ];
      for (const [field, q] of writes) {
        const r = await t.gql(q);
        assert.equal(r.status, 200, field);
        const status = r.body.data?.[field]?.status;
        assert.ok(status, `${field}: ${JSON.stringify(r.body)}`);
        assert.notEqual(status.code, 'OK', field);
        assert.equal(status.message, 'Workspace not found', `${field}: ${JSON.stringify(status)}`);
      }
      assert.deepEqual(await snapshot(t), before);
      assert.deepEqual(await t.app.services.db.selectFrom('access_keys').select('id').execute(), keysBefore);
    });

    test('one createUsers call with bad items in every field names each of them', async () => {
      const before = await snapshot(t);
      const r = await createUsers(t, {
        emails: [fresh('ok'), 'broken', fresh('ok')],
        userAttributes: [{ key: 'aud', value: 'x' }],
        roleAssignments: [{ roleId: ROLE(99), scopes: ['default'] }],
        userGroupIds: ['grp_missing'],
      });
      assert.equal(r.payload.status.code, 'ERROR');
      const fields = r.payload.status.problems.map((p) => p.field);
      for (const f of [
        'emails[1]',
        'userAttributes[0].key',
        'roleAssignments[0].roleId',
        'userGroupIds[0]',
      ]) {
        assert.ok(fields.includes(f), `${f} in ${JSON.stringify(fields)}`);
      }
      assert.deepEqual(await snapshot(t), before);
    });

    test('expiry: an expiring access key, an API JWT and a session JWT stop working once expired', async () => {
      const email = fresh('exp');
      await createUsers(t, { emails: [email] });
      const c = await t.gql(
        'mutation($at: String!) { createAccessKey(input: { permissions: ["iam:read", "impersonate"], expiresAt: $at }) { status { code message } token } }',
        { at: new Date(t.clock.now().getTime() + 3_600_000).toISOString() },
      );
      const key = c.body.data!.createAccessKey.token as string;
      assert.ok(key, JSON.stringify(c.body));
      const jwt = (
        await t.gql('query($k: String!) { exchangeAccessToken(accessToken: $k) }', { k: key }, null)
      ).body.data!.exchangeAccessToken as string;
      const session = (await impersonate(t, email, { key })).token!;
      assert.equal((await listUsers(t, undefined, key)).status, 200);
      assert.equal((await listUsers(t, undefined, jwt)).status, 200);
      assert.equal((await t.gql('{ currentUser { id } }', {}, session)).status, 200);
      t.clock.advance(3_600_000 + 61_000);
      assert.equal((await listUsers(t, undefined, key)).status, 401, 'expired key');
      assert.equal((await listUsers(t, undefined, jwt)).status, 401, 'API JWT outlived');
      assert.equal((await t.gql('{ currentUser { id } }', {}, session)).status, 401, 'session outlived');
      assert.equal((await impersonate(t, email, { key })).status, 401);
    });

    test('a revoked key takes its API JWTs with it', async () => {
      const c = await t.gql(
        'mutation { createAccessKey(input: { permissions: ["iam:read"] }) { token accessKey { id } } }',
      );
      const { token, accessKey } = c.body.data!.createAccessKey;
      const jwt = (
        await t.gql('query($k: String!) { exchangeAccessToken(accessToken: $k) }', { k: token }, null)
      ).body.data!.exchangeAccessToken as string;
      assert.equal((await listUsers(t, undefined, jwt)).status, 200);
      await t.gql('mutation($id: ID!) { revokeAccessKey(input: { id: $id }) { status { code } } }', {
        id: accessKey.id,
      });
      assert.equal((await listUsers(t, undefined, jwt)).status, 401);
    });

    test('an iam:write key cannot mint a key with a permission it lacks', async () => {
      const writer = await t.key(['iam:write']);
      for (const perms of [['iam:read', 'impersonate'], ['data:admin'], ['scim']]) {
        const r = await t.gql(
          'mutation($p: [String!]!) { createAccessKey(input: { permissions: $p }) { status { code } token } }',
          { p: perms },
          writer,
        );
        const refused =
          r.body.errors?.[0]?.extensions?.code === 'FORBIDDEN' ||
          r.body.data?.createAccessKey.status.code !== 'OK';
        assert.ok(refused, JSON.stringify(perms));
        assert.equal(r.body.data?.createAccessKey?.token ?? null, null);
      }
    });

    test('racing addUsersToGroup against deleteUserGroup and setUserRoleAssignments against deleteUsers', async () => {
      for (let round = 0; round < 6; round++) {
        const g = await t.gql(
          `mutation { createUserGroup(input: { name: "${fresh('ag')}" }) { userGroup { id } } }`,
        );
        const groupId = g.body.data!.createUserGroup.userGroup.id as string;
        const { payload } = await createUsers(t, { emails: [fresh('ag'), fresh('ag')] });
        const [a, b] = payload.results.map((r) => r.userId) as [string, string];
        const rs = await Promise.all([
          t.gql(
            'mutation($g: ID!, $u: [ID!]!) { addUsersToGroup(input: { groupId: $g, userIds: $u }) { status { code } } }',
            {
              g: groupId,
              u: [a, b],
            },
          ),
          t.gql('mutation($g: ID!) { deleteUserGroup(input: { id: $g }) { status { code } } }', {
            g: groupId,
          }),
          t.gql(
            'mutation($u: ID!, $r: [RoleAssignmentInput!]!) { setUserRoleAssignments(input: { userId: $u, roleAssignments: $r }) { status { code } } }',
            { u: b, r: [{ roleId: ADMIN, scopes: [] }] },
          ),
          deleteUsers(t, [b]),
        ]);
        for (const r of rs) assert.equal(r.body.errors, undefined, JSON.stringify(r.body.errors));
        const db = t.app.services.db;
        assert.deepEqual(
          await db.selectFrom('group_members').selectAll().where('group_id', '=', groupId).execute(),
          [],
        );
        assert.deepEqual(
          await db.selectFrom('user_role_assignments').selectAll().where('user_id', '=', b).execute(),
          [],
        );
      }
    });

    test('sendWelcomeEmail: false by default; the same welcome call twice at once queues one email', async () => {
      const db = t.app.services.db;
      const quiet = fresh('quiet');
      await createUsers(t, { emails: [quiet] });
      assert.deepEqual(
        await db.selectFrom('outbox_messages').select('id').where('recipient', '=', quiet).execute(),
        [],
      );
      for (let round = 0; round < 4; round++) {
        const email = fresh('welcome');
        const input = { emails: [email], sendWelcomeEmail: true };
        const rs = await Promise.all([createUsers(t, input), createUsers(t, input), createUsers(t, input)]);
        for (const r of rs) assert.equal(r.payload.status.code, 'OK', JSON.stringify(r.body));
        const queued = await db.selectFrom('outbox_messages').select('recipient').execute();
        assert.equal(queued.filter((m) => m.recipient.toLowerCase() === email.toLowerCase()).length, 1);
      }
    });

    test('1001 entries that are 1000 distinct emails: the limit counts what the docs call emails, clearly', async () => {
      const base = fresh('dupes');
      const emails = Array.from({ length: 1000 }, (_, i) => base.replace('@', `.${i}@`));
      emails.push(emails[0]!.toUpperCase());
      const before = await rowCounts(t);
      const r = await createUsers(t, { emails });
      assert.ok(r.status === 200 || r.status === 400, String(r.status));
      const code = r.payload?.status.code ?? r.body.errors?.[0]?.extensions?.code;
      assert.ok(code, JSON.stringify(r.body).slice(0, 300));
      if (code !== 'OK') assert.deepEqual(await rowCounts(t), before);
      else assert.equal(r.payload.results.length, 1000);
    });

    test('roles: the built-in compat ids', async () => {
      const r = await t.gql('{ roles { id name } }');
      const ids = r.body.data!.roles.map((x: any) => x.id).sort();
      assert.deepEqual(ids, [1, 2, 3, 4, 7, 8, 9, 15].map(ROLE).sort());
      assert.equal(r.body.data!.roles.find((x: any) => x.id === ADMIN).name, 'ADMIN');
    });

    test('listUsers is ordered by email, case-insensitively and the same on every backend', async () => {
      const tag = `ord${++serial}`;
      const emails = [
        `${tag}b@x.example`,
        `${tag}A@x.example`,
        `${tag}a+1@x.example`,
        `${tag}_c@x.example`,
        `${tag}Z@x.example`,
      ];
      await createUsers(t, { emails });
      const listed = (await listUsers(t)).users.map((u) => u.email).filter((e: string) => e.startsWith(tag));
      const again = (await listUsers(t)).users.map((u) => u.email).filter((e: string) => e.startsWith(tag));
      assert.deepEqual(listed, again);
      assert.equal(listed.length, 5);
      const lowered = listed.map((e: string) => e.toLowerCase());
      assert.deepEqual(lowered, [...lowered].sort(), `${listed}`);
    });

    test('users pagination: bad first/after values are clear errors, first over 500 is refused or clamped', async () => {
      const q =
        'query($first: Int, $after: String) { users(first: $first, after: $after) { edges { cursor } pageInfo { hasNextPage endCursor } totalCount } }';
      for (const vars of [
        { first: -1 },
        { first: 0 },
        { after: 'garbage' },
        { after: '' },
        { first: 2 ** 31 - 1 },
      ]) {
        const r = await t.gql(q, vars);
        assert.ok(r.status < 500, JSON.stringify(vars));
        if (r.body.errors) assert.ok(r.body.errors[0]!.extensions?.code, JSON.stringify(vars));
        else assert.ok(r.body.data!.users.edges.length <= 500, JSON.stringify(vars));
      }
    });

    test('access keys: created once shown once, listed without secrets, escalation refused, revocation immediate', async () => {
      const writer = await t.key(['iam:write']);
      const stronger = await t.gql(
        'mutation { createAccessKey(input: { permissions: ["site:admin"] }) { status { code errorCode } token } }',
        {},
        writer,
      );
      const sc = stronger.body.data?.createAccessKey;
      assert.ok(stronger.body.errors?.[0]?.extensions?.code === 'FORBIDDEN' || sc.status.code !== 'OK');
      assert.equal(sc?.token ?? null, null);
      const c = await t.gql(
        'mutation { createAccessKey(input: { permissions: ["iam:read"], name: "ro" }) { status { code } token accessKey { id permissions } } }',
        {},
        writer,
      );
      const created = c.body.data!.createAccessKey;
      assert.equal(created.status.code, 'OK');
      assert.match(created.token, /^tsk_[0-9a-z]+_[A-Za-z0-9_-]{43,}$/);
      const listed = await t.gql('{ accessKeys { id name permissions } }');
      // The secret is base64url and may itself hold '_': it is everything after the key id.
      const secret = created.token.slice(created.token.indexOf('_', 'tsk_'.length) + 1);
      assert.ok(secret.length >= 43);
      assert.ok(!JSON.stringify(listed.body).includes(secret));
      const badPerm = await t.gql(
        'mutation { createAccessKey(input: { permissions: ["iam:everything"] }) { status { code errorCode } token } }',
      );
      assert.equal(badPerm.body.data!.createAccessKey.status.code, 'ERROR');
      assert.equal(badPerm.body.data!.createAccessKey.token, null);
      assert.equal((await listUsers(t, undefined, created.token)).status, 200);
      const rv = await t.gql(
        'mutation($id: ID!) { revokeAccessKey(input: { id: $id }) { status { code } } }',
        {
          id: created.accessKey.id,
        },
      );
      assert.equal(rv.body.data!.revokeAccessKey.status.code, 'OK');
      assert.equal((await listUsers(t, undefined, created.token)).status, 401);
      const unknown = await t.gql('mutation { revokeAccessKey(input: { id: "nope" }) { status { code } } }');
      assert.equal(unknown.body.data!.revokeAccessKey.status.code, 'NOT_FOUND');
    });

    test('groups: created, members inherit roles, unknown ids are NOT_FOUND, bad input names the item', async () => {
      const g = await t.gql(
        'mutation($r: [RoleAssignmentInput!]) { createUserGroup(input: { name: "g1", roleAssignments: $r }) { status { code } userGroup { id } } }',
        { r: [{ roleId: VIEWER, scopes: ['default'] }] },
      );
      const groupId = g.body.data!.createUserGroup.userGroup.id;
      const email = fresh('grp');
      await createUsers(t, { emails: [email], userGroupIds: [groupId] });
      const user = await byEmail(email);
      assert.deepEqual(user.roleAssignments, [
        { roleId: VIEWER, scopes: ['default'], inheritedFromGroupId: groupId },
      ]);
      const before = await snapshot(t);
      const add = await t.gql(
        'mutation($g: ID!, $u: [ID!]!) { addUsersToGroup(input: { groupId: $g, userIds: $u }) { status { code } } }',
        {
          g: groupId,
          u: [user.id, 'nobody'],
        },
      );
      assert.notEqual(add.body.data!.addUsersToGroup.status.code, 'OK');
      const noGroup = await t.gql(
        'mutation($u: [ID!]!) { addUsersToGroup(input: { groupId: "nope", userIds: $u }) { status { code } } }',
        {
          u: [user.id],
        },
      );
      assert.equal(noGroup.body.data!.addUsersToGroup.status.code, 'NOT_FOUND');
      const badRole = await t.gql(
        'mutation { createUserGroup(input: { name: "g2", roleAssignments: [{ roleId: "x", scopes: [] }] }) { status { code } userGroup { id } } }',
      );
      assert.equal(badRole.body.data!.createUserGroup.status.code, 'ERROR');
      assert.deepEqual(await snapshot(t), before);
      const del = await t.gql(
        'mutation($g: ID!) { deleteUserGroup(input: { id: $g }) { status { code } } }',
        { g: groupId },
      );
      assert.equal(del.body.data!.deleteUserGroup.status.code, 'OK');
      assert.deepEqual((await byEmail(email)).roleAssignments, []);
    });

    test('racing createUsers(userGroupIds) against deleteUserGroup: a serial outcome, never a 500', async () => {
      for (let round = 0; round < 6; round++) {
        const g = await t.gql('mutation { createUserGroup(input: { name: "race" }) { userGroup { id } } }');
        const groupId = g.body.data!.createUserGroup.userGroup.id;
        const emails = [fresh('rg'), fresh('rg')];
        const [c, d] = await Promise.all([
          createUsers(t, { emails, userGroupIds: [groupId] }),
          t.gql('mutation($g: ID!) { deleteUserGroup(input: { id: $g }) { status { code } } }', {
            g: groupId,
          }),
        ]);
        assert.equal(c.status, 200, JSON.stringify(c.body));
        assert.equal(d.status, 200, JSON.stringify(d.body));
        assert.equal(c.body.errors, undefined, JSON.stringify(c.body.errors));
        assert.equal(d.body.data!.deleteUserGroup.status.code, 'OK');
        const members = await t.app.services.db
          .selectFrom('group_members')
          .selectAll()
          .where('group_id', '=', groupId)
          .execute();
        assert.deepEqual(members, []);
        const made = (await listUsers(t)).users.filter((u) => emails.includes(u.email));
        assert.ok(made.length === 0 || made.length === 2, 'both users or neither');
        if (c.payload.status.code === 'OK') assert.equal(made.length, 2);
        else assert.equal(made.length, 0);
      }
    });

    test('racing deleteUsersFromWorkspace against setUserAttributes and addUsersToGroup: serial outcomes only', async () => {
      const g = await t.gql('mutation { createUserGroup(input: { name: "race2" }) { userGroup { id } } }');
      const groupId = g.body.data!.createUserGroup.userGroup.id;
      for (let round = 0; round < 6; round++) {
        const { payload } = await createUsers(t, {
          emails: [fresh('rd')],
          userAttributes: [{ key: 'a', value: 'old' }],
        });
        const id = payload.results[0]!.userId;
        const [del, set, add] = await Promise.all([
          deleteUsers(t, [id]),
          setUserAttributes(t, id, [
            { key: 'a', value: 'new' },
            { key: 'b', value: 'new' },
          ]),
          t.gql(
            'mutation($g: ID!, $u: [ID!]!) { addUsersToGroup(input: { groupId: $g, userIds: $u }) { status { code } } }',
            {
              g: groupId,
              u: [id],
            },
          ),
        ]);
        for (const r of [del, set, add])
          assert.equal(r.body.errors, undefined, JSON.stringify(r.body.errors));
        assert.equal(del.status.code, 'OK');
        assert.ok(['OK', 'NOT_FOUND'].includes(set.status.code));
        assert.ok(['OK', 'NOT_FOUND'].includes(add.body.data!.addUsersToGroup.status.code));
        const db = t.app.services.db;
        assert.deepEqual(await db.selectFrom('users').select('id').where('id', '=', id).execute(), []);
        assert.deepEqual(
          await db.selectFrom('user_attributes').select('key').where('user_id', '=', id).execute(),
          [],
        );
        assert.deepEqual(
          await db.selectFrom('group_members').select('user_id').where('user_id', '=', id).execute(),
          [],
        );
      }
    });

    test('createUsers re-applied to users being deleted at that moment: a serial outcome, never a 500', async () => {
      for (let round = 0; round < 12; round++) {
        const emails = Array.from({ length: 5 }, () => fresh('redel'));
        const made = await createUsers(t, {
          emails,
          roleAssignments: [{ roleId: VIEWER, scopes: ['default'] }],
        });
        const oldIds = made.payload.results.map((r) => r.userId);
        const doomed = oldIds.slice(0, 3);
        const [del, again] = await Promise.all([
          deleteUsers(t, doomed),
          createUsers(t, { emails, userAttributes: [{ key: 'round', value: String(round) }] }),
        ]);
        assert.equal(again.body.errors, undefined, JSON.stringify(again.body.errors));
        assert.equal(del.status.code, 'OK');
        assert.equal(again.payload.status.code, 'OK');
        const byId = new Map(again.payload.results.map((r) => [r.email.toLowerCase(), r]));
        const recreated = emails.slice(0, 3).map((e) => byId.get(e.toLowerCase())!);
        const deleteFirst = recreated.every((r) => r.outcome === 'CREATED' && !doomed.includes(r.userId));
        const createFirst = recreated.every((r, i) => r.userId === doomed[i]);
        assert.ok(deleteFirst || createFirst, JSON.stringify(recreated));
        const now = new Map((await listUsers(t)).users.map((u) => [u.email.toLowerCase(), u]));
        for (const e of emails.slice(0, 3)) assert.equal(now.has(e.toLowerCase()), deleteFirst, e);
        for (const e of emails.slice(3)) {
          assert.deepEqual(now.get(e.toLowerCase())!.userAttributes, [
            { key: 'round', value: String(round), source: 'DATABASE' },
          ]);
        }
      }
    });

    test('racing a role scoped to a domain against deleting that domain: never a scope left naming no domain', async () => {
      for (let round = 0; round < 8; round++) {
        const d = await t.gql(
          'mutation($n: String!) { createDomain(input: { name: $n }) { domain { id } } }',
          {
            n: `race-${serial++}`,
          },
        );
        const domainId = d.body.data!.createDomain.domain.id as string;
        const g = await t.gql(
          `mutation { createUserGroup(input: { name: "${fresh('dg')}" }) { userGroup { id } } }`,
        );
        const groupId = g.body.data!.createUserGroup.userGroup.id as string;
        const [made, grouped, removed] = await Promise.all([
          createUsers(t, {
            emails: [fresh('scoped')],
            roleAssignments: [{ roleId: VIEWER, scopes: [domainId] }],
          }),
          t.gql(
            'mutation($g: ID!, $r: [RoleAssignmentInput!]) { updateUserGroup(input: { id: $g, roleAssignments: $r }) { status { code } } }',
            { g: groupId, r: [{ roleId: VIEWER, scopes: [domainId] }] },
          ),
          t.gql('mutation($id: ID!) { deleteDomain(input: { id: $id }) { status { code message } } }', {
            id: domainId,
          }),
        ]);
        for (const r of [made, grouped, removed])
          assert.equal(r.body.errors, undefined, JSON.stringify(r.body.errors));
        const domainGone = removed.body.data!.deleteDomain.status.code === 'OK';
        const db = t.app.services.db;
        const userScopes = await db.selectFrom('user_role_assignments').select('scopes').execute();
        const groupScopes = await db.selectFrom('group_role_assignments').select('scopes').execute();
        const naming = [...userScopes, ...groupScopes].filter((r) =>
          (r.scopes as string[]).includes(domainId),
        );
        if (domainGone) assert.deepEqual(naming, [], 'the domain was deleted while assignments named it');
        else
          assert.ok(
            made.payload.status.code === 'OK' || grouped.body.data!.updateUserGroup.status.code === 'OK',
          );
      }
    });

    test('the same createUsers sent twice at once: one user, one CREATED and one UNCHANGED/UPDATED', async () => {
      for (let round = 0; round < 5; round++) {
        const email = fresh('twice');
        const input = { emails: [email, email.toUpperCase()], userAttributes: [{ key: 'a', value: '1' }] };
        const [x, y] = await Promise.all([createUsers(t, input), createUsers(t, input)]);
        assert.equal(x.payload.status.code, 'OK', JSON.stringify(x.body));
        assert.equal(y.payload.status.code, 'OK', JSON.stringify(y.body));
        const outcomes = [x.payload.results[0]!.outcome, y.payload.results[0]!.outcome].sort();
        assert.equal(outcomes[0], 'CREATED');
        assert.notEqual(outcomes[1], 'CREATED');
        assert.equal(x.payload.results[0]!.userId, y.payload.results[0]!.userId);
        const n = (await listUsers(t)).users.filter((u) => u.email.toLowerCase() === email.toLowerCase());
        assert.equal(n.length, 1);
      }
    });

    test('transport: the docs’ curl headers (Accept */*, charset variants) get JSON; 401 keeps its body under any Accept', async () => {
      const body = { query: '{ listUsers { id } }', variables: {} };
      const variants: Record<string, string>[] = [
        { accept: '*/*' },
        { 'content-type': 'application/json; charset=utf-8' },
        { 'content-type': 'Application/JSON; charset=UTF-8' },
        { accept: 'application/graphql-response+json' },
      ];
      for (const headers of variants) {
        const r = await post(t, body, { authorization: `Bearer ${t.rootKey}`, ...headers });
        assert.equal(r.status, 200, JSON.stringify(headers));
        assert.match(r.headers.get('content-type') ?? '', /json/);
        assert.ok(Array.isArray(r.json.data.listUsers), JSON.stringify(headers));
        assert.ok(r.headers.get('x-request-id'));
      }
      for (const accept of ['*/*', 'application/graphql-response+json', 'application/json']) {
        const r = await post(t, body, { accept });
        assert.equal(r.status, 401, accept);
        assert.equal(r.json.errors[0].extensions.code, 'UNAUTHENTICATED', accept);
      }
    });

    test('transport: batched array bodies, wrong content types and bad JSON are 4xx with a code', async () => {
      const auth = { authorization: `Bearer ${t.rootKey}` };
      const batch = await post(t, [{ query: '{ roles { id } }' }, { query: '{ roles { id } }' }], auth);
      assert.ok(batch.status < 500, batch.text);
      const text = await t.app.fetch(
        new Request('http://tessera.test/graphql', {
          method: 'POST',
          headers: { 'content-type': 'text/plain', ...auth },
          body: JSON.stringify({ query: DOCS_CREATE, variables: { input: { emails: [fresh()] } } }),
        }),
        { ip: '127.0.0.1' },
      );
      assert.ok(text.status >= 400 && text.status < 500);
      const broken = await post(t, '{"query": ', auth);
      assert.equal(broken.status, 400);
      assert.ok(broken.json.errors[0].extensions.code);
      const parse = await post(t, { query: 'mutation { createUsers(' }, auth);
      assert.equal(parse.status, 400);
      assert.equal(parse.json.errors[0].extensions.code, 'BAD_REQUEST');
      const wrongEnum = await post(
        t,
        {
          query:
            'mutation { createUsers(input: { emails: ["a@b.example"], sendWelcomeEmail: "yes" }) { status { code } } }',
        },
        auth,
      );
      assert.equal(wrongEnum.status, 400);
      const unknownField = await post(
        t,
        { query: DOCS_CREATE, variables: { input: { emails: ['a@b.example'], displayName: 'x' } } },
        auth,
      );
      assert.ok(unknownField.status >= 400 && unknownField.status < 500);
      assert.ok(unknownField.json.errors[0].extensions.code);
    });
  });
}
