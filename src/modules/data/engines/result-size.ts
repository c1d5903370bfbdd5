import type pg from 'pg';
import { AppError } from '../../../errors.ts';

/**
 * The most row data one query may return: 32 MiB, counted as the server sends it. A single value
 * above V8's string limit (about 512 MiB) made the driver throw inside its socket handler, which
 * crashed the process; a result of many large rows made the response unserializable (an internal
 * error). Below this bound the JSON response stays well under that limit even when every
 * character needs an escape (docs/data-access.md, "Decisions and known limits").
 */
export const MAX_RESULT_BYTES = 32 * 1024 * 1024;

export const resultTooLarge = () =>
  new AppError(
    'QUERY_RESULT_TOO_LARGE',
    `The query's result is larger than ${MAX_RESULT_BYTES / (1024 * 1024)} MiB; select fewer or smaller values`,
    { extra: { maxBytes: MAX_RESULT_BYTES } },
  );

/**
 * Counts the DataRow bytes a PostgreSQL session receives and cuts the connection as soon as a
 * message header announces more than the budget allows, before the driver has buffered the
 * message or turned it into a string. It reads the decrypted stream (after TLS), frame by frame:
 * one type byte, a 4-byte length that counts itself, then the body.
 */
export class ResultSizeGuard {
  private used = 0;
  private armed = false;
  private exceeded = false;
  private readonly header = Buffer.alloc(5);
  private headerFill = 0;
  private skip = 0;

  /** Attaches to a client right after it connected (the stream is then at a message boundary). */
  static attach(client: pg.PoolClient): ResultSizeGuard {
    const guard = new ResultSizeGuard();
    const stream = (
      client as unknown as { connection: { stream: NodeJS.ReadableStream & { destroy(): void } } }
    ).connection.stream;
    stream.prependListener('data', (chunk: Buffer) => {
      if (!guard.observe(chunk)) stream.destroy();
    });
    return guard;
  }

  /** A user's query begins: the budget is per query (catalog reads of the pool are not counted). */
  arm(): void {
    this.used = 0;
    this.armed = true;
  }

  disarm(): void {
    this.armed = false;
  }

  get tripped(): boolean {
    return this.exceeded;
  }

  /** Follows the framing through `chunk`; false once the budget is exceeded. */
  observe(chunk: Buffer): boolean {
    let at = 0;
    while (at < chunk.length && !this.exceeded) {
      if (this.skip > 0) {
        const n = Math.min(this.skip, chunk.length - at);
        this.skip -= n;
        at += n;
        continue;
      }
      const n = Math.min(5 - this.headerFill, chunk.length - at);
      chunk.copy(this.header, this.headerFill, at, at + n);
      this.headerFill += n;
      at += n;
      if (this.headerFill < 5) break;
      this.headerFill = 0;
      const length = this.header.readUInt32BE(1);
      this.skip = Math.max(0, length - 4);
      if (this.armed && this.header[0] === 0x44 /* 'D', DataRow */) {
        this.used += length;
        if (this.used > MAX_RESULT_BYTES) this.exceeded = true;
      }
    }
    return !this.exceeded;
  }
}

/** The size of fetched rows, for engines whose rows are already in memory (PGlite). */
export function rowsSize(rows: readonly (readonly unknown[])[]): number {
  let total = 0;
  const size = (value: unknown): number => {
    if (typeof value === 'string') return Buffer.byteLength(value);
    if (value instanceof Uint8Array) return value.byteLength;
    if (Array.isArray(value)) return value.reduce((sum: number, v) => sum + size(v), 0);
    if (value !== null && typeof value === 'object') return Buffer.byteLength(JSON.stringify(value));
    return 8;
  };
  for (const row of rows) {
    total += row.reduce((sum: number, v) => sum + size(v), 4);
    if (total > MAX_RESULT_BYTES) return total;
  }
  return total;
}
