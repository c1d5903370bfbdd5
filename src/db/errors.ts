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
