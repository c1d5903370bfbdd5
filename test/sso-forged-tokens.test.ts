import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { exportJWK, generateKeyPair, type JWTPayload, SignJWT } from 'jose';
import { sql } from 'kysely';
import { createUsers } from './helpers/api.ts';
import { testBackends } from './helpers/databases.ts';
import {
  Browser,
  configureIssuer,
  errorOf,
  type SsoStack,
  startHttp,
  startSsoStack,
} from './helpers/sso-stack.ts';

const CLIENT_ID = 'rogue-client';
const CLIENT_SECRET = 'the-rogue-client-secret-0123456789abcdef';
const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');

/**
 * A sloppy or hostile provider on loopback: a real discovery document, JWKS, authorization and
 * token endpoints, whose ID token each test writes (signed with its key unless the test says
 * otherwise).
 */
interface Rogue {
  url: string;
  /** Signs claims with the provider's own key (the one its JWKS publishes). */
  idToken: (claims: JWTPayload) => Promise<string>;
  /** What the token endpoint answers as the ID token, given the sign-in's nonce and the issuer URL. */
  forge: (nonce: string, base: string) => Promise<string>;
  algs: string[];
  tokenBody: ((idToken: string) => string) | null;
  /** When set, the provider has a userinfo endpoint answering this (status, body). */
  userinfo: { status: number; body: string } | null;
  close(): Promise<void>;
}

async function startRogue(): Promise<Rogue> {
  const { privateKey, publicKey } = await generateKeyPair('RS256');
  const jwk = { ...(await exportJWK(publicKey)), kid: 'k1', alg: 'RS256', use: 'sig' };
  const nonces = new Map<string, string>();
  const rogue: Rogue = {
    url: '',
    idToken: (claims) => new SignJWT(claims).setProtectedHeader({ alg: 'RS256', kid: 'k1' }).sign(privateKey),
    algs: ['RS256'],
    forge: async () => '',
    tokenBody: null,
    userinfo: null,
    close: async () => {},
  };
  const server = await startHttp(async (req, res, base) => {
    const url = new URL(req.url!, base);
    const send = (status: number, body: unknown) => {
      res.statusCode = status;
      res.setHeader('content-type', 'application/json');
      res.end(typeof body === 'string' ? body : JSON.stringify(body));
    };
    if (url.pathname === '/.well-known/openid-configuration')
      return send(200, {
        issuer: base,
        authorization_endpoint: `${base}/authorize`,
        token_endpoint: `${base}/token`,
        jwks_uri: `${base}/jwks`,
        response_types_supported: ['code'],
        subject_types_supported: ['public'],
        id_token_signing_alg_values_supported: rogue.algs,
        token_endpoint_auth_methods_supported: ['client_secret_basic'],
        ...(rogue.userinfo ? { userinfo_endpoint: `${base}/userinfo` } : {}),
      });
    if (url.pathname === '/userinfo' && rogue.userinfo) {
      res.statusCode = rogue.userinfo.status;
      res.setHeader('content-type', 'application/json');
      res.end(rogue.userinfo.body);
      return;
    }
    if (url.pathname === '/jwks') return send(200, { keys: [jwk] });
    if (url.pathname === '/authorize') {
      const code = `code-${nonces.size}`;
      nonces.set(code, url.searchParams.get('nonce')!);
      const back = new URL(url.searchParams.get('redirect_uri')!);
      back.searchParams.set('code', code);
      back.searchParams.set('state', url.searchParams.get('state')!);
      res.statusCode = 302;
      res.setHeader('location', back.href);
      res.end();
      return;
    }
    if (url.pathname === '/token') {
      let body = '';
      for await (const chunk of req) body += chunk;
      const nonce = nonces.get(new URLSearchParams(body).get('code') ?? '') ?? '';
      const idToken = await rogue.forge(nonce, base);
      if (rogue.tokenBody) {
        res.statusCode = 200;
        res.setHeader('content-type', 'application/json');
        res.end(rogue.tokenBody(idToken));
        return;
      }
      return send(200, { access_token: 'at', token_type: 'Bearer', expires_in: 300, id_token: idToken });
    }
    send(404, {});
  });
  rogue.url = server.url;
  rogue.close = server.close;
  return rogue;
}

for (const backend of testBackends()) {
  describe(`forged and sloppy ID tokens (${backend.name})`, () => {
    let s: SsoStack;
    let rogue: Rogue;
    let loginPath: string;
    let issuerId: string;
    /** Makes Tessera read the provider's discovery document again (it keeps it a few minutes). */
    const rediscover = () => configureIssuer(s.t, { id: issuerId, discoveryUrl: rogue.url });
    before(async () => {
      s = await startSsoStack(backend);
      rogue = await startRogue();
      const issuer = await configureIssuer(s.t, {
        name: 'rogue',
        discoveryUrl: rogue.url,
        clientId: CLIENT_ID,
        clientSecret: CLIENT_SECRET,
        scopes: ['openid', 'email'],
      });
      issuerId = issuer.id;
      loginPath = new URL(issuer.loginUrl).pathname + new URL(issuer.loginUrl).search;
      await createUsers(s.t, { emails: ['alice@acme.test'] });
    });
    after(async () => {
      await rogue?.close();
      await s?.close();
    });

    const now = () => Math.floor(Date.now() / 1000);
    const good = (nonce: string, base: string): JWTPayload => ({
      iss: base,
      aud: CLIENT_ID,
      sub: 'alice-sub',
      nonce,
      iat: now(),
      exp: now() + 300,
      email: 'alice@acme.test',
      email_verified: true,
    });
    const written = async () =>
      (
        await sql<{
          n: string;
        }>`select (select count(*) from web_sessions) + (select count(*) from sso_identities) as n`.execute(
          s.t.app.services.db,
        )
      ).rows[0]!.n;
    const attempt = async (forge: (nonce: string, base: string) => Promise<string>) => {
      rogue.forge = forge;
      const before = await written();
      const b = new Browser(s);
      const start = await b.request(loginPath);
      assert.equal(start.status, 302, await start.clone().text());
      const authorize = await b.request(start.headers.get('location')!);
      const response = await b.request(authorize.headers.get('location')!);
      const r = response.status === 303 ? { status: 303 } : await errorOf(response);
      if (r.status !== 303) assert.equal(await written(), before, 'a refused sign-in wrote something');
      return r as { status: number; code?: string; reason?: string };
    };
    const sign = (claims: JWTPayload) => rogue.idToken(claims);

    it('a correct token signs in (the rogue provider works)', async () => {
      assert.equal((await attempt(async (n, base) => sign(good(n, base)))).status, 303);
    });

    it('alg none and HS256 with the client secret are refused, even when the provider lists them', async () => {
      rogue.algs = ['RS256', 'HS256', 'none'];
      await rediscover();
      try {
        const none = await attempt(
          async (n, base) => `${b64({ alg: 'none', typ: 'JWT' })}.${b64(good(n, base))}.`,
        );
        assert.deepEqual([none.status, none.code], [400, 'SSO_ID_TOKEN_INVALID'], JSON.stringify(none));
        const hs = await attempt((n, base) =>
          new SignJWT(good(n, base))
            .setProtectedHeader({ alg: 'HS256' })
            .sign(new TextEncoder().encode(CLIENT_SECRET)),
        );
        assert.deepEqual([hs.status, hs.code], [400, 'SSO_ID_TOKEN_INVALID'], JSON.stringify(hs));
      } finally {
        rogue.algs = ['RS256'];
        await rediscover();
      }
    });

    it('a token signed by a key outside the JWKS is refused', async () => {
      const { privateKey } = await generateKeyPair('RS256');
      const r = await attempt((n, base) =>
        new SignJWT(good(n, base)).setProtectedHeader({ alg: 'RS256', kid: 'k1' }).sign(privateKey),
      );
      assert.deepEqual([r.status, r.code], [400, 'SSO_ID_TOKEN_INVALID']);
    });

    const cases: [string, JWTPayload, string][] = [
      ['wrong aud', { aud: 'someone-else' }, 'aud'],
      ['several audiences without azp', { aud: [CLIENT_ID, 'someone-else'] }, 'aud'],
      [
        'several audiences, azp another client',
        { aud: [CLIENT_ID, 'someone-else'], azp: 'someone-else' },
        'azp',
      ],
      ['wrong iss', { iss: 'https://evil.test' }, 'iss'],
      ['wrong nonce', { nonce: 'not-the-nonce' }, 'nonce'],
      ['expired', { exp: now() - 3600, iat: now() - 7200 }, 'exp'],
      ['issued a day ahead', { iat: now() + 86_400, exp: now() + 90_000 }, 'iat'],
      ['not yet valid', { nbf: now() + 3600 }, 'nbf'],
    ];
    for (const [name, change, reason] of cases) {
      it(`${name}: refused with reason ${reason}`, async () => {
        const r = await attempt(async (n, base) => sign({ ...good(n, base), ...change }));
        assert.deepEqual(
          [r.status, r.code, r.reason],
          [400, 'SSO_ID_TOKEN_INVALID', reason],
          JSON.stringify(r),
        );
      });
    }

    it('a sub that is not a string, or is missing, is refused', async () => {
      for (const sub of [42, undefined, { id: 1 }]) {
        const r = await attempt(async (n, base) => {
          const claims: Record<string, unknown> = { ...good(n, base), sub };
          if (sub === undefined) delete claims.sub;
          return sign(claims as JWTPayload);
        });
        assert.deepEqual([r.status, r.code], [400, 'SSO_ID_TOKEN_INVALID'], JSON.stringify(sub));
      }
    });

    it('a userinfo endpoint cannot swap the person or break the sign-in into a 500', async () => {
      try {
        for (const [status, body, expected] of [
          [
            200,
            JSON.stringify({ sub: 'someone-else', email: 'alice@acme.test', email_verified: true }),
            'refused',
          ],
          [500, 'oops', 'refused'],
          [200, 'not json', 'refused'],
          [
            200,
            JSON.stringify({ sub: 'alice-sub', email: 'carol@acme.test', email_verified: true }),
            'ignored',
          ],
        ] as const) {
          rogue.userinfo = { status, body };
          await rediscover();
          const r = await attempt(async (n, base) => sign(good(n, base)));
          if (expected === 'refused') {
            assert.ok(r.status >= 400 && r.status !== 500, JSON.stringify(r));
            assert.match(r.code ?? '', /^SSO_/);
          } else assert.equal(r.status, 303, "the ID token's own email wins over userinfo");
        }
      } finally {
        rogue.userinfo = null;
        await rediscover();
      }
    });

    it('a garbled token response is a provider error, not a 500', async () => {
      for (const body of [
        () => 'not json',
        () => '[]',
        () => JSON.stringify({ access_token: 'at', token_type: 'Bearer' }),
        () => JSON.stringify({ access_token: 'at', token_type: 'Bearer', id_token: 'a.b.c' }),
        (t: string) => JSON.stringify({ access_token: 42, token_type: 'Bearer', id_token: t }),
        (t: string) => JSON.stringify({ access_token: 'at', token_type: 'MAC', id_token: t }),
      ]) {
        rogue.tokenBody = body;
        try {
          const r = await attempt(async (n, base) => sign(good(n, base)));
          assert.ok((r.status >= 400 && r.status < 500) || r.status === 502, JSON.stringify(r));
          assert.match(r.code ?? '', /^SSO_/, JSON.stringify(r));
        } finally {
          rogue.tokenBody = null;
        }
      }
    });
  });
}
