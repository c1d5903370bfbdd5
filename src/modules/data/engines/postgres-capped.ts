import pg from 'pg';

/**
 * One statement, one round trip: Parse, Bind, Describe, Execute with a row limit, and Sync, sent
 * together. The Execute limit is the protocol's own row cap, so the statement that runs is exactly
 * the one the gate checked (no wrapper around it), and at most `maxRows` rows ever leave the
 * server. When more remain the server answers PortalSuspended; the Sync already sent then ends
 * the implicit transaction and closes the portal. `pg`'s own `rows` option would instead fetch
 * every remaining row page by page.
 */
export class CappedQuery extends pg.Query {
  /** True when the server had more rows than the cap. */
  suspended = false;

  constructor(text: string, values: readonly unknown[], maxRows: number) {
    super({ text, values: [...values], rowMode: 'array', rows: maxRows } as pg.QueryConfig);
  }

  // pg's Query keeps these protocol hooks off its typings; they are stable across pg 8.

  _getRows(connection: Connection, rows: number): void {
    connection.execute({ portal: (this as unknown as { portal: string }).portal, rows });
    connection.sync();
  }

  handlePortalSuspended(): void {
    this.suspended = true;
  }

  // The Sync went out with the Execute: another here (as `rows` mode sends) would answer a
  // transaction that is already over and desynchronise the connection.
  handleCommandComplete(msg: unknown): void {
    const self = this as unknown as {
      _checkForMultirow(): void;
      _result: { addCommandComplete(m: unknown): void };
    };
    self._checkForMultirow();
    self._result.addCommandComplete(msg);
  }

  handleEmptyQuery(): void {}

  /** A promise of the rows and fields, however the query ends. */
  static run(
    client: pg.PoolClient,
    text: string,
    values: readonly unknown[],
    maxRows: number,
  ): Promise<{ rows: unknown[][]; fields: pg.FieldDef[]; suspended: boolean }> {
    const query = new CappedQuery(text, values, maxRows);
    return new Promise((resolve, reject) => {
      (query as unknown as { callback: (err: Error | null, result: pg.QueryArrayResult) => void }).callback =
        (err, result) =>
          err
            ? reject(err)
            : resolve({ rows: result.rows, fields: result.fields, suspended: query.suspended });
      client.query(query as never);
    });
  }
}

interface Connection {
  execute(options: { portal: string; rows: number }): void;
  sync(): void;
}
