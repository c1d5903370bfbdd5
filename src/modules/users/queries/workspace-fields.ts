import type { Executor } from '../../../db/index.ts';
import { inheritedAssignmentsInWorkspace, membershipsInWorkspace } from '../../groups/queries.ts';
import type { StoredAssignment, StoredAttribute } from './users.ts';

/**
 * The related rows of every user of a workspace, for a list that holds all of them (listUsers).
 * Each returns what its by-id counterpart in users.ts returns for the workspace's user ids, in
 * the same order, but selects by workspace: 10,000 ids bound as an array cost more to send and
 * to probe one by one than the workspace scan itself.
 */

export async function attributesInWorkspace(
  db: Executor,
  workspaceId: string,
): Promise<Map<string, StoredAttribute[]>> {
  const map = new Map<string, StoredAttribute[]>();
  // user_attributes carries its user's workspace, kept in step by a trigger (migration 0005).
  const rows = await db
    .selectFrom('user_attributes')
    .select(['user_id', 'key', 'value', 'source'])
    .where('workspace_id', '=', workspaceId)
    .orderBy('user_id')
    .orderBy('source')
    .orderBy('key')
    .execute();
  for (const r of rows) push(map, r.user_id, { key: r.key, value: r.value, source: r.source });
  return map;
}

/** Direct assignments, then those inherited from each group the user belongs to. */
export async function roleAssignmentsInWorkspace(
  db: Executor,
  workspaceId: string,
): Promise<Map<string, StoredAssignment[]>> {
  const map = new Map<string, StoredAssignment[]>();
  const direct = await db
    .selectFrom('user_role_assignments as r')
    .innerJoin('users as u', 'u.id', 'r.user_id')
    .select(['r.user_id', 'r.role_id', 'r.scopes', 'r.source'])
    .where('u.workspace_id', '=', workspaceId)
    .orderBy('r.user_id')
    .orderBy('r.source', 'desc')
    .orderBy('r.position')
    .execute();
  for (const r of direct)
    push(map, r.user_id, {
      roleId: r.role_id,
      scopes: r.scopes,
      inheritedFromGroupId: null,
      source: r.source,
    });
  for (const r of await inheritedAssignmentsInWorkspace(db, workspaceId))
    push(map, r.user_id, {
      roleId: r.role_id,
      scopes: r.scopes,
      inheritedFromGroupId: r.group_id,
      source: 'GROUP',
    });
  return map;
}

export async function groupIdsInWorkspace(db: Executor, workspaceId: string): Promise<Map<string, string[]>> {
  const map = new Map<string, string[]>();
  for (const r of await membershipsInWorkspace(db, workspaceId)) push(map, r.user_id, r.group_id);
  return map;
}

function push<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}
