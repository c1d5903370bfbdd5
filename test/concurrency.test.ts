import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { sql } from 'kysely';
import { createApp } from '../src/app.ts';
import type { Config } from '../src/config.ts';
import { createUsers, rowCounts, setUserAttributes } from './helpers/api.ts';
import { startTestApp, type TestApp, testConfig } from './helpers/app.ts';
import { createScratchPostgresDatabase, testBackends } from './helpers/databases.ts';

const pgUrl = process.env.TEST_DATABASE_URL;

describe('concurrency on PostgreSQL', { skip: pgUrl ? false : 'TEST_DATABASE_URL not set' }, () => {
  it('20 concurrent createUsers for one email, on two instances, make exactly one user', async () => {
    const scratch = await createScratchPostgresDatabase(pgUrl!);
    const config = {
      ...testConfig(),
      database: { kind: 'postgres', url: scratch.url, poolSize: 10 },
    } as Config;
    const [a, b] = await Promise.all([createApp(config), createApp(config)]);
    try {
      const ws = await a.services.workspaces.ensureDefault();
      assert.equal((await b.services.workspaces.ensureDefault()).id, ws.id, 'one default workspace');
      const origin = { requestId: null, ip: null, actorKeyId: null, actorUserId: null };
      const results = await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          (i % 2 ? a : b).services.users.createUsers(
            ws.id,
            {
              emails: [i % 3 ? 'Race@x.com' : 'race@X.com'],
              userAttributes: [{ key: 'n', value: String(i) }],
            },
            origin,
          ),
        ),
      );
      const ids = new Set(results.map((r) => r[0]!.userId));
      assert.equal(ids.size, 1);
      assert.equal(results.filter((r) => r[0]!.outcome === 'CREATED').length, 1);
      const users = await a.services.db.selectFrom('users').select('id').execute();
      assert.equal(users.length, 1);
      const migrations = await sql<{ n: number }>`select count(*)::int as n from tessera_migrations`.execute(
        a.services.db,
      );
      const names = await sql<{ name: string }>`select name from tessera_migrations`.execute(a.services.db);
      assert.equal(migrations.rows[0]!.n, new Set(names.rows.map((r) => r.name)).size, 'migrations ran once');
    } finally {
      await a.close();
      await b.close();
      await scratch.drop();
    }
  });

  it('concurrent setUserAttributes leave exactly one of the inputs, never a mix', async () => {
    const t = await startTestApp(testBackends().find((b) => b.name === 'postgres')!);
    try {
      const { payload } = await createUsers(t, { emails: ['mix@x.com'] });
      const id = payload.results[0]!.userId;
      const inputs = Array.from({ length: 12 }, (_, i) =>
        Array.from({ length: 20 }, (_, k) => ({ key: `k${k}`, value: `writer${i}` })),
      );
      const outcomes = await Promise.all(inputs.map((attrs) => setUserAttributes(t, id, attrs)));
      assert.ok(outcomes.every((o) => o.status.code === 'OK'));
      const rows = await t.app.services.db
        .selectFrom('user_attributes')
        .select(['key', 'value'])
        .where('user_id', '=', id)
        .execute();
      assert.equal(rows.length, 20);
      assert.equal(
        new Set(rows.map((r) => r.value)).size,
        1,
        `a mix of writers: ${[...new Set(rows.map((r) => r.value))]}`,
      );
    } finally {
      await t.close();
    }
  });
});

for (const backend of testBackends()) {
  describe(`faults (${backend.name})`, () => {
    it('a failure in the middle of a multi-row write leaves nothing half-written', async () => {
      const t: TestApp = await startTestApp(backend);
      try {
        // A real database error raised after the users rows are inserted, while attributes are written.
        await sql`create function fail_on_poison() returns trigger language plpgsql as $$
          begin if new.value = 'poison' then raise exception 'disk full (simulated)'; end if; return new; end $$`.execute(
          t.app.services.db,
        );
        await sql`create trigger poison before insert on user_attributes for each row execute function fail_on_poison()`.execute(
          t.app.services.db,
        );
        const before = await rowCounts(t);
        const emails = Array.from({ length: 300 }, (_, i) => `fault${i}@x.com`);
        const r = await createUsers(t, {
          emails,
          userAttributes: [{ key: 'a', value: 'poison' }],
          sendWelcomeEmail: true,
        });
        assert.equal(r.body.errors![0]!.extensions!.code, 'INTERNAL_SERVER_ERROR');
        assert.equal(r.body.errors![0]!.message, 'Unexpected error.');
        assert.doesNotMatch(JSON.stringify(r.body), /disk full/);
        assert.deepEqual(await rowCounts(t), before);
        const audit = await t.app.services.db
          .selectFrom('audit_events')
          .select('id')
          .where('action', '=', 'user.create')
          .execute();
        assert.equal(audit.length, 0);
      } finally {
        await t.close();
      }
    });
  });
}
