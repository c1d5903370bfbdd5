import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startTestApp, type TestApp } from './helpers/app.ts';
import { testBackends } from './helpers/databases.ts';
import { type FaultProxy, startFaultProxy, targetOf } from './helpers/fault-proxy.ts';

/**
 * Redis holding the failure counters of impersonateUser (REDIS_URL) on a network that stalls
 * without closing: every attempt must end within a few seconds as SERVICE_UNAVAILABLE (fail
 * closed, 503 with Retry-After), not wait for an answer that never comes, and the counters must
 * work again once the network does, without a restart.
 */
const redisUrl = process.env.TEST_REDIS_URL;
const IMPERSONATE = `mutation($k: String!, $e: String!) { impersonateUser(accessToken: $k, userEmail: $e) }`;

describe('faults: Redis that stalls', { skip: !redisUrl }, () => {
  let proxy: FaultProxy;
  let t: TestApp;

  before(async () => {
    proxy = await startFaultProxy(targetOf(redisUrl!, 6379));
    t = await startTestApp(testBackends()[0]!, { env: { REDIS_URL: proxy.urlFor(redisUrl!) } });
  });
  after(async () => {
    await t?.close();
    await proxy?.close();
  });

  const attempt = async () => {
    const key = await t.key(['impersonate']);
    const started = Date.now();
    const r = await t.gql(IMPERSONATE, { k: key, e: 'nobody@stall.example' }, null);
    return { r, ms: Date.now() - started };
  };

  test('an impersonation while Redis stalls is SERVICE_UNAVAILABLE within seconds, and works once it answers', async () => {
    const healthy = await attempt();
    assert.equal(healthy.r.body.errors?.[0]?.extensions?.code, 'NOT_FOUND', JSON.stringify(healthy.r.body));
    proxy.stall(true);
    try {
      const results = await Promise.all([attempt(), attempt(), attempt()]);
      for (const { r, ms } of results) {
        assert.equal(r.body.errors?.[0]?.extensions?.code, 'SERVICE_UNAVAILABLE', JSON.stringify(r.body));
        assert.equal(r.status, 503);
        assert.equal(r.headers.get('retry-after'), '1');
        assert.ok(ms < 8000, `answered after ${ms} ms`);
      }
    } finally {
      proxy.stall(false);
    }
    // The stalled connection is given up and a fresh one opened: the counters answer again.
    const deadline = Date.now() + 15_000;
    let code: string | undefined;
    while (Date.now() < deadline) {
      code = (await attempt()).r.body.errors?.[0]?.extensions?.code;
      if (code === 'NOT_FOUND') break;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    assert.equal(code, 'NOT_FOUND');
  });
});

describe('faults: a REDIS_URL that is not a Redis URL', () => {
  for (const value of ['not a url', 'http://127.0.0.1:6379']) {
    test(`REDIS_URL=${JSON.stringify(value)}: the server refuses to start, one line, exit code 2`, () => {
      const dataDir = mkdtempSync(join(tmpdir(), 'tessera-redis-url-'));
      try {
        const r = spawnSync(process.execPath, ['src/cli.ts', 'serve'], {
          env: {
            ...process.env,
            NODE_ENV: 'test',
            LOG_LEVEL: 'warn',
            PORT: '0',
            TESSERA_DATA_DIR: dataDir,
            REDIS_URL: value,
          },
          encoding: 'utf8',
          timeout: 120_000,
        });
        assert.equal(r.status, 2, r.stderr);
        assert.match(r.stderr, /REDIS_URL/);
        assert.doesNotMatch(r.stderr, /listening on|\n\s+at /);
        assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
      } finally {
        rmSync(dataDir, { recursive: true, force: true });
      }
    });
  }
});
