import type { Executor } from '../../db/index.ts';
import { echo, type Problem } from '../../errors.ts';
import { newId } from '../../ids.ts';
import { type AttributeInput, attributeProblems } from '../attributes/validation.ts';
import { type AuditEvent, type AuditOrigin, recordAudit } from '../audit/service.ts';
import type { DomainCatalog } from '../data/domains/catalog.ts';
import { addMembershipsEach, existingGroupIds } from '../groups/queries.ts';
import { enqueueMessages, welcomeEmail } from '../outbox/queue.ts';
import {
  normalizeAssignments,
  type RoleAssignmentInput,
  roleAssignmentProblems,
} from '../roles/validation.ts';
import { emailProblems, normalizeEmail } from './email.ts';
import { replaceDatabaseAttributesEach, replaceDirectAssignmentsEach } from './queries/bulk.ts';
import * as q from './queries/users.ts';

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
  const knownGroups = await existingGroupIds(tx, workspaceId, [...new Set(input.userGroupIds ?? [])]);
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

/** What one user of a bulk write should get: the createUsers fields, for this email only. */
export type UserFields = Omit<CreateUsersInput, 'emails'>;

/**
 * The writes of createUsers (docs/api-contract.md §5) for a validated input, in the caller's transaction:
 * creates new emails, re-applies the given fields to existing ones, queues welcome emails for
 * new users, and audits every change.
 */
export function upsertUsers(
  tx: Executor,
  workspace: { readonly id: string; readonly name: string },
  input: CreateUsersInput,
  context: UpsertContext,
): Promise<CreateUserResult[]> {
  const { emails, ...fields } = input;
  return upsertUsersEach(
    tx,
    workspace,
    emails.map((email) => ({ email, fields })),
    context,
  );
}

export interface UpsertContext {
  readonly origin: AuditOrigin;
  readonly now: Date;
  readonly publicUrl: string;
  readonly via: string;
  /** Mints the sign-in link a welcome email carries, when web sessions are installed. */
  readonly welcomeLink?:
    | ((tx: Executor, user: { id: string; workspace_id: string }) => Promise<string>)
    | null;
}

/**
 * createUsers' writes where every email brings its own fields (a bulk import's rows), with one
 * statement per table for the whole set. An email given twice keeps its first fields.
 * Results come in the order of first appearance.
 */
export async function upsertUsersEach(
  tx: Executor,
  workspace: { readonly id: string; readonly name: string },
  entries: readonly { readonly email: string; readonly fields: UserFields }[],
  context: UpsertContext,
): Promise<CreateUserResult[]> {
  const { now } = context;
  const workspaceId = workspace.id;
  // Duplicates collapse onto the first spelling; sorted so that concurrent calls take row locks
  // in the same order.
  const byNormalized = new Map<string, { email: string; fields: UserFields }>();
  for (const e of entries) {
    const n = normalizeEmail(e.email);
    if (!byNormalized.has(n)) byNormalized.set(n, { email: e.email.trim(), fields: e.fields });
  }
  const normalized = [...byNormalized.keys()].sort();

  const { created, users } = await insertAndLockUsers(tx, workspaceId, normalized, (n) => ({
    id: newId('usr'),
    workspace_id: workspaceId,
    email: byNormalized.get(n)!.email,
    email_normalized: n,
    created_at: now,
    updated_at: now,
  }));
  const fieldsOf = new Map(users.map((u) => [u.id, byNormalized.get(u.email_normalized)!.fields]));
  const existing = users.map((u) => u.id).filter((id) => !created.has(id));
  const changed = new Set(await usersThatWouldChange(tx, existing, fieldsOf));
  const toWrite = [...created, ...changed].map((id) => ({ id, fields: fieldsOf.get(id)! }));

  await replaceDirectAssignmentsEach(
    tx,
    toWrite.flatMap(({ id, fields }) =>
      fields.roleAssignments
        ? [{ userId: id, assignments: normalizeAssignments(fields.roleAssignments) }]
        : [],
    ),
    created,
  );
  const userById = new Map(users.map((u) => [u.id, u]));
  await replaceDatabaseAttributesEach(
    tx,
    toWrite.flatMap(({ id, fields }) =>
      fields.userAttributes ? [{ user: userById.get(id)!, attributes: fields.userAttributes }] : [],
    ),
    created,
  );
  await addMembershipsEach(
    tx,
    toWrite.map(({ id, fields }) => ({ userId: id, groupIds: [...new Set(fields.userGroupIds ?? [])] })),
    now,
  );
  await q.touchUsers(tx, [...changed], now);

  const outcomeOf = (id: string): CreateOutcome =>
    created.has(id) ? 'CREATED' : changed.has(id) ? 'UPDATED' : 'UNCHANGED';
  const byEmail = new Map(users.map((u) => [u.email_normalized, u]));
  const results = [...byNormalized.keys()].map((n) => {
    const user = byEmail.get(n)!;
    return { email: user.email, userId: user.id, outcome: outcomeOf(user.id) };
  });

  const newcomers = results.filter(
    (r) => r.outcome === 'CREATED' && fieldsOf.get(r.userId)!.sendWelcomeEmail,
  );
  const welcomes = [];
  for (const r of newcomers) {
    const link = context.welcomeLink
      ? await context.welcomeLink(tx, { id: r.userId, workspace_id: workspaceId })
      : null;
    welcomes.push(
      welcomeEmail({
        workspaceId,
        workspaceName: workspace.name,
        email: r.email,
        publicUrl: context.publicUrl,
        signInLink: link,
      }),
    );
  }
  await enqueueMessages(tx, welcomes, now);
  const events: AuditEvent[] = results
    .filter((r) => r.outcome !== 'UNCHANGED')
    .map((r) => ({
      action: r.outcome === 'CREATED' ? 'user.create' : 'user.update',
      workspaceId,
      target: r.userId,
      details: { email: r.email, via: context.via },
      at: now,
    }));
  await recordAudit(tx, context.origin, events);
  return results;
}

/**
 * Inserts the emails that have no user yet and locks every one of them. An email whose insert
 * found a user that a concurrent deleteUsersFromWorkspace then removed is not there to lock: it
 * is inserted again, as if the delete had come first (a serial outcome), never left out of the
 * results. Rows already locked cannot disappear, so each round only retries the ones that did.
 */
async function insertAndLockUsers(
  tx: Executor,
  workspaceId: string,
  normalized: readonly string[],
  rowFor: (normalizedEmail: string) => Parameters<typeof q.insertMissingUsers>[1][number],
): Promise<{ created: Set<string>; users: q.UserRow[] }> {
  const created = new Set<string>();
  const users: q.UserRow[] = [];
  let missing = normalized;
  for (let round = 0; missing.length > 0; round++) {
    if (round === 5) throw new Error('users kept disappearing while createUsers locked them');
    for (const id of await q.insertMissingUsers(tx, missing.map(rowFor))) created.add(id);
    const found = await q.usersByEmails(tx, workspaceId, missing);
    users.push(...found);
    const locked = new Set(found.map((u) => u.email_normalized));
    missing = missing.filter((n) => !locked.has(n));
  }
  return { created, users };
}

/** Existing users whose direct roles, DATABASE attributes or groups their fields would change. */
async function usersThatWouldChange(
  tx: Executor,
  ids: readonly string[],
  fieldsOf: ReadonlyMap<string, UserFields>,
): Promise<string[]> {
  if (ids.length === 0) return [];
  const wants = (pick: (f: UserFields) => unknown) => ids.some((id) => pick(fieldsOf.get(id)!));
  const [roles, attrs, groups] = await Promise.all([
    wants((f) => f.roleAssignments) ? q.roleAssignmentsOf(tx, ids) : null,
    wants((f) => f.userAttributes) ? q.attributesOf(tx, ids) : null,
    wants((f) => f.userGroupIds?.length) ? q.groupIdsOf(tx, ids) : null,
  ]);
  return ids.filter((id) => {
    const fields = fieldsOf.get(id)!;
    if (roles && fields.roleAssignments) {
      const have = (roles.get(id) ?? [])
        .filter((a) => a.source === 'DIRECT')
        .map((a) => ({ roleId: a.roleId, scopes: a.scopes }));
      if (JSON.stringify(have) !== JSON.stringify(normalizeAssignments(fields.roleAssignments))) return true;
    }
    if (attrs && fields.userAttributes) {
      const have = (attrs.get(id) ?? []).filter((a) => a.source === 'DATABASE');
      if (canonicalAttributes(have) !== canonicalAttributes(fields.userAttributes)) return true;
    }
    if (groups && fields.userGroupIds?.length) {
      const have = new Set(groups.get(id) ?? []);
      if (fields.userGroupIds.some((g) => !have.has(g))) return true;
    }
    return false;
  });
}

const canonicalAttributes = (attrs: readonly { key: string; value: string }[]) =>
  JSON.stringify(
    [...attrs].map((a) => [a.key, a.value]).sort((x, y) => (x[0]! < y[0]! ? -1 : x[0]! > y[0]! ? 1 : 0)),
  );
