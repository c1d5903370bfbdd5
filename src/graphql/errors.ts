import { GraphQLError } from 'graphql';
import { translateDatabaseFailure } from '../db/errors.ts';
import { AppError } from '../errors.ts';
import type { Logger } from '../logger.ts';

/** The one body every authentication failure gets (docs/api-contract.md §1), answered by the HTTP layer. */
export { UNAUTHORIZED_BODY } from '../http/refusals.ts';

/**
 * The single boundary that turns thrown errors into client-visible GraphQL errors. AppErrors keep
 * their stable code; GraphQL's own errors (validation, coercion) keep theirs; anything else is an
 * unexpected failure: logged with the request id and masked.
 */
export function maskError(error: unknown, log: Logger, requestId: () => string | undefined): GraphQLError {
  const gqlError = error instanceof GraphQLError ? error : null;
  const thrown = gqlError?.originalError ?? (error instanceof GraphQLError ? null : error);
  const databaseFailure = thrown instanceof AppError ? undefined : translateDatabaseFailure(thrown);
  if (databaseFailure) {
    log.warn({ err: thrown, requestId: requestId(), code: databaseFailure.code }, 'database unavailable');
  }
  const original = databaseFailure ?? thrown;
  if (original instanceof AppError) {
    const problems = original.problems.length > 0 ? { problems: original.problems } : {};
    return new GraphQLError(original.message, {
      ...(gqlError ? { nodes: gqlError.nodes, path: gqlError.path } : {}),
      extensions: {
        code: original.code,
        ...problems,
        ...original.extra,
        ...(databaseFailure || original.code === 'SERVICE_UNAVAILABLE'
          ? { http: unavailableHttp(original) }
          : {}),
      },
    });
  }
  if (gqlError && (!original || original instanceof GraphQLError)) {
    const code = (gqlError.extensions?.code as string | undefined) ?? 'BAD_REQUEST';
    return new GraphQLError(gqlError.message, {
      nodes: gqlError.nodes,
      path: gqlError.path,
      extensions: { ...gqlError.extensions, code },
    });
  }
  log.error({ err: original ?? error, requestId: requestId() }, 'unexpected error');
  return new GraphQLError('Unexpected error.', {
    ...(gqlError ? { nodes: gqlError.nodes, path: gqlError.path } : {}),
    extensions: { code: 'INTERNAL_SERVER_ERROR' },
  });
}

/** A dependency failed: 503 and when to retry (Yoga turns `extensions.http` into the response's status). */
export function unavailableHttp(error: AppError): { status: number; headers: Record<string, string> } {
  const seconds = Number(error.extra.retryAfterSeconds ?? 1);
  return { status: 503, headers: { 'Retry-After': String(seconds) } };
}
