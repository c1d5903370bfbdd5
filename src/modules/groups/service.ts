import type { Clock } from '../../clock.ts';
import { isUniqueViolation } from '../../db/errors.ts';
import type { Db, Executor } from '../../db/index.ts';
import { AppError, assertNoProblems, echo, notFound, type Problem } from '../../errors.ts';
import { newId } from '../../ids.ts';
import { type AuditOrigin, auditEvent, recordAuditEvents } from '../audit/service.ts';
import type { DomainCatalog } from '../data/domains/catalog.ts';
import {
  normalizeAssignments,
  type RoleAssignmentInput,
  roleAssignmentProblems,
} from '../roles/validation.ts';
import { lockWorkspaceUsers } from '../users/queries/users.ts';
import * as q from './queries.ts';

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
    await this.#write(workspaceId, null, { ...input, name: input.name ?? '' }, origin, id);
    return (await this.find(workspaceId, id))!;
  }

  async update(
    workspaceId: string,
    groupId: string,
    input: GroupInput,
    origin: AuditOrigin,
  ): Promise<GroupView> {
    await this.#write(workspaceId, groupId, input, origin, groupId);
    return (await this.find(workspaceId, groupId))!;
  }

  async #write(
    workspaceId: string,
    existingId: string | null,
    input: GroupInput,
    origin: AuditOrigin,
    id: string,
  ): Promise<void> {
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
        await recordAuditEvents(tx, [
          auditEvent(
            origin,
            now,
            workspaceId,
            existingId ? 'group.update' : 'group.create',
            { type: 'group', id },
            { name },
          ),
        ]);
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
      await recordAuditEvents(tx, [
        auditEvent(origin, this.#clock.now(), workspaceId, 'group.delete', { type: 'group', id: groupId }),
      ]);
    });
  }

  /** Adds or removes members, all or nothing: an unknown user or group fails the whole call. */
  async changeMembers(
    workspaceId: string,
    groupId: string,
    userIds: readonly string[],
    change: 'add' | 'remove',
    origin: AuditOrigin,
  ): Promise<void> {
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
      await recordAuditEvents(
        tx,
        unique.map((u) =>
          auditEvent(
            origin,
            now,
            workspaceId,
            change === 'add' ? 'group.addMember' : 'group.removeMember',
            { type: 'user', id: u },
            { groupId },
          ),
        ),
      );
    });
  }

  /**
   * Membership in the groups an SSO group mapping targets follows the sign-in's claims
   * (docs/sso.md "Roles and groups from claims"): the user joins the `granted` ones and leaves
   * the other `managed` ones. Groups no mapping targets are never touched. Runs in the caller's
   * transaction; ids of other workspaces' groups are ignored.
   */
  async syncMappedMemberships(
    tx: Executor,
    workspaceId: string,
    userId: string,
    managed: readonly string[],
    granted: readonly string[],
  ): Promise<{ added: string[]; removed: string[] }> {
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

  async memberIds(groupIds: readonly string[]): Promise<Map<string, string[]>> {
    const map = new Map<string, string[]>();
    if (groupIds.length === 0) return map;
    const rows = await q.membersOf(this.#db, groupIds);
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
