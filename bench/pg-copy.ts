import type pg from 'pg';

/** What node-postgres hands a submitted query: the wire connection's few COPY calls. */
interface CopyConnection {
  query(text: string): void;
  sendCopyFromChunk(chunk: Buffer): void;
  endCopyFrom(): void;
  sendCopyFail(message: string): void;
}

/**
 * `COPY … FROM STDIN` on a node-postgres client (the bench's floor; node-postgres has no COPY of its own), with the rows given as text chunks in COPY's
 * text format. node-postgres runs any object with a `submit` method as a query and hands it the
 * server's answers: the COPY statement goes out, the server asks for the data (CopyInResponse),
 * the chunks follow and then CopyDone; the statement's row count comes back with CommandComplete.
 * An error (a bad row, a constraint) ends the statement and fails the promise, as a query's would.
 */
class CopyFromStdin {
  readonly #text: string;
  readonly #chunks: readonly string[];
  readonly #done: { resolve: (rows: number) => void; reject: (err: unknown) => void };
  #rows = 0;
  #failed = false;

  constructor(
    text: string,
    chunks: readonly string[],
    done: { resolve: (rows: number) => void; reject: (err: unknown) => void },
  ) {
    this.#text = text;
    this.#chunks = chunks;
    this.#done = done;
  }

  submit(connection: CopyConnection): void {
    connection.query(this.#text);
  }

  handleCopyInResponse(connection: CopyConnection): void {
    for (const chunk of this.#chunks) if (chunk.length > 0) connection.sendCopyFromChunk(Buffer.from(chunk));
    connection.endCopyFrom();
  }

  handleCommandComplete(message: { text?: string }): void {
    const count = /(\d+)$/.exec(message.text ?? '')?.[1];
    this.#rows = count === undefined ? 0 : Number(count);
  }

  handleReadyForQuery(): void {
    if (!this.#failed) this.#done.resolve(this.#rows);
  }

  handleError(err: unknown): void {
    this.#failed = true;
    this.#done.reject(err);
  }

  // Answers a COPY FROM never gets; node-postgres may still call them on a confused stream.
  handleRowDescription(): void {}
  handleDataRow(): void {}
  handleEmptyQuery(): void {}
  handlePortalSuspended(): void {}
  handleCopyData(): void {}
}

/** Runs `text` (a `COPY … FROM STDIN`) on `client`, sending `chunks`; resolves to the rows copied. */
export function copyFrom(client: pg.ClientBase, text: string, chunks: readonly string[]): Promise<number> {
  return new Promise<number>((resolve, reject) => {
    client.query(new CopyFromStdin(text, chunks, { resolve, reject }) as unknown as pg.QueryConfig);
  });
}
