import { anyText, chunksFor } from '../../db/batch.ts';
import type { Executor } from '../../db/index.ts';

/** Writes where each user gets its own values (bulk import); a statement per table, not per user. */

export async function replaceDatabaseAttributesEach(
  db: Executor,
  entries: readonly { userId: string; attributes: readonly { key: string; value: string }[] }[],
): Promise<void> {
  if (entries.length === 0) return;
  await db
    .deleteFrom('user_attributes')
    .where('user_id', '=', anyText(entries.map((e) => e.userId)))
    .where('source', '=', 'DATABASE')
    .execute();
  const rows = entries.flatMap((e) =>
    e.attributes.map((a) => ({ user_id: e.userId, source: 'DATABASE' as const, key: a.key, value: a.value })),
  );
  for (const chunk of chunksFor(rows, 4)) await db.insertInto('user_attributes').values(chunk).execute();
}

export async function replaceDirectAssignmentsEach(
  db: Executor,
  entries: readonly {
    userId: string;
    assignments: readonly { roleId: string; scopes: readonly string[] }[];
  }[],
): Promise<void> {
  if (entries.length === 0) return;
  await db
    .deleteFrom('user_role_assignments')
    .where('user_id', '=', anyText(entries.map((e) => e.userId)))
    .execute();
  const rows = entries.flatMap((e) =>
    e.assignments.map((a, position) => ({
      user_id: e.userId,
      position,
      role_id: a.roleId,
      scopes: [...a.scopes],
    })),
  );
  for (const chunk of chunksFor(rows, 4 + 10))
    await db.insertInto('user_role_assignments').values(chunk).execute();
}

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
