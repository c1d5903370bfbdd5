import { sql } from 'kysely';
import type { Executor } from '../../db/index.ts';
import { newId } from '../../ids.ts';
import type { AuditEventInput } from '../audit/service.ts';

/**
 * Records a started session: the user's `last_active_session_at` and its audit event, in one
 * statement (atomic without a transaction's extra round trips: this runs on every impersonation).
 */
export async function recordSessionStart(
  db: Executor,
  userId: string,
  at: Date,
  e: AuditEventInput,
): Promise<void> {
  await sql`
    with touched as (
      update users set last_active_session_at = ${at} where id = ${userId} returning id
    )
    insert into audit_events
      (id, workspace_id, occurred_at, action, outcome, actor_key_id, actor_user_id, target_type, target_id, request_id, ip, details)
    select ${newId('evt')}, ${e.workspaceId}, ${e.at}, ${e.action}, ${e.outcome ?? 'SUCCESS'}, ${e.actorKeyId ?? null},
      ${e.actorUserId ?? null}, ${e.targetType ?? null}, ${e.targetId ?? null}, ${e.requestId ?? null}, ${e.ip ?? null},
      ${JSON.stringify(e.details ?? {})}::jsonb
    from touched
  `.execute(db);
}
