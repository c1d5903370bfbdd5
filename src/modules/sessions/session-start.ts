import { sql } from 'kysely';
import { Batcher } from '../../db/batcher.ts';
import type { Db } from '../../db/index.ts';
import { newId } from '../../ids.ts';
import { insertAuditEventsFrom } from '../audit/queries.ts';
import type { AuditEventInput } from '../audit/service.ts';
import { touchSessionUsersCtes } from '../users/queries/users.ts';

interface SessionStart {
  readonly userId: string;
  readonly at: Date;
  readonly event: AuditEventInput;
}

/**
 * Records started sessions: each user's `last_active_session_at` and one audit event per session.
 * Runs on every impersonation, so the starts that arrive while one batch is being written share
 * the next statement and its commit (group commit): one UPDATE of each user touched and one INSERT
 * of every event, atomic without a transaction's extra round trips. A caller is answered only once
 * its event is committed. The statement is put together from its owners' parts: `e` (the batch)
 * here, the users' lock and update from users, the insert from audit.
 */
export class SessionStartRecorder {
  readonly #batcher: Batcher<SessionStart, undefined>;

  /** `maxInFlight`: statements at once (1 for PGlite's single session, a few for a pool). */
  constructor(db: Db, maxInFlight: number) {
    this.#batcher = new Batcher((starts) => writeSessionStarts(db, starts), { maxInFlight });
  }

  record(userId: string, at: Date, event: AuditEventInput): Promise<void> {
    return this.#batcher.add({ userId, at, event });
  }
}

async function writeSessionStarts(db: Db, starts: readonly SessionStart[]): Promise<undefined[]> {
  // One array parameter per column: the statement's shape is the same for 1 start or 500.
  const column = (f: (s: SessionStart) => string | null) => starts.map(f);
  const ev = (s: SessionStart) => s.event;
  await sql`
    with e as (
      select * from unnest(
        ${column(() => newId('evt'))}::text[], ${column((s) => s.userId)}::text[],
        ${column((s) => s.at.toISOString())}::text[], ${column((s) => ev(s).workspaceId)}::text[],
        ${column((s) => ev(s).at.toISOString())}::text[], ${column((s) => ev(s).action)}::text[],
        ${column((s) => ev(s).outcome ?? 'SUCCESS')}::text[], ${column((s) => ev(s).actorKeyId ?? null)}::text[],
        ${column((s) => ev(s).actorUserId ?? null)}::text[], ${column((s) => ev(s).targetType ?? null)}::text[],
        ${column((s) => ev(s).targetId ?? null)}::text[], ${column((s) => ev(s).requestId ?? null)}::text[],
        ${column((s) => ev(s).ip ?? null)}::text[], ${column((s) => JSON.stringify(ev(s).details ?? {}))}::text[]
      ) with ordinality as e(id, user_id, session_at, workspace_id, occurred_at, action, outcome, actor_key_id,
        actor_user_id, target_type, target_id, request_id, ip, details, n)
    ), ${touchSessionUsersCtes}
    ${insertAuditEventsFrom(sql`
    select e.id, e.workspace_id, e.occurred_at::timestamptz, e.action, e.outcome, e.actor_key_id, e.actor_user_id,
      e.target_type, e.target_id, e.request_id, e.ip, e.details::jsonb
    from e join touched on touched.id = e.user_id
    order by e.n`)}
  `.execute(db);
  return starts.map(() => undefined);
}
