import pg from 'pg';
import { onClientLeave } from './on-leave.ts';

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
  on(event: 'error' | 'connect' | 'end', listener: () => void): void;
  stream?: { destroy(): void };
  connect(port: number | string, host?: string): void;
  cancel(processID: number, secretKey: number): void;
}

/**
 * While a statement runs on `client`, the request's client going away (`signal`) cancels it on
 * the server: a CancelRequest on a separate socket (no pool slot needed, `config` only gives the
 * server's address), after which the statement fails with SQLSTATE 57014. Repeated, and `sent`
 * once any went, as `onClientLeave` says: then the session must be closed, never pooled.
 */
export function cancelOnLeave(
  client: pg.ClientBase,
  config: pg.ClientConfig,
  signal: AbortSignal | undefined,
): { readonly sent: boolean; dispose(): void } {
  const leave = onClientLeave(signal, () => {
    const target = client as unknown as CancellableClient;
    if (!target._activeQuery || target.processID === undefined || target.secretKey === undefined)
      return false;
    // What pg's own Client#cancel does, without its deprecated read of the running query.
    const canceller = new pg.Client(config) as unknown as CancellableClient;
    const con = canceller.connection;
    if (!con || canceller.port === undefined) return false;
    con.on('error', ignore);
    // The server closes a cancel's socket once it has read it; one that never does (a stalled
    // network) is closed here, or each repeat would leave one more socket open.
    const giveUp = setTimeout(() => con.stream?.destroy(), CANCEL_WITHIN_MS);
    giveUp.unref();
    con.on('end', () => clearTimeout(giveUp));
    const { processID, secretKey } = target;
    con.on('connect', () => con.cancel(processID, secretKey));
    if (canceller.host?.startsWith('/')) con.connect(`${canceller.host}/.s.PGSQL.${canceller.port}`);
    else con.connect(canceller.port, canceller.host);
    return true;
  });
  return {
    get sent() {
      return leave.acted;
    },
    dispose: leave.dispose,
  };
}

const ignore = () => {};

/** How long a cancel request's socket may stay open. */
const CANCEL_WITHIN_MS = 5000;
