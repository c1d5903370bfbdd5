/**
 * Every error a client can see carries one of these codes in `extensions.code` (or, for compat
 * mutations, in `status.errorCode`). Tests assert on codes, never on message text.
 */
export const ErrorCodes = {
  UNAUTHENTICATED: 'UNAUTHENTICATED',
  FORBIDDEN: 'FORBIDDEN',
  NOT_FOUND: 'NOT_FOUND',
  BAD_USER_INPUT: 'BAD_USER_INPUT',
  BAD_REQUEST: 'BAD_REQUEST',
  CONFLICT: 'CONFLICT',
  ACCESS_DENIED: 'ACCESS_DENIED',
  MISSING_ATTRIBUTE: 'MISSING_ATTRIBUTE',
  ATTRIBUTE_TYPE_MISMATCH: 'ATTRIBUTE_TYPE_MISMATCH',
  /** A session's transient attribute that the key's definition does not let override (docs/attribute-definitions.md). */
  ATTRIBUTE_OVERRIDE_REFUSED: 'ATTRIBUTE_OVERRIDE_REFUSED',
  QUERY_REFUSED: 'QUERY_REFUSED',
  QUERY_FAILED: 'QUERY_FAILED',
  QUERY_TIMEOUT: 'QUERY_TIMEOUT',
  QUERY_RESULT_TOO_LARGE: 'QUERY_RESULT_TOO_LARGE',
  CONNECTION_FAILED: 'CONNECTION_FAILED',
  RATE_LIMITED: 'RATE_LIMITED',
  /** A dependency (database, Redis, a warehouse) is unreachable or lost the connection: retry later. */
  SERVICE_UNAVAILABLE: 'SERVICE_UNAVAILABLE',
  PAYLOAD_TOO_LARGE: 'PAYLOAD_TOO_LARGE',
  INTERNAL_SERVER_ERROR: 'INTERNAL_SERVER_ERROR',
  /** SSO sign-in (docs/sso.md "Error codes"): each names one way a sign-in can fail. */
  SSO_ISSUER_NOT_FOUND: 'SSO_ISSUER_NOT_FOUND',
  SSO_STATE_INVALID: 'SSO_STATE_INVALID',
  SSO_PROVIDER_ERROR: 'SSO_PROVIDER_ERROR',
  SSO_PROVIDER_UNAVAILABLE: 'SSO_PROVIDER_UNAVAILABLE',
  SSO_CODE_REJECTED: 'SSO_CODE_REJECTED',
  SSO_ID_TOKEN_INVALID: 'SSO_ID_TOKEN_INVALID',
  SSO_EMAIL_NOT_VERIFIED: 'SSO_EMAIL_NOT_VERIFIED',
  SSO_USER_NOT_PROVISIONED: 'SSO_USER_NOT_PROVISIONED',
  SSO_IDENTITY_CONFLICT: 'SSO_IDENTITY_CONFLICT',
  SSO_USER_BLOCKED: 'SSO_USER_BLOCKED',
  SSO_CLAIMS_INVALID: 'SSO_CLAIMS_INVALID',
  /** An email sign-in link that is unknown, used or expired (all the same). */
  SIGN_IN_LINK_INVALID: 'SIGN_IN_LINK_INVALID',
} as const;

export type ErrorCode = (typeof ErrorCodes)[keyof typeof ErrorCodes];

/** One problem with one input item, so a batch error can name every bad item. */
export interface Problem {
  readonly code: ErrorCode;
  /** Input path, e.g. `emails[2]` or `userAttributes[0].key`. */
  readonly field: string;
  /** The offending value (truncated), when it is safe to echo back. */
  readonly item?: string | undefined;
  readonly message: string;
}

/** The base of every error Tessera means to show a client. Anything else is masked. */
export class AppError extends Error {
  readonly code: ErrorCode;
  readonly problems: readonly Problem[];
  readonly extra: Readonly<Record<string, unknown>>;

  constructor(
    code: ErrorCode,
    message: string,
    options: { problems?: readonly Problem[]; extra?: Record<string, unknown>; cause?: unknown } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'AppError';
    this.code = code;
    this.problems = options.problems ?? [];
    this.extra = options.extra ?? {};
  }
}

export const unauthenticated = () => new AppError('UNAUTHENTICATED', 'Unauthorized');
export const forbidden = (message = 'Forbidden') => new AppError('FORBIDDEN', message);
export const notFound = (message: string) => new AppError('NOT_FOUND', message);
/** How long a client should wait before retrying a SERVICE_UNAVAILABLE (the `Retry-After` header). */
export const RETRY_AFTER_SECONDS = 1;

export const serviceUnavailable = (what: string, cause?: unknown) =>
  new AppError('SERVICE_UNAVAILABLE', `${what} is unavailable; retry shortly`, {
    cause,
    extra: { retryAfterSeconds: RETRY_AFTER_SECONDS },
  });
export const badInput = (message: string, problems: readonly Problem[] = []) =>
  new AppError('BAD_USER_INPUT', message, { problems });

/** Throws a BAD_USER_INPUT naming every problem, when there is at least one. */
export function assertNoProblems(problems: readonly Problem[], what: string): void {
  if (problems.length === 0) return;
  const list = problems.map((p) =>
    p.item === undefined ? `${p.field}: ${p.message}` : `${p.field} (${p.item}): ${p.message}`,
  );
  throw badInput(`Invalid ${what}: ${list.join('; ')}`, problems);
}

/** Shortens a user-supplied value before echoing it in an error. */
export function echo(value: string, max = 80): string {
  let printable = '';
  for (const ch of value) {
    const code = ch.codePointAt(0)!;
    printable += code < 0x20 || code === 0x7f ? `\\u${code.toString(16).padStart(4, '0')}` : ch;
  }
  return printable.length > max ? `${printable.slice(0, max)}…` : printable;
}
