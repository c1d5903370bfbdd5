import type { Clock } from '../../clock.ts';
import type { Db } from '../../db/index.ts';
import { AppError } from '../../errors.ts';
import { findMessage, listMessages, type OutboxMessage, requeueFailed } from './queries.ts';

/** Which messages one page of the outbox holds. */
export type MessagePageRequest = Parameters<typeof listMessages>[1];

/** The outbox as the API and `tessera outbox` read it: its messages, and a retry of a FAILED one. */
export class OutboxService {
  readonly #db: Db;
  readonly #clock: Clock;

  constructor(deps: { readonly db: Db; readonly clock: Clock }) {
    this.#db = deps.db;
    this.#clock = deps.clock;
  }

  /** One page of messages (of one workspace, in one state, when given), newest first. */
  messages(request: MessagePageRequest): Promise<{ rows: OutboxMessage[]; hasNextPage: boolean }> {
    return listMessages(this.#db, request);
  }

  /**
   * Puts a FAILED message back in the queue, due now, with a fresh attempt budget: NOT_FOUND for
   * an unknown id, CONFLICT for a message in another state.
   */
  async retry(id: string): Promise<OutboxMessage> {
    const requeued = await requeueFailed(this.#db, id, this.#clock.now());
    if (requeued) return requeued;
    const existing = await findMessage(this.#db, id);
    if (!existing) throw new AppError('NOT_FOUND', `Message not found: ${id}`);
    throw new AppError('CONFLICT', `Only FAILED messages can be retried; ${id} is ${existing.state}`);
  }
}
