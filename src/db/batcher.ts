import { isConnectionError } from './errors.ts';
import { currentDbScope, type DbScope, runInDbScope } from './scope.ts';

interface Pending<I, O> {
  readonly item: I;
  /** The pool lane of the request that added the item. */
  readonly lane: DbScope['lane'];
  readonly resolve: (out: O) => void;
  readonly reject: (err: unknown) => void;
}

/**
 * Group commit for hot statements: callers add one item each; items that arrive while a batch is
 * running go into the next one, so under load many requests share one statement (and one commit)
 * while a lone request waits for nothing but its own round trip. A caller's promise settles only
 * once its batch has: a write is durable before anyone is answered. A batch the database refused
 * is retried one item at a time, so one bad item fails only its own caller; one whose connection
 * failed fails all its callers at once.
 *
 * A batch is shared work: its statements run in no request's scope, so one client going away
 * cancels nobody else's write (a request's scope cancels its statements when its client leaves,
 * src/db/pool.ts). It uses the reserved pool lane when any of its callers may.
 */
export class Batcher<I, O> {
  readonly #run: (items: readonly I[]) => Promise<readonly O[]>;
  readonly #maxItems: number;
  readonly #maxInFlight: number;
  #queue: Pending<I, O>[] = [];
  #inFlight = 0;
  #scheduled = false;

  /**
   * `run` answers the items in their order. `maxItems` bounds a statement's size; `maxInFlight`
   * lets that many statements run at once (a connection pool), so waiting on one round trip does
   * not hold back the next batch.
   */
  constructor(
    run: (items: readonly I[]) => Promise<readonly O[]>,
    options: { readonly maxItems?: number; readonly maxInFlight?: number } = {},
  ) {
    this.#run = run;
    this.#maxItems = options.maxItems ?? 500;
    this.#maxInFlight = options.maxInFlight ?? 1;
  }

  add(item: I): Promise<O> {
    return new Promise<O>((resolve, reject) => {
      this.#queue.push({ item, lane: currentDbScope()?.lane ?? 'main', resolve, reject });
      this.#schedule();
    });
  }

  #schedule(): void {
    if (this.#scheduled || this.#inFlight >= this.#maxInFlight) return;
    this.#scheduled = true;
    // After the current I/O callbacks: the requests that arrived together share the first batch.
    setImmediate(() => {
      this.#scheduled = false;
      this.#start();
    });
  }

  /** Starts batches of what is queued while there is room; each one finishing starts the next. */
  #start(): void {
    while (this.#inFlight < this.#maxInFlight && this.#queue.length > 0) {
      const batch = this.#queue.splice(0, this.#maxItems);
      this.#inFlight++;
      void this.#settle(batch).finally(() => {
        this.#inFlight--;
        this.#start();
      });
    }
  }

  async #settle(batch: readonly Pending<I, O>[]): Promise<void> {
    let out: readonly O[];
    try {
      const lane = batch.some((p) => p.lane === 'reserved') ? 'reserved' : 'main';
      const items = batch.map((p) => p.item);
      out = await runInDbScope({ lane, signal: undefined }, () => this.#run(items));
      if (out.length !== batch.length)
        throw new Error(`a batch of ${batch.length} got ${out.length} answers`);
    } catch (err) {
      // Item by item only when the database refused the statement: a lost or stalled connection
      // would fail each item again, one after another, and the last caller would wait for them
      // all; and a write whose commit went unanswered must not be written a second time.
      if (batch.length === 1 || isConnectionError(err)) for (const p of batch) p.reject(err);
      else for (const p of batch) await this.#settle([p]);
      return;
    }
    for (const [i, p] of batch.entries()) p.resolve(out[i]!);
  }
}
