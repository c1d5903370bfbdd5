import type { Clock } from '../../clock.ts';
import type { Db } from '../../db/index.ts';
import type { Logger } from '../../logger.ts';
import {
  type ClaimOutcome,
  claimDueMessage,
  failAbandonedClaims,
  finishClaim,
  type OutboxMessage,
} from './queries.ts';
import { describeDeliveryError, type Mailer } from './smtp-mailer.ts';

export interface OutboxSenderOptions {
  readonly maxAttempts: number;
  readonly retryBaseMs: number;
  readonly retryMaxMs: number;
  readonly leaseMs: number;
  readonly pollMs: number;
  /** Source of jitter in [0, 1); injectable so tests can pin the backoff. */
  readonly random?: () => number;
  /** Called for every attempt that failed (for metrics). */
  readonly onFailedAttempt?: () => void;
}

/** What a sender runs on: the database it claims from, the mailer it delivers through. */
export interface OutboxSenderDeps {
  readonly db: Db;
  readonly clock: Clock;
  readonly mailer: Mailer;
  readonly options: OutboxSenderOptions;
  readonly log: Logger;
}

export interface SendReport {
  sent: number;
  retried: number;
  failed: number;
}

/**
 * Delivers queued outbox messages. Delivery is at least once: a message is marked SENT after the
 * SMTP server accepted it, so a process that dies between the two sends it again once its lease
 * expires. Several senders (instances) may run against one PostgreSQL database; each message is
 * claimed by one of them at a time (see `claimDueMessage`).
 */
export class OutboxSender {
  readonly #db: Db;
  readonly #clock: Clock;
  readonly #mailer: Mailer;
  readonly #options: OutboxSenderOptions;
  readonly #log: Logger;
  #timer: NodeJS.Timeout | null = null;
  #running: Promise<unknown> | null = null;
  #stopping = false;

  constructor(deps: OutboxSenderDeps) {
    this.#db = deps.db;
    this.#clock = deps.clock;
    this.#mailer = deps.mailer;
    this.#options = deps.options;
    this.#log = deps.log;
  }

  /**
   * Delivers every message due now, one claim at a time, until none is due (or `stop` was
   * called). Each attempt's outcome is stored before the next message is claimed.
   */
  async runOnce(limit = 1000): Promise<SendReport> {
    const report: SendReport = { sent: 0, retried: 0, failed: 0 };
    const abandoned = await failAbandonedClaims(this.#db, this.#clock.now(), this.#options.maxAttempts);
    report.failed += abandoned;
    for (let i = 0; i < limit && !this.#stopping; i++) {
      const now = this.#clock.now();
      const claim = await claimDueMessage(
        this.#db,
        now,
        new Date(now.getTime() + this.#options.leaseMs),
        this.#options.maxAttempts,
      );
      if (!claim) break;
      const outcome = await this.#deliver(claim);
      if (outcome.state === 'SENT') report.sent++;
      else if (outcome.state === 'QUEUED') report.retried++;
      else report.failed++;
    }
    return report;
  }

  /** Starts the polling loop; it runs until `stop`. */
  start(): void {
    if (this.#timer || this.#running) return;
    this.#stopping = false;
    this.#schedule(0);
  }

  /** Stops polling and waits for an attempt in flight to finish and be recorded. */
  async stop(): Promise<void> {
    this.#stopping = true;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    await this.#running;
    this.#mailer.close();
  }

  #schedule(delayMs: number): void {
    this.#timer = setTimeout(() => {
      this.#timer = null;
      this.#running = this.runOnce()
        .catch((err: unknown) => this.#log.error({ err }, 'outbox sender: pass failed'))
        .finally(() => {
          this.#running = null;
          if (!this.#stopping) this.#schedule(this.#options.pollMs);
        });
    }, delayMs);
  }

  async #deliver(claim: OutboxMessage): Promise<ClaimOutcome> {
    let outcome: ClaimOutcome;
    try {
      await this.#mailer.send({ to: claim.recipient, subject: claim.subject, text: claim.body });
      outcome = { state: 'SENT', at: this.#clock.now() };
      this.#log.info(
        { messageId: claim.id, kind: claim.kind, attempt: claim.attempts },
        'outbox: message sent',
      );
    } catch (err) {
      const error = describeDeliveryError(err);
      this.#options.onFailedAttempt?.();
      outcome =
        claim.attempts >= this.#options.maxAttempts
          ? { state: 'FAILED', error }
          : {
              state: 'QUEUED',
              error,
              nextAttemptAt: new Date(this.#clock.now().getTime() + this.backoffMs(claim.attempts)),
            };
      this.#log.warn(
        { messageId: claim.id, attempt: claim.attempts, error, next: outcome.state },
        'outbox: delivery failed',
      );
    }
    if (!(await finishClaim(this.#db, claim, outcome))) {
      this.#log.warn({ messageId: claim.id }, 'outbox: claim was retaken after its lease expired');
    }
    return outcome;
  }

  /**
   * Wait after the `attempt`-th failure: exponential (base, 2×base, 4×base, …) up to the cap,
   * with "equal jitter" (half fixed, half random) so senders retrying together spread out.
   */
  backoffMs(attempt: number): number {
    const exponential = Math.min(this.#options.retryMaxMs, this.#options.retryBaseMs * 2 ** (attempt - 1));
    const random = this.#options.random ?? Math.random;
    return Math.round(exponential / 2 + (exponential / 2) * random());
  }
}
