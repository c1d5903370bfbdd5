import type { Executor } from '../db/index.ts';
import { BatchLoader } from '../loader.ts';
import type { GroupView } from '../modules/groups/service.ts';
import {
  attributesOf,
  groupIdsOf,
  roleAssignmentsOf,
  type StoredAssignment,
  type StoredAttribute,
  type UserRow,
  usersByIds,
} from '../modules/users/queries/users.ts';

/** Per-request batch loaders for the fields of many users at once. */
export interface Loaders {
  readonly attributes: BatchLoader<string, StoredAttribute[]>;
  readonly roleAssignments: BatchLoader<string, StoredAssignment[]>;
  readonly groupIds: BatchLoader<string, string[]>;
  readonly groups: BatchLoader<string, GroupView | null>;
  readonly groupAssignments: BatchLoader<string, { roleId: string; scopes: string[] }[]>;
  readonly groupMembers: BatchLoader<string, string[]>;
  readonly users: BatchLoader<string, UserRow | null>;
}

export function createLoaders(
  db: Executor,
  groups: {
    groupsByIds(ids: readonly string[]): Promise<Map<string, GroupView>>;
    roleAssignments(ids: readonly string[]): Promise<Map<string, { roleId: string; scopes: string[] }[]>>;
    memberIds(ids: readonly string[]): Promise<Map<string, string[]>>;
  },
): Loaders {
  return {
    attributes: new BatchLoader((ids) => attributesOf(db, ids), []),
    roleAssignments: new BatchLoader((ids) => roleAssignmentsOf(db, ids), []),
    groupIds: new BatchLoader((ids) => groupIdsOf(db, ids), []),
    groups: new BatchLoader(async (ids) => groups.groupsByIds(ids), null),
    groupAssignments: new BatchLoader((ids) => groups.roleAssignments(ids), []),
    groupMembers: new BatchLoader((ids) => groups.memberIds(ids), []),
    users: new BatchLoader((ids) => usersByIds(db, ids), null),
  };
}
