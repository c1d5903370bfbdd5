import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, test } from 'node:test';

/**
 * DATABASE_URL asking for TLS (`sslmode=require`) of a server that offers none: a configuration
 * mismatch an operator fixes in the URL or on the server, so it gets its own exit code (15) and
 * one line saying so, not "unexpected error" (exit code 3, a bug).
 */
const adminUrl = process.env.TEST_DATABASE_URL;

describe('faults: DATABASE_URL requires TLS the server does not offer', { skip: !adminUrl }, () => {
  for (const command of [['migrate'], ['serve']]) {
    test(`tessera ${command.join(' ')}: exit code 15, one line naming TLS and the server`, () => {
      const url = new URL(adminUrl!);
      url.searchParams.set('sslmode', 'require');
      const r = spawnSync(process.execPath, ['--no-warnings', 'src/cli.ts', ...command], {
        env: { ...process.env, NODE_ENV: 'test', LOG_LEVEL: 'warn', PORT: '0', DATABASE_URL: url.toString() },
        encoding: 'utf8',
        timeout: 60_000,
      });
      assert.equal(r.status, 15, r.stderr);
      const lines = r.stderr.trim().split('\n');
      assert.equal(lines.length, 1, r.stderr);
      assert.match(lines[0]!, /TLS/);
      assert.match(lines[0]!, new RegExp(`${url.hostname}:${url.port || 5432}`));
      assert.doesNotMatch(r.stderr, /unexpected error/);
    });
  }
});
