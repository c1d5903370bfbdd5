import pg from 'pg';

/** pg's internals a cancel needs: whether a statement is running, and the session's cancel key. */
interface CancellableClient {
  _activeQuery?: unknown;
  processID?: number;
  secretKey?: number;
  host?: string;
  port?: number;
  connection?: CancelConnection;
}

interface CancelConnection {
  on(event: 'error' | 'connect', listener: () => void): void;
  connect(port: number | string, host?: string): void;
  cancel(processID: number, secretKey: number): void;
  end(): void;
}

/**
 * While a statement runs on `client`, the request's client going away (`signal`) cancels it on
 * the server: a CancelRequest on a separate socket (no pool slot needed, `config` only gives the
 * server's address), after which the statement fails with SQLSTATE 57014.
 *
 * A cancel request can land after the statement it was meant for, on whatever that server session
 * runs next: once `sent`, the session must be closed, never pooled for another request.
 */
export function cancelOnLeave(
  client: pg.ClientBase,
  config: pg.ClientConfig,
  signal: AbortSignal | undefined,
): { readonly sent: boolean; dispose(): void } {
  let sent = false;
  let again: ReturnType<typeof setInterval> | undefined;
  const cancelNow = () => {
    const target = client as unknown as CancellableClient;
    if (!target._activeQuery || target.processID === undefined || target.secretKey === undefined) return;
    sent = true;
    // What pg's own Client#cancel does, without its deprecated read of the running query.
    const canceller = new pg.Client(config) as unknown as CancellableClient;
    const con = canceller.connection;
    if (!con || canceller.port === undefined) return;
    con.on('error', ignore);
    const { processID, secretKey } = target;
    con.on('connect', () => con.cancel(processID, secretKey));
    if (canceller.host?.startsWith('/')) con.connect(`${canceller.host}/.s.PGSQL.${canceller.port}`);
    else con.connect(canceller.port, canceller.host);
  };
  const onAbort = () => {
    cancelNow();
    // A cancel that reaches the server between two statements of the work cancels nothing, and
    // the next one would run to its timeout: until the work is done, cancel whatever it runs.
    again = setInterval(cancelNow, RECANCEL_MS);
    again.unref();
  };
  signal?.addEventListener('abort', onAbort, { once: true });
  return {
    get sent() {
      return sent;
    },
    dispose: () => {
      clearInterval(again);
      signal?.removeEventListener('abort', onAbort);
    },
  };
}

const RECANCEL_MS = 500;
const ignore = () => {};
