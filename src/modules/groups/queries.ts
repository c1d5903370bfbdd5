import { type Expression, expressionBuilder, type Selectable, type SqlBool, sql } from 'kysely';
import { anyText, chunksFor } from '../../db/batch.ts';
import type { Executor } from '../../db/index.ts';
import type { Database, UserGroupsTable } from '../../db/schema.ts';

export type GroupRow = Selectable<UserGroupsTable>;

export const insertGroup = (
  db: Executor,
  row: { id: string; workspace_id: string; name: string; description: string; created_at: Date },
) => db.insertInto('user_groups').values(row).execute();

/** Holds the group row (FOR UPDATE) until the transaction ends; false when there is none. */
export const lockGroup = async (db: Executor, workspaceId: string, id: string) =>
  (await db
    .selectFrom('user_groups')
    .select('id')
    .where('id', '=', id)
    .where('workspace_id', '=', workspaceId)
    .forUpdate()
    .executeTakeFirst()) !== undefined;

export const updateGroup = (db: Executor, id: string, patch: { name?: string; description?: string }) =>
  db.updateTable('user_groups').set(patch).where('id', '=', id).execute();

/** Deletes the group (its memberships and assignments cascade); false when there was none. */
export const deleteGroup = async (db: Executor, workspaceId: string, id: string) =>
  Number(
    (
      await db
        .deleteFrom('user_groups')
        .where('id', '=', id)
        .where('workspace_id', '=', workspaceId)
        .executeTakeFirst()
    ).numDeletedRows,
  ) > 0;

export const findGroup = (db: Executor, workspaceId: string, id: string) =>
  db
    .selectFrom('user_groups')
    .selectAll()
    .where('id', '=', id)
    .where('workspace_id', '=', workspaceId)
    .executeTakeFirst();

export const listGroups = (db: Executor, workspaceId: string) =>
  db.selectFrom('user_groups').selectAll().where('workspace_id', '=', workspaceId).orderBy('name').execute();

export const groupsByIds = (db: Executor, ids: readonly string[]) =>
  db.selectFrom('user_groups').selectAll().where('id', 'in', ids).execute();

/**
 * The ids among `ids` that name groups of the workspace, each held (FOR KEY SHARE, the lock the
 * membership's foreign key takes anyway) until the transaction ends: a group deleted meanwhile is
 * either already gone here, so the caller reports it unknown, or waits for this write. Without the
 * lock, a delete between this check and the insert failed the write inside the database.
 */
export const existingGroupIds = async (db: Executor, workspaceId: string, ids: readonly string[]) =>
  ids.length === 0
    ? new Set<string>()
    : new Set(
        (
          await db
            .selectFrom('user_groups')
            .select('id')
            .where('workspace_id', '=', workspaceId)
            .where('id', '=', anyText(ids))
            .orderBy('id')
            .forKeyShare()
            .execute()
        ).map((r) => r.id),
      );

/** The group's role assignments become `assignments`, in their order. */
export async function replaceGroupAssignments(
  db: Executor,
  groupId: string,
  assignments: readonly { roleId: string; scopes: string[] }[],
): Promise<void> {
  await db.deleteFrom('group_role_assignments').where('group_id', '=', groupId).execute();
  const rows = assignments.map((a, position) => ({
    group_id: groupId,
    position,
    role_id: a.roleId,
    scopes: a.scopes,
  }));
  if (rows.length > 0) await db.insertInto('group_role_assignments').values(rows).execute();
}

export const groupAssignments = (db: Executor, groupIds: readonly string[]) =>
  db
    .selectFrom('group_role_assignments')
    .selectAll()
    .where('group_id', 'in', groupIds)
    .orderBy('group_id')
    .orderBy('position')
    .execute();

/** The workspace's groups with a role assignment whose scopes include `scope`. */
export const groupsWithScope = (db: Executor, workspaceId: string, scope: string) =>
  db
    .selectFrom('group_role_assignments as a')
    .innerJoin('user_groups as g', 'g.id', 'a.group_id')
    .select('g.id')
    .distinct()
    .where('g.workspace_id', '=', workspaceId)
    .where((eb) => eb(eb.val(scope), '=', eb.fn.any('a.scopes')))
    .execute();

/**
 * Whose rows a read takes: users by id, or every user of a workspace (a list that holds all of
 * them, where binding 10,000 ids costs more to send and to probe one by one than the workspace
 * scan itself). Either way the rows come in the same order.
 */
export type UserSet = readonly string[] | { readonly workspaceId: string };

/** No user at all: a read of it needs no statement. */
export const isEmptyUserSet = (users: UserSet): boolean => Array.isArray(users) && users.length === 0;

/** The condition on a `group_members` row (aliased `m`) that its user is in `users`. */
const memberIn = (users: UserSet) => {
  const eb = expressionBuilder<Database & { m: Database['group_members'] }, 'm'>();
  return Array.isArray(users)
    ? eb('m.user_id', '=', anyText(users))
    : eb(
        'm.group_id',
        'in',
        eb
          .selectFrom('user_groups')
          .select('id')
          .where('workspace_id', '=', (users as { workspaceId: string }).workspaceId),
      );
};

/** The role assignments each user inherits from its groups, by user, group, then position. */
export const inheritedAssignments = (db: Executor, users: UserSet) =>
  db
    .selectFrom('group_members as m')
    .innerJoin('group_role_assignments as g', 'g.group_id', 'm.group_id')
    .select(['m.user_id', 'g.group_id', 'g.role_id', 'g.scopes'])
    .where(memberIn(users))
    .orderBy('m.user_id')
    .orderBy('g.group_id')
    .orderBy('g.position')
    .execute();

export const membershipsOf = (db: Executor, users: UserSet) =>
  db
    .selectFrom('group_members as m')
    .select(['m.user_id', 'm.group_id'])
    .where(memberIn(users))
    .orderBy('m.group_id')
    .execute();

export const membersOf = (db: Executor, groupIds: readonly string[]) =>
  db
    .selectFrom('group_members')
    .select(['group_id', 'user_id'])
    .where('group_id', 'in', groupIds)
    .orderBy('user_id')
    .execute();

/** Adds each user to its groups (existing memberships stay); a statement per chunk, not per user. */
export async function addMembershipsEach(
  db: Executor,
  entries: readonly { userId: string; groupIds: readonly string[] }[],
  at: Date,
): Promise<void> {
  if (entries.length === 0) return;
  const rows = entries.flatMap((e) =>
    e.groupIds.map((group_id) => ({ user_id: e.userId, group_id, added_at: at })),
  );
  for (const chunk of chunksFor(rows, 3)) {
    await db
      .insertInto('group_members')
      .values(chunk)
      .onConflict((oc) => oc.constraint('group_members_pkey').doNothing())
      .execute();
  }
}

/** Adds every given user to every given group (existing memberships stay). */
export const addMemberships = (
  db: Executor,
  userIds: readonly string[],
  groupIds: readonly string[],
  at: Date,
) =>
  addMembershipsEach(
    db,
    userIds.map((userId) => ({ userId, groupIds })),
    at,
  );

export const removeMembers = (db: Executor, groupId: string, userIds: readonly string[]) =>
  db.deleteFrom('group_members').where('group_id', '=', groupId).where('user_id', 'in', userIds).execute();

/** Takes one user out of the given groups (other memberships stay). */
export const removeMemberships = (db: Executor, userId: string, groupIds: readonly string[]) =>
  db.deleteFrom('group_members').where('user_id', '=', userId).where('group_id', 'in', groupIds).execute();

const eb = expressionBuilder<Database, never>();

/**
 * A condition for another module's statement: the user `userId` (a column of that statement)
 * is a member of `groupId`. Part of the caller's one statement, so filtering costs no round trip.
 */
export const isGroupMember = (userId: Expression<string>, groupId: string): Expression<SqlBool> =>
  eb.exists(
    eb
      .selectFrom('group_members as gm')
      .select(sql`1`.as('one'))
      .where('gm.user_id', '=', userId)
      .where('gm.group_id', '=', groupId),
  );

/** A condition for another module's statement: the user `userId` holds `roleId` through a group. */
export const holdsRoleThroughGroup = (userId: Expression<string>, roleId: string): Expression<SqlBool> =>
  eb.exists(
    eb
      .selectFrom('group_members as gm')
      .innerJoin('group_role_assignments as ga', 'ga.group_id', 'gm.group_id')
      .select(sql`1`.as('one'))
      .where('gm.user_id', '=', userId)
      .where('ga.role_id', '=', roleId),
  );

/** Fresh planner statistics for memberships, after a bulk write (see UserService.refreshPlannerStatistics). */
export const analyzeMemberships = (db: Executor) => sql`analyze group_members`.execute(db);
