import { AppError } from '../../errors.ts';
import { refuse } from '../../http/refusals.ts';
import { errorResponse, type Router } from '../../http/router.ts';
import type { Services } from '../../kernel/services.ts';
import { authenticateRequest } from '../auth/bearer.ts';
import { actorKeyId } from '../auth/principal.ts';
import { csvStream } from './csv.ts';
import { filtersFromQuery } from './url-filters.ts';

/** HTTP status of each refusal an export can meet; any other error is the app's masked 500. */
const STATUS_OF: Record<string, number> = {
  BAD_USER_INPUT: 400,
  FORBIDDEN: 403,
  ACCESS_DENIED: 403,
  NOT_FOUND: 404,
  CONFLICT: 409,
  PAYLOAD_TOO_LARGE: 413,
  QUERY_RESULT_TOO_LARGE: 413,
  MISSING_ATTRIBUTE: 422,
  ATTRIBUTE_TYPE_MISMATCH: 422,
  QUERY_REFUSED: 422,
  QUERY_FAILED: 422,
  RATE_LIMITED: 429,
  CONNECTION_FAILED: 502,
  SERVICE_UNAVAILABLE: 503,
  QUERY_TIMEOUT: 504,
};

/**
 * A file name for Content-Disposition: ASCII fallback plus the UTF-8 form (RFC 6266, RFC 8187).
 * The first 100 characters are counted in code points, so an emoji is never cut in half (a lone
 * surrogate cannot be percent-encoded), and `'()*!`, which RFC 8187 does not allow unencoded,
 * are percent-encoded too.
 */
export function disposition(title: string): string {
  const base = [...(title.trim() || 'export')].slice(0, 100).join('');
  const ascii = base.replace(/[^A-Za-z0-9 ._-]/gu, '_');
  const utf8 = encodeURIComponent(`${base}.csv`).replace(
    /[!'()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
  return `attachment; filename="${ascii}.csv"; filename*=UTF-8''${utf8}`;
}

/**
 * `GET /dashboards/:id/tiles/:tileId/export.csv` (docs/dashboards.md "Export"): the tile's rows as
 * the calling user sees them, through the gate, as CSV. The same bearer credential as /graphql
 * (a user's session token); the same one 401 for every credential failure.
 */
export function dashboardRoutes(router: Router, services: Services): void {
  router.add('GET', '/dashboards/:id/tiles/:tileId/export.csv', async (request, ctx) => {
    // The one authentication path: a bad credential is audited and gets the one 401.
    const principal = await authenticateRequest(services, request, ctx);
    if (!principal) throw refuse.unauthenticated();
    const filters = filtersFromQuery(new URL(request.url).searchParams);
    try {
      const { tile, result } = await services.dashboards.exportTile(
        {
          principal,
          origin: {
            requestId: ctx.requestId,
            ip: ctx.ip,
            actorKeyId: actorKeyId(principal),
            actorUserId: principal.kind === 'session' ? principal.userId : null,
          },
          at: () => services.clock.now(),
        },
        ctx.params.id!,
        ctx.params.tileId!,
        filters,
      );
      const body =
        request.method === 'HEAD'
          ? null
          : csvStream(
              result.columns.map((c) => c.name),
              result.rows,
            );
      return new Response(body, {
        status: 200,
        headers: {
          'content-type': 'text/csv; charset=utf-8; header=present',
          'content-disposition': disposition(tile.title),
          'cache-control': 'no-store',
          'x-tessera-query-id': result.queryId,
          'x-tessera-row-count': String(result.rowCount),
          'x-tessera-truncated': String(result.truncated),
        },
      });
    } catch (err) {
      if (err instanceof AppError && STATUS_OF[err.code] !== undefined)
        return errorResponse(STATUS_OF[err.code]!, err.code, err.message);
      throw err;
    }
  });
}
