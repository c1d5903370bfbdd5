import { BatchLoader } from '../loader.ts';
import type { GroupView } from '../modules/groups/service.ts';
import type { StoredAssignment, StoredAttribute, UserRow } from '../modules/users/queries/users.ts';
import type { UserService } from '../modules/users/service.ts';

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

/** Loaders over the users and groups services (each batch is one call, so one query). */
export function createLoaders(
  users: Pick<UserService, 'storedAttributes' | 'storedRoleAssignments' | 'groupIdsOf' | 'byIds'>,
  groups: {
    groupsByIds(ids: readonly string[]): Promise<Map<string, GroupView>>;
    roleAssignments(ids: readonly string[]): Promise<Map<string, { roleId: string; scopes: string[] }[]>>;
    memberIds(ids: readonly string[]): Promise<Map<string, string[]>>;
  },
): Loaders {
  return {
    attributes: new BatchLoader((ids) => users.storedAttributes(ids), []),
    roleAssignments: new BatchLoader((ids) => users.storedRoleAssignments(ids), []),
    groupIds: new BatchLoader((ids) => users.groupIdsOf(ids), []),
    groups: new BatchLoader(async (ids) => groups.groupsByIds(ids), null),
    groupAssignments: new BatchLoader((ids) => groups.roleAssignments(ids), []),
    groupMembers: new BatchLoader((ids) => groups.memberIds(ids), []),
    users: new BatchLoader((ids) => users.byIds(ids), null),
  };
}
