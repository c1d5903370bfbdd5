import type { Executor } from '../../db/index.ts';
import { newIds } from '../../ids.ts';
import { addMembershipsEach } from '../groups/queries.ts';
import { normalizeAssignments } from '../roles/validation.ts';
import { normalizeEmail } from './email.ts';
import { insertNewUsers } from './queries/import.ts';
import {
  type CreateOutcome,
  type CreateUserResult,
  type UpsertContext,
  type UserFields,
  upsertUsersEach,
} from './upsert.ts';

/**
 * `upsertUsersEach` for large batches (a bulk import's rows), with the same results, rows and
 * audit events: the users that are new are created with their roles, attributes and user.create
 * events in one statement (insertNewUsers), their groups in one more; only the emails that
 * already exist go through upsertUsersEach, which compares what they have with what they are
 * given. A batch that asks for welcome emails goes through upsertUsersEach whole: each new user's
 * email (and its sign-in link) is written with it.
 */
export async function upsertUsersBulk(
  tx: Executor,
  workspace: { readonly id: string; readonly name: string },
  entries: readonly { readonly email: string; readonly fields: UserFields }[],
  context: UpsertContext,
): Promise<CreateUserResult[]> {
  if (entries.some((e) => e.fields.sendWelcomeEmail)) return upsertUsersEach(tx, workspace, entries, context);
  // As upsertUsersEach: an email given twice keeps its first spelling and fields.
  const userIds = newIds('usr', entries.length);
  const byNormalized = new Map<string, { email: string; fields: UserFields; id: string }>();
  for (const [i, e] of entries.entries()) {
    const n = normalizeEmail(e.email);
    if (!byNormalized.has(n))
      byNormalized.set(n, { email: e.email.trim(), fields: e.fields, id: userIds[i]! });
  }
  const sorted = [...byNormalized.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const eventIds = newIds('evt', sorted.length);
  const created = await insertNewUsers(tx, workspace.id, {
    rows: sorted.map(([n, { email, fields, id }], i) => ({
      id,
      email,
      emailNormalized: n,
      roles: fields.roleAssignments ? normalizeAssignments(fields.roleAssignments) : [],
      attributes: fields.userAttributes ?? [],
      eventId: eventIds[i]!,
    })),
    at: context.now,
    audit: {
      actorKeyId: context.origin.actorKeyId,
      actorUserId: context.origin.actorUserId,
      requestId: context.origin.requestId,
      ip: context.origin.ip,
      via: context.via,
    },
  });
  await addMembershipsEach(
    tx,
    sorted.flatMap(([, { id, fields }]) =>
      created.has(id) && fields.userGroupIds?.length
        ? [{ userId: id, groupIds: [...new Set(fields.userGroupIds)] }]
        : [],
    ),
    context.now,
  );
  const others = [...byNormalized.values()].filter((u) => !created.has(u.id));
  const existing = new Map(
    (others.length === 0
      ? []
      : await upsertUsersEach(
          tx,
          workspace,
          others.map(({ email, fields }) => ({ email, fields })),
          context,
        )
    ).map((r) => [normalizeEmail(r.email), r]),
  );
  const outcome: CreateOutcome = 'CREATED';
  return [...byNormalized.entries()].map(
    ([n, u]) => existing.get(n) ?? { email: u.email, userId: u.id, outcome },
  );
}
