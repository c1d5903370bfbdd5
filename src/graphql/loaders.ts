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

type UserSource = Pick<UserService, 'storedAttributes' | 'storedRoleAssignments' | 'groupIdsOf' | 'byIds'>;

interface GroupSource {
  groupsByIds(ids: readonly string[]): Promise<Map<string, GroupView>>;
  roleAssignments(ids: readonly string[]): Promise<Map<string, { roleId: string; scopes: string[] }[]>>;
  memberIds(ids: readonly string[]): Promise<Map<string, string[]>>;
}

/** Loaders over the users and groups services (each batch is one call, so one query). */
export function createLoaders(users: UserSource, groups: GroupSource): Loaders {
  return new RequestLoaders(users, groups);
}

/**
 * Each loader is made when a resolver first asks for it: every request gets the set, and most
 * (a runQuery, a mutation) use none of it, so seven loaders built up front were pure cost.
 */
class RequestLoaders implements Loaders {
  readonly #users: UserSource;
  readonly #groups: GroupSource;
  #attributes?: Loaders['attributes'];
  #roleAssignments?: Loaders['roleAssignments'];
  #groupIds?: Loaders['groupIds'];
  #groupsById?: Loaders['groups'];
  #groupAssignments?: Loaders['groupAssignments'];
  #groupMembers?: Loaders['groupMembers'];
  #usersById?: Loaders['users'];

  constructor(users: UserSource, groups: GroupSource) {
    this.#users = users;
    this.#groups = groups;
  }

  get attributes() {
    this.#attributes ??= new BatchLoader((ids) => this.#users.storedAttributes(ids), []);
    return this.#attributes;
  }

  get roleAssignments() {
    this.#roleAssignments ??= new BatchLoader((ids) => this.#users.storedRoleAssignments(ids), []);
    return this.#roleAssignments;
  }

  get groupIds() {
    this.#groupIds ??= new BatchLoader((ids) => this.#users.groupIdsOf(ids), []);
    return this.#groupIds;
  }

  get groups() {
    this.#groupsById ??= new BatchLoader(async (ids) => this.#groups.groupsByIds(ids), null);
    return this.#groupsById;
  }

  get groupAssignments() {
    this.#groupAssignments ??= new BatchLoader((ids) => this.#groups.roleAssignments(ids), []);
    return this.#groupAssignments;
  }

  get groupMembers() {
    this.#groupMembers ??= new BatchLoader((ids) => this.#groups.memberIds(ids), []);
    return this.#groupMembers;
  }

  get users() {
    this.#usersById ??= new BatchLoader((ids) => this.#users.byIds(ids), null);
    return this.#usersById;
  }
}
