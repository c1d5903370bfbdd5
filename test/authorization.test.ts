import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { UNAUTHORIZED_BODY } from '../src/graphql/errors.ts';
import { createUsers, deleteUsers, listUsers, setUserAttributes } from './helpers/api.ts';
import { useTestApp } from './helpers/app.ts';
import { testBackends } from './helpers/databases.ts';

for (const backend of testBackends()) {
  describe(`authentication and authorization (${backend.name})`, () => {
    const t = useTestApp(backend);

    it('every bad credential gets the same 401 body, and a failed authentication is audited', async () => {
      const valid = t().rootKey;
      const [keyId] = valid.slice(4).split('_');
      const tokens = [
        'garbage',
        `${valid}x`,
        `tsk_${keyId}_${'A'.repeat(43)}`,
        `tsk_0000000000000000_${'A'.repeat(43)}`,
        'tsk_',
        'a.b.c',
        'x'.repeat(9000),
      ];
      for (const token of tokens) {
        const r = await t().app.fetch(
          new Request('http://tessera.test/graphql', {
            method: 'POST',
            headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
            body: JSON.stringify({ query: '{ listUsers { id } }' }),
          }),
        );
        assert.equal(r.status, 401, token.slice(0, 30));
        assert.equal(r.headers.get('www-authenticate'), 'Bearer');
        assert.equal(await r.text(), UNAUTHORIZED_BODY);
      }
      const noScheme = await t().app.fetch(
        new Request('http://tessera.test/graphql', {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: valid },
          body: '{"query":"{ listUsers { id } }"}',
        }),
      );
      assert.equal(noScheme.status, 401);
      const audit = await t().gql(
        `{ auditEvents(first: 50, filter: { action: "auth.failure" }) { edges { node { outcome actorKeyId } } } }`,
      );
      const failures = audit.body.data!.auditEvents.edges.map((e: any) => e.node);
      assert.ok(
        failures.some((f: any) => f.actorKeyId === keyId && f.outcome === 'FAILURE'),
        'a wrong secret for a real key id is recorded in its workspace',
      );
    });

    it('no credential on an operation that needs one is the same 401', async () => {
      const r = await t().gql('{ listUsers { id } }', {}, null);
      assert.equal(r.status, 401);
      assert.deepEqual(r.body, JSON.parse(UNAUTHORIZED_BODY));
    });

    it('a valid key without the permission gets FORBIDDEN with null data, HTTP 200', async () => {
      const reader = await t().key(['iam:read']);
      const r = await createUsers(t(), { emails: ['nope@x.com'] }, reader);
      assert.equal(r.status, 200);
      assert.equal(r.body.data, null);
      assert.equal(r.body.errors![0]!.extensions!.code, 'FORBIDDEN');
      assert.equal((await listUsers(t(), undefined, reader)).status, 200, 'iam:read may list');
      const impersonateOnly = await t().key(['impersonate']);
      const list = await listUsers(t(), undefined, impersonateOnly);
      assert.equal(list.body.errors![0]!.extensions!.code, 'FORBIDDEN');
    });

    it('records key use at most once a minute per key, with the caller ip', async () => {
      const key = await t().key(['iam:read']);
      const id = key.slice(4).split('_')[0]!;
      for (let i = 0; i < 3; i++) await listUsers(t(), undefined, key);
      const uses = async () =>
        (
          await t().gql(
            `query($id: ID) { auditEvents(first: 50, filter: { action: "accessKey.use", actorKeyId: $id }) { edges { node { ip } } } }`,
            { id },
          )
        ).body.data!.auditEvents.edges;
      assert.equal((await uses()).length, 1);
      assert.equal((await uses())[0].node.ip, '127.0.0.1');
      t().clock.advance(61_000);
      await listUsers(t(), undefined, key);
      assert.equal((await uses()).length, 2);
    });

    it('a revoked key is refused on the next request', async () => {
      const key = await t().key(['iam:read']);
      assert.equal((await listUsers(t(), undefined, key)).status, 200);
      const id = key.slice(4).split('_')[0]!;
      const revoke = await t().gql(
        `mutation($id: ID!) { revokeAccessKey(input: { id: $id }) { status { code } } }`,
        { id },
      );
      assert.equal(revoke.body.data!.revokeAccessKey.status.code, 'OK');
      assert.equal((await listUsers(t(), undefined, key)).status, 401);
    });

    it('an expired key is refused', async () => {
      const ws = t().workspaceId;
      const { token } = await t().app.services.accessKeys.create(
        {
          workspaceId: ws,
          name: 'short',
          permissions: ['iam:read'],
          expiresAt: new Date(t().clock.now().getTime() + 60_000),
        },
        null,
      );
      assert.equal((await listUsers(t(), undefined, token)).status, 200);
      t().clock.advance(61_000);
      assert.equal((await listUsers(t(), undefined, token)).status, 401);
    });

    it("BOLA: another workspace's user id behaves exactly like an unknown id", async () => {
      const other = await t().app.services.workspaces.create('Other', {
        requestId: null,
        ip: null,
        actorKeyId: null,
        actorUserId: null,
      });
      const otherKey = await t().key(['iam:read', 'iam:write'], other.id);
      const theirs = await createUsers(
        t(),
        { emails: ['victim@other.test'], userAttributes: [{ key: 'tenant', value: 'other' }] },
        otherKey,
      );
      const victimId = theirs.payload.results[0]!.userId;
      const mine = await t().key(['iam:read', 'iam:write']);

      const unknown = await setUserAttributes(t(), 'usr_unknown', [{ key: 'tenant', value: 'mine' }], mine);
      const foreign = await setUserAttributes(t(), victimId, [{ key: 'tenant', value: 'mine' }], mine);
      assert.deepEqual(foreign.status, unknown.status);
      const delUnknown = await deleteUsers(t(), ['usr_unknown'], undefined, mine);
      const delForeign = await deleteUsers(t(), [victimId], undefined, mine);
      assert.deepEqual(
        { ...delForeign.status, message: '', problems: [] },
        { ...delUnknown.status, message: '', problems: [] },
      );
      const user = await t().gql('query($id: ID!) { user(id: $id) { id } }', { id: victimId }, mine);
      assert.equal(user.body.data!.user, null);
      const stillThere = await listUsers(t(), undefined, otherKey);
      assert.deepEqual(
        stillThere.users[0].userAttributes.map((a: any) => a.value),
        ['other'],
      );

      const crossList = await listUsers(t(), other.id, mine);
      assert.equal(crossList.body.errors![0]!.extensions!.code, 'FORBIDDEN');
      const crossCreate = await createUsers(t(), { emails: ['x@y.com'], workspaceID: other.id }, mine);
      assert.equal(crossCreate.body.errors![0]!.extensions!.code, 'FORBIDDEN');
      const admin = await listUsers(t(), other.id);
      assert.equal(admin.users.length, 1, 'site:admin may act on any workspace');
      const missing = await listUsers(t(), 'ws_missing');
      assert.equal(missing.body.errors![0]!.extensions!.code, 'NOT_FOUND');
    });

    it('a key may not mint a stronger key; site:admin may', async () => {
      const writer = await t().key(['iam:read', 'iam:write']);
      const mint = (permissions: string[], token?: string) =>
        t().gql(
          `mutation($p: [String!]!) { createAccessKey(input: { permissions: $p, name: "k" }) { status { code errorCode } token accessKey { id permissions } } }`,
          { p: permissions },
          token,
        );
      const stronger = await mint(['site:admin'], writer);
      assert.equal(stronger.body.errors![0]!.extensions!.code, 'FORBIDDEN');
      const weaker = await mint(['iam:read'], writer);
      assert.match(weaker.body.data!.createAccessKey.token, /^tsk_[0-9a-z]{16}_[A-Za-z0-9_-]{43}$/);
      const unknown = await mint(['iam:everything']);
      assert.equal(unknown.body.data!.createAccessKey.status.errorCode, 'BAD_USER_INPUT');
      const keys = await t().gql('{ accessKeys { id permissions } }');
      assert.ok(!JSON.stringify(keys.body).includes('secret'));
    });
  });
}

describe('transport rules (pglite)', () => {
  const t = useTestApp(testBackends()[0]!);
  const post = (body: string, contentType: string) =>
    t().app.fetch(
      new Request('http://tessera.test/graphql', {
        method: 'POST',
        headers: { 'content-type': contentType, authorization: `Bearer ${t().rootKey}` },
        body,
      }),
    );

  it('refuses mutations over GET, and form, multipart and text/plain POSTs (CSRF)', async () => {
    const query = encodeURIComponent(
      'mutation { createUsers(input: { emails: ["get@x.com"] }) { status { code } } }',
    );
    const get = await t().app.fetch(
      new Request(`http://tessera.test/graphql?query=${query}`, {
        headers: { authorization: `Bearer ${t().rootKey}` },
      }),
    );
    assert.equal(get.status, 405);
    for (const type of [
      'text/plain',
      'application/x-www-form-urlencoded',
      'multipart/form-data; boundary=x',
    ]) {
      const r = await post('{"query":"{ health }"}', type);
      assert.equal(r.status, 415, type);
    }
    const users = await t().app.services.db.selectFrom('users').select('id').execute();
    assert.equal(users.length, 0);
  });

  it('answers malformed JSON and bad GraphQL with 400 and BAD_REQUEST, without stack traces or paths', async () => {
    for (const body of ['{not json', '{"query":"{ listUsers { id }"}', '{"query":"{ nope }"}']) {
      const r = await post(body, 'application/json');
      const text = await r.text();
      assert.equal(r.status, 400, body);
      assert.match(text, /BAD_REQUEST|GRAPHQL/);
      assert.doesNotMatch(text, /\/work\/|node_modules|at .+\.ts:\d+/);
    }
  });

  it('limits depth and aliases', async () => {
    const deep = `{ listUsers { ${'userGroups { members { '.repeat(7)}id${' } }'.repeat(7)} } }`;
    const r = await post(JSON.stringify({ query: deep }), 'application/json');
    assert.notEqual(r.status, 200);
    const aliases = `{ ${Array.from({ length: 40 }, (_, i) => `a${i}: health`).join(' ')} }`;
    const r2 = await post(JSON.stringify({ query: aliases }), 'application/json');
    assert.notEqual(r2.status, 200);
  });

  it('does not batch: an array of operations is refused', async () => {
    const r = await post(
      JSON.stringify([{ query: '{ health }' }, { query: '{ health }' }]),
      'application/json',
    );
    assert.equal(r.status, 400);
  });

  it('sends no CORS grant to an origin that is not configured', async () => {
    const r = await t().app.fetch(
      new Request('http://tessera.test/graphql', {
        method: 'OPTIONS',
        headers: {
          origin: 'https://evil.test',
          'access-control-request-method': 'POST',
          'access-control-request-headers': 'authorization,content-type',
        },
      }),
    );
    assert.equal(r.headers.get('access-control-allow-origin'), null);
  });

  it('serves health checks', async () => {
    const r = await t().app.fetch(new Request('http://tessera.test/healthz'));
    assert.equal(r.status, 200);
  });
});

describe('production hardening (pglite)', () => {
  const t = useTestApp(testBackends()[0]!, {
    env: {
      NODE_ENV: 'production',
      TESSERA_INTROSPECTION: 'false',
      TESSERA_CORS_ORIGINS: 'https://app.example.test',
    },
  });

  it('turns introspection off and does not suggest field names', async () => {
    const intro = await t().gql('{ __schema { types { name } } }');
    assert.equal(intro.status, 400);
    const typo = await t().gql('{ listUser { id } }');
    assert.doesNotMatch(JSON.stringify(typo.body), /Did you mean/);
  });

  it('grants CORS to configured origins only', async () => {
    const preflight = (origin: string) =>
      t().app.fetch(
        new Request('http://tessera.test/graphql', {
          method: 'OPTIONS',
          headers: {
            origin,
            'access-control-request-method': 'POST',
            'access-control-request-headers': 'authorization,content-type',
          },
        }),
      );
    assert.equal(
      (await preflight('https://app.example.test')).headers.get('access-control-allow-origin'),
      'https://app.example.test',
    );
    assert.notEqual(
      (await preflight('https://evil.test')).headers.get('access-control-allow-origin'),
      'https://evil.test',
    );
  });
});
