import type { Executor } from '../../db/index.ts';
import * as q from './queries/listing.ts';
import {
  groupIdsOf,
  inheritedAssignmentsOf,
  type StoredAssignment,
  type StoredAttribute,
} from './queries/users.ts';

/** Which related rows a listing attaches to its users: those its User selection asks for. */
export interface ListingParts {
  readonly attributes: boolean;
  readonly roleAssignments: boolean;
  readonly groupIds: boolean;
}

/**
 * A listed user with the related rows its listing asked for attached, so that the User field
 * resolvers read a property instead of looking each user up in a loader's map.
 */
export interface ListedUser extends q.ListedUserRow {
  attributes?: readonly StoredAttribute[];
  roleAssignments?: readonly StoredAssignment[];
  groupIds?: readonly string[];
}

const NONE: readonly never[] = Object.freeze([]);

/** Every user of the workspace in email order, with the related rows `parts` asks for. */
export async function listWorkspaceUsers(
  db: Executor,
  workspaceId: string,
  parts: ListingParts,
): Promise<ListedUser[]> {
  // Every read is by workspace and none needs another's result, so they run side by side: the
  // database works on the next while this process parses the rows of the one before.
  const [users, attributes, direct, inherited, groupIds] = await Promise.all([
    q.listedUsers(db, workspaceId) as Promise<ListedUser[]>,
    parts.attributes ? q.listedAttributes(db, workspaceId) : undefined,
    parts.roleAssignments ? q.listedDirectAssignments(db, workspaceId) : undefined,
    parts.roleAssignments ? inheritedAssignmentsOf(db, { workspaceId }) : undefined,
    parts.groupIds ? groupIdsOf(db, { workspaceId }) : undefined,
  ]);
  // The reads are not one snapshot (docs/api-contract.md, listUsers): a user created while they
  // ran may be missing from a related read, and then has none of that kind of row; rows of users
  // not listed are left out.
  if (attributes) attachRuns(users, attributes, (u, run) => (u.attributes = run));
  if (direct) attachRuns(users, direct, (u, run) => (u.roleAssignments = run));
  if (inherited && inherited.size > 0) {
    for (const u of users) {
      const more = inherited.get(u.id);
      if (more) u.roleAssignments = [...(u.roleAssignments ?? NONE), ...more];
    }
  }
  // Without a single membership, no id need be hashed to find that out.
  if (groupIds) for (const u of users) u.groupIds = (groupIds.size > 0 && groupIds.get(u.id)) || NONE;
  return users;
}

/**
 * Gives each user its run of `rows`, which come in the users' order: a walk in step with the
 * list instead of a map by id, whose hashing of 60,000 ids was about 6% of a 10,000-user
 * listUsers. Rows out of that order (a user created or renamed between the statements) are
 * grouped by id instead, so every row still reaches its user.
 */
function attachRuns<R extends q.ListedRow>(
  users: readonly ListedUser[],
  rows: readonly R[],
  attach: (user: ListedUser, run: readonly R[]) => void,
): void {
  let i = 0;
  for (const u of users) {
    const start = i;
    while (i < rows.length && rows[i]!.user_id === u.id) i++;
    attach(u, start === i ? NONE : rows.slice(start, i));
  }
  if (i === rows.length) return;
  const byId = new Map<string, R[]>();
  for (const r of rows) {
    const run = byId.get(r.user_id);
    if (run) run.push(r);
    else byId.set(r.user_id, [r]);
  }
  for (const u of users) attach(u, byId.get(u.id) ?? NONE);
}
