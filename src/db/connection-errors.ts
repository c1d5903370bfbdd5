/**
 * Why Tessera cannot use the database `DATABASE_URL` names. Each reason is its own exit code of
 * the `tessera` command (README, "Exit codes"), so scripts and orchestrators can tell a typo from
 * a database that is not up yet.
 */
export type DatabaseProblem =
  | 'NOT_A_URL'
  | 'WRONG_SCHEME'
  | 'UNREACHABLE'
  | 'NO_SUCH_DATABASE'
  | 'AUTH_FAILED'
  | 'TLS_FAILED';

/** A one-line, secret-free account of a DATABASE_URL that cannot be used. */
export class DatabaseConnectionError extends Error {
  readonly problem: DatabaseProblem;
  constructor(problem: DatabaseProblem, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.problem = problem;
  }
}

const SCHEMES = new Set(['postgres:', 'postgresql:']);

/** Checks the URL's shape before anything connects: a non-URL or a `mysql://` URL never reaches `pg`. */
export function checkDatabaseUrl(raw: string): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new DatabaseConnectionError(
      'NOT_A_URL',
      'DATABASE_URL is not a URL: expected postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE',
    );
  }
  if (!SCHEMES.has(url.protocol)) {
    throw new DatabaseConnectionError(
      'WRONG_SCHEME',
      `DATABASE_URL must be a PostgreSQL URL (postgres:// or postgresql://), not ${url.protocol}//`,
    );
  }
  return url;
}

/** Where the URL points, for messages: host, port and database, never the user's password. */
export function describeTarget(url: URL): string {
  const database = decodeURIComponent(url.pathname.replace(/^\//, '')) || '(default database)';
  return `${url.hostname || 'localhost'}:${url.port || '5432'}/${database}`;
}

const UNREACHABLE_CODES = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ECONNRESET',
  'EPIPE',
]);

/** Node's TLS verdicts on a server certificate (node:tls), when DATABASE_URL asks to verify it. */
const TLS_CODES = new Set([
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

/**
 * Translates what `pg` throws when a connection cannot be opened, by error code: a system error
 * (`ECONNREFUSED`, …) or timeout is unreachable, SQLSTATE 3D000 is a missing database, class 28
 * is refused credentials, "does not support SSL" (pg's only words for it) or a certificate verdict
 * is TLS. Anything else is not a connection problem and is returned as null.
 */
export function connectionProblemOf(err: unknown, url: URL): DatabaseConnectionError | null {
  if (err instanceof DatabaseConnectionError) return err;
  if (!(err instanceof Error)) return null;
  const target = describeTarget(url);
  const code = errorCode(err);
  const user = decodeURIComponent(url.username) || '(default user)';
  if (code === '3D000')
    return new DatabaseConnectionError(
      'NO_SUCH_DATABASE',
      `The database server at ${target} has no such database`,
      {
        cause: err,
      },
    );
  if (code === '28P01' || code === '28000' || (code === undefined && /^SASL: /.test(err.message)))
    return new DatabaseConnectionError(
      'AUTH_FAILED',
      `The database server at ${target} refused user ${user}: authentication failed`,
      { cause: err },
    );
  if (/does not support SSL/i.test(err.message) || (code !== undefined && TLS_CODES.has(code)))
    return new DatabaseConnectionError(
      'TLS_FAILED',
      `No TLS session with the database server at ${target}: ${
        /does not support SSL/i.test(err.message)
          ? 'DATABASE_URL requires TLS (sslmode) and the server offers none'
          : `its certificate was refused (${code})`
      }`,
      { cause: err },
    );
  if (
    (code !== undefined && UNREACHABLE_CODES.has(code)) ||
    code === '57P03' || // the server is starting up or shutting down
    /timeout|terminated unexpectedly/i.test(err.message)
  )
    return new DatabaseConnectionError(
      'UNREACHABLE',
      `Cannot reach the database server at ${target} (${code ?? err.message})`,
      { cause: err },
    );
  return null;
}

/** `code` of the error, or of the first of an AggregateError (both address families refused). */
function errorCode(err: Error): string | undefined {
  const own = (err as { code?: unknown }).code;
  if (typeof own === 'string') return own;
  if (err instanceof AggregateError) {
    const first = err.errors.find((e) => typeof (e as { code?: unknown })?.code === 'string');
    return first ? String((first as { code: string }).code) : undefined;
  }
  return undefined;
}
