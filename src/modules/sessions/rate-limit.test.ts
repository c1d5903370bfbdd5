import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { startTestApp, type TestApp, useTestApp } from '../../../test/helpers/app.ts';
import { testBackends } from '../../../test/helpers/databases.ts';
import { type Instances, startInstances } from '../../../test/helpers/instances.ts';
import { gqlFrom, IMPERSONATE, impersonate, userWithEmail } from '../../../test/helpers/sessions.ts';
import { UNAUTHORIZED_BODY } from '../../graphql/errors.ts';

/** A wrong secret for an existing key id, or an id nobody has. */
const wrongSecret = (key: string) => `tsk_${key.split('_')[1]}_${'B'.repeat(43)}`;
const unknownKey = () => `tsk_${randomBytes(8).toString('hex')}_${'C'.repeat(43)}`;
const randomIp = () => `10.${randomBytes(3).join('.')}`;
const aliased = (n: number, email = 'nobody@acme.test') =>
  `query($k: String!) { ${Array.from({ length: n }, (_, i) => `a${i}: impersonateUser(accessToken: $k, userEmail: "${email}")`).join(' ')} }`;

const codeOf = (body: any): string | undefined => body.errors?.[0]?.extensions?.code;

/**
 * A backend starting many sessions at once is never refused: only failures count. Then ten
 * failures from the same key and address reach the limit and every later attempt is refused.
 * Returns the key id and address used, for store-specific checks.
 */
async function burstThenFailures(t: TestApp): Promise<{ keyId: string; ip: string }> {
  await userWithEmail(t, 'burst@acme.test');
  const key = await t.key(['impersonate']);
  const ip = randomIp(); // a fresh bucket, also in a Redis shared between runs
  const burst = await Promise.all(
    Array.from({ length: 2000 }, () => impersonate(t, 'burst@acme.test', { key, ip })),
  );
  assert.equal(burst.filter((r) => codeOf(r.body) === 'RATE_LIMITED').length, 0);
  assert.ok(
    burst.every((r) => r.status === 200 && r.token),
    burst.find((r) => !r.token)?.text,
  );
  for (let i = 0; i < 10; i++) {
    const r = await impersonate(t, 'missing@acme.test', { key, ip });
    assert.equal(codeOf(r.body), 'NOT_FOUND', `failure ${i + 1}: ${r.text}`);
  }
  for (const email of ['missing@acme.test', 'burst@acme.test', 'burst@acme.test']) {
    const r = await impersonate(t, email, { key, ip });
    assert.equal(codeOf(r.body), 'RATE_LIMITED', r.text);
  }
  return { keyId: key.split('_')[1]!, ip };
}

for (const backend of testBackends()) {
  describe(`impersonation failure rate limits (${backend.name})`, () => {
    const t = useTestApp(backend);

    it('2,000 concurrent valid calls from one key and address are all served; 10 failures then refuse the rest', async () => {
      const small = await startTestApp(backend, { env: { TESSERA_AUTH_FAILURES_PER_MINUTE: '10' } });
      try {
        const count = async (bucket: string) =>
          (
            await small.app.services.db
              .selectFrom('auth_failure_counters')
              .select('failures')
              .where('bucket', '=', bucket)
              .execute()
          ).reduce((n, r) => n + Number(r.failures), 0);
        const { keyId, ip } = await burstThenFailures(small);
        // Exactly the failures were written; the successes and the refusals wrote nothing.
        assert.equal(await count(`key:${keyId}`), 10);
        assert.equal(await count(`ip:${ip}`), 10);
      } finally {
        await small.close();
      }
    });

    it('refuses the 11th failure in a minute from one IP with RATE_LIMITED and a retry-after, then lets it through after the window', async () => {
      await userWithEmail(t(), 'ok@acme.test');
      const ip = '10.1.1.1';
      for (let i = 0; i < 10; i++) {
        const r = await impersonate(t(), 'ok@acme.test', { key: unknownKey(), ip });
        assert.equal(r.text, UNAUTHORIZED_BODY, `attempt ${i + 1}`);
      }
      const refused = await impersonate(t(), 'ok@acme.test', { key: unknownKey(), ip });
      assert.equal(codeOf(refused.body), 'RATE_LIMITED', refused.text);
      const retryAfter = refused.body.errors[0].extensions.retryAfterSeconds;
      assert.ok(Number.isInteger(retryAfter) && retryAfter >= 1 && retryAfter <= 60, String(retryAfter));
      // Even a valid key is refused from that IP for the rest of the window …
      const valid = await impersonate(t(), 'ok@acme.test', { ip });
      assert.equal(codeOf(valid.body), 'RATE_LIMITED');
      // … while another IP is unaffected …
      assert.equal((await impersonate(t(), 'ok@acme.test', { ip: '10.1.1.2' })).status, 200);
      // … and after the window the IP is let through again.
      t().clock.advance(retryAfter * 1000);
      const later = await impersonate(t(), 'ok@acme.test', { ip });
      assert.equal(later.status, 200, later.text);
      assert.ok(later.token);
    });

    it('counts failures per key id across IPs; successes do not count', async () => {
      await userWithEmail(t(), 'k@acme.test');
      const key = await t().key(['impersonate']);
      for (let i = 0; i < 15; i++)
        assert.equal((await impersonate(t(), 'k@acme.test', { key, ip: randomIp() })).status, 200);
      for (let i = 0; i < 10; i++) {
        const r = await impersonate(t(), 'missing@acme.test', { key, ip: randomIp() });
        assert.equal(codeOf(r.body), 'NOT_FOUND');
      }
      const refused = await impersonate(t(), 'k@acme.test', { key, ip: randomIp() });
      assert.equal(codeOf(refused.body), 'RATE_LIMITED');
      // Wrong secrets for that key id count against it too.
      const other = await t().key(['impersonate']);
      for (let i = 0; i < 10; i++)
        await impersonate(t(), 'k@acme.test', { key: wrongSecret(other), ip: randomIp() });
      assert.equal(
        codeOf((await impersonate(t(), 'k@acme.test', { key: wrongSecret(other), ip: randomIp() })).body),
        'RATE_LIMITED',
      );
      t().clock.advance(60_000);
    });

    /** The shared counter of one bucket in the current window (the database store). */
    const failures = async (bucket: string) => {
      const rows = await t()
        .app.services.db.selectFrom('auth_failure_counters')
        .selectAll()
        .where('bucket', '=', bucket)
        .execute();
      return rows.reduce((n, r) => n + Number(r.failures), 0);
    };
    /** Resolvers of a failed document may still be finishing when its response is sent. */
    const settled = async (bucket: string, expected: number) => {
      for (let i = 0; i < 100 && (await failures(bucket)) < expected; i++)
        await new Promise((r) => setTimeout(r, 10));
      return failures(bucket);
    };

    it('counts each alias as one attempt: 11 aliased failures in one document, then every attempt is refused', async () => {
      const key = await t().key(['impersonate']);
      const keyId = key.split('_')[1]!;
      const r = await gqlFrom(t(), aliased(11), { k: key }, '10.4.4.4');
      assert.ok(['NOT_FOUND', 'RATE_LIMITED'].includes(codeOf(r.body)!), r.text);
      assert.equal(await settled(`key:${keyId}`, 11), 11);
      assert.equal(await failures('ip:10.4.4.4'), 11);
      await userWithEmail(t(), 'alias@acme.test');
      const next = await impersonate(t(), 'alias@acme.test', { key, ip: '10.4.4.5' });
      assert.equal(codeOf(next.body), 'RATE_LIMITED', next.text);
      t().clock.advance(60_000);
    });

    it('aliased credential failures count one each: 10 in one document, then the next request is refused', async () => {
      const ip = '10.2.2.2';
      const first = await gqlFrom(t(), aliased(10), { k: unknownKey() }, ip);
      assert.equal(first.text, UNAUTHORIZED_BODY);
      assert.equal(await settled(`ip:${ip}`, 10), 10);
      const next = await impersonate(t(), 'x@acme.test', { key: unknownKey(), ip });
      assert.equal(codeOf(next.body), 'RATE_LIMITED', next.text);
      t().clock.advance(60_000);
    });

    it('a batched (array) request is refused whole: batching cannot multiply attempts', async () => {
      const ip = '10.5.5.5';
      const op = { query: IMPERSONATE, variables: { accessToken: unknownKey(), userEmail: 'x@acme.test' } };
      const r = await t().app.fetch(
        new Request('http://tessera.test/graphql', {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(Array.from({ length: 20 }, () => op)),
        }),
        { ip },
      );
      assert.ok(r.status >= 400 && r.status < 500, String(r.status));
      assert.equal(await failures(`ip:${ip}`), 0);
    });

    it('exchangeAccessToken shares the same failure limit', async () => {
      const ip = '10.3.3.3';
      const q = 'query($k: String!) { exchangeAccessToken(accessToken: $k) }';
      for (let i = 0; i < 10; i++) assert.equal((await gqlFrom(t(), q, { k: unknownKey() }, ip)).status, 401);
      assert.equal(codeOf((await gqlFrom(t(), q, { k: t().rootKey }, ip)).body), 'RATE_LIMITED');
    });

    it('honours TESSERA_AUTH_FAILURES_PER_MINUTE', async () => {
      const small = await startTestApp(backend, { env: { TESSERA_AUTH_FAILURES_PER_MINUTE: '3' } });
      try {
        for (let i = 0; i < 3; i++)
          assert.equal((await impersonate(small, 'a@b.test', { key: unknownKey() })).status, 401);
        assert.equal(
          codeOf((await impersonate(small, 'a@b.test', { key: unknownKey() })).body),
          'RATE_LIMITED',
        );
      } finally {
        await small.close();
      }
    });
  });
}

const testRedisUrl = process.env.TEST_REDIS_URL;
if (testRedisUrl) {
  describe('impersonation failure rate limits in Redis (pglite)', () => {
    const t = useTestApp(testBackends()[0]!, { env: { REDIS_URL: testRedisUrl } });

    it('2,000 concurrent valid calls are all served; 10 failures then refuse the rest', async () => {
      const small = await startTestApp(testBackends()[0]!, {
        env: { REDIS_URL: testRedisUrl, TESSERA_AUTH_FAILURES_PER_MINUTE: '10' },
      });
      try {
        await burstThenFailures(small);
        const rows = await small.app.services.db.selectFrom('auth_failure_counters').selectAll().execute();
        assert.equal(rows.length, 0);
      } finally {
        await small.close();
      }
    });

    it('refuses the 11th failure from one IP and keeps nothing in the database', async () => {
      const ip = randomIp(); // Redis outlives test runs: a fresh IP is a fresh bucket
      for (let i = 0; i < 10; i++)
        assert.equal(
          (await impersonate(t(), 'x@acme.test', { key: unknownKey(), ip })).text,
          UNAUTHORIZED_BODY,
        );
      assert.equal(
        codeOf((await impersonate(t(), 'x@acme.test', { key: unknownKey(), ip })).body),
        'RATE_LIMITED',
      );
      const rows = await t().app.services.db.selectFrom('auth_failure_counters').selectAll().execute();
      assert.equal(rows.length, 0);
    });
  });
}

const pgUrl = process.env.TEST_DATABASE_URL;
const redisUrl = process.env.TEST_REDIS_URL;
const sharedStores: [string, Record<string, string>][] = [];
if (pgUrl) sharedStores.push(['PostgreSQL', {}]);
if (pgUrl && redisUrl) sharedStores.push(['Redis', { REDIS_URL: redisUrl }]);

for (const [store, env] of sharedStores) {
  describe(`failure limits shared by two instances (${store})`, () => {
    let s: Instances;
    before(async () => {
      s = await startInstances(pgUrl!, 2, env);
    });
    after(async () => {
      await s?.close();
    });

    it('five failures on each instance, then the 11th is refused on either', async () => {
      const ip = randomIp(); // Redis is shared between runs: a fresh IP is a fresh bucket
      const attempt = (i: number, key = unknownKey()) =>
        s.gql(i, IMPERSONATE, { accessToken: key, userEmail: 'x@acme.test' }, { ip, token: null });
      for (let i = 0; i < 10; i++) assert.equal((await attempt(i % 2)).text, UNAUTHORIZED_BODY);
      assert.equal(codeOf((await attempt(0)).body), 'RATE_LIMITED');
      assert.equal(codeOf((await attempt(1, s.rootKey)).body), 'RATE_LIMITED');
      if (store === 'PostgreSQL') {
        const rows = await s.apps[0]!.services.db.selectFrom('auth_failure_counters')
          .selectAll()
          .where('bucket', '=', `ip:${ip}`)
          .execute();
        assert.equal(rows.length, 1);
      } else {
        const rows = await s.apps[0]!.services.db.selectFrom('auth_failure_counters').selectAll().execute();
        assert.equal(rows.length, 0, 'with Redis configured nothing is counted in the database');
      }
      s.clock.advance(60_000);
      await s.apps[0]!.services.users.createUsers(
        s.workspaceId,
        { emails: ['x@acme.test'] },
        { requestId: null, ip: null, actorKeyId: null, actorUserId: null },
      );
      assert.equal((await attempt(1, s.rootKey)).status, 200);
    });

    it('aliases split across two instances count one each', async () => {
      const ip = randomIp();
      const key = unknownKey();
      const a = s.gql(0, aliased(6), { k: key }, { ip, token: null });
      const b = s.gql(1, aliased(6), { k: key }, { ip, token: null });
      await Promise.all([a, b]);
      // Sibling aliases of a failed document may still be finishing after its response.
      await new Promise((r) => setTimeout(r, 300));
      const next = await s.gql(
        0,
        IMPERSONATE,
        { accessToken: unknownKey(), userEmail: 'x@acme.test' },
        { ip, token: null },
      );
      assert.equal(codeOf(next.body), 'RATE_LIMITED');
    });
  });
}
