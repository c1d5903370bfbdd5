import { type RawBuilder, sql } from 'kysely';
import type { Executor } from '../../db/index.ts';
import { badInput } from '../../errors.ts';
import { parseTimestamp } from '../../time.ts';

export interface AuditFilter {
  readonly action?: string | null;
  readonly actionPrefix?: string | null;
  readonly outcome?: 'SUCCESS' | 'FAILURE' | 'STARTED' | null;
  readonly actorKeyId?: string | null;
  readonly actorUserId?: string | null;
  readonly targetId?: string | null;
  readonly since?: string | null;
  readonly until?: string | null;
}

/** A stored audit event, as the AuditEvent type's resolvers receive it. */
export interface AuditRow {
  id: string;
  seq: string | number;
  occurred_at: Date;
  action: string;
  outcome: string;
  actor_key_id: string | null;
  actor_user_id: string | null;
  target_type: string | null;
  target_id: string | null;
  request_id: string | null;
  ip: string | null;
  details: unknown;
}

const MAX_SEQ = 2n ** 63n - 1n;

/** Which events one page of the trail holds. */
export interface AuditPageRequest {
  readonly filter?: AuditFilter | null;
  readonly first: number;
  readonly after?: string | null;
}

/** Newest first, keyset-paginated on the insertion sequence. */
export async function listAuditEvents(db: Executor, workspaceId: string, request: AuditPageRequest) {
  const { filter, first, after } = request;
  const limit = Math.min(Math.max(first, 0), 500);
  let query = db.selectFrom('audit_events').selectAll().where('workspace_id', '=', workspaceId);
  if (after) {
    // A cursor is a bigint sequence number: 19 digits can still overflow it, which used to fail
    // inside the database as a 500.
    if (!/^\d{1,19}$/.test(after) || BigInt(after) > MAX_SEQ)
      throw badInput('after is not a cursor this API returned');
    query = query.where('seq', '<', after);
  }
  const f = filter ?? {};
  if (f.action) query = query.where('action', '=', f.action);
  if (f.actionPrefix)
    query = query.where('action', 'like', `${f.actionPrefix.replace(/[\\%_]/g, (c) => `\\${c}`)}%`);
  if (f.outcome) query = query.where('outcome', '=', f.outcome);
  if (f.actorKeyId) query = query.where('actor_key_id', '=', f.actorKeyId);
  if (f.actorUserId) query = query.where('actor_user_id', '=', f.actorUserId);
  if (f.targetId) query = query.where('target_id', '=', f.targetId);
  if (f.since) query = query.where('occurred_at', '>=', parseTime(f.since, 'since'));
  if (f.until) query = query.where('occurred_at', '<', parseTime(f.until, 'until'));
  const rows = await query
    .orderBy('seq', 'desc')
    .limit(limit + 1)
    .execute();
  const page = rows.slice(0, limit);
  return {
    rows: page,
    hasNextPage: rows.length > limit,
    endCursor: page.length > 0 ? String(page.at(-1)!.seq) : null,
  };
}

function parseTime(value: string, field: string): Date {
  const d = parseTimestamp(value);
  if (!d) throw badInput(`${field} must be an ISO 8601 timestamp between the years 1 and 9999`);
  return d;
}

export interface AuditEventRow {
  readonly id: string;
  readonly workspace_id: string | null;
  readonly occurred_at: Date;
  readonly action: string;
  readonly outcome: 'SUCCESS' | 'FAILURE' | 'STARTED';
  readonly actor_key_id: string | null;
  readonly actor_user_id: string | null;
  readonly target_type: string | null;
  readonly target_id: string | null;
  readonly request_id: string | null;
  readonly ip: string | null;
  /** JSON text. */
  readonly details: string;
}

/**
 * Inserts the rows in one statement whose text is the same for any number of rows (one array per
 * column, unnested in order), so it is prepared once per session and never planned again: the
 * group-committed audit of every query goes through here.
 */
export async function insertAuditEvents(db: Executor, rows: readonly AuditEventRow[]): Promise<void> {
  const column = <K extends keyof AuditEventRow>(key: K) => rows.map((r) => r[key]);
  await sql`/* prepared */
    insert into audit_events
      (id, workspace_id, occurred_at, action, outcome, actor_key_id, actor_user_id, target_type, target_id, request_id, ip, details)
    select id, workspace_id, occurred_at, action, outcome, actor_key_id, actor_user_id, target_type, target_id, request_id, ip, details::jsonb
    from unnest(${column('id')}::text[], ${column('workspace_id')}::text[],
      ${rows.map((r) => r.occurred_at.toISOString())}::timestamptz[], ${column('action')}::text[],
      ${column('outcome')}::text[], ${column('actor_key_id')}::text[], ${column('actor_user_id')}::text[],
      ${column('target_type')}::text[], ${column('target_id')}::text[], ${column('request_id')}::text[],
      ${column('ip')}::text[], ${column('details')}::text[])
      as e(id, workspace_id, occurred_at, action, outcome, actor_key_id, actor_user_id, target_type, target_id, request_id, ip, details)`.execute(
    db,
  );
}

/**
 * The INSERT that ends another module's statement, for events it computes in that statement:
 * `select` yields (id, workspace_id, occurred_at, action, outcome, actor_key_id, actor_user_id,
 * target_type, target_id, request_id, ip, details) in that order. One statement, so a batch that
 * also changes other rows commits with its events and costs one round trip.
 */
export const insertAuditEventsFrom = (select: RawBuilder<unknown>) => sql`insert into audit_events
      (id, workspace_id, occurred_at, action, outcome, actor_key_id, actor_user_id, target_type, target_id, request_id, ip, details)
    ${select}`;

/** The outcome a STARTED record gains once it is known: its final outcome and details to merge. */
export interface AuditOutcomeRow {
  readonly id: string;
  readonly outcome: 'SUCCESS' | 'FAILURE';
  /** JSON text of an object, merged over the record's details. */
  readonly details: string;
}

/**
 * Fills in the outcome of STARTED records, one statement for the whole batch. Committed without
 * waiting for the WAL flush (`synchronous_commit` off for this transaction only): nobody waits on
 * an outcome, and one lost in a crash leaves its record STARTED, which is what such a record
 * means. A record already finished is left alone.
 *
 * Planned on every call, never prepared: the trail grows from empty with every query, and a
 * prepared statement's generic plan, made once while the table was small, kept scanning the whole
 * table for each batch until the next ANALYZE (93 ms a batch at 30,000 records). A fresh plan
 * looks each record up by its primary key.
 */
export async function updateAuditOutcomes(db: Executor, rows: readonly AuditOutcomeRow[]): Promise<void> {
  await sql`
    update audit_events as a set outcome = o.outcome, details = a.details || o.details::jsonb
    from unnest(${rows.map((r) => r.id)}::text[], ${rows.map((r) => r.outcome)}::text[],
      ${rows.map((r) => r.details)}::text[]) as o(id, outcome, details),
      (select set_config('synchronous_commit', 'off', true)) as async_commit(setting)
    where a.id = o.id and a.outcome = 'STARTED'`.execute(db);
}
