import { translateDatabaseFailure } from '../db/errors.ts';
import { unavailableHttp } from '../graphql/errors.ts';
import type { Logger } from '../logger.ts';
import type { Metrics } from '../metrics.ts';
import { HttpRefusal } from './refusals.ts';
import type { RequestReport } from './request-report.ts';
import type { Router } from './router.ts';

/** Where a request's line and metrics go, and the routes that name it. */
export interface RequestLogTarget {
  readonly log: Logger;
  readonly metrics: Metrics;
  readonly router: Router;
}

/**
 * An error no inner boundary answered (a plain route, authentication before GraphQL): a database
 * failure is a 503 with Retry-After, anything else a 500. Either is logged with its cause. As a
 * refusal, so a path with its own error format (SCIM's RFC 7644 body) answers it in that format.
 */
export function failureRefusal(err: unknown, report: RequestReport): HttpRefusal {
  report.cause = err;
  const failure = translateDatabaseFailure(err);
  if (!failure) {
    report.codes.push('INTERNAL_SERVER_ERROR');
    return new HttpRefusal(500, 'INTERNAL_SERVER_ERROR', 'Unexpected error.');
  }
  report.codes.push(failure.code);
  const { status, headers } = unavailableHttp(failure);
  return new HttpRefusal(status, failure.code, failure.message, { ...headers });
}

/** One answered request, as the log line and the metrics see it. */
export interface RequestOutcome {
  readonly request: { readonly method: string; readonly path: string };
  readonly requestId: string;
  readonly report: RequestReport;
  readonly status: number;
  /** How long the request took, in milliseconds. */
  readonly ms: number;
  /** The client went away before the answer: nobody reads it, whatever its status says. */
  readonly clientGone: boolean;
}

/**
 * One info line per request, and its metrics; a 5xx is logged at error level with its cause (a
 * response whose cause no layer recorded says so, rather than logging nothing). A request whose
 * client went away is no failure of Tessera's when its work was cancelled or could not be served
 * (a 503 QUERY_TIMEOUT nobody reads): it is logged at info with `clientGone` and counted with
 * outcome CLIENT_GONE, so closed browser tabs raise no error alerts. A 500 stays an error with its
 * cause, gone client or not: it is a bug whoever was waiting.
 */
export function logRequest(app: RequestLogTarget, outcome: RequestOutcome): void {
  const { request, requestId, report, status, ms } = outcome;
  const clientGone = outcome.clientGone && status !== 500;
  const path = request.path;
  const operation = report.operation ?? routeLabel(app, request.method, path);
  app.metrics.observeRequest(
    operation,
    clientGone ? ['CLIENT_GONE', ...report.codes] : report.codes,
    ms / 1000,
  );
  const failed = status >= 500 && !clientGone;
  // A level the logger drops (LOG_LEVEL=warn or silent) is not worth building a line for.
  if (!failed && !app.log.isLevelEnabled('info')) return;
  const line = {
    requestId,
    method: request.method,
    path: path.slice(0, 200),
    operation,
    status,
    durationMs: Math.round(ms * 10) / 10,
    ...(report.codes.length > 0 ? { codes: report.codes.slice(0, 10) } : {}),
    ...(clientGone ? { clientGone } : {}),
  };
  if (failed)
    app.log.error(
      { ...line, err: report.cause ?? new Error(`HTTP ${status} with no recorded cause`) },
      'request failed',
    );
  else app.log.info(line, 'request');
}

/** A bounded metrics label for a non-GraphQL request: its route pattern, never the raw path. */
function routeLabel(app: RequestLogTarget, method: string, path: string): string {
  if (path === '/graphql') return 'graphql';
  const match = app.router.match(method, path);
  return typeof match === 'object' && match !== null ? match.path : 'unmatched';
}
