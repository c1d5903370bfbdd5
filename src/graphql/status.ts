import { AppError, type Problem } from '../errors.ts';

/** Compat `ResponseStatus` (docs/api-contract.md §1): mutation-level outcomes of the compat mutations. */
export interface ResponseStatus {
  readonly code: 'NONE' | 'OK' | 'ERROR' | 'NOT_FOUND';
  readonly message: string;
  readonly errorCode: string | null;
  readonly problems: readonly Problem[];
}

export const ok = (message: string): ResponseStatus => ({
  code: 'OK',
  message,
  errorCode: null,
  problems: [],
});

type Nullable<T> = { [K in keyof T]: T[K] | null };

/** Codes reported in `status` (HTTP 200); any other error stays a GraphQL error (401, FORBIDDEN, masked). */
const STATUS_CODES = new Set([
  'BAD_USER_INPUT',
  'NOT_FOUND',
  'CONFLICT',
  'ACCESS_DENIED',
  'ATTRIBUTE_TYPE_MISMATCH',
]);

/**
 * Runs a mutation and reports its failure the compat way: `{ status: { code: ERROR | NOT_FOUND } }`
 * with our stable `errorCode` and the list of bad items; `fallback` fills the other fields.
 */
export async function withStatus<T extends object, F extends Nullable<T>>(
  successMessage: string,
  fallback: F,
  run: () => Promise<T>,
): Promise<(T | F) & { status: ResponseStatus }> {
  try {
    const data = await run();
    return { ...data, status: ok(successMessage) };
  } catch (err) {
    if (err instanceof AppError && STATUS_CODES.has(err.code)) {
      return {
        ...fallback,
        status: {
          code: err.code === 'NOT_FOUND' ? 'NOT_FOUND' : 'ERROR',
          message: err.message,
          errorCode: err.code,
          problems: err.problems,
        },
      };
    }
    throw err;
  }
}
