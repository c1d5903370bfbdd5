import assert from 'node:assert/strict';
import { createHmac, createPublicKey, generateKeyPairSync, type KeyObject, sign } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { UNAUTHORIZED_BODY } from '../src/graphql/errors.ts';
import { useTestApp } from './helpers/app.ts';
import { testBackends } from './helpers/databases.ts';
import { decodeJwt, gqlFrom, impersonate, userWithEmail } from './helpers/sessions.ts';

/** docs/security.md §2: every forged, damaged or misused token gets the one 401, and nothing else happens. */
const b64 = (v: unknown) => Buffer.from(typeof v === 'string' ? v : JSON.stringify(v)).toString('base64url');
const es256 = (input: string, key: KeyObject) =>
  sign('sha256', Buffer.from(input), { key, dsaEncoding: 'ieee-p1363' }).toString('base64url');
function forge(header: Record<string, unknown>, payload: Record<string, unknown>, key: KeyObject): string {
  const input = `${b64(header)}.${b64(payload)}`;
  return `${input}.${es256(input, key)}`;
}
const CURRENT_USER = '{ currentUser { id } }';

for (const backend of testBackends()) {
  describe(`bearer JWT verification (${backend.name})`, () => {
    const t = useTestApp(backend);
    let userId: string;
    let kid: string;
    let ourKey: KeyObject;
    let valid: { header: Record<string, any>; payload: Record<string, any> };
    let jkuHits = 0;
    let jkuServer: Server;
    let jkuUrl: string;
    const attacker = generateKeyPairSync('ec', { namedCurve: 'P-256' });

    before(async () => {
      userId = await userWithEmail(t(), 'victim@acme.test');
      const token = (await impersonate(t(), 'victim@acme.test')).token!;
      valid = decodeJwt(token);
      const signer = await t().app.services.sessions.keys.signer();
      kid = signer.kid;
      ourKey = signer.privateKey;
      jkuServer = createServer((_req, res) => {
        jkuHits++;
        const jwk = { ...attacker.publicKey.export({ format: 'jwk' }), kid, alg: 'ES256', use: 'sig' };
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify({ keys: [jwk] }));
      });
      await new Promise<void>((resolve) => jkuServer.listen(0, '127.0.0.1', resolve));
      const address = jkuServer.address() as { port: number };
      jkuUrl = `http://127.0.0.1:${address.port}/jwks.json`;
    });
    after(() => new Promise<void>((resolve) => jkuServer.close(() => resolve())));

    const now = () => Math.floor(t().clock.now().getTime() / 1000);
    const claims = (over: Record<string, unknown> = {}) => ({
      ...valid.payload,
      iat: now(),
      exp: now() + 600,
      ...over,
    });
    const header = (over: Record<string, unknown> = {}) => ({
      alg: 'ES256',
      typ: 'session+jwt',
      kid,
      ...over,
    });

    async function assert401(token: string, what: string) {
      const r = await gqlFrom(t(), CURRENT_USER, {}, '127.0.0.1', token);
      assert.equal(r.status, 401, `${what}: ${r.text}`);
      assert.equal(r.text, UNAUTHORIZED_BODY, what);
      assert.equal(r.headers.get('www-authenticate'), 'Bearer', what);
    }

    it('accepts a token forged exactly like ours with our key (the control for every case below)', async () => {
      const r = await gqlFrom(t(), CURRENT_USER, {}, '127.0.0.1', forge(header(), claims(), ourKey));
      assert.equal(r.status, 200, r.text);
      assert.equal(r.body.data.currentUser.id, userId);
    });

    it('refuses alg none and HS256 keyed with our public key', async () => {
      await assert401(`${b64(header({ alg: 'none' }))}.${b64(claims())}.`, 'alg none');
      await assert401(`${b64({ alg: 'none', typ: 'session+jwt' })}.${b64(claims())}.`, 'alg none, no kid');
      const pub = createPublicKey(ourKey);
      const secrets = [
        pub.export({ format: 'pem', type: 'spki' }).toString(),
        JSON.stringify(pub.export({ format: 'jwk' })),
        pub.export({ format: 'der', type: 'spki' }),
      ];
      for (const secret of secrets) {
        const input = `${b64(header({ alg: 'HS256' }))}.${b64(claims())}`;
        await assert401(
          `${input}.${createHmac('sha256', secret).update(input).digest('base64url')}`,
          'HS256',
        );
      }
    });

    it('refuses a wrong aud, iss or typ, and each token kind in place of the other', async () => {
      await assert401(forge(header(), claims({ aud: 'tessera-api' }), ourKey), 'aud of API tokens');
      await assert401(forge(header(), claims({ aud: 'other' }), ourKey), 'other aud');
      await assert401(forge(header(), claims({ aud: undefined }), ourKey), 'no aud');
      await assert401(forge(header(), claims({ iss: 'http://evil.test' }), ourKey), 'iss');
      await assert401(forge(header({ typ: 'JWT' }), claims(), ourKey), 'typ JWT');
      await assert401(forge(header({ typ: undefined }), claims(), ourKey), 'no typ');
      await assert401(forge(header({ typ: 'at+jwt' }), claims(), ourKey), 'session claims as an API token');
      const apiClaims = {
        iss: 'http://tessera.test',
        aud: 'tessera-api',
        sub: 'x',
        wid: t().workspaceId,
        perms: ['iam:write'],
      };
      await assert401(
        forge(header(), { ...claims(), ...apiClaims }, ourKey),
        'API claims as a session token',
      );
    });

    it('refuses expired, not yet valid, future-issued and exp-less tokens (60 s skew at most)', async () => {
      await assert401(forge(header(), claims({ iat: now() - 4000, exp: now() - 61 }), ourKey), 'expired');
      await assert401(forge(header(), claims({ nbf: now() + 120 }), ourKey), 'not yet valid');
      await assert401(
        forge(header(), claims({ iat: now() + 600, exp: now() + 1200 }), ourKey),
        'issued in the future',
      );
      const { exp: _, ...noExp } = claims();
      await assert401(forge(header(), noExp, ourKey), 'no exp');
      await assert401(
        forge(header(), claims({ exp: now() + 10 * 86_400 }), ourKey),
        'longer than any lifetime we issue',
      );
      // Inside the skew, still valid: proves the bound is the skew, not zero.
      const r = await gqlFrom(
        t(),
        CURRENT_USER,
        {},
        '127.0.0.1',
        forge(header(), claims({ exp: now() - 30 }), ourKey),
      );
      assert.equal(r.status, 200, r.text);
    });

    it('refuses unknown kids and kids with path or SQL characters, without errors', async () => {
      for (const bad of [
        'zzzzzzzzzzzzzzzzzzzz',
        '../../../../etc/passwd',
        "x' or '1'='1",
        'a;drop table signing_keys;--',
        '',
        'K'.repeat(5000),
      ]) {
        await assert401(forge(header({ kid: bad }), claims(), ourKey), `kid ${bad.slice(0, 30)}`);
      }
      await assert401(forge(header({ kid: 42 }), claims(), ourKey), 'numeric kid');
      await assert401(forge({ alg: 'ES256', typ: 'session+jwt' }, claims(), ourKey), 'no kid');
      const keys = await t().app.services.db.selectFrom('signing_keys').select('kid').execute();
      assert.equal(keys.length, 1);
    });

    it('unknown kids re-read the keys at most a few times a second, junk kids never', async () => {
      const ring = t().app.services.sessions.keys;
      await new Promise((r) => setTimeout(r, 300));
      const before = ring.reads;
      const started = Date.now();
      for (let i = 0; i < 60; i++) {
        const unknown = `${i.toString().padStart(2, '0')}${'z'.repeat(18)}`;
        await assert401(forge(header({ kid: unknown }), claims(), ourKey), 'unknown kid');
        await assert401(forge(header({ kid: `../${i}` }), claims(), ourKey), 'junk kid');
      }
      const elapsedQuarterSeconds = Math.ceil((Date.now() - started) / 250);
      assert.ok(ring.reads - before >= 1, 'an unknown kid does trigger a re-read');
      assert.ok(ring.reads - before <= elapsedQuarterSeconds + 1, `${ring.reads - before} reads`);
    });

    it('never follows jku, x5u or jwk and refuses tokens carrying them (no outbound request)', async () => {
      const attackerJwk = attacker.publicKey.export({ format: 'jwk' });
      await assert401(forge(header({ jku: jkuUrl }), claims(), attacker.privateKey), 'jku');
      await assert401(forge(header({ x5u: jkuUrl }), claims(), attacker.privateKey), 'x5u');
      await assert401(forge(header({ jwk: attackerJwk }), claims(), attacker.privateKey), 'jwk');
      // Even signed with our own key, a token pointing elsewhere for its key is not ours.
      await assert401(forge(header({ jku: jkuUrl }), claims(), ourKey), 'jku with our signature');
      await assert401(
        forge(header({ kid: 'zzzzzzzzzzzzzzzzzzzz', jku: jkuUrl }), claims(), attacker.privateKey),
        'jku, unknown kid',
      );
      assert.equal(jkuHits, 0);
    });

    it('refuses flipped bytes, truncation, oversize and all-zero ECDSA signatures', async () => {
      const good = forge(header(), claims(), ourKey);
      const [h, p, s] = good.split('.') as [string, string, string];
      const sig = Buffer.from(s, 'base64url');
      for (const i of [0, 31, 32, 63]) {
        const flipped = Buffer.from(sig);
        flipped[i]! ^= 0x01;
        await assert401(`${h}.${p}.${flipped.toString('base64url')}`, `signature byte ${i}`);
      }
      const payload = Buffer.from(p, 'base64url');
      payload[10]! ^= 0x02;
      await assert401(`${h}.${payload.toString('base64url')}.${s}`, 'payload byte');
      await assert401(good.slice(0, -5), 'truncated signature');
      await assert401(`${h}.${p}`, 'two segments');
      await assert401(good.slice(0, good.length / 2), 'half');
      await assert401(`${h}.${p}.${Buffer.alloc(64).toString('base64url')}`, 'all-zero signature');
      await assert401(`${h}.${p}.${Buffer.alloc(72).toString('base64url')}`, 'zero DER-sized signature');
      await assert401(forge(header(), claims({ attrs: { big: 'x'.repeat(9000) } }), ourKey), 'oversized');
      await assert401(forge(header(), claims({ attrs: { n: 5 } }), ourKey), 'non-string attribute');
      await assert401(`${h}.${p}.${s}.${s}`, 'four segments');
      await assert401(`${b64('{"alg":')}.${p}.${s}`, 'broken header JSON');
    });

    it('refuses session tokens of another workspace or of a user that does not exist', async () => {
      await assert401(forge(header(), claims({ wid: 'ws_other' }), ourKey), 'other workspace');
      await assert401(
        forge(header(), claims({ sub: 'usr_nobody', impersonated_user_id: 'usr_nobody' }), ourKey),
        'no user',
      );
      await assert401(
        forge(header(), claims({ impersonated_user_id: 'usr_nobody' }), ourKey),
        'sub and impersonated_user_id differ',
      );
    });

    it('a session token never authorizes an iam:* operation: FORBIDDEN, no data', async () => {
      const session = (await impersonate(t(), 'victim@acme.test')).token!;
      const operations = [
        '{ listUsers { id } }',
        '{ users { totalCount } }',
        `{ user(id: "${userId}") { id } }`,
        '{ roles { id } }',
        '{ userGroups { id } }',
        '{ accessKeys { id } }',
        '{ auditEvents { edges { cursor } } }',
        `{ effectiveAttributes(userId: "${userId}", sessionAttributes: []) { key } }`,
        'mutation { createUsers(input: { emails: ["new@acme.test"] }) { status { code } } }',
        `mutation { setUserAttributes(input: { userId: "${userId}", userAttributes: [] }) { status { code } } }`,
        `mutation { deleteUsersFromWorkspace(input: { userIds: ["${userId}"] }) { status { code } } }`,
        'mutation { createAccessKey(input: { permissions: ["iam:write"] }) { token } }',
        'mutation { revokeSessions { status { code } } }',
        'mutation { updateWorkspaceEmbedSettings(input: { allowedEmbedOrigins: [] }) { status { code } } }',
      ];
      for (const query of operations) {
        const r = await gqlFrom(t(), query, {}, '127.0.0.1', session);
        assert.equal(r.status, 200, `${query}: ${r.text}`);
        assert.equal(r.body.errors?.[0]?.extensions?.code, 'FORBIDDEN', query);
        // Non-null fields null the whole data; nullable ones come back as null: no data either way.
        const data = r.body.data as Record<string, unknown> | null;
        assert.ok(data === null || Object.values(data).every((v) => v === null), query);
      }
      const count = await t()
        .app.services.db.selectFrom('users')
        .select((eb) => eb.fn.countAll().as('n'))
        .executeTakeFirst();
      assert.equal(Number(count!.n), 1);
    });

    it('access keys, API JWTs and session JWTs are never accepted in place of one another', async () => {
      const session = (await impersonate(t(), 'victim@acme.test')).token!;
      const exchanged = await gqlFrom(t(), 'query($k: String!) { exchangeAccessToken(accessToken: $k) }', {
        k: t().rootKey,
      });
      const api = exchanged.body.data.exchangeAccessToken as string;
      assert.equal(decodeJwt(api).header.typ, 'at+jwt');
      assert.equal(decodeJwt(api).payload.aud, 'tessera-api');
      // A session token or API token as the access key argument: the one 401.
      for (const notAKey of [session, api]) {
        const r = await impersonate(t(), 'victim@acme.test', { key: notAKey });
        assert.equal(r.status, 401, r.text);
        assert.equal(r.text, UNAUTHORIZED_BODY);
        const x = await gqlFrom(t(), 'query($k: String!) { exchangeAccessToken(accessToken: $k) }', {
          k: notAKey,
        });
        assert.equal(x.text, UNAUTHORIZED_BODY);
      }
      // An API JWT or an access key where a session is required.
      for (const notASession of [api, t().rootKey]) {
        const me = await gqlFrom(t(), CURRENT_USER, {}, '127.0.0.1', notASession);
        assert.equal(me.status, 200);
        assert.equal(me.body.data.currentUser, null);
        const eff = await gqlFrom(t(), '{ effectiveAttributes { key } }', {}, '127.0.0.1', notASession);
        assert.equal(eff.body.errors?.[0]?.extensions?.code, 'FORBIDDEN', eff.text);
      }
      // An API JWT re-signed as a session token, and a session token re-signed as an API token.
      const apiClaims = decodeJwt(api).payload;
      await assert401(forge(header({ typ: 'at+jwt' }), claims(), ourKey), 'session claims, API typ');
      await assert401(forge(header(), apiClaims, ourKey), 'API claims, session typ');
      // The session token works where a session is expected (control).
      const me = await gqlFrom(t(), CURRENT_USER, {}, '127.0.0.1', session);
      assert.equal(me.body.data.currentUser.id, userId);
    });
  });
}
