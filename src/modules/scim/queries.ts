import { sql } from 'kysely';
import type { Executor } from '../../db/index.ts';

export interface ScimUserRow {
  user_id: string;
  external_id: string | null;
  resource: Record<string, unknown>;
  updated_at: Date;
}

export interface ScimGroupRow {
  group_id: string;
  external_id: string | null;
  updated_at: Date;
}

const json = <T>(v: T | string): T => (typeof v === 'string' ? (JSON.parse(v) as T) : v);

export async function scimUsers(
  db: Executor,
  workspaceId: string,
  userIds: readonly string[],
): Promise<Map<string, ScimUserRow>> {
  if (userIds.length === 0) return new Map();
  const rows = await db
    .selectFrom('scim_users')
    .select(['user_id', 'external_id', 'resource', 'updated_at'])
    .where('workspace_id', '=', workspaceId)
    .where('user_id', 'in', userIds)
    .execute();
  return new Map(rows.map((r) => [r.user_id, { ...r, resource: json(r.resource) }]));
}

export const userIdsByExternalId = async (db: Executor, workspaceId: string, externalId: string) =>
  (
    await db
      .selectFrom('scim_users')
      .select('user_id')
      .where('workspace_id', '=', workspaceId)
      .where('external_id', '=', externalId)
      .execute()
  ).map((r) => r.user_id);

/** Stores the user's SCIM fields, counting its SCIM writes in `version` (not shown: no ETags). */
export async function saveScimUser(
  db: Executor,
  row: {
    userId: string;
    workspaceId: string;
    externalId: string | null;
    resource: Record<string, unknown>;
    at: Date;
  },
): Promise<void> {
  await sql`
    insert into scim_users (user_id, workspace_id, external_id, resource, version, created_at, updated_at)
    values (${row.userId}, ${row.workspaceId}, ${row.externalId}, ${JSON.stringify(row.resource)}::jsonb, 1, ${row.at}, ${row.at})
    on conflict (user_id) do update set external_id = excluded.external_id, resource = excluded.resource,
      version = scim_users.version + 1, updated_at = excluded.updated_at
  `.execute(db);
}

export async function scimGroups(
  db: Executor,
  workspaceId: string,
  groupIds: readonly string[],
): Promise<Map<string, ScimGroupRow>> {
  if (groupIds.length === 0) return new Map();
  const rows = await db
    .selectFrom('scim_groups')
    .select(['group_id', 'external_id', 'updated_at'])
    .where('workspace_id', '=', workspaceId)
    .where('group_id', 'in', groupIds)
    .execute();
  return new Map(rows.map((r) => [r.group_id, r]));
}

export async function saveScimGroup(
  db: Executor,
  row: { groupId: string; workspaceId: string; externalId: string | null; at: Date },
): Promise<void> {
  await sql`
    insert into scim_groups (group_id, workspace_id, external_id, version, created_at, updated_at)
    values (${row.groupId}, ${row.workspaceId}, ${row.externalId}, 1, ${row.at}, ${row.at})
    on conflict (group_id) do update set external_id = excluded.external_id,
      version = scim_groups.version + 1, updated_at = excluded.updated_at
  `.execute(db);
}
