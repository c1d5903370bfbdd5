// Two `tessera serve` processes cold-starting together on one empty PostgreSQL database: one
// default workspace, one first access key, printed by exactly one of them. PostgreSQL only
// (a PGlite directory admits one process); skipped without TEST_DATABASE_URL.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, test } from 'node:test';
import pg from 'pg';
import { createScratchPostgresDatabase } from './helpers/databases.ts';
import { type ServerProcess, startServerProcess } from './helpers/server-process.ts';

const adminUrl = process.env.TEST_DATABASE_URL;
const KEY = /tsk_[0-9a-z]{16}_[A-Za-z0-9_-]{43}/g;

describe('cold starts racing on one PostgreSQL database', { skip: !adminUrl }, () => {
  test('create exactly one default workspace and one first key, printed by one instance', async () => {
    for (let round = 0; round < 2; round++) {
      const scratch = await createScratchPostgresDatabase(adminUrl!);
      // Instances sharing a database share its master key (it seals the signing keys).
      const env = {
        DATABASE_URL: scratch.url,
        LOG_LEVEL: 'warn',
        TESSERA_MASTER_KEY: randomBytes(32).toString('base64'),
      };
      const servers: ServerProcess[] = [];
      try {
        const starting = [startServerProcess(env), startServerProcess(env)];
        for (const s of await Promise.allSettled(starting))
          if (s.status === 'fulfilled') servers.push(s.value);
        for (const s of await Promise.allSettled(starting)) if (s.status === 'rejected') throw s.reason;
        const printed = servers.flatMap((s) => s.stderr().match(KEY) ?? []);
        assert.equal(printed.length, 1, 'one instance printed a first key');
        const db = new pg.Client({ connectionString: scratch.url });
        await db.connect();
        try {
          const keys = await db.query('select count(*)::int as n from access_keys');
          const workspaces = await db.query('select count(*)::int as n from workspaces where is_default');
          assert.equal(keys.rows[0].n, 1);
          assert.equal(workspaces.rows[0].n, 1);
        } finally {
          await db.end();
        }
        const r = await fetch(`${servers[1]!.url}/graphql`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${printed[0]}` },
          body: JSON.stringify({ query: '{ listUsers { id } }' }),
        });
        assert.equal(r.status, 200, 'the key works on either instance');
      } finally {
        for (const s of servers) await s.stop();
        await scratch.drop();
      }
    }
  });
});
