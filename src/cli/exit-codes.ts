import type { DatabaseProblem } from '../db/connection-errors.ts';

/**
 * The `tessera` command's exit codes, documented in the README ("Exit codes"). Scripts rely on
 * them: never renumber one, only add.
 */
export const EXIT = {
  OK: 0,
  /** The command ran and found problems (import lines, unprotected tables). */
  PROBLEMS: 1,
  /** Bad command line or configuration, or the request was refused (NOT_FOUND, CONFLICT, …). */
  USAGE: 2,
  /** An unexpected failure: a bug; the message is one line, the details are in the log. */
  INTERNAL: 3,
  DATABASE_URL_NOT_A_URL: 10,
  DATABASE_URL_WRONG_SCHEME: 11,
  DATABASE_UNREACHABLE: 12,
  DATABASE_NOT_FOUND: 13,
  DATABASE_AUTH_FAILED: 14,
  /** DATABASE_URL asks for TLS the server does not offer, or its certificate was refused. */
  DATABASE_TLS_FAILED: 15,
} as const;

export const databaseExitCode: Record<DatabaseProblem, number> = {
  NOT_A_URL: EXIT.DATABASE_URL_NOT_A_URL,
  WRONG_SCHEME: EXIT.DATABASE_URL_WRONG_SCHEME,
  UNREACHABLE: EXIT.DATABASE_UNREACHABLE,
  NO_SUCH_DATABASE: EXIT.DATABASE_NOT_FOUND,
  AUTH_FAILED: EXIT.DATABASE_AUTH_FAILED,
  TLS_FAILED: EXIT.DATABASE_TLS_FAILED,
};
