import { type Insertable, sql } from 'kysely';
import { chunksFor } from '../../db/batch.ts';
import type { Executor } from '../../db/index.ts';
import type { OutboxMessagesTable } from '../../db/schema.ts';

export type OutboxState = 'QUEUED' | 'SENDING' | 'SENT' | 'FAILED';
export const OUTBOX_STATES: readonly OutboxState[] = ['QUEUED', 'SENDING', 'SENT', 'FAILED'];

export interface OutboxMessage {
  readonly id: string;
  readonly workspace_id: string | null;
  readonly kind: string;
  readonly recipient: string;
  readonly subject: string;
  readonly body: string;
  readonly state: OutboxState;
  readonly attempts: number;
  readonly next_attempt_at: Date;
  readonly last_error: string | null;
  readonly created_at: Date;
  readonly sent_at: Date | null;
}

type Row = { [K in keyof OutboxMessagesTable]: unknown };
const asMessage = (row: Row): OutboxMessage => ({
  ...(row as unknown as OutboxMessage),
  attempts: Number(row.attempts),
});

/**
 * Claims the message due first for one delivery attempt: QUEUED and due, or SENDING with an
 * expired lease (its sender died mid-send). One statement; `for update skip locked` makes
 * concurrent senders on PostgreSQL pass over each other's rows instead of waiting, so a message
 * is claimed by exactly one of them. While SENDING, `next_attempt_at` holds the lease's end, and
 * `attempts` (incremented here) is the claim's fencing token for `finishClaim`.
 */
/** Queues the rows, a statement per chunk of the parameter limit. */
export async function insertMessages(db: Executor, rows: readonly Insertable<OutboxMessagesTable>[]) {
  for (const chunk of chunksFor(rows, 8)) await db.insertInto('outbox_messages').values(chunk).execute();
}

export async function claimDueMessage(
  db: Executor,
  now: Date,
  leaseUntil: Date,
  maxAttempts: number,
): Promise<OutboxMessage | undefined> {
  const row = await sql<Row>`
    update outbox_messages
    set state = 'SENDING', attempts = attempts + 1, next_attempt_at = ${leaseUntil}
    where id = (
      select id from outbox_messages
      where state in ('QUEUED', 'SENDING') and next_attempt_at <= ${now} and attempts < ${maxAttempts}
      order by next_attempt_at, id
      limit 1
      for update skip locked
    )
    returning *
  `.execute(db);
  return row.rows[0] ? asMessage(row.rows[0]) : undefined;
}

/**
 * A SENDING message whose lease ran out after its last allowed attempt cannot be claimed again;
 * it becomes FAILED so it does not sit in SENDING forever. So does a due QUEUED one whose
 * attempts already reach the budget.
 */
export async function failAbandonedClaims(db: Executor, now: Date, maxAttempts: number): Promise<number> {
  const result = await db
    .updateTable('outbox_messages')
    .set({ state: 'FAILED', last_error: 'The sender stopped during the last attempt (lease expired)' })
    .where('state', '=', 'SENDING')
    .where('next_attempt_at', '<=', now)
    .where('attempts', '>=', maxAttempts)
    .executeTakeFirst();
  // A QUEUED message past the budget (TESSERA_OUTBOX_MAX_ATTEMPTS was lowered) would never be claimed.
  const exhausted = await db
    .updateTable('outbox_messages')
    .set({ state: 'FAILED' })
    .where('state', '=', 'QUEUED')
    .where('next_attempt_at', '<=', now)
    .where('attempts', '>=', maxAttempts)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) + Number(exhausted.numUpdatedRows);
}

export type ClaimOutcome =
  | { readonly state: 'SENT'; readonly at: Date }
  | { readonly state: 'QUEUED'; readonly nextAttemptAt: Date; readonly error: string }
  | { readonly state: 'FAILED'; readonly error: string };

/**
 * Records how a claimed attempt ended, only if the claim is still ours (same attempt number and
 * still SENDING): a sender whose lease expired and whose message was retaken must not overwrite
 * the newer attempt's result. Returns whether the row was updated.
 */
export async function finishClaim(
  db: Executor,
  claim: OutboxMessage,
  outcome: ClaimOutcome,
): Promise<boolean> {
  const set =
    outcome.state === 'SENT'
      ? { state: 'SENT' as const, sent_at: outcome.at, last_error: null }
      : outcome.state === 'QUEUED'
        ? { state: 'QUEUED' as const, next_attempt_at: outcome.nextAttemptAt, last_error: outcome.error }
        : { state: 'FAILED' as const, last_error: outcome.error };
  const result = await db
    .updateTable('outbox_messages')
    .set(set)
    .where('id', '=', claim.id)
    .where('state', '=', 'SENDING')
    .where('attempts', '=', claim.attempts)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

/** Newest first, keyset-paginated on (created_at, id). */
export async function listMessages(
  db: Executor,
  options: {
    readonly workspaceId?: string | null;
    readonly state?: OutboxState | null;
    readonly first: number;
    readonly after?: { readonly createdAt: Date; readonly id: string } | null;
  },
): Promise<{ rows: OutboxMessage[]; hasNextPage: boolean }> {
  let query = db.selectFrom('outbox_messages').selectAll();
  if (options.workspaceId) query = query.where('workspace_id', '=', options.workspaceId);
  if (options.state) query = query.where('state', '=', options.state);
  const after = options.after;
  if (after) {
    query = query.where((eb) =>
      eb.or([
        eb('created_at', '<', after.createdAt),
        eb.and([eb('created_at', '=', after.createdAt), eb('id', '<', after.id)]),
      ]),
    );
  }
  const rows = await query
    .orderBy('created_at', 'desc')
    .orderBy('id', 'desc')
    .limit(options.first + 1)
    .execute();
  return {
    rows: rows.slice(0, options.first).map((r) => asMessage(r as Row)),
    hasNextPage: rows.length > options.first,
  };
}

/** Puts a FAILED message back in the queue, due now, with a fresh attempt budget. */
export async function requeueFailed(db: Executor, id: string, now: Date): Promise<OutboxMessage | undefined> {
  const row = await db
    .updateTable('outbox_messages')
    .set({ state: 'QUEUED', attempts: 0, next_attempt_at: now })
    .where('id', '=', id)
    .where('state', '=', 'FAILED')
    .returningAll()
    .executeTakeFirst();
  return row ? asMessage(row as Row) : undefined;
}

export async function findMessage(db: Executor, id: string): Promise<OutboxMessage | undefined> {
  const row = await db.selectFrom('outbox_messages').selectAll().where('id', '=', id).executeTakeFirst();
  return row ? asMessage(row as Row) : undefined;
}

/** Messages per state, for /metrics: the queue's depth (QUEUED, SENDING) and what gave up (FAILED). */
export async function countByState(db: Executor): Promise<Record<OutboxState, number>> {
  const rows = await db
    .selectFrom('outbox_messages')
    .select(['state', (eb) => eb.fn.countAll<number>().as('n')])
    .groupBy('state')
    .execute();
  const counts = { QUEUED: 0, SENDING: 0, SENT: 0, FAILED: 0 };
  for (const r of rows) counts[r.state as OutboxState] = Number(r.n);
  return counts;
}
