import type { Executor } from '../../db/index.ts';
import { newId } from '../../ids.ts';
import { insertAuditEvents } from './queries.ts';

/** What happened, by whom, to what. Written in the same transaction as the change it records. */
export interface AuditEventInput {
  readonly workspaceId: string | null;
  readonly action: string;
  readonly outcome?: 'SUCCESS' | 'FAILURE';
  readonly actorKeyId?: string | null;
  readonly actorUserId?: string | null;
  readonly targetType?: string | null;
  readonly targetId?: string | null;
  readonly requestId?: string | null;
  readonly ip?: string | null;
  readonly details?: Record<string, unknown>;
  readonly at: Date;
}

/** The request facts every audit event repeats; resolvers pass their context's. */
export interface AuditOrigin {
  readonly requestId: string | null;
  readonly ip: string | null;
  readonly actorKeyId: string | null;
  readonly actorUserId: string | null;
}

/** Records audit events (one insert for the whole batch). */
export async function recordAuditEvents(db: Executor, events: readonly AuditEventInput[]): Promise<void> {
  if (events.length === 0) return;
  await insertAuditEvents(
    db,
    events.map((e) => ({
      id: newId('evt'),
      workspace_id: e.workspaceId,
      occurred_at: e.at,
      action: e.action,
      outcome: e.outcome ?? 'SUCCESS',
      actor_key_id: e.actorKeyId ?? null,
      actor_user_id: e.actorUserId ?? null,
      target_type: e.targetType ?? null,
      target_id: e.targetId ?? null,
      request_id: e.requestId ?? null,
      ip: e.ip ?? null,
      details: JSON.stringify(e.details ?? {}),
    })),
  );
}

/** Shorthand for one event carrying a request's origin. */
export const auditEvent = (
  origin: AuditOrigin,
  at: Date,
  workspaceId: string | null,
  action: string,
  target: { type: string; id: string } | null,
  details?: Record<string, unknown>,
  outcome: 'SUCCESS' | 'FAILURE' = 'SUCCESS',
): AuditEventInput => ({
  workspaceId,
  action,
  outcome,
  actorKeyId: origin.actorKeyId,
  actorUserId: origin.actorUserId,
  targetType: target?.type ?? null,
  targetId: target?.id ?? null,
  requestId: origin.requestId,
  ip: origin.ip,
  ...(details === undefined ? {} : { details }),
  at,
});
