import { AppError, serviceUnavailable } from '../../../errors.ts';

/**
 * Translates a warehouse driver's error into a stable code. Connection problems get one generic
 * message (driver messages name users and hosts); query errors keep the database's own message,
 * with every secret of the resolved settings scrubbed, because the user needs it to fix the SQL.
 */
export function translateDriverError(
  err: unknown,
  secrets: readonly (string | null)[],
  options: { connectionLost?: boolean } = {},
): AppError {
  if (err instanceof AppError) return err;
  const e = (err ?? {}) as { code?: unknown; errno?: unknown; message?: unknown; sqlState?: unknown };
  const code = typeof e.code === 'string' ? e.code : '';
  const errno = typeof e.errno === 'number' ? e.errno : null;
  const message = scrub(typeof e.message === 'string' ? e.message : 'query failed', secrets);
  if (code === '57014' || errno === 1969 || errno === 3024 || code === 'PROTOCOL_SEQUENCE_TIMEOUT') {
    return new AppError('QUERY_TIMEOUT', 'The query ran past the statement timeout and was cancelled');
  }
  // An established session died under the statement (server restarted, connection killed): the
  // settings are fine and a retry may succeed, unlike a failure to connect at all.
  if (options.connectionLost) return serviceUnavailable('The data source', err);
  if (isConnectionFailure(code, errno)) {
    return new AppError('CONNECTION_FAILED', 'Could not connect to the data source', { cause: err });
  }
  if (code === '25006' || errno === 1792) {
    return new AppError('QUERY_REFUSED', 'The data source refused a write in a read-only transaction');
  }
  const sqlstate = /^[0-9A-Z]{5}$/.test(code) ? code : typeof e.sqlState === 'string' ? e.sqlState : null;
  return new AppError('QUERY_FAILED', `The query failed: ${message.slice(0, 500)}`, {
    extra: sqlstate ? { sqlstate } : {},
  });
}

const CONNECTION_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EPIPE',
  'PROTOCOL_CONNECTION_LOST',
  'HANDSHAKE_SSL_ERROR',
  'ER_ACCESS_DENIED_ERROR',
  'ER_DBACCESS_DENIED_ERROR',
  'ER_BAD_DB_ERROR',
  '28P01', // invalid password
  '28000', // invalid authorization
  '3D000', // database does not exist
  '53300', // too many connections
  '57P01', // admin shutdown
  '57P03', // cannot connect now
]);

/** The answer to a query whose client went away: ended on the warehouse, or never started there. */
export const clientWentAway = () =>
  new AppError('QUERY_TIMEOUT', 'The query was cancelled: its client went away');

/**
 * SQLSTATE classes that tell what became of the session or the statement, not what the server
 * found in the text: connection lost (08), a transaction already failed (25), rolled back (40: a
 * deadlock while taking a lock), out of resources (53), cancelled or timed out (57), system or
 * internal errors (58, XX); and 55P03, a lock not had in time (`lock_timeout`).
 */
const NOT_ABOUT_THE_TEXT = new Set(['08', '25', '40', '53', '57', '58', 'XX']);

/**
 * Whether an error raised while a proof was parsed is the server refusing the proof itself (a name
 * that does not resolve, a relation of the wrong kind), the only failure that says something about
 * a policy or a table. A proof that waits on a lock can also be cancelled (its client went away),
 * run past the statement timeout, or lose its connection: those are the query's fate, answered as
 * for any statement, and no table is to be remembered as needing its fence for them.
 */
export function isProofRefusal(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code !== 'string' || !/^[0-9A-Z]{5}$/.test(code)) return false;
  return !NOT_ABOUT_THE_TEXT.has(code.slice(0, 2)) && code !== '55P03';
}

function isConnectionFailure(code: string, errno: number | null): boolean {
  if (CONNECTION_CODES.has(code) || code.startsWith('08')) return true;
  return errno === 1045 || errno === 1044 || errno === 1049 || errno === 1040;
}

function scrub(message: string, secrets: readonly (string | null)[]): string {
  let out = message;
  for (const s of secrets) if (s && s.length >= 3) out = out.split(s).join('***');
  return out;
}

/**
 * The session's server reads virtual generated columns (PostgreSQL 18 or later), which no kind
 * proof sees: the query is to run again with every wrapper fenced. Nothing was sent.
 */
export class FenceRequired extends Error {
  constructor() {
    super("the session's server computes virtual generated columns: every wrapper keeps its fence");
  }
}

/**
 * A standalone proof the server refused; `check` is the statement that failed, so the caller can
 * tell a table's fence kind proof (retried fenced) from a policy proof (the user's error).
 */
export class ProofRefused extends AppError {
  readonly check: string | null;

  constructor(message: string, extra: Record<string, unknown>, check: string | null) {
    super('QUERY_FAILED', message, { extra });
    this.check = check;
  }
}

/**
 * A policy that failed its standalone proof (prepared alone, never run): one of its names does not
 * resolve inside it (docs/query-gate.md, "Known limits"). The server's code goes with it.
 */
export function policyUnresolved(err: unknown, check: string | null = null): ProofRefused {
  const e = (err ?? {}) as { code?: unknown; errno?: unknown; message?: unknown };
  const extra: Record<string, unknown> = {};
  if (typeof e.code === 'string' && /^[0-9A-Z]{5}$/.test(e.code)) extra.sqlstate = e.code;
  if (typeof e.errno === 'number') extra.errno = e.errno;
  return new ProofRefused(
    `A row policy of this domain does not resolve on its own: ${String(e.message ?? 'failed').slice(0, 300)}`,
    extra,
    check,
  );
}
