import { sql } from 'kysely';
import type { Executor } from '../../../db/index.ts';
import { insertAuditEventsFrom } from '../../audit/queries.ts';

/** A user a bulk write would create, with everything createUsers gives a new user. */
export interface NewUserRow {
  readonly id: string;
  readonly email: string;
  readonly emailNormalized: string;
  /** Direct role assignments, normalized, in their order. */
  readonly roles: readonly { readonly roleId: string; readonly scopes: readonly string[] }[];
  readonly attributes: readonly { readonly key: string; readonly value: string }[];
  /** The id of the user.create audit event, if the user is created. */
  readonly eventId: string;
}

/** Who the audit events name, and what they carry besides the email. */
export interface NewUsersAudit {
  readonly actorKeyId: string | null;
  readonly actorUserId: string | null;
  readonly requestId: string | null;
  readonly ip: string | null;
  readonly via: string;
}

/**
 * Creates those of `rows` whose email the workspace does not have yet, with their direct roles,
 * DATABASE attributes and user.create audit events, in ONE statement: the users insert skips
 * emails that exist (a concurrent writer's, or a re-run's), and only the users it inserted get
 * roles, attributes and events. Returns the ids it created. One array parameter per column, so
 * the statement has the same shape for 1 row or 10,000, and nothing per row is parsed but data.
 * Rows come sorted by normalized email so that concurrent writers lock in the same order.
 */
export async function insertNewUsers(
  db: Executor,
  workspaceId: string,
  batch: { readonly rows: readonly NewUserRow[]; readonly at: Date; readonly audit: NewUsersAudit },
): Promise<Set<string>> {
  const { rows, at, audit } = batch;
  if (rows.length === 0) return new Set();
  const roles = rows.flatMap((u) =>
    u.roles.map((r, position) => ({
      userId: u.id,
      position,
      roleId: r.roleId,
      scopes: arrayLiteral(r.scopes),
    })),
  );
  const attributes = rows.flatMap((u) => u.attributes.map((a) => ({ userId: u.id, ...a })));
  const now = at.toISOString();
  const result = await sql<{ target_id: string }>`
    with r as (
      select * from unnest(
        ${rows.map((u) => u.id)}::text[], ${rows.map((u) => u.email)}::text[],
        ${rows.map((u) => u.emailNormalized)}::text[], ${rows.map((u) => u.eventId)}::text[]
      ) with ordinality as r(id, email, email_normalized, event_id, n)
    ), created as (
      insert into users (id, workspace_id, email, email_normalized, created_at, updated_at)
      select id, ${workspaceId}, email, email_normalized, ${now}::timestamptz, ${now}::timestamptz
      from r order by r.n
      on conflict on constraint users_workspace_email_unique do nothing
      returning id, email_normalized
    ), roles as (
      insert into user_role_assignments (user_id, position, role_id, scopes)
      select t.user_id, t.position, t.role_id, t.scopes::text[]
      from unnest(${roles.map((r) => r.userId)}::text[], ${roles.map((r) => r.position)}::int[],
        ${roles.map((r) => r.roleId)}::text[], ${roles.map((r) => r.scopes)}::text[])
        as t(user_id, position, role_id, scopes)
      join created on created.id = t.user_id
    ), attributes as (
      -- The copies of the user's workspace and email are given, so the copy trigger looks nothing up.
      insert into user_attributes (user_id, source, key, value, workspace_id, email_normalized)
      select t.user_id, 'DATABASE', t.key, t.value, ${workspaceId}, created.email_normalized
      from unnest(${attributes.map((a) => a.userId)}::text[], ${attributes.map((a) => a.key)}::text[],
        ${attributes.map((a) => a.value)}::text[]) as t(user_id, key, value)
      join created on created.id = t.user_id
    )
    ${insertAuditEventsFrom(sql`
      select r.event_id, ${workspaceId}, ${now}::timestamptz, 'user.create', 'SUCCESS',
        ${audit.actorKeyId}, ${audit.actorUserId}, 'user', r.id, ${audit.requestId}, ${audit.ip},
        jsonb_build_object('email', r.email, 'via', ${audit.via}::text)
      from r join created on created.id = r.id
      order by r.n`)}
    returning target_id
  `.execute(db);
  return new Set(result.rows.map((r) => r.target_id));
}

/** A text[] literal (`{"a","b"}`), so a list of lists travels as one text[] parameter. */
function arrayLiteral(values: readonly string[]): string {
  return `{${values.map((v) => `"${v.replace(/[\\"]/g, (c) => `\\${c}`)}"`).join(',')}}`;
}

/** Fresh planner statistics for the users module's tables, after a bulk write (see UserService.refreshPlannerStatistics). */
export const analyzeUserTables = (db: Executor) =>
  sql`analyze users, user_attributes, user_role_assignments`.execute(db);
