import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startTestApp, type TestApp } from '../../../test/helpers/app.ts';
import { testBackends } from '../../../test/helpers/databases.ts';
import type { AuditOrigin } from '../audit/service.ts';
import { ROLE_IDS } from '../roles/roles.ts';
import { type UpsertContext, type UserFields, upsertUsersEach } from './upsert.ts';
import { upsertUsersBulk } from './upsert-bulk.ts';

const origin: AuditOrigin = {
  requestId: 'req_bulk',
  ip: '10.0.0.1',
  actorKeyId: 'key_bulk',
  actorUserId: null,
};

/** Everything a bulk write leaves in a workspace, with its own ids replaced by emails and group names. */
async function stored(t: TestApp, workspaceId: string) {
  const db = t.app.services.db;
  const users = await db.selectFrom('users').selectAll().where('workspace_id', '=', workspaceId).execute();
  const emailOf = new Map(users.map((u) => [u.id, u.email_normalized]));
  const groups = await db.selectFrom('user_groups').select(['id', 'name']).execute();
  const groupName = new Map(groups.map((g) => [g.id, g.name]));
  const ids = users.map((u) => u.id);
  const attrs = await db.selectFrom('user_attributes').selectAll().where('user_id', 'in', ids).execute();
  const roles = await db
    .selectFrom('user_role_assignments')
    .selectAll()
    .where('user_id', 'in', ids)
    .execute();
  const members = await db.selectFrom('group_members').selectAll().where('user_id', 'in', ids).execute();
  const events = await db
    .selectFrom('audit_events')
    .selectAll()
    .where('workspace_id', '=', workspaceId)
    .where('action', 'like', 'user.%')
    .execute();
  const sort = (rows: string[]) => rows.sort();
  return {
    users: sort(
      users.map((u) => `${u.email}|${u.email_normalized}|${u.status}|${u.created_at.toISOString()}`),
    ),
    attrs: sort(
      attrs.map(
        (a) =>
          `${emailOf.get(a.user_id)}|${a.source}|${a.key}|${a.value}|${a.workspace_id === workspaceId}|${a.email_normalized}`,
      ),
    ),
    roles: sort(
      roles.map(
        (r) => `${emailOf.get(r.user_id)}|${r.position}|${r.role_id}|${r.scopes.join(',')}|${r.source}`,
      ),
    ),
    members: sort(members.map((m) => `${emailOf.get(m.user_id)}|${groupName.get(m.group_id)}`)),
    events: sort(
      events.map(
        (e) =>
          `${e.action}|${e.outcome}|${emailOf.get(e.target_id!)}|${e.target_type}|${e.actor_key_id}|${e.request_id}|${e.ip}|${e.occurred_at.toISOString()}|${JSON.stringify(e.details)}`,
      ),
    ),
  };
}

for (const backend of testBackends()) {
  describe(`upsertUsersBulk (${backend.name})`, () => {
    let t: TestApp;
    before(async () => {
      t = await startTestApp(backend);
    });
    after(() => t.close());

    it('leaves exactly what upsertUsersEach leaves, new and existing users alike', async () => {
      const services = t.app.services;
      const workspaces = await Promise.all(
        ['Bulk A', 'Bulk B'].map((name) => services.workspaces.create(name, origin)),
      );
      const groupIn = async (workspaceId: string) =>
        (
          await services.groups.create(
            workspaceId,
            { name: 'Readers', description: '', roleAssignments: [] },
            origin,
          )
        ).id;
      const now = new Date('2026-03-04T05:06:07.000Z');
      const context: UpsertContext = { origin, now, publicUrl: 'http://tessera.test', via: 'import' };
      const runs = [];
      for (const [i, write] of [upsertUsersBulk, upsertUsersEach].entries()) {
        const ws = workspaces[i]!;
        const group = await groupIn(ws.id);
        // Already there: one that stays as it is, one whose attributes change.
        const earlier: { email: string; fields: UserFields }[] = [
          { email: 'same@acme.com', fields: { userAttributes: [{ key: 'tier', value: 'gold' }] } },
          { email: 'moved@acme.com', fields: { userAttributes: [{ key: 'tier', value: 'gold' }] } },
        ];
        await services.db.transaction().execute((tx) => upsertUsersEach(tx, ws, earlier, context));
        const entries: { email: string; fields: UserFields }[] = [
          {
            email: ' Zoe@Acme.com ',
            fields: {
              roleAssignments: [
                { roleId: ROLE_IDS.VIEWER, scopes: ['default', 'default'] },
                { roleId: ROLE_IDS.ADMIN, scopes: [] },
              ],
              userAttributes: [
                { key: 'region', value: 'eu' },
                { key: 'quote', value: 'say "hi", \\ back' },
              ],
              userGroupIds: [group, group],
            },
          },
          { email: 'adam@acme.com', fields: {} },
          { email: 'SAME@acme.com', fields: { userAttributes: [{ key: 'tier', value: 'gold' }] } },
          { email: 'moved@acme.com', fields: { userAttributes: [{ key: 'tier', value: 'silver' }] } },
          {
            email: 'zoe@ACME.com',
            fields: { userAttributes: [{ key: 'ignored', value: 'second spelling' }] },
          },
        ];
        const results = await services.db.transaction().execute((tx) => write(tx, ws, entries, context));
        runs.push({
          outcomes: results.map((r) => `${r.email}:${r.outcome}`),
          stored: await stored(t, ws.id),
        });
      }
      const [bulk, each] = runs;
      assert.deepEqual(bulk!.outcomes, [
        'Zoe@Acme.com:CREATED',
        'adam@acme.com:CREATED',
        'same@acme.com:UNCHANGED',
        'moved@acme.com:UPDATED',
      ]);
      assert.deepEqual(bulk, each);
      assert.ok(bulk!.stored.roles.some((r) => r.startsWith('zoe@acme.com|0|')));
      assert.ok(
        bulk!.stored.attrs.includes('zoe@acme.com|DATABASE|quote|say "hi", \\ back|true|zoe@acme.com'),
      );
    });
  });
}
