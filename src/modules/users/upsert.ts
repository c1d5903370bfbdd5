import type { Executor } from '../../db/index.ts';
import { echo, type Problem } from '../../errors.ts';
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

/** The checks of createUsers that need no database: email syntax, attributes, the batch size. */
export function inputProblems(input: CreateUsersInput, maxEmailsPerCall: number): Problem[] {
  const problems: Problem[] = [];
  if (input.emails.length === 0)
    problems.push({ code: 'BAD_USER_INPUT', field: 'emails', message: 'needs at least one email' });
  if (input.emails.length > maxEmailsPerCall) {
    problems.push({
      code: 'BAD_USER_INPUT',
      field: 'emails',
      message: `at most ${maxEmailsPerCall} emails per call`,
    });
    return problems;
  }
  problems.push(...emailProblems(input.emails));
  if (input.userAttributes) problems.push(...attributeProblems(input.userAttributes));
  return problems;
}

/** The checks of createUsers against stored data: roles and their domains, and groups. */
export async function storedProblems(
  tx: Executor,
  domains: DomainCatalog,
  workspaceId: string,
  input: CreateUsersInput,
): Promise<Problem[]> {
  const problems: Problem[] = [];
  if (input.roleAssignments)
    problems.push(...(await roleAssignmentProblems(tx, domains, workspaceId, input.roleAssignments)));
  const knownGroups = await q.existingGroupIds(tx, workspaceId, [...new Set(input.userGroupIds ?? [])]);
  (input.userGroupIds ?? []).forEach((g, i) => {
    if (!knownGroups.has(g))
      problems.push({
        code: 'BAD_USER_INPUT',
        field: `userGroupIds[${i}]`,
        item: echo(g),
        message: 'unknown group',
      });
  });
  return problems;
}

/**
 * The writes of createUsers (CONTRACT.md §5) for a validated input, in the caller's transaction:
 * creates new emails, re-applies the given fields to existing ones, queues welcome emails for
 * new users, and audits every change.
 */
export async function upsertUsers(
  tx: Executor,
  workspace: { readonly id: string; readonly name: string },
  input: CreateUsersInput,
  context: {
    readonly origin: AuditOrigin;
    readonly now: Date;
    readonly publicUrl: string;
    readonly via: string;
  },
): Promise<CreateUserResult[]> {
  const { now } = context;
  const workspaceId = workspace.id;
  const groupIds = [...new Set(input.userGroupIds ?? [])];
  // Duplicates inside one call collapse onto the first spelling; sorted so that concurrent
  // calls take row locks in the same order.
  const byNormalized = new Map<string, string>();
  for (const e of input.emails)
    if (!byNormalized.has(normalizeEmail(e))) byNormalized.set(normalizeEmail(e), e.trim());
  const normalized = [...byNormalized.keys()].sort();

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
  const existing = users.map((u) => u.id).filter((id) => !created.has(id));
  const changed = await usersThatWouldChange(tx, existing, input, groupIds);
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
      newcomers.map((r) => welcomeEmail(workspaceId, workspace.name, r.email, context.publicUrl)),
      now,
    );
  }
  const events: AuditEventInput[] = results
    .filter((r) => r.outcome !== 'UNCHANGED')
    .map((r) =>
      auditEvent(
        context.origin,
        now,
        workspaceId,
        r.outcome === 'CREATED' ? 'user.create' : 'user.update',
        { type: 'user', id: r.userId },
        { email: r.email, via: context.via },
      ),
    );
  await recordAuditEvents(tx, events);
  return results;
}

/** Existing users whose direct roles, DATABASE attributes or groups the input would change. */
async function usersThatWouldChange(
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

const canonicalAttributes = (attrs: readonly { key: string; value: string }[]) =>
  JSON.stringify(
    [...attrs].map((a) => [a.key, a.value]).sort((x, y) => (x[0]! < y[0]! ? -1 : x[0]! > y[0]! ? 1 : 0)),
  );
