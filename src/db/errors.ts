import { AppError, serviceUnavailable } from '../errors.ts';

/**
 * Database errors are recognised here by SQLSTATE and constraint name, never by message text.
 * Modules decide what a violation of their own constraint means to a client.
 */
export interface DbErrorInfo {
  readonly sqlstate: string;
  readonly constraint: string | undefined;
}

export function dbErrorInfo(err: unknown): DbErrorInfo | undefined {
  if (!err || typeof err !== 'object') return undefined;
  const e = err as { code?: unknown; constraint?: unknown };
  if (typeof e.code !== 'string' || !/^[0-9A-Z]{5}$/.test(e.code)) return undefined;
  return { sqlstate: e.code, constraint: typeof e.constraint === 'string' ? e.constraint : undefined };
}

export const isUniqueViolation = (err: unknown, constraint?: string) => {
  const info = dbErrorInfo(err);
  return info?.sqlstate === '23505' && (constraint === undefined || info.constraint === constraint);
};

export const isForeignKeyViolation = (err: unknown) => dbErrorInfo(err)?.sqlstate === '23503';

/** Serialization failures and deadlocks: safe to retry the whole transaction. */
export const isRetryableTransactionError = (err: unknown) => {
  const state = dbErrorInfo(err)?.sqlstate;
  return state === '40001' || state === '40P01';
};

/**
 * Thrown by Tessera's pool (src/db/pool.ts) when the connection under a statement is gone or
 * none could be had in time. node-postgres reports those without a code, so the pool, which
 * knows the connection died, says so by wrapping the driver's error in this class.
 */
export class ConnectionLostError extends Error {
  constructor(message: string, cause: unknown) {
    super(message, { cause });
    this.name = 'ConnectionLostError';
  }
}

/** Socket-level failures: the server is down, restarting, or the network between us dropped. */
const SOCKET_ERRORS = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
  'PROTOCOL_CONNECTION_LOST', // mysql2
]);

/**
 * Whether an error means "the database connection failed", not "the statement was wrong": the
 * request may succeed if retried, so it is answered SERVICE_UNAVAILABLE (503), never masked as a
 * 500. SQLSTATE class 08 (connection exception), 57P01–57P03 (server shutting down, crashed, or not
 * yet accepting) and 53300 (too many connections).
 */
export function isConnectionError(err: unknown): boolean {
  if (err instanceof ConnectionLostError) return true;
  if (!err || typeof err !== 'object') return false;
  const code = (err as { code?: unknown }).code;
  if (typeof code !== 'string') return false;
  if (SOCKET_ERRORS.has(code)) return true;
  return (
    code.startsWith('08') ||
    code === '57P01' ||
    code === '57P02' ||
    code === '57P03' ||
    code === '57P05' || // idle_session_timeout: the server ended the session
    code === '25P03' || // idle_in_transaction_session_timeout: likewise
    code === '53300'
  );
}

/**
 * The server is up and the session works, but it cannot do this now for reasons of its own, not
 * the request's: insufficient resources (class 53: disk full, out of memory), a system or I/O
 * error (class 58), a lock not to be had (55P03, `lock_timeout`), or a server that only reads
 * (25006: a standby after a failover, or writes turned off). A retry may succeed, so the request
 * is answered SERVICE_UNAVAILABLE (503), not masked as an internal error.
 */
export function isServerRefusal(err: unknown): boolean {
  const state = dbErrorInfo(err)?.sqlstate;
  if (state === undefined) return false;
  return state.startsWith('53') || state.startsWith('58') || state === '55P03' || isReadOnlyRefusal(err);
}

/** SQLSTATE 25006: a write met a session that only reads (a standby, or writes turned off). */
export const isReadOnlyRefusal = (err: unknown) => dbErrorInfo(err)?.sqlstate === '25006';

/** The statement ran past `statement_timeout` or was cancelled (client gone): SQLSTATE 57014. */
export const isStatementCancelled = (err: unknown) => dbErrorInfo(err)?.sqlstate === '57014';

/** The client of the request went away, so its statement was not (or no longer) run. */
export class RequestCancelledError extends Error {
  constructor() {
    super('The request was cancelled by its client');
    this.name = 'RequestCancelledError';
  }
}

/**
 * What a failure of Tessera's own database means to a client, for the boundaries that answer
 * requests (GraphQL errors, plain routes): undefined when the error is not the database's fault
 * (it stays masked, and logged, as an unexpected error).
 */
export function translateDatabaseFailure(err: unknown): AppError | undefined {
  if (isConnectionError(err) || isServerRefusal(err)) return serviceUnavailable('The database', err);
  if (isStatementCancelled(err) || err instanceof RequestCancelledError) {
    return new AppError('QUERY_TIMEOUT', 'The request ran past the statement timeout and was cancelled', {
      cause: err,
      extra: { retryAfterSeconds: 1 },
    });
  }
  return undefined;
}
