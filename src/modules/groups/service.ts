import type { Clock } from '../../clock.ts';
import { isUniqueViolation } from '../../db/errors.ts';
import type { Db, Executor } from '../../db/index.ts';
import { AppError, assertNoProblems, echo, notFound, type Problem } from '../../errors.ts';
import { newId } from '../../ids.ts';
import { type AuditOrigin, auditEvent, recordAuditEvents } from '../audit/service.ts';
import type { DomainCatalog } from '../domains/catalog.ts';
import {
  normalizeAssignments,
  type RoleAssignmentInput,
  roleAssignmentProblems,
} from '../roles/validation.ts';
import { addMemberships, existingGroupIds } from '../users/queries.ts';

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
          await tx
            .insertInto('user_groups')
            .values({
              id,
              workspace_id: workspaceId,
              name: name!,
              description: input.description ?? '',
              created_at: now,
            })
            .execute();
        } else {
          const found = await tx
            .selectFrom('user_groups')
            .select('id')
            .where('id', '=', id)
            .where('workspace_id', '=', workspaceId)
            .forUpdate()
            .executeTakeFirst();
          if (!found) throw notFound('Group not found');
          const patch = {
            ...(name === undefined ? {} : { name }),
            ...(input.description == null ? {} : { description: input.description }),
          };
          if (Object.keys(patch).length > 0)
            await tx.updateTable('user_groups').set(patch).where('id', '=', id).execute();
        }
        if (input.roleAssignments) {
          await tx.deleteFrom('group_role_assignments').where('group_id', '=', id).execute();
          const rows = normalizeAssignments(input.roleAssignments).map((a, position) => ({
            group_id: id,
            position,
            role_id: a.roleId,
            scopes: a.scopes,
          }));
          if (rows.length > 0) await tx.insertInto('group_role_assignments').values(rows).execute();
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
      const deleted = await tx
        .deleteFrom('user_groups')
        .where('id', '=', groupId)
        .where('workspace_id', '=', workspaceId)
        .executeTakeFirst();
      if (Number(deleted.numDeletedRows) === 0) throw notFound('Group not found');
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
      if ((await existingGroupIds(tx, workspaceId, [groupId])).size === 0) throw notFound('Group not found');
      const known =
        unique.length === 0
          ? []
          : await tx
              .selectFrom('users')
              .select('id')
              .where('workspace_id', '=', workspaceId)
              .where('id', 'in', unique)
              .orderBy('id')
              .forKeyShare()
              .execute();
      const knownIds = new Set(known.map((k) => k.id));
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
      if (change === 'add') await addMemberships(tx, unique, [groupId], now);
      else if (unique.length > 0)
        await tx
          .deleteFrom('group_members')
          .where('group_id', '=', groupId)
          .where('user_id', 'in', unique)
          .execute();
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
    const known = await existingGroupIds(tx, workspaceId, [...new Set(managed)]);
    const join = [...new Set(granted)].filter((g) => known.has(g));
    const leave = [...known].filter((g) => !join.includes(g));
    const current = new Set(
      (await tx.selectFrom('group_members').select('group_id').where('user_id', '=', userId).execute()).map(
        (r) => r.group_id,
      ),
    );
    const added = join.filter((g) => !current.has(g));
    const removed = leave.filter((g) => current.has(g));
    if (added.length > 0) await addMemberships(tx, [userId], added, this.#clock.now());
    if (removed.length > 0)
      await tx
        .deleteFrom('group_members')
        .where('user_id', '=', userId)
        .where('group_id', 'in', removed)
        .execute();
    return { added, removed };
  }

  /** Which of `ids` name groups of the workspace. */
  async existing(workspaceId: string, ids: readonly string[], db: Executor = this.#db): Promise<Set<string>> {
    return existingGroupIds(db, workspaceId, [...new Set(ids)]);
  }

  async find(workspaceId: string, groupId: string, db: Executor = this.#db): Promise<GroupView | null> {
    const row = await db
      .selectFrom('user_groups')
      .selectAll()
      .where('id', '=', groupId)
      .where('workspace_id', '=', workspaceId)
      .executeTakeFirst();
    return row ? toView(row) : null;
  }

  async list(workspaceId: string): Promise<GroupView[]> {
    return (
      await this.#db
        .selectFrom('user_groups')
        .selectAll()
        .where('workspace_id', '=', workspaceId)
        .orderBy('name')
        .execute()
    ).map(toView);
  }

  async roleAssignments(
    groupIds: readonly string[],
  ): Promise<Map<string, { roleId: string; scopes: string[] }[]>> {
    const map = new Map<string, { roleId: string; scopes: string[] }[]>();
    if (groupIds.length === 0) return map;
    const rows = await this.#db
      .selectFrom('group_role_assignments')
      .selectAll()
      .where('group_id', 'in', groupIds)
      .orderBy('group_id')
      .orderBy('position')
      .execute();
    for (const r of rows)
      map.set(r.group_id, [...(map.get(r.group_id) ?? []), { roleId: r.role_id, scopes: r.scopes }]);
    return map;
  }

  async groupsByIds(ids: readonly string[]): Promise<Map<string, GroupView>> {
    if (ids.length === 0) return new Map();
    const rows = await this.#db.selectFrom('user_groups').selectAll().where('id', 'in', ids).execute();
    return new Map(rows.map((r) => [r.id, toView(r)]));
  }

  async memberIds(groupIds: readonly string[]): Promise<Map<string, string[]>> {
    const map = new Map<string, string[]>();
    if (groupIds.length === 0) return map;
    const rows = await this.#db
      .selectFrom('group_members')
      .select(['group_id', 'user_id'])
      .where('group_id', 'in', groupIds)
      .orderBy('user_id')
      .execute();
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
