import pg from 'pg';
import { isProofRefusal } from './errors.ts';

/**
 * One statement, one round trip: Parse, Bind, Describe, Execute with a row limit, and Sync, sent
 * together. The Execute limit is the protocol's own row cap, so the statement that runs is exactly
 * the one the gate checked (no wrapper around it), and at most `maxRows` rows ever leave the
 * server. When more remain the server answers PortalSuspended; the Sync already sent then ends
 * the implicit transaction and closes the portal. `pg`'s own `rows` option would instead fetch
 * every remaining row page by page.
 *
 * `checks` (the gate's policy proofs) go first in the same message train, each as a Parse of the
 * unnamed statement that is never bound or executed: the server resolves every name of the
 * policy with no enclosing query around it. The checks and the query share the implicit
 * transaction that ends at the Sync, so the locks a check's Parse takes on its tables are held
 * while the query runs; a check that fails makes the server skip the query (everything up to the
 * Sync), which is then never parsed at all.
 */
export class CappedQuery extends pg.Query {
  /** True when the server had more rows than the cap. */
  suspended = false;
  readonly #checks: readonly string[];

  constructor(
    text: string,
    values: readonly unknown[],
    options: { maxRows: number; checks: readonly string[] },
  ) {
    super({ text, values: [...values], rowMode: 'array', rows: options.maxRows } as pg.QueryConfig);
    this.#checks = options.checks;
  }

  // pg's Query keeps these protocol hooks off its typings; they are stable across pg 8.

  prepare(connection: Connection): void {
    for (const text of this.#checks) connection.parse({ text, name: '', types: [] });
    (pg.Query.prototype as unknown as { prepare(c: Connection): void }).prepare.call(this, connection);
  }

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

  /**
   * A promise of the rows and fields, however the query ends. A failure is `{ check: true }` when
   * the server refused one of `checks` (the query itself was never parsed then).
   */
  static run(
    client: pg.PoolClient,
    query: { readonly text: string; readonly values: readonly unknown[]; readonly maxRows: number },
    checks: readonly string[] = [],
  ): Promise<{ rows: unknown[][]; fields: pg.FieldDef[]; suspended: boolean }> {
    const capped = new CappedQuery(query.text, query.values, { maxRows: query.maxRows, checks });
    const connection = (client as unknown as { connection: pg.Connection & NodeJS.EventEmitter }).connection;
    // The server answers ParseComplete for each statement that parsed, in order: fewer than the
    // checks before an error means the error is a check's.
    let parsed = 0;
    const onParsed = () => parsed++;
    if (checks.length > 0) connection.on('parseComplete', onParsed);
    return new Promise((resolve, reject) => {
      (capped as unknown as { callback: (err: Error | null, result: pg.QueryArrayResult) => void }).callback =
        (err, result) => {
          connection.off('parseComplete', onParsed);
          // Only the server's refusal is the check's; a cancel or a lost session while it parsed is not.
          const refused = parsed < checks.length && isProofRefusal(err);
          if (err) reject(refused ? new PolicyCheckFailed(err, checks[parsed]!) : err);
          else resolve({ rows: result.rows, fields: result.fields, suspended: capped.suspended });
        };
      client.query(capped as never);
    });
  }
}

/** A proof the server refused; `cause` is the server's error, `check` the proof's statement. */
export class PolicyCheckFailed extends Error {
  readonly check: string;

  constructor(cause: unknown, check: string) {
    super('policy check failed', { cause });
    this.check = check;
  }
}

interface Connection {
  parse(options: { text: string; name: string; types: unknown[] }): void;
  execute(options: { portal: string; rows: number }): void;
  sync(): void;
}
