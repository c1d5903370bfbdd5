import assert from 'node:assert/strict';
import { createPrivateKey, type KeyObject, randomBytes, sign } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { testConfig, useTestApp } from '../../../test/helpers/app.ts';
import { testBackends } from '../../../test/helpers/databases.ts';
import { type Instances, startInstances } from '../../../test/helpers/instances.ts';
import { decodeJwt, IMPERSONATE, impersonate, userWithEmail } from '../../../test/helpers/sessions.ts';
import { type App, createApp } from '../../app.ts';
import { keysCommand } from '../../cli/core-commands.ts';
import { type Config, ConfigError } from '../../config.ts';
import { UNAUTHORIZED_BODY } from '../../graphql/errors.ts';

const CURRENT_USER = '{ currentUser { id } }';
const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');

/** A token re-signed with a given key and fresh times: proves what a key is still accepted for. */
function resign(token: string, kid: string, key: KeyObject, nowSeconds: number): string {
  const { header, payload } = decodeJwt(token);
  const input = `${b64({ ...header, kid })}.${b64({ ...payload, iat: nowSeconds, exp: nowSeconds + 600 })}`;
  return `${input}.${sign('sha256', Buffer.from(input), { key, dsaEncoding: 'ieee-p1363' }).toString('base64url')}`;
}

async function privateKeyOf(app: App, kid: string): Promise<KeyObject> {
  const row = await app.services.db
    .selectFrom('signing_keys')
    .selectAll()
    .where('kid', '=', kid)
    .executeTakeFirstOrThrow();
  return createPrivateKey(app.services.secrets.open(row.private_key_sealed, `signing-key:${kid}`));
}

async function jwks(app: App) {
  const r = await app.fetch(new Request('http://tessera.test/.well-known/jwks.json'));
  return {
    status: r.status,
    headers: r.headers,
    body: (await r.json()) as { keys: Record<string, string>[] },
  };
}

for (const backend of testBackends()) {
  describe(`signing keys and JWKS (${backend.name})`, () => {
    const t = useTestApp(backend);

    it('publishes the public key only, with kid, alg and use, cacheably; the private half is sealed', async () => {
      const r = await jwks(t().app);
      assert.equal(r.status, 200);
      assert.match(r.headers.get('cache-control')!, /max-age=\d+/);
      assert.equal(r.body.keys.length, 1);
      const [key] = r.body.keys;
      assert.deepEqual(Object.keys(key!).sort(), ['alg', 'crv', 'kid', 'kty', 'use', 'x', 'y']);
      assert.equal(key!.alg, 'ES256');
      assert.equal(key!.use, 'sig');
      assert.equal(key!.crv, 'P-256');
      const row = await t().app.services.db.selectFrom('signing_keys').selectAll().executeTakeFirstOrThrow();
      assert.equal(row.kid, key!.kid);
      assert.ok(!row.private_key_sealed.includes('PRIVATE KEY'));
      assert.ok(!row.public_jwk.includes('"d"'));
      assert.throws(() => t().app.services.secrets.open(row.private_key_sealed, 'signing-key:other'));
    });

    it('rotation: the new key signs, the old one verifies until retired, then it is gone', async () => {
      const userId = await userWithEmail(t(), 'rot@acme.test');
      const before = (await impersonate(t(), 'rot@acme.test')).token!;
      const oldKid = decodeJwt(before).header.kid as string;
      const oldKey = await privateKeyOf(t().app, oldKid);
      const rotated = await t().app.services.sessions.rotateSigningKey();
      assert.equal(rotated.retiredKid, oldKid);
      // Longest lifetime (3600 s sessions) plus the 60 s skew.
      assert.equal(rotated.retireAfter.getTime() - t().clock.now().getTime(), (3600 + 60) * 1000);
      const afterToken = (await impersonate(t(), 'rot@acme.test')).token!;
      assert.equal(decodeJwt(afterToken).header.kid, rotated.kid);
      assert.deepEqual(
        (await jwks(t().app)).body.keys.map((k) => k.kid).sort(),
        [oldKid, rotated.kid].sort(),
      );
      for (const token of [before, afterToken]) {
        const r = await t().gql(CURRENT_USER, {}, token);
        assert.equal(r.body.data!.currentUser.id, userId);
      }
      // Just before retirement the old key still verifies (a token it signed has not expired yet).
      t().clock.set(rotated.retireAfter.getTime() - 1000);
      const nowSeconds = () => Math.floor(t().clock.now().getTime() / 1000);
      assert.equal(
        (await t().gql(CURRENT_USER, {}, resign(before, oldKid, oldKey, nowSeconds()))).status,
        200,
      );
      t().clock.set(rotated.retireAfter.getTime() + 1000);
      assert.deepEqual(
        (await jwks(t().app)).body.keys.map((k) => k.kid),
        [rotated.kid],
      );
      const stale = await t().gql(CURRENT_USER, {}, resign(before, oldKid, oldKey, nowSeconds()));
      assert.equal(stale.status, 401);
      assert.equal(JSON.stringify(stale.body), UNAUTHORIZED_BODY);
      const fresh = (await impersonate(t(), 'rot@acme.test')).token!;
      assert.equal((await t().gql(CURRENT_USER, {}, fresh)).status, 200);
      // The next rotation deletes the retired key's row.
      await t().app.services.sessions.rotateSigningKey();
      const kids = (await t().app.services.db.selectFrom('signing_keys').select('kid').execute()).map(
        (r) => r.kid,
      );
      assert.ok(!kids.includes(oldKid));
    });
  });
}

describe('tessera keys rotate-signing', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'tessera-rotate-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('makes a new key the signer and keeps the old one published', async () => {
    const config = {
      ...testConfig(),
      database: { kind: 'pglite', dataDir: join(dir, 'db') },
      dataDir: dir,
    } as Config;
    const out: string[] = [];
    const env = {
      config,
      io: { out: (l: string) => out.push(l), err: () => {} },
      openApp: () => createApp(config),
    };
    assert.equal(
      await keysCommand.run(
        { positional: ['rotate-signing'], flags: new Map([['json', 'true']]) } as never,
        env,
      ),
      0,
    );
    const result = JSON.parse(out[0]!);
    const app = await env.openApp();
    try {
      const published = (await jwks(app)).body.keys.map((k) => k.kid);
      assert.equal(published.length, 2);
      assert.ok(published.includes(result.kid) && published.includes(result.retiredKid));
      const current = await app.services.db
        .selectFrom('signing_keys')
        .select('kid')
        .where('state', '=', 'current')
        .execute();
      assert.deepEqual(
        current.map((r) => r.kid),
        [result.kid],
      );
    } finally {
      await app.close();
    }
  });
});

describe('signing keys and the master key', () => {
  it('an instance with another master key refuses to start, naming TESSERA_MASTER_KEY', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tessera-master-'));
    try {
      const configWith = (key: string) =>
        ({
          ...testConfig({ TESSERA_MASTER_KEY: key }),
          database: { kind: 'pglite', dataDir: join(dir, 'db') },
          dataDir: dir,
        }) as Config;
      const first = await createApp(configWith(randomBytes(32).toString('base64')));
      await first.close();
      await assert.rejects(
        createApp(configWith(randomBytes(32).toString('base64'))),
        (err: Error) => err instanceof ConfigError && err.message.includes('TESSERA_MASTER_KEY'),
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

const pgUrl = process.env.TEST_DATABASE_URL;
if (pgUrl) {
  describe('signing keys across two instances on one PostgreSQL', () => {
    let s: Instances;
    before(async () => {
      s = await startInstances(pgUrl, 2); // started at the same time: one first key, not two
    });
    after(async () => {
      await s?.close();
    });

    const asUser = (i: number, token: string) => s.gql(i, CURRENT_USER, {}, { token });
    const issue = async (i: number) => {
      const r = await s.gql(
        i,
        IMPERSONATE,
        { accessToken: s.rootKey, userEmail: 'two@acme.test' },
        { token: null },
      );
      return r.body.data.impersonateUser as string;
    };

    it('a simultaneous cold start creates one signing key that both instances use', async () => {
      const rows = await s.apps[0]!.services.db.selectFrom('signing_keys').selectAll().execute();
      assert.equal(rows.length, 1);
      assert.equal(rows[0]!.state, 'current');
      const [a, b] = await Promise.all(s.apps.map((app) => jwks(app)));
      assert.deepEqual(a!.body, b!.body);
    });

    it('a key rotated on one instance: old tokens work on both until retirement, the new key works on the other', async () => {
      await s.apps[0]!.services.users.createUsers(
        s.workspaceId,
        { emails: ['two@acme.test'] },
        { requestId: null, ip: null, actorKeyId: null, actorUserId: null },
      );
      const before = await issue(1);
      const oldKid = decodeJwt(before).header.kid as string;
      const oldKey = await privateKeyOf(s.apps[0]!, oldKid);
      const rotated = await s.apps[0]!.services.sessions.rotateSigningKey();
      const after = await issue(0);
      assert.equal(decodeJwt(after).header.kid, rotated.kid);
      // Instance 1 has never seen the new kid: it re-reads the keys once (rate-limited) and accepts it.
      await new Promise((r) => setTimeout(r, 300));
      for (const i of [0, 1]) {
        assert.equal((await asUser(i, before)).status, 200, `old token on ${i}`);
        assert.equal((await asUser(i, after)).status, 200, `new token on ${i}`);
      }
      assert.ok((await jwks(s.apps[1]!)).body.keys.some((k) => k.kid === rotated.kid));
      // After retirement the old key is refused everywhere, even for a token with fresh times.
      s.clock.set(rotated.retireAfter.getTime() + 1000);
      const nowSeconds = Math.floor(s.clock.now().getTime() / 1000);
      for (const i of [0, 1]) {
        const r = await asUser(i, resign(before, oldKid, oldKey, nowSeconds));
        assert.equal(r.text, UNAUTHORIZED_BODY, `retired key on ${i}`);
        assert.deepEqual(
          (await jwks(s.apps[i]!)).body.keys.map((k) => k.kid),
          [rotated.kid],
        );
      }
      const fresh = await issue(0);
      assert.equal((await asUser(1, fresh)).status, 200);
    });
  });
}
