import type { Clock } from '../../clock.ts';
import { isUniqueViolation } from '../../db/errors.ts';
import type { Db, Executor } from '../../db/index.ts';
import { AppError, assertNoProblems, echo, notFound, type Problem } from '../../errors.ts';
import { newId } from '../../ids.ts';
import { type AuditOrigin, recordAudit } from '../audit/service.ts';
import type { DomainCatalog } from '../data/domains/catalog.ts';
import {
  normalizeAssignments,
  type RoleAssignmentInput,
  roleAssignmentProblems,
} from '../roles/validation.ts';
import { lockWorkspaceUsers } from '../users/queries/users.ts';
import * as q from './queries.ts';

/** What one SCIM write makes of a group (docs/scim.md "Groups"). */
export interface ScimGroupWrite {
  readonly name: string;
  readonly memberIds: readonly string[];
}

export interface GroupView {
  readonly id: string;
  readonly workspaceId: string;
  readonly name: string;
  readonly description: string;
  readonly createdAt: Date;
}

export interface GroupInput {
  readonly name?: string | null;
  readonly description?: string | null;
  readonly roleAssignments?: readonly RoleAssignmentInput[] | null;
}

/** User groups: a name and role assignments that every member inherits. */
export class GroupService {
  readonly #db: Db;
  readonly #clock: Clock;
  readonly #domains: () => DomainCatalog;

  constructor(db: Db, clock: Clock, domains: () => DomainCatalog) {
    this.#db = db;
    this.#clock = clock;
    this.#domains = domains;
  }

  async create(workspaceId: string, input: GroupInput, origin: AuditOrigin): Promise<GroupView> {
    const id = newId('grp');
    await this.#write(workspaceId, { existingId: null, id }, { ...input, name: input.name ?? '' }, origin);
    return (await this.find(workspaceId, id))!;
  }

  async update(
    workspaceId: string,
    groupId: string,
    input: GroupInput,
    origin: AuditOrigin,
  ): Promise<GroupView> {
    await this.#write(workspaceId, { existingId: groupId, id: groupId }, input, origin);
    return (await this.find(workspaceId, groupId))!;
  }

  /** `existingId` is null for a new group, whose `id` is chosen by the caller. */
  async #write(
    workspaceId: string,
    group: { readonly existingId: string | null; readonly id: string },
    input: GroupInput,
    origin: AuditOrigin,
  ): Promise<void> {
    const { existingId, id } = group;
    const problems: Problem[] = [];
    const name = input.name?.trim();
    if (name !== undefined && (name.length === 0 || name.length > 200)) {
      problems.push({ code: 'BAD_USER_INPUT', field: 'name', message: 'must be 1 to 200 characters' });
    }
    if ((input.description ?? '').length > 2000)
      problems.push({ code: 'BAD_USER_INPUT', field: 'description', message: 'at most 2000 characters' });
    try {
      await this.#db.transaction().execute(async (tx) => {
        if (input.roleAssignments)
          problems.push(
            ...(await roleAssignmentProblems(tx, this.#domains(), workspaceId, input.roleAssignments)),
          );
        assertNoProblems(problems, 'group');
        const now = this.#clock.now();
        if (existingId === null) {
          await q.insertGroup(tx, {
            id,
            workspace_id: workspaceId,
            name: name!,
            description: input.description ?? '',
            created_at: now,
          });
        } else {
          if (!(await q.lockGroup(tx, workspaceId, id))) throw notFound('Group not found');
          const patch = {
            ...(name === undefined ? {} : { name }),
            ...(input.description == null ? {} : { description: input.description }),
          };
          if (Object.keys(patch).length > 0) await q.updateGroup(tx, id, patch);
        }
        if (input.roleAssignments) {
          await q.replaceGroupAssignments(tx, id, normalizeAssignments(input.roleAssignments));
        }
        await recordAudit(tx, origin, {
          action: existingId ? 'group.update' : 'group.create',
          workspaceId,
          target: id,
          details: { name },
          at: now,
        });
      });
    } catch (err) {
      if (isUniqueViolation(err, 'user_groups_workspace_name_unique')) {
        throw new AppError('CONFLICT', `A group named ${echo(name ?? '')} already exists`, {
          problems: [{ code: 'CONFLICT', field: 'name', item: echo(name ?? ''), message: 'already exists' }],
        });
      }
      throw err;
    }
  }

  async delete(workspaceId: string, groupId: string, origin: AuditOrigin): Promise<void> {
    await this.#db.transaction().execute(async (tx) => {
      if (!(await q.deleteGroup(tx, workspaceId, groupId))) throw notFound('Group not found');
      await recordAudit(tx, origin, {
        action: 'group.delete',
        workspaceId,
        target: groupId,
        at: this.#clock.now(),
      });
    });
  }

  /** Adds or removes members, all or nothing: an unknown user or group fails the whole call. */
  async changeMembers(
    workspaceId: string,
    members: {
      readonly groupId: string;
      readonly userIds: readonly string[];
      readonly change: 'add' | 'remove';
    },
    origin: AuditOrigin,
  ): Promise<void> {
    const { groupId, userIds, change } = members;
    const unique = [...new Set(userIds)];
    await this.#db.transaction().execute(async (tx) => {
      // The group and the users are held (FOR KEY SHARE, as the memberships' foreign keys would)
      // until the change commits: one deleted meanwhile is reported NOT_FOUND here instead of
      // failing the insert inside the database.
      if ((await q.existingGroupIds(tx, workspaceId, [groupId])).size === 0)
        throw notFound('Group not found');
      const knownIds = await lockWorkspaceUsers(tx, workspaceId, unique);
      const missing = unique.filter((u) => !knownIds.has(u));
      if (missing.length > 0) {
        throw new AppError('NOT_FOUND', `User not found: ${missing.map((m) => echo(m)).join(', ')}`, {
          problems: missing.map((m) => ({
            code: 'NOT_FOUND',
            field: 'userIds',
            item: echo(m),
            message: 'User not found',
          })),
        });
      }
      const now = this.#clock.now();
      if (change === 'add') await q.addMemberships(tx, unique, [groupId], now);
      else if (unique.length > 0) await q.removeMembers(tx, groupId, unique);
      await recordAudit(
        tx,
        origin,
        unique.map((u) => ({
          action: change === 'add' ? 'group.addMember' : 'group.removeMember',
          workspaceId,
          target: u,
          details: { groupId },
          at: now,
        })),
      );
    });
  }

  /**
   * SCIM's write of one group (docs/scim.md "Groups"): creates it (`groupId` null, with `newGroupId`)
   * or renames it, and makes its members exactly the ones `next` gives, in one transaction with
   * `alongside` (the SCIM module's own row). `next` computes the write from the group as it is once
   * locked (null for a new one), inside the transaction: a PATCH adding a member reads the members
   * under the same lock as its write, so two at once both land. An unknown member or a taken name
   * fails it all (NOT_FOUND, CONFLICT).
   */
  async writeScimGroup(
    workspaceId: string,
    target: {
      readonly groupId: string | null;
      readonly newGroupId: string;
      readonly next: (tx: Executor, current: GroupView | null) => Promise<ScimGroupWrite>;
    },
    origin: AuditOrigin,
    alongside: (tx: Executor, group: GroupView) => Promise<void>,
  ): Promise<GroupView> {
    const id = target.groupId ?? target.newGroupId;
    let name = '';
    try {
      return await this.#db.transaction().execute(async (tx) => {
        const now = this.#clock.now();
        let current: GroupView | null = null;
        if (target.groupId !== null) {
          if (!(await q.lockGroup(tx, workspaceId, id))) throw notFound('Group not found');
          current = toView((await q.findGroup(tx, workspaceId, id))!);
        }
        const input = await target.next(tx, current);
        name = input.name.trim();
        if (name.length === 0 || name.length > 200) {
          throw new AppError('BAD_USER_INPUT', 'displayName must be 1 to 200 characters', {
            problems: [
              { code: 'BAD_USER_INPUT', field: 'displayName', message: 'must be 1 to 200 characters' },
            ],
          });
        }
        const members = [...new Set(input.memberIds)].sort();
        if (current === null) {
          await q.insertGroup(tx, { id, workspace_id: workspaceId, name, description: '', created_at: now });
        } else {
          await q.updateGroup(tx, id, { name });
        }
        const knownIds = await lockWorkspaceUsers(tx, workspaceId, members);
        const missing = members.filter((m) => !knownIds.has(m));
        if (missing.length > 0) {
          throw new AppError('NOT_FOUND', `User not found: ${missing.map((m) => echo(m)).join(', ')}`, {
            problems: missing.map((m) => ({
              code: 'NOT_FOUND',
              field: 'members',
              item: echo(m),
              message: 'User not found',
            })),
          });
        }
        const before = new Set((await q.membersOf(tx, [id])).map((r) => r.user_id));
        const removed = [...before].filter((u) => !knownIds.has(u));
        const added = members.filter((m) => !before.has(m));
        if (removed.length > 0) await q.removeMembers(tx, id, removed);
        await q.addMemberships(tx, added, [id], now);
        const group = toView((await q.findGroup(tx, workspaceId, id))!);
        await alongside(tx, group);
        await recordAudit(tx, origin, [
          {
            action: target.groupId === null ? 'group.create' : 'group.update',
            workspaceId,
            target: id,
            details: { name, via: 'scim' },
            at: now,
          },
          ...added.map((u) => ({
            action: 'group.addMember' as const,
            workspaceId,
            target: u,
            details: { groupId: id, via: 'scim' as const },
            at: now,
          })),
          ...removed.map((u) => ({
            action: 'group.removeMember' as const,
            workspaceId,
            target: u,
            details: { groupId: id, via: 'scim' as const },
            at: now,
          })),
        ]);
        return group;
      });
    } catch (err) {
      if (isUniqueViolation(err, 'user_groups_workspace_name_unique')) {
        throw new AppError('CONFLICT', `A group named ${echo(name)} already exists`, {
          problems: [{ code: 'CONFLICT', field: 'displayName', item: echo(name), message: 'already exists' }],
        });
      }
      throw err;
    }
  }

  /**
   * Membership in the groups an SSO group mapping targets follows the sign-in's claims
   * (docs/sso.md "Roles and groups from claims"): the user joins the `granted` ones and leaves
   * the other `managed` ones. Groups no mapping targets are never touched. Runs in the caller's
   * transaction; ids of other workspaces' groups are ignored.
   */
  async syncMappedMemberships(
    tx: Executor,
    sync: {
      readonly workspaceId: string;
      readonly userId: string;
      /** The groups some mapping targets: the only ones joined or left. */
      readonly managed: readonly string[];
      /** The groups the sign-in's claims map to. */
      readonly granted: readonly string[];
    },
  ): Promise<{ added: string[]; removed: string[] }> {
    const { workspaceId, userId, managed, granted } = sync;
    const known = await q.existingGroupIds(tx, workspaceId, [...new Set(managed)]);
    const join = [...new Set(granted)].filter((g) => known.has(g));
    const leave = [...known].filter((g) => !join.includes(g));
    const current = new Set((await q.membershipsOf(tx, [userId])).map((r) => r.group_id));
    const added = join.filter((g) => !current.has(g));
    const removed = leave.filter((g) => current.has(g));
    if (added.length > 0) await q.addMemberships(tx, [userId], added, this.#clock.now());
    if (removed.length > 0) await q.removeMemberships(tx, userId, removed);
    return { added, removed };
  }

  /** Which of `ids` name groups of the workspace. */
  async existing(workspaceId: string, ids: readonly string[], db: Executor = this.#db): Promise<Set<string>> {
    return q.existingGroupIds(db, workspaceId, [...new Set(ids)]);
  }

  async find(workspaceId: string, groupId: string, db: Executor = this.#db): Promise<GroupView | null> {
    const row = await q.findGroup(db, workspaceId, groupId);
    return row ? toView(row) : null;
  }

  async list(workspaceId: string): Promise<GroupView[]> {
    return (await q.listGroups(this.#db, workspaceId)).map(toView);
  }

  async roleAssignments(
    groupIds: readonly string[],
  ): Promise<Map<string, { roleId: string; scopes: string[] }[]>> {
    const map = new Map<string, { roleId: string; scopes: string[] }[]>();
    if (groupIds.length === 0) return map;
    const rows = await q.groupAssignments(this.#db, groupIds);
    for (const r of rows)
      map.set(r.group_id, [...(map.get(r.group_id) ?? []), { roleId: r.role_id, scopes: r.scopes }]);
    return map;
  }

  async groupsByIds(ids: readonly string[]): Promise<Map<string, GroupView>> {
    if (ids.length === 0) return new Map();
    const rows = await q.groupsByIds(this.#db, ids);
    return new Map(rows.map((r) => [r.id, toView(r)]));
  }

  /** `db`: the caller's open transaction, when it reads inside one. */
  async memberIds(groupIds: readonly string[], db: Executor = this.#db): Promise<Map<string, string[]>> {
    const map = new Map<string, string[]>();
    if (groupIds.length === 0) return map;
    const rows = await q.membersOf(db, groupIds);
    for (const r of rows) map.set(r.group_id, [...(map.get(r.group_id) ?? []), r.user_id]);
    return map;
  }
}

const toView = (row: {
  id: string;
  workspace_id: string;
  name: string;
  description: string;
  created_at: Date;
}): GroupView => ({
  id: row.id,
  workspaceId: row.workspace_id,
  name: row.name,
  description: row.description,
  createdAt: row.created_at,
});
