import type { Clock } from '../../clock.ts';
import { isRetryableTransactionError } from '../../db/errors.ts';
import type { Db, Executor } from '../../db/index.ts';
import { AppError, assertNoProblems, badInput, echo, notFound, type Problem } from '../../errors.ts';
import { newId } from '../../ids.ts';
import { type AttributeInput, attributeProblems } from '../attributes/validation.ts';
import { type AuditEventInput, type AuditOrigin, auditEvent, recordAuditEvents } from '../audit/service.ts';
import type { DomainCatalog } from '../domains/catalog.ts';
import { enqueueMessages, welcomeEmail } from '../outbox/queue.ts';
import {
  normalizeAssignments,
  type RoleAssignmentInput,
  roleAssignmentProblems,
} from '../roles/validation.ts';
import type { WorkspaceService } from '../workspaces/service.ts';
import { emailProblems, normalizeEmail } from './email.ts';
import * as q from './queries.ts';

export interface CreateUsersInput {
  readonly emails: readonly string[];
  readonly roleAssignments?: readonly RoleAssignmentInput[] | null;
  readonly userAttributes?: readonly AttributeInput[] | null;
  readonly userGroupIds?: readonly string[] | null;
  readonly sendWelcomeEmail?: boolean | null;
}

export type CreateOutcome = 'CREATED' | 'UPDATED' | 'UNCHANGED';
export interface CreateUserResult {
  readonly email: string;
  readonly userId: string;
  readonly outcome: CreateOutcome;
}

export const USER_STATUSES = ['ACTIVE', 'INACTIVE', 'SUSPENDED', 'PENDING', 'DELETED'] as const;
export type UserStatus = (typeof USER_STATUSES)[number];

export interface UserServiceOptions {
  readonly maxEmailsPerCall: number;
  readonly publicUrl: string;
}

/** Provisioning: every use case is one transaction, validated in full before anything is written. */
export class UserService {
  readonly #db: Db;
  readonly #clock: Clock;
  readonly #domains: () => DomainCatalog;
  readonly #workspaces: WorkspaceService;
  readonly #options: UserServiceOptions;

  constructor(
    db: Db,
    clock: Clock,
    domains: () => DomainCatalog,
    workspaces: WorkspaceService,
    options: UserServiceOptions,
  ) {
    this.#db = db;
    this.#clock = clock;
    this.#domains = domains;
    this.#workspaces = workspaces;
    this.#options = options;
  }

  /**
   * createUsers (CONTRACT.md §5): creates new emails and re-applies the given fields to existing
   * ones, atomically. Any bad item fails the whole call, naming every bad item.
   */
  async createUsers(
    workspaceId: string,
    input: CreateUsersInput,
    origin: AuditOrigin,
  ): Promise<CreateUserResult[]> {
    const inputProblems: Problem[] = [];
    const problems = inputProblems;
    if (input.emails.length === 0)
      problems.push({ code: 'BAD_USER_INPUT', field: 'emails', message: 'needs at least one email' });
    if (input.emails.length > this.#options.maxEmailsPerCall) {
      problems.push({
        code: 'BAD_USER_INPUT',
        field: 'emails',
        message: `at most ${this.#options.maxEmailsPerCall} emails per call`,
      });
      assertNoProblems(problems, 'createUsers input');
    }
    problems.push(...emailProblems(input.emails));
    if (input.userAttributes) problems.push(...attributeProblems(input.userAttributes));
    const groupIds = [...new Set(input.userGroupIds ?? [])];

    return this.#inTransaction(async (tx) => {
      const workspace = await this.#workspaces.get(workspaceId, tx);
      const problems = [...inputProblems];
      if (input.roleAssignments) {
        problems.push(
          ...(await roleAssignmentProblems(tx, this.#domains(), workspaceId, input.roleAssignments)),
        );
      }
      const knownGroups = await q.existingGroupIds(tx, workspaceId, groupIds);
      (input.userGroupIds ?? []).forEach((g, i) => {
        if (!knownGroups.has(g))
          problems.push({
            code: 'BAD_USER_INPUT',
            field: `userGroupIds[${i}]`,
            item: echo(g),
            message: 'unknown group',
          });
      });
      assertNoProblems(problems, 'createUsers input');

      // Duplicates inside one call collapse onto the first spelling; sorted so that concurrent
      // calls take row locks in the same order.
      const byNormalized = new Map<string, string>();
      for (const e of input.emails)
        if (!byNormalized.has(normalizeEmail(e))) byNormalized.set(normalizeEmail(e), e.trim());
      const normalized = [...byNormalized.keys()].sort();
      const now = this.#clock.now();

      const created = await q.insertMissingUsers(
        tx,
        normalized.map((n) => ({
          id: newId('usr'),
          workspace_id: workspaceId,
          email: byNormalized.get(n)!,
          email_normalized: n,
          created_at: now,
          updated_at: now,
        })),
      );
      const users = await q.usersByEmails(tx, workspaceId, normalized);
      const ids = users.map((u) => u.id);
      const existing = ids.filter((id) => !created.has(id));
      const changed = await this.#usersThatWouldChange(tx, existing, input, groupIds);
      const toWrite = [...created, ...changed];

      const assignments = input.roleAssignments ? normalizeAssignments(input.roleAssignments) : null;
      if (assignments) await q.replaceDirectAssignments(tx, toWrite, assignments);
      if (input.userAttributes) await q.replaceDatabaseAttributes(tx, toWrite, input.userAttributes);
      if (groupIds.length > 0) await q.addMemberships(tx, toWrite, groupIds, now);
      await q.touchUsers(tx, changed, now);

      const outcomeOf = (id: string): CreateOutcome =>
        created.has(id) ? 'CREATED' : changed.includes(id) ? 'UPDATED' : 'UNCHANGED';
      const byEmail = new Map(users.map((u) => [u.email_normalized, u]));
      const results = [...byNormalized.keys()].map((n) => {
        const user = byEmail.get(n)!;
        return { email: user.email, userId: user.id, outcome: outcomeOf(user.id) };
      });

      if (input.sendWelcomeEmail) {
        const newcomers = results.filter((r) => r.outcome === 'CREATED');
        await enqueueMessages(
          tx,
          newcomers.map((r) => welcomeEmail(workspaceId, workspace.name, r.email, this.#options.publicUrl)),
          now,
        );
      }
      const events: AuditEventInput[] = results
        .filter((r) => r.outcome !== 'UNCHANGED')
        .map((r) =>
          auditEvent(
            origin,
            now,
            workspaceId,
            r.outcome === 'CREATED' ? 'user.create' : 'user.update',
            { type: 'user', id: r.userId },
            {
              email: r.email,
              via: 'createUsers',
            },
          ),
        );
      await recordAuditEvents(tx, events);
      return results;
    });
  }

  /** Existing users whose direct roles, DATABASE attributes or groups the input would change. */
  async #usersThatWouldChange(
    tx: Executor,
    ids: readonly string[],
    input: CreateUsersInput,
    groupIds: readonly string[],
  ): Promise<string[]> {
    if (ids.length === 0) return [];
    const [roles, attrs, groups] = await Promise.all([
      input.roleAssignments ? q.roleAssignmentsOf(tx, ids) : null,
      input.userAttributes ? q.attributesOf(tx, ids) : null,
      groupIds.length > 0 ? q.groupIdsOf(tx, ids) : null,
    ]);
    const wantRoles = input.roleAssignments
      ? JSON.stringify(normalizeAssignments(input.roleAssignments))
      : null;
    const wantAttrs = input.userAttributes ? canonicalAttributes(input.userAttributes) : null;
    return ids.filter((id) => {
      if (roles && wantRoles !== null) {
        const have = (roles.get(id) ?? [])
          .filter((a) => a.inheritedFromGroupId === null)
          .map((a) => ({ roleId: a.roleId, scopes: a.scopes }));
        if (JSON.stringify(have) !== wantRoles) return true;
      }
      if (attrs && wantAttrs !== null) {
        if (canonicalAttributes((attrs.get(id) ?? []).filter((a) => a.source === 'DATABASE')) !== wantAttrs)
          return true;
      }
      if (groups) {
        const have = new Set(groups.get(id) ?? []);
        if (groupIds.some((g) => !have.has(g))) return true;
      }
      return false;
    });
  }

  /** setUserAttributes: replaces all DATABASE attributes atomically; JWT ones are untouched. */
  async setAttributes(
    workspaceId: string,
    userId: string,
    attributes: readonly AttributeInput[],
    origin: AuditOrigin,
  ): Promise<void> {
    assertNoProblems(attributeProblems(attributes), 'userAttributes');
    await this.#inTransaction(async (tx) => {
      const [user] = await q.lockUsers(tx, workspaceId, [userId]);
      if (!user) throw notFound('User not found');
      const now = this.#clock.now();
      await q.replaceDatabaseAttributes(tx, [userId], attributes);
      await q.touchUsers(tx, [userId], now);
      await recordAuditEvents(tx, [
        auditEvent(
          origin,
          now,
          workspaceId,
          'user.setAttributes',
          { type: 'user', id: userId },
          { keys: attributes.map((a) => a.key) },
        ),
      ]);
    });
  }

  /** Stores attributes that came from an identity provider (source JWT); DATABASE ones are untouched. */
  async setJwtAttributes(
    workspaceId: string,
    userId: string,
    attributes: readonly AttributeInput[],
    origin: AuditOrigin,
  ): Promise<void> {
    assertNoProblems(attributeProblems(attributes), 'attributes');
    await this.#inTransaction(async (tx) => {
      const [user] = await q.lockUsers(tx, workspaceId, [userId]);
      if (!user) throw notFound('User not found');
      const now = this.#clock.now();
      await tx
        .deleteFrom('user_attributes')
        .where('user_id', '=', userId)
        .where('source', '=', 'JWT')
        .execute();
      if (attributes.length > 0) {
        await tx
          .insertInto('user_attributes')
          .values(
            attributes.map((a) => ({ user_id: userId, source: 'JWT' as const, key: a.key, value: a.value })),
          )
          .execute();
      }
      await recordAuditEvents(tx, [
        auditEvent(origin, now, workspaceId, 'user.setJwtAttributes', { type: 'user', id: userId }),
      ]);
    });
  }

  /** Replaces a user's direct role assignments (inherited ones come from groups). */
  async setRoleAssignments(
    workspaceId: string,
    userId: string,
    assignments: readonly RoleAssignmentInput[],
    origin: AuditOrigin,
  ): Promise<void> {
    await this.#inTransaction(async (tx) => {
      assertNoProblems(
        await roleAssignmentProblems(tx, this.#domains(), workspaceId, assignments),
        'roleAssignments',
      );
      const [user] = await q.lockUsers(tx, workspaceId, [userId]);
      if (!user) throw notFound('User not found');
      const now = this.#clock.now();
      await q.replaceDirectAssignments(tx, [userId], normalizeAssignments(assignments));
      await q.touchUsers(tx, [userId], now);
      await recordAuditEvents(tx, [
        auditEvent(
          origin,
          now,
          workspaceId,
          'user.setRoleAssignments',
          { type: 'user', id: userId },
          { roleIds: assignments.map((a) => a.roleId) },
        ),
      ]);
    });
  }

  /** Suspending (or deactivating) a user ends their sessions on the next request. */
  async setStatus(workspaceId: string, userId: string, status: string, origin: AuditOrigin): Promise<void> {
    if (!(USER_STATUSES as readonly string[]).includes(status) || status === 'DELETED') {
      throw badInput(`Invalid status: ${echo(status)}`, [
        { code: 'BAD_USER_INPUT', field: 'status', item: echo(status), message: 'unknown or not settable' },
      ]);
    }
    await this.#inTransaction(async (tx) => {
      const [user] = await q.lockUsers(tx, workspaceId, [userId]);
      if (!user) throw notFound('User not found');
      const now = this.#clock.now();
      await tx.updateTable('users').set({ status, updated_at: now }).where('id', '=', userId).execute();
      await recordAuditEvents(tx, [
        auditEvent(
          origin,
          now,
          workspaceId,
          'user.setStatus',
          { type: 'user', id: userId },
          { from: user.status, to: status },
        ),
      ]);
    });
  }

  /**
   * deleteUsersFromWorkspace: all or nothing. An id that is unknown (or of another workspace,
   * which looks the same) fails the call and deletes nobody.
   */
  async deleteUsers(workspaceId: string, userIds: readonly string[], origin: AuditOrigin): Promise<number> {
    const unique = [...new Set(userIds)];
    if (unique.length === 0)
      throw badInput('userIds must not be empty', [
        { code: 'BAD_USER_INPUT', field: 'userIds', message: 'needs at least one id' },
      ]);
    if (unique.length > this.#options.maxEmailsPerCall)
      throw badInput(`at most ${this.#options.maxEmailsPerCall} users per call`);
    return this.#inTransaction(async (tx) => {
      const found = await q.lockUsers(tx, workspaceId, unique);
      const foundIds = new Set(found.map((u) => u.id));
      const missing = unique.filter((id) => !foundIds.has(id));
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
      await tx
        .deleteFrom('users')
        .where('workspace_id', '=', workspaceId)
        .where('id', '=', q.anyText(unique))
        .execute();
      await recordAuditEvents(
        tx,
        found.map((u) =>
          auditEvent(origin, now, workspaceId, 'user.delete', { type: 'user', id: u.id }, { email: u.email }),
        ),
      );
      return unique.length;
    });
  }

  find(workspaceId: string, userId: string): Promise<q.UserRow | undefined> {
    return q.findUser(this.#db, workspaceId, userId);
  }

  findByEmail(workspaceId: string, email: string): Promise<q.UserRow | undefined> {
    return q.findUserByEmail(this.#db, workspaceId, normalizeEmail(email));
  }

  list(workspaceId: string): Promise<q.UserRow[]> {
    return q.listUsersOrdered(this.#db, workspaceId);
  }

  /** Runs a use case in one transaction, retrying it whole on a serialization failure or deadlock. */
  async #inTransaction<T>(work: (tx: Executor) => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.#db.transaction().execute(work);
      } catch (err) {
        if (attempt >= 5 || !isRetryableTransactionError(err)) throw err;
      }
    }
  }
}

const canonicalAttributes = (attrs: readonly { key: string; value: string }[]) =>
  JSON.stringify(
    [...attrs].map((a) => [a.key, a.value]).sort((x, y) => (x[0]! < y[0]! ? -1 : x[0]! > y[0]! ? 1 : 0)),
  );
