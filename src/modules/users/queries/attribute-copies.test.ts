import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { sql } from 'kysely';
import { useTestApp } from '../../../../test/helpers/app.ts';
import { testBackends } from '../../../../test/helpers/databases.ts';

const origin = { requestId: null, ip: null, actorKeyId: null, actorUserId: null };

// The copies of a user's workspace and email on each attribute row (migrations 0005 and 0011):
// whichever way a row is written, its copies are its user's.
for (const backend of testBackends()) {
  describe(`attribute rows' copies of their user (${backend.name})`, () => {
    const t = useTestApp(backend);

    const copiesOf = async (userId: string) =>
      (
        await sql<{ key: string; workspace_id: string | null; email_normalized: string | null }>`
          select key, workspace_id, email_normalized from user_attributes
          where user_id = ${userId} order by key`.execute(t().app.services.db)
      ).rows;

    it('are filled in for a row written without them, kept when given, and follow a moved row', async () => {
      const db = t().app.services.db;
      const ws = (await t().app.services.workspaces.create('Copies', origin)).id;
      await sql`
        insert into users (id, workspace_id, email, email_normalized)
        values ('usr_copy_a', ${ws}, 'A@copy.test', 'a@copy.test'),
               ('usr_copy_b', ${ws}, 'b@copy.test', 'b@copy.test')`.execute(db);
      await sql`
        insert into user_attributes (user_id, source, key, value)
        values ('usr_copy_a', 'DATABASE', 'bare', 'x')`.execute(db);
      await sql`
        insert into user_attributes (user_id, source, key, value, workspace_id, email_normalized)
        values ('usr_copy_a', 'DATABASE', 'given', 'x', ${ws}, 'a@copy.test')`.execute(db);
      assert.deepEqual(await copiesOf('usr_copy_a'), [
        { key: 'bare', workspace_id: ws, email_normalized: 'a@copy.test' },
        { key: 'given', workspace_id: ws, email_normalized: 'a@copy.test' },
      ]);

      await sql`update user_attributes set user_id = 'usr_copy_b' where key = 'bare'`.execute(db);
      assert.deepEqual(await copiesOf('usr_copy_b'), [
        { key: 'bare', workspace_id: ws, email_normalized: 'b@copy.test' },
      ]);

      await sql`update users set email_normalized = 'b2@copy.test' where id = 'usr_copy_b'`.execute(db);
      assert.deepEqual(await copiesOf('usr_copy_b'), [
        { key: 'bare', workspace_id: ws, email_normalized: 'b2@copy.test' },
      ]);
    });
  });
}
