import { sql } from 'kysely';
import { anyText, chunksFor } from '../../../db/batch.ts';
import type { Executor } from '../../../db/index.ts';

/** Writes where each user gets its own values (bulk import); a statement per table, not per user. */

/**
 * Replaces each user's DATABASE attributes. The rows carry their copies of the user's workspace
 * and email (migration 0005's filtered-page index), taken from the users the caller holds locked:
 * given here, the copy trigger has nothing to look up, which was most of the statement's time.
 * One array parameter per column, so the statement is the same for 5 rows or 50,000.
 */
export async function replaceDatabaseAttributesEach(
  db: Executor,
  entries: readonly {
    user: { readonly id: string; readonly workspace_id: string; readonly email_normalized: string };
    attributes: readonly { key: string; value: string }[];
  }[],
  /** Users created in this transaction: they have nothing to delete yet. */
  created: ReadonlySet<string> = new Set(),
): Promise<void> {
  if (entries.length === 0) return;
  const existing = entries.map((e) => e.user.id).filter((id) => !created.has(id));
  if (existing.length > 0)
    await db
      .deleteFrom('user_attributes')
      .where('user_id', '=', anyText(existing))
      .where('source', '=', 'DATABASE')
      .execute();
  const rows = entries.flatMap((e) =>
    e.attributes.map((a) => ({ user: e.user, key: a.key, value: a.value })),
  );
  if (rows.length === 0) return;
  await sql`
    insert into user_attributes (user_id, source, key, value, workspace_id, email_normalized)
    select user_id, 'DATABASE', key, value, workspace_id, email_normalized
    from unnest(${rows.map((r) => r.user.id)}::text[], ${rows.map((r) => r.key)}::text[],
      ${rows.map((r) => r.value)}::text[], ${rows.map((r) => r.user.workspace_id)}::text[],
      ${rows.map((r) => r.user.email_normalized)}::text[])
      as t(user_id, key, value, workspace_id, email_normalized)
  `.execute(db);
}

export async function replaceDirectAssignmentsEach(
  db: Executor,
  entries: readonly {
    userId: string;
    assignments: readonly { roleId: string; scopes: readonly string[] }[];
  }[],
  /** Users created in this transaction: they have nothing to delete yet. */
  created: ReadonlySet<string> = new Set(),
): Promise<void> {
  if (entries.length === 0) return;
  const existing = entries.map((e) => e.userId).filter((id) => !created.has(id));
  // Only DIRECT rows: the ones sign-in claims granted (source CLAIM) are the identity provider's.
  if (existing.length > 0)
    await db
      .deleteFrom('user_role_assignments')
      .where('user_id', '=', anyText(existing))
      .where('source', '=', 'DIRECT')
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
