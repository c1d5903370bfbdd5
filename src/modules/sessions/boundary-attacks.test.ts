import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { startTestApp, type TestApp, useTestApp } from '../../../test/helpers/app.ts';
import { testBackends } from '../../../test/helpers/databases.ts';
import { gqlFrom, impersonate, userWithEmail } from '../../../test/helpers/sessions.ts';
import { UNAUTHORIZED_BODY } from '../../graphql/errors.ts';

/**
 * Attacks on the one HTTP boundary (docs/api-contract.md §1, docs/sessions.md "Starting a session", docs/security.md): every token
 * failure gets the one 401 body whatever the transport shape, the failure limit cannot be
 * sidestepped by spoofed headers or by address spellings of one client, request errors leak no
 * internals, and a session or a key of one workspace reaches nothing of another.
 */

const unknownKey = () => `tsk_${randomBytes(8).toString('hex')}_${'C'.repeat(43)}`;
const codeOf = (body: any): string | undefined => body.errors?.[0]?.extensions?.code;

async function send(t: TestApp, init: RequestInit & { url?: string }, ip = '127.0.0.1') {
  const response = await t.app.fetch(new Request(init.url ?? 'http://tessera.test/graphql', init), { ip });
  return { status: response.status, text: await response.text(), headers: response.headers };
}

const JSON_HEADERS = { 'content-type': 'application/json' };
const post = (query: string, headers: HeadersInit = JSON_HEADERS) => ({
  method: 'POST',
  headers,
  body: JSON.stringify({ query }),
});

function assertUnauthorized(r: { status: number; text: string; headers: Headers }) {
  assert.equal(r.status, 401, r.text);
  assert.equal(r.text, UNAUTHORIZED_BODY);
  assert.equal(r.headers.get('www-authenticate'), 'Bearer');
}

for (const backend of testBackends()) {
  describe(`boundary attacks (${backend.name})`, () => {
    const t = useTestApp(backend, { env: { TESSERA_AUTH_FAILURES_PER_MINUTE: '10' } });
    // Each case uses its own client address, so the failure limit never couples them.
    const ips = { n: 0 };
    const nextIp = () => `10.77.${Math.floor(++ips.n / 250)}.${ips.n % 250}`;

    it('answers the one 401 body to a bad key given as an argument, behind an alias or @include; over GET, 405', async () => {
      const exchange = `{ exchangeAccessToken(accessToken: "${unknownKey()}") }`;
      const url = `http://tessera.test/graphql?query=${encodeURIComponent(exchange)}`;
      // Over GET the key would be in the URL: refused before any key is looked at (POST only).
      assert.equal((await send(t(), { url }, nextIp())).status, 405);
      assertUnauthorized(await send(t(), post(exchange), nextIp()));
      const hidden = `{ ok: health x: exchangeAccessToken(accessToken: "${unknownKey()}") @include(if: true) }`;
      assertUnauthorized(await send(t(), post(hidden), nextIp()));
      const asQuery = `{ impersonateUser(accessToken: "${unknownKey()}", userEmail: "a@acme.test") }`;
      assertUnauthorized(await send(t(), post(asQuery), nextIp()));
      // A skipped field is never executed: no attempt, no failure, just data.
      const skipped = `{ ok: health x: exchangeAccessToken(accessToken: "${unknownKey()}") @skip(if: true) }`;
      const r = await send(t(), post(skipped), nextIp());
      assert.equal(r.status, 200, r.text);
      assert.deepEqual(JSON.parse(r.text), { data: { ok: 'ok' } });
    });

    it('answers the one 401 body whatever response format the client negotiates (SSE, multipart)', async () => {
      const exchange = `{ exchangeAccessToken(accessToken: "${unknownKey()}") }`;
      for (const accept of ['text/event-stream', 'multipart/mixed', 'application/graphql-response+json']) {
        assertUnauthorized(await send(t(), post(exchange, { ...JSON_HEADERS, accept }), nextIp()));
        const url = `http://tessera.test/graphql?query=${encodeURIComponent(exchange)}`;
        assert.equal((await send(t(), { url, headers: { accept } }, nextIp())).status, 405);
      }
    });

    it('refuses two tokens in one header, two Authorization headers, other schemes and a token in the URL', async () => {
      const good = t().rootKey;
      const bad = unknownKey();
      const roles = '{ roles { id } }';
      for (const authorization of [
        `Bearer ${good} ${bad}`,
        `Bearer ${good},Bearer ${bad}`,
        `Basic ${good}`,
        'Bearer',
        '',
      ]) {
        assertUnauthorized(await send(t(), post(roles, { ...JSON_HEADERS, authorization }), nextIp()));
      }
      const twoHeaders = new Headers(JSON_HEADERS);
      twoHeaders.append('authorization', `Bearer ${good}`);
      twoHeaders.append('authorization', `Bearer ${bad}`);
      assertUnauthorized(await send(t(), post(roles, twoHeaders), nextIp()));
      for (const param of ['access_token', 'token']) {
        const url = `http://tessera.test/graphql?${param}=${encodeURIComponent(good)}`;
        assertUnauthorized(await send(t(), { url, ...post(roles) }, nextIp()));
      }
      // The scheme is case-insensitive (RFC 9110 §11.1): the same key, spelled `bearer`, works.
      const lower = await send(
        t(),
        post(roles, { ...JSON_HEADERS, authorization: `bearer  ${good}` }),
        nextIp(),
      );
      assert.equal(lower.status, 200, lower.text);
    });

    it('malformed or ill-typed request bodies answer 400 BAD_REQUEST with no parser internals', async () => {
      for (const body of [
        '{"query": ',
        '{"query":"{ health }"',
        'null',
        '"x"',
        '{"query": 1}',
        `{"query":"${'{'.repeat(5000)}"}`,
      ]) {
        const r = await send(t(), { method: 'POST', headers: JSON_HEADERS, body }, nextIp());
        assert.equal(r.status, 400, r.text);
        const parsed = JSON.parse(r.text);
        assert.equal(codeOf(parsed), 'BAD_REQUEST', r.text);
        for (const e of parsed.errors) assert.equal(e.extensions.originalError, undefined, r.text);
        assert.doesNotMatch(r.text, /SyntaxError|stack|\.ts:|node_modules|at [A-Za-z]+ \(/, r.text);
      }
      // Numbers beyond the Int range are a coercion error, not a crash.
      const huge = await send(
        t(),
        {
          method: 'POST',
          headers: JSON_HEADERS,
          body: '{"query":"query($n: Int) { users(first: $n) { totalCount } }","variables":{"n":1e400}}',
        },
        nextIp(),
      );
      assert.notEqual(huge.status, 500, huge.text);
      assert.doesNotMatch(huge.text, /INTERNAL_SERVER_ERROR|stack/, huge.text);
    });

    it("ignores X-Forwarded-For and friends: spoofed addresses share the socket address's failure limit", async () => {
      const ip = nextIp();
      const query = `{ exchangeAccessToken(accessToken: "${unknownKey()}") }`;
      for (let i = 0; i < 10; i++) {
        const headers = {
          ...JSON_HEADERS,
          'x-forwarded-for': `203.0.113.${i}`,
          'x-real-ip': `203.0.113.${i}`,
          forwarded: `for=203.0.113.${i}`,
        };
        assertUnauthorized(await send(t(), post(query, headers), ip));
      }
      const refused = await send(
        t(),
        post(query, { ...JSON_HEADERS, 'x-forwarded-for': '198.51.100.1' }),
        ip,
      );
      assert.equal(codeOf(JSON.parse(refused.text)), 'RATE_LIMITED', refused.text);
    });

    it('counts one IPv6 /64 as one client, and an IPv4-mapped address as its IPv4 address', async () => {
      const query = () => `{ exchangeAccessToken(accessToken: "${unknownKey()}") }`;
      for (let i = 1; i <= 10; i++)
        assertUnauthorized(await send(t(), post(query()), `2001:db8:77::${i.toString(16)}`));
      for (const variant of ['2001:DB8:77:0:ffff:ffff:ffff:ffff', '2001:0db8:0077:0000::1%eth0']) {
        const refused = await send(t(), post(query()), variant);
        assert.equal(codeOf(JSON.parse(refused.text)), 'RATE_LIMITED', `${variant}: ${refused.text}`);
      }
      // The next /64 is another client.
      assertUnauthorized(await send(t(), post(query()), '2001:db8:77:1::1'));

      for (let i = 0; i < 10; i++) assertUnauthorized(await send(t(), post(query()), '10.78.0.1'));
      for (const variant of ['::ffff:10.78.0.1', '::FFFF:a4e:1']) {
        const refused = await send(t(), post(query()), variant);
        assert.equal(codeOf(JSON.parse(refused.text)), 'RATE_LIMITED', `${variant}: ${refused.text}`);
      }
    });

    it('shares one failure limit across the Query and Mutation forms and both credential operations', async () => {
      const ip = nextIp();
      const key = unknownKey();
      const forms = [
        `{ impersonateUser(accessToken: "${key}", userEmail: "a@acme.test") }`,
        `mutation { impersonateUser(accessToken: "${key}", userEmail: "a@acme.test") }`,
        `{ exchangeAccessToken(accessToken: "${key}") }`,
      ];
      for (let i = 0; i < 10; i++) assertUnauthorized(await send(t(), post(forms[i % 3]!), ip));
      for (const form of forms) {
        const refused = await send(t(), post(form), ip);
        assert.equal(codeOf(JSON.parse(refused.text)), 'RATE_LIMITED', refused.text);
      }
    });

    it('publishes only public key fields in the JWKS', async () => {
      const r = await send(t(), { url: 'http://tessera.test/.well-known/jwks.json' });
      assert.equal(r.status, 200);
      const { keys } = JSON.parse(r.text) as { keys: Record<string, unknown>[] };
      assert.ok(keys.length >= 1);
      for (const key of keys) {
        for (const field of Object.keys(key)) {
          assert.ok(
            ['kty', 'crv', 'x', 'y', 'kid', 'alg', 'use'].includes(field),
            `unexpected JWKS field ${field}`,
          );
        }
        assert.equal(key.d, undefined);
      }
    });

    it('a session or key of one workspace reaches nothing of another (BOLA on every id argument)', async () => {
      const created = await t().gql(
        'mutation { createWorkspace(input: { name: "other" }) { workspace { id } } }',
      );
      const otherWs = created.body.data!.createWorkspace.workspace.id as string;
      const otherKey = await t().key(['iam:write', 'impersonate'], otherWs);
      const otherUser = await gqlFrom(
        t(),
        'mutation { createUsers(input: { emails: ["b@other.test"], userAttributes: [{ key: "tenant", value: "B" }] }) { results { userId } } }',
        {},
        nextIp(),
        otherKey,
      );
      const otherUserId = otherUser.body.data.createUsers.results[0].userId as string;
      await userWithEmail(t(), 'a@acme.test', [{ key: 'tenant', value: 'A' }]);
      const session = (await impersonate(t(), 'a@acme.test', { ip: nextIp() })).token!;
      const readerKey = await t().key(['iam:read']);
      const asSession = (query: string, variables: Record<string, unknown> = {}) =>
        gqlFrom(t(), query, variables, nextIp(), session);
      const asReader = (query: string, variables: Record<string, unknown> = {}) =>
        gqlFrom(t(), query, variables, nextIp(), readerKey);

      const eff = 'query($id: ID) { effectiveAttributes(userId: $id) { key value } }';
      assert.equal(codeOf((await asSession(eff, { id: otherUserId })).body), 'FORBIDDEN');
      const user = 'query($id: ID!) { user(id: $id) { id userAttributes { value } } }';
      const sessionUser = await asSession(user, { id: otherUserId });
      assert.equal(codeOf(sessionUser.body), 'FORBIDDEN');
      assert.equal(sessionUser.body.data?.user ?? null, null);
      const ws = 'query($id: ID) { workspace(id: $id) { id name } }';
      const sessionWs = await asSession(ws, { id: otherWs });
      assert.equal(codeOf(sessionWs.body), 'FORBIDDEN');
      assert.equal(sessionWs.body.data?.workspace ?? null, null);
      assert.equal(
        codeOf(
          (await asSession('query($id: ID) { listUsers(workspaceId: $id) { id } }', { id: otherWs })).body,
        ),
        'FORBIDDEN',
      );

      // A key without site:admin: another workspace's user is exactly an unknown one.
      const unknownId = '00000000-0000-4000-8000-000000000000';
      const keyEff = 'query($id: ID) { effectiveAttributes(userId: $id) { key value } }';
      const crossEff = await asReader(keyEff, { id: otherUserId });
      const missingEff = await asReader(keyEff, { id: unknownId });
      assert.equal(codeOf(crossEff.body), 'NOT_FOUND');
      assert.deepEqual(crossEff.body, missingEff.body);
      const crossUser = await asReader(user, { id: otherUserId });
      const missingUser = await asReader(user, { id: unknownId });
      assert.deepEqual(crossUser.body, missingUser.body);
      assert.doesNotMatch(JSON.stringify(crossUser.body), /tenant|"B"/);
      assert.equal(codeOf((await asReader(ws, { id: otherWs })).body), 'FORBIDDEN');
    });
  });

  describe(`API tokens outlived by their key's permissions (${backend.name})`, () => {
    const t = useTestApp(backend);

    it('an API JWT never carries more than its key holds now, whatever its perms claim says', async () => {
      const key = await t().key(['iam:write', 'impersonate']);
      const keyId = key.split('_')[1]!;
      const exchanged = await gqlFrom(t(), 'query($k: String!) { exchangeAccessToken(accessToken: $k) }', {
        k: key,
      });
      const apiToken = exchanged.body.data.exchangeAccessToken as string;
      const create = 'mutation { createUsers(input: { emails: ["late@acme.test"] }) { status { code } } }';
      const list = '{ listUsers { id } }';
      // The key is narrowed after the token was issued (as an operator would in the database).
      await t()
        .app.services.db.updateTable('access_keys')
        .set({ permissions: ['iam:read'] })
        .where('id', '=', keyId)
        .execute();
      const refused = await gqlFrom(t(), create, {}, '127.0.0.1', apiToken);
      assert.equal(codeOf(refused.body), 'FORBIDDEN', refused.text);
      const users = await t().app.services.db.selectFrom('users').select('email').execute();
      assert.ok(!users.some((u) => u.email === 'late@acme.test'));
      // It still reads: iam:read is in both the claim (iam:write implies it) and the key.
      const read = await gqlFrom(t(), list, {}, '127.0.0.1', apiToken);
      assert.equal(read.status, 200, read.text);
      assert.equal(read.body.errors, undefined, read.text);
      // Nothing the key gains later widens a token issued before.
      await t()
        .app.services.db.updateTable('access_keys')
        .set({ permissions: ['iam:write', 'impersonate', 'site:admin'] })
        .where('id', '=', keyId)
        .execute();
      const widened = await gqlFrom(t(), '{ workspaces { id } }', {}, '127.0.0.1', apiToken);
      assert.equal(codeOf(widened.body), 'FORBIDDEN', widened.text);
      // And a revoked key ends it at once.
      await t().app.services.accessKeys.revoke(t().workspaceId, keyId, {
        requestId: null,
        ip: null,
        actorKeyId: null,
        actorUserId: null,
      });
      assertUnauthorized(
        await send(t(), post(list, { ...JSON_HEADERS, authorization: `Bearer ${apiToken}` })),
      );
    });
  });

  describe(`boundary attacks in production (${backend.name})`, () => {
    it('refuses introspection and field suggestions', async () => {
      const t = await startTestApp(backend, {
        env: { NODE_ENV: 'production', TESSERA_MASTER_KEY: 'ab'.repeat(32) },
      });
      try {
        const r = await send(t, post('{ __schema { types { name } } }'));
        assert.equal(r.status, 400, r.text);
        assert.equal(codeOf(JSON.parse(r.text)), 'BAD_REQUEST');
        assert.doesNotMatch(r.text, /"types"/);
        const typed = await send(t, post('{ __type(name: "User") { fields { name } } }'));
        assert.equal(typed.status, 400, typed.text);
        const typo = await send(t, post('{ healt }'));
        assert.equal(typo.status, 400, typo.text);
        assert.doesNotMatch(typo.text, /Did you mean/, typo.text);
      } finally {
        await t.close();
      }
    });
  });
}
