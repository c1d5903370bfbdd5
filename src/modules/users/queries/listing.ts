import { sql } from 'kysely';
import type { Executor } from '../../../db/index.ts';
import { isoFromUtcText, utcText } from '../../../db/iso-text.ts';
import type { StoredAssignment, StoredAttribute } from './users.ts';

// The reads of a listing of every user of a workspace (listUsers), shaped for the response: at
// 10,000 users, a Date per timestamp, a copy of every related row and the loaders' maps by id
// were a fifth of the request's CPU time (profiles of bench/core-users-read.bench.ts).

/** A user as a listing reads it: the columns the User type shows, timestamps in the API's form. */
export interface ListedUserRow {
  readonly id: string;
  readonly workspace_id: string;
  readonly email: string;
  readonly status: string;
  readonly is_scim_managed: boolean;
  readonly profile_picture: string;
  /** ISO 8601 UTC with milliseconds, as `Date.prototype.toISOString` writes it. */
  readonly created_at: string;
  readonly last_active_session_at: string | null;
}

/** Every user of the workspace, in the order of the users page (email, then id). */
export async function listedUsers(db: Executor, workspaceId: string): Promise<ListedUserRow[]> {
  const rows = await db
    .selectFrom('users')
    .select([
      'id',
      'workspace_id',
      'email',
      'status',
      'is_scim_managed',
      'profile_picture',
      utcText('created_at').as('created_at'),
      utcText('last_active_session_at').as('last_active_session_at'),
    ])
    .where('workspace_id', '=', workspaceId)
    .orderBy('email_normalized')
    .orderBy('id')
    .execute();
  // In place: each row keeps its shape (text for text), so no second object per user.
  for (const r of rows) {
    r.created_at = isoFromUtcText(r.created_at);
    if (r.last_active_session_at !== null)
      r.last_active_session_at = isoFromUtcText(r.last_active_session_at);
  }
  return rows;
}

/** A related row of a listed user. */
export interface ListedRow {
  readonly user_id: string;
}

/**
 * The stored attributes of every user of the workspace, in the users' order (`listedUsers`), each
 * user's by source and key as `attributesOf` orders them. The rows are the attributes themselves
 * (the API never selects their `user_id`), not copies.
 */
export const listedAttributes = (
  db: Executor,
  workspaceId: string,
): Promise<(ListedRow & StoredAttribute)[]> =>
  db
    .selectFrom('user_attributes')
    .select(['user_id', 'key', 'value', 'source'])
    // user_attributes carries its user's workspace and email, kept in step by a trigger (migration 0005).
    .where('workspace_id', '=', workspaceId)
    .orderBy('email_normalized')
    .orderBy('user_id')
    .orderBy('source')
    .orderBy('key')
    .execute();

/**
 * The direct role assignments of every user of the workspace, in the users' order, each user's
 * as `roleAssignmentsOf` orders them, in the shape of a StoredAssignment from the SQL.
 */
export const listedDirectAssignments = (
  db: Executor,
  workspaceId: string,
): Promise<(ListedRow & StoredAssignment)[]> =>
  db
    .selectFrom('user_role_assignments as r')
    .innerJoin('users as u', 'u.id', 'r.user_id')
    .select([
      'r.user_id',
      'r.role_id as roleId',
      'r.scopes',
      sql<null>`null`.as('inheritedFromGroupId'),
      'r.source',
    ])
    .where('u.workspace_id', '=', workspaceId)
    .orderBy('u.email_normalized')
    .orderBy('r.user_id')
    .orderBy('r.source', 'desc')
    .orderBy('r.position')
    .execute();
