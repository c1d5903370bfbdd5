import { Batcher } from '../../db/batcher.ts';
import { isConnectionError } from '../../db/errors.ts';
import type { Executor } from '../../db/index.ts';
import { serviceUnavailable } from '../../errors.ts';
import { newId } from '../../ids.ts';
import { AUDIT_TARGETS, type AuditAction, type AuditActions } from './actions.ts';
import {
  type AuditOutcomeRow,
  type AuditPageRequest,
  insertAuditEvents,
  listAuditEvents,
  updateAuditOutcomes,
} from './queries.ts';

export type { AuditAction, AuditActions, AuditDetails, AuditTargetKind } from './actions.ts';

export type AuditOutcome = 'SUCCESS' | 'FAILURE';

/** A record written before its outcome was known (STARTED), for `AuditTrail.finish`. */
export interface StartedRecord<A extends AuditAction = AuditAction> {
  readonly id: string;
  readonly action: A;
}

/** The request facts every audit event repeats; resolvers pass their context's. */
export interface AuditOrigin {
  readonly requestId: string | null;
  readonly ip: string | null;
  readonly actorKeyId: string | null;
  readonly actorUserId: string | null;
}

type EventOf<A extends AuditAction> = {
  readonly action: A;
  readonly workspaceId: string | null;
  readonly at: Date;
  /** SUCCESS unless said otherwise. */
  readonly outcome?: AuditOutcome;
} & (AuditActions[A]['target'] extends null
  ? { readonly target?: null }
  : {
      /** The id of the object acted on (its kind comes from the registry); null when there is none. */
      readonly target: string | null;
    }) &
  (AuditActions[A]['details'] extends undefined
    ? { readonly details?: undefined }
    : { readonly details: AuditActions[A]['details'] });

/**
 * What happened, to what: one action of the registry (actions.ts) with its target and details.
 * A union over the actions, so a mixed list of events is checked event by event.
 */
export type AuditEvent = { [A in AuditAction]: EventOf<A> }[AuditAction];

/** An audit event as it is stored: its origin filled in, its target's kind resolved. */
export type AuditEventInput = { [A in AuditAction]: RowOf<A> }[AuditAction];

type RowOf<A extends AuditAction> = {
  /** Chosen by the writer when it must name the row later (a STARTED record); else a new one. */
  readonly id?: string;
  readonly workspaceId: string | null;
  readonly action: A;
  readonly outcome?: AuditOutcome | 'STARTED';
  readonly actorKeyId?: string | null;
  readonly actorUserId?: string | null;
  readonly targetType?: AuditActions[A]['target'];
  readonly targetId?: string | null;
  readonly requestId?: string | null;
  readonly ip?: string | null;
  readonly details?: AuditActions[A]['details'];
  readonly at: Date;
};

/**
 * Records audit events by whom `origin` names, in one insert, on `db` (the transaction of the
 * change they record, so both commit or neither does).
 */
export async function recordAudit(
  db: Executor,
  origin: AuditOrigin,
  events: AuditEvent | readonly AuditEvent[],
): Promise<void> {
  const list: readonly AuditEvent[] = Array.isArray(events) ? events : [events as AuditEvent];
  await recordAuditEvents(
    db,
    list.map((e) => auditRow(origin, e)),
  );
}

/** The stored form of an event, for writers that batch events themselves (group commit). */
export function auditRow(origin: AuditOrigin, event: AuditEvent): AuditEventInput {
  const targetId = event.target ?? null;
  return {
    workspaceId: event.workspaceId,
    action: event.action,
    outcome: event.outcome ?? 'SUCCESS',
    actorKeyId: origin.actorKeyId,
    actorUserId: origin.actorUserId,
    targetType: targetId === null ? null : AUDIT_TARGETS[event.action],
    targetId,
    requestId: origin.requestId,
    ip: origin.ip,
    ...(event.details === undefined ? {} : { details: event.details }),
    at: event.at,
  } as AuditEventInput;
}

/** Writes stored-form events (one insert for the whole batch). */
export async function recordAuditEvents(db: Executor, events: readonly AuditEventInput[]): Promise<void> {
  if (events.length === 0) return;
  await insertAuditEvents(
    db,
    events.map((e) => ({
      id: e.id ?? newId('evt'),
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

/**
 * How long an outcome waits before it is sent (it holds no answer back): long enough that under
 * load the outcomes of many queries share one UPDATE (at most one statement per this many ms),
 * short enough that a reader on another instance rarely sees a finished query as STARTED.
 */
const OUTCOME_DELAY_MS = 20;

/** How many group-committed audit INSERTs may run at once: a pool's few, PGlite's one session. */
export interface AuditTrailOptions {
  readonly maxInFlight?: number;
}

/**
 * The audit trail: read by the API (the `auditEvents` query), and written by hot paths whose
 * record is not part of a transaction of their own (a query, a read), with group commit. Records
 * that arrive while an INSERT is being written go into the next one, so concurrent requests share
 * one statement and one WAL flush, while a lone request waits for nothing but its own INSERT.
 * `record` settles only once the record is committed, so a request is answered only with its
 * audit durable; a write that fails fails its caller with SERVICE_UNAVAILABLE (a batch the
 * database refused is retried record by record, so one bad record fails only its own request; one
 * whose connection failed fails all its callers at once).
 *
 * A use case that runs while its record is written (a query, as docs/data-access.md
 * "Running queries: runQuery" tells) uses `start` and `finish` instead: `start` commits a STARTED
 * record like `record` does, and `finish` fills in its outcome later, with nobody waiting.
 */
export class AuditTrail {
  readonly #db: Executor;
  /** Each record's outcome: null once committed, or the error that kept it from the database. */
  readonly #batch: Batcher<AuditEventInput, unknown>;
  /** Outcomes of STARTED records, written in the background. */
  readonly #outcomes: Batcher<AuditOutcomeRow, null>;
  /** The outcome writes not yet settled, so readers and `stop` can wait for them. */
  readonly #finishing = new Set<Promise<unknown>>();
  /** Outcomes waiting for the timer that hands them to `#outcomes`. */
  readonly #unsent: {
    readonly row: AuditOutcomeRow;
    readonly resolve: (written: Promise<unknown>) => void;
  }[] = [];
  #sendTimer: ReturnType<typeof setTimeout> | null = null;

  constructor(db: Executor, options: AuditTrailOptions = {}) {
    this.#db = db;
    this.#batch = new Batcher(
      async (rows) => {
        try {
          await recordAuditEvents(db, rows);
          return rows.map(() => null);
        } catch (err) {
          // Record by record would only wait on the same dead connection once per record; a
          // statement error is retried that way, so one bad record fails only its own caller.
          if (isConnectionError(err) || rows.length === 1) return rows.map(() => err);
          throw err;
        }
      },
      { maxInFlight: options.maxInFlight ?? 1 },
    );
    this.#outcomes = new Batcher(async (rows) => {
      await updateAuditOutcomes(db, rows);
      return rows.map(() => null);
    });
  }

  /** Writes one event, sharing an INSERT with the events recorded at the same moment; resolves once committed. */
  async record(origin: AuditOrigin, event: AuditEvent): Promise<void> {
    const failure = await this.#batch.add(auditRow(origin, event));
    if (failure !== null) throw serviceUnavailable('The audit trail', failure);
  }

  /**
   * Writes one event as STARTED (its `outcome` is ignored), like `record`: resolves once committed,
   * or fails with SERVICE_UNAVAILABLE. `finish` gives it its outcome.
   */
  async start<A extends AuditAction>(origin: AuditOrigin, event: AuditEvent & { readonly action: A }) {
    const id = newId('evt');
    const row = { ...auditRow(origin, event), id, outcome: 'STARTED' } as AuditEventInput;
    const failure = await this.#batch.add(row);
    if (failure !== null) throw serviceUnavailable('The audit trail', failure);
    const started: StartedRecord<A> = { id, action: event.action };
    return started;
  }

  /**
   * Gives a STARTED record its outcome and merges `details` into its details, in the background:
   * the caller does not wait. An outcome that cannot be written leaves the record STARTED, which
   * is what it reads as when the process stops first.
   */
  finish<A extends AuditAction>(
    record: StartedRecord<A>,
    outcome: AuditOutcome,
    details: Partial<NonNullable<AuditActions[A]['details']>>,
  ): void {
    const write = new Promise<unknown>((resolve) => {
      this.#unsent.push({ row: { id: record.id, outcome, details: JSON.stringify(details) }, resolve });
    });
    this.#finishing.add(write);
    void write.finally(() => this.#finishing.delete(write));
    // On a timer, not on the next turn of the loop: the answer this outcome follows is serialized
    // and written to its socket first, and the outcomes of the next few ms share one statement.
    this.#sendTimer ??= setTimeout(() => this.#sendOutcomes(), OUTCOME_DELAY_MS);
  }

  #sendOutcomes(): void {
    this.#sendTimer = null;
    for (const { row, resolve } of this.#unsent.splice(0))
      resolve(this.#outcomes.add(row).catch(() => undefined));
  }

  /** Resolves once every outcome `finish` was given before this call is written (or has failed). */
  async outcomesWritten(): Promise<void> {
    await Promise.all([...this.#finishing]);
  }

  /** Waits for every outcome still being written; the trail is not used after. */
  async stop(): Promise<void> {
    if (this.#sendTimer !== null) {
      clearTimeout(this.#sendTimer);
      this.#sendOutcomes();
    }
    while (this.#finishing.size > 0) await this.outcomesWritten();
  }

  /**
   * One page of the workspace's events, newest first, keyset-paginated on the insertion sequence.
   * The outcomes this instance was given before the read are written first, so a query answered
   * here reads with its outcome.
   */
  async page(workspaceId: string, request: AuditPageRequest): ReturnType<typeof listAuditEvents> {
    await this.outcomesWritten();
    return listAuditEvents(this.#db, workspaceId, request);
  }
}
