import type { Selectable } from 'kysely';
import { sql } from 'kysely';
import { anyText, chunksFor } from '../../../db/batch.ts';
import { fixedQuery } from '../../../db/fixed-query.ts';
import type { Executor } from '../../../db/index.ts';
import type { UsersTable } from '../../../db/schema.ts';
import { inheritedAssignments, isEmptyUserSet, membershipsOf, type UserSet } from '../../groups/queries.ts';
import { replaceDirectAssignmentsEach } from './bulk.ts';

export type UserRow = Selectable<UsersTable>;
export interface StoredAttribute {
  readonly key: string;
  readonly value: string;
  readonly source: 'DATABASE' | 'JWT';
}
export interface StoredAssignment {
  readonly roleId: string;
  readonly scopes: string[];
  readonly inheritedFromGroupId?: string | null;
  /** DIRECT (the API), GROUP (inherited) or CLAIM (granted by the last SSO sign-in's claims). */
  readonly source?: 'DIRECT' | 'GROUP' | 'CLAIM';
}

export const findUser = (db: Executor, workspaceId: string, id: string) =>
  db
    .selectFrom('users')
    .selectAll()
    .where('workspace_id', '=', workspaceId)
    .where('id', '=', id)
    .executeTakeFirst();

export const findUserByEmail = (db: Executor, workspaceId: string, emailNormalized: string) =>
  db
    .selectFrom('users')
    .selectAll()
    .where('workspace_id', '=', workspaceId)
    .where('email_normalized', '=', emailNormalized)
    .executeTakeFirst();

/** Locks the users' rows for the rest of the transaction, in a fixed order to avoid deadlocks. */
export const lockUsers = (db: Executor, workspaceId: string, ids: readonly string[]) =>
  ids.length === 0
    ? Promise.resolve([] as UserRow[])
    : db
        .selectFrom('users')
        .selectAll()
        .where('workspace_id', '=', workspaceId)
        .where('id', '=', anyText(ids))
        .orderBy('id')
        .forUpdate()
        .execute();

/**
 * Which of these emails (normalized) belong to SCIM-managed users of the workspace.
 * Written as a join on the unnested list, not `email_normalized = any(…)`, so each email is one
 * unique-index lookup whatever the planner believes of the table: right after a bulk import,
 * before autovacuum has analyzed it, `any()` of a thousand emails was planned as a scan of the
 * whole workspace (300 ms a batch at 1.5M users, and growing with every batch).
 */
export const scimManagedByEmail = async (db: Executor, workspaceId: string, normalized: readonly string[]) =>
  (
    await sql<{ email: string }>`
      select u.email from (select distinct unnest(${[...normalized]}::text[])) as e(email_normalized)
      join users u on u.workspace_id = ${workspaceId} and u.email_normalized = e.email_normalized
      where u.is_scim_managed
      order by u.email_normalized`.execute(db)
  ).rows.map((r) => r.email);

/** A SCIM write's user fields; it marks the user SCIM-managed (docs/scim.md "Users the IdP manages"). */
export const updateScimUser = (
  db: Executor,
  id: string,
  fields: { email: string; email_normalized: string; status: string; updated_at: Date },
) =>
  db
    .updateTable('users')
    .set({ ...fields, is_scim_managed: true })
    .where('id', '=', id)
    .execute();

/**
 * The ids among `ids` of the workspace's users, each held (FOR KEY SHARE, as a foreign key to the
 * user would) until the transaction ends, in a fixed order.
 */
export const lockWorkspaceUsers = async (db: Executor, workspaceId: string, ids: readonly string[]) =>
  new Set(
    ids.length === 0
      ? []
      : (
          await db
            .selectFrom('users')
            .select('id')
            .where('workspace_id', '=', workspaceId)
            .where('id', 'in', ids)
            .orderBy('id')
            .forKeyShare()
            .execute()
        ).map((k) => k.id),
  );

export const listUsersOrdered = (db: Executor, workspaceId: string) =>
  db
    .selectFrom('users')
    .selectAll()
    .where('workspace_id', '=', workspaceId)
    .orderBy('email_normalized')
    .orderBy('id')
    .execute();

/** Inserts the emails that do not exist yet; returns the ids it created. Concurrent callers never duplicate. */
export async function insertMissingUsers(
  db: Executor,
  rows: readonly {
    id: string;
    workspace_id: string;
    email: string;
    email_normalized: string;
    created_at: Date;
    updated_at: Date;
  }[],
): Promise<Set<string>> {
  const created = new Set<string>();
  for (const chunk of chunksFor(rows, 6)) {
    const inserted = await db
      .insertInto('users')
      .values(chunk)
      .onConflict((oc) => oc.constraint('users_workspace_email_unique').doNothing())
      .returning('id')
      .execute();
    for (const r of inserted) created.add(r.id);
  }
  return created;
}

/** The workspace's users with these emails (normalized), locked; a join for the reason scimManagedByEmail gives. */
export const usersByEmails = async (db: Executor, workspaceId: string, normalized: readonly string[]) =>
  (
    await sql<UserRow>`
      select u.* from (select distinct unnest(${[...normalized]}::text[])) as e(email_normalized)
      join users u on u.workspace_id = ${workspaceId} and u.email_normalized = e.email_normalized
      order by u.id
      for update of u`.execute(db)
  ).rows;

export type { UserSet } from '../../groups/queries.ts';

// Compiled once: every page of users reads its users' attributes (src/db/fixed-query.ts).
const attributesByUserIds = fixedQuery((db, v: { userIds: readonly string[] }) =>
  db
    .selectFrom('user_attributes')
    .select(['user_id', 'key', 'value', 'source'])
    .where('user_id', '=', sql<string>`any(${v.userIds}::text[])`)
    .orderBy('user_id')
    .orderBy('source')
    .orderBy('key'),
);

export async function attributesOf(db: Executor, users: UserSet): Promise<Map<string, StoredAttribute[]>> {
  const map = new Map<string, StoredAttribute[]>();
  if (isEmptyUserSet(users)) return map;
  const rows = Array.isArray(users)
    ? await attributesByUserIds(db, { userIds: users as readonly string[] })
    : await db
        .selectFrom('user_attributes')
        .select(['user_id', 'key', 'value', 'source'])
        // user_attributes carries its user's workspace, kept in step by a trigger (migration 0005).
        .where('workspace_id', '=', (users as { workspaceId: string }).workspaceId)
        .orderBy('user_id')
        .orderBy('source')
        .orderBy('key')
        .execute();
  for (const r of rows) push(map, r.user_id, { key: r.key, value: r.value, source: r.source });
  return map;
}

/** Direct assignments, then those inherited from each group the user belongs to. */
export async function roleAssignmentsOf(
  db: Executor,
  users: UserSet,
): Promise<Map<string, StoredAssignment[]>> {
  const map = new Map<string, StoredAssignment[]>();
  if (isEmptyUserSet(users)) return map;
  const direct = await db
    .selectFrom('user_role_assignments')
    .select(['user_id', 'role_id', 'scopes', 'source'])
    .where((eb) =>
      Array.isArray(users)
        ? eb('user_id', '=', anyText(users))
        : eb(
            'user_id',
            'in',
            eb
              .selectFrom('users')
              .select('id')
              .where('workspace_id', '=', (users as { workspaceId: string }).workspaceId),
          ),
    )
    .orderBy('user_id')
    .orderBy('source', 'desc')
    .orderBy('position')
    .execute();
  for (const r of direct)
    push(map, r.user_id, {
      roleId: r.role_id,
      scopes: r.scopes,
      inheritedFromGroupId: null,
      source: r.source,
    });
  for (const [userId, inherited] of await inheritedAssignmentsOf(db, users))
    for (const assignment of inherited) push(map, userId, assignment);
  return map;
}

/** The role assignments each user inherits from the groups it belongs to, by user. */
export async function inheritedAssignmentsOf(
  db: Executor,
  users: UserSet,
): Promise<Map<string, StoredAssignment[]>> {
  const map = new Map<string, StoredAssignment[]>();
  if (isEmptyUserSet(users)) return map;
  for (const r of await inheritedAssignments(db, users))
    push(map, r.user_id, {
      roleId: r.role_id,
      scopes: r.scopes,
      inheritedFromGroupId: r.group_id,
      source: 'GROUP',
    });
  return map;
}

export async function groupIdsOf(db: Executor, users: UserSet): Promise<Map<string, string[]>> {
  const map = new Map<string, string[]>();
  if (isEmptyUserSet(users)) return map;
  for (const r of await membershipsOf(db, users)) push(map, r.user_id, r.group_id);
  return map;
}

export async function replaceDatabaseAttributes(
  db: Executor,
  userIds: readonly string[],
  attributes: readonly { key: string; value: string }[],
): Promise<void> {
  if (userIds.length === 0) return;
  await db
    .deleteFrom('user_attributes')
    .where('user_id', '=', anyText(userIds))
    .where('source', '=', 'DATABASE')
    .execute();
  if (attributes.length === 0) return;
  // One set-based statement whatever the number of users: every user gets the same attributes,
  // with its workspace and email copied in for the filtered-page index (migration 0005).
  await sql`
    insert into user_attributes (user_id, source, key, value, workspace_id, email_normalized)
    select u.id, 'DATABASE', a.key, a.value, u.workspace_id, u.email_normalized
    from users u
    cross join unnest(${attributes.map((a) => a.key)}::text[], ${attributes.map((a) => a.value)}::text[]) as a(key, value)
    where u.id = any(${[...userIds]}::text[])
  `.execute(db);
}

/** The user's claim-granted role assignments (source CLAIM) become `assignments`; DIRECT ones stay. */
export async function replaceClaimAssignments(
  db: Executor,
  userId: string,
  assignments: readonly { roleId: string; scopes: readonly string[] }[],
): Promise<void> {
  await db
    .deleteFrom('user_role_assignments')
    .where('user_id', '=', userId)
    .where('source', '=', 'CLAIM')
    .execute();
  if (assignments.length === 0) return;
  await db
    .insertInto('user_role_assignments')
    .values(
      assignments.map((a, position) => ({
        user_id: userId,
        position,
        role_id: a.roleId,
        scopes: [...a.scopes],
        source: 'CLAIM' as const,
      })),
    )
    .execute();
}

/** Records the start of a session (impersonation or sign-in) as the user's last activity. */
export const touchLastActiveSession = (db: Executor, userId: string, at: Date) =>
  db.updateTable('users').set({ last_active_session_at: at }).where('id', '=', userId).execute();

/** Every given user's direct role assignments become `assignments`. */
export const replaceDirectAssignments = (
  db: Executor,
  userIds: readonly string[],
  assignments: readonly { roleId: string; scopes: readonly string[] }[],
) =>
  replaceDirectAssignmentsEach(
    db,
    userIds.map((userId) => ({ userId, assignments })),
  );

/** The user's JWT attributes become `attributes` (DATABASE ones stay). */
export async function replaceJwtAttributes(
  db: Executor,
  userId: string,
  attributes: readonly { key: string; value: string }[],
): Promise<void> {
  await db.deleteFrom('user_attributes').where('user_id', '=', userId).where('source', '=', 'JWT').execute();
  if (attributes.length > 0) {
    await db
      .insertInto('user_attributes')
      .values(
        attributes.map((a) => ({ user_id: userId, source: 'JWT' as const, key: a.key, value: a.value })),
      )
      .execute();
  }
}

export const setUserStatus = (db: Executor, userId: string, status: string, at: Date) =>
  db.updateTable('users').set({ status, updated_at: at }).where('id', '=', userId).execute();

export const deleteWorkspaceUsers = (db: Executor, workspaceId: string, ids: readonly string[]) =>
  db.deleteFrom('users').where('workspace_id', '=', workspaceId).where('id', '=', anyText(ids)).execute();

/** The workspace's users with a direct role assignment whose scopes include `scope`. */
export const usersWithScope = (db: Executor, workspaceId: string, scope: string) =>
  db
    .selectFrom('user_role_assignments as a')
    .innerJoin('users as u', 'u.id', 'a.user_id')
    .select('u.id')
    .distinct()
    .where('u.workspace_id', '=', workspaceId)
    .where((eb) => eb(eb.val(scope), '=', eb.fn.any('a.scopes')))
    .execute();

/**
 * Two CTEs, `locked` and `touched`, for a statement whose CTE `e` (user_id, session_at) lists
 * started sessions: sets each user's `last_active_session_at` to their latest start, and yields
 * `touched(id)`, the users that exist. Part of the sessions' one group-committed statement.
 */
export const touchSessionUsersCtes = sql`locked as (
      -- Row locks in id order: two batches in flight that touch the same users cannot deadlock.
      select id from users where id in (select user_id from e) order by id for update
    ), touched as (
      update users set last_active_session_at = s.at
      from (select user_id, max(session_at::timestamptz) as at from e group by user_id) as s
      where users.id = s.user_id and users.id in (select id from locked)
      returning users.id
    )`;

export const touchUsers = (db: Executor, userIds: readonly string[], at: Date) =>
  userIds.length === 0
    ? Promise.resolve()
    : db.updateTable('users').set({ updated_at: at }).where('id', '=', anyText(userIds)).execute();

export async function usersByIds(db: Executor, ids: readonly string[]): Promise<Map<string, UserRow>> {
  if (ids.length === 0) return new Map();
  const rows = await db.selectFrom('users').selectAll().where('id', '=', anyText(ids)).execute();
  return new Map(rows.map((r) => [r.id, r]));
}

export const countUsers = async (db: Executor, workspaceId: string) =>
  Number(
    (
      await db
        .selectFrom('users')
        .select(sql<number>`count(*)`.as('n'))
        .where('workspace_id', '=', workspaceId)
        .executeTakeFirstOrThrow()
    ).n,
  );

function push<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}
