/** Facts about one HTTP request that are not in the fetch `Request` itself. */
export interface HttpContext {
  readonly ip: string | null;
  readonly requestId: string;
}

export type RouteHandler = (
  request: Request,
  ctx: HttpContext & { params: Record<string, string> },
) => Response | Promise<Response>;

interface Route {
  readonly method: string;
  readonly path: string;
  readonly pattern: RegExp;
  readonly names: string[];
  readonly handler: RouteHandler;
}

/** A refusal as a protocol answers it (see `Router.refusals`). */
export type RefusalRenderer = (refusal: {
  readonly status: number;
  readonly message: string;
  readonly headers: Readonly<Record<string, string>>;
}) => Response;

/** The methods a route may answer; PUT, PATCH and DELETE serve SCIM (docs/scim.md). HEAD is served by GET routes. */
export type RouteMethod = 'GET' | 'POST' | 'HEAD' | 'PUT' | 'PATCH' | 'DELETE';

/** A small method + path router for the non-GraphQL endpoints (`/healthz`, `/embed/…`, `/scim/v2/…`). */
export class Router {
  readonly #routes: Route[] = [];
  readonly #refusalBodies: { prefix: string; render: RefusalRenderer }[] = [];

  /**
   * How refusals of requests under `prefix` are answered (a 404, 405, 413 or malformed path the
   * pipeline answers before any handler runs), for a protocol with an error body of its own: a
   * SCIM client reads every error under /scim/v2 as RFC 7644 §3.12.
   */
  refusals(prefix: string, render: RefusalRenderer): this {
    this.#refusalBodies.push({ prefix, render });
    return this;
  }

  /** The refusal renderer for `pathname`, if a prefix registered one. */
  refusalRendererFor(pathname: string): RefusalRenderer | undefined {
    return this.#refusalBodies.find(({ prefix }) => pathname === prefix || pathname.startsWith(`${prefix}/`))
      ?.render;
  }

  /** `path` may contain `:name` segments, e.g. `/embed/dashboards/:id`. */
  add(method: RouteMethod, path: string, handler: RouteHandler): this {
    const names: string[] = [];
    const source = path
      .split('/')
      .map((segment) => {
        if (!segment.startsWith(':')) return segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
        names.push(segment.slice(1));
        return '([^/]+)';
      })
      .join('/');
    this.#routes.push({ method, path, pattern: new RegExp(`^${source}$`), names, handler });
    return this;
  }

  match(
    method: string,
    pathname: string,
  ):
    | { handler: RouteHandler; params: Record<string, string>; path: string }
    | 'method-not-allowed'
    | 'malformed-path'
    | null {
    let pathMatched = false;
    for (const route of this.#routes) {
      const m = route.pattern.exec(pathname);
      if (!m) continue;
      pathMatched = true;
      if (route.method !== method && !(method === 'HEAD' && route.method === 'GET')) continue;
      const params: Record<string, string> = Object.create(null);
      for (const [i, name] of route.names.entries()) {
        const value = decodeSegment(m[i + 1]!);
        if (value === null) return 'malformed-path';
        params[name] = value;
      }
      return { handler: route.handler, params, path: route.path };
    }
    return pathMatched ? 'method-not-allowed' : null;
  }
}

/**
 * A path segment's text, or null when it is not text a handler can use: bad percent-encoding
 * (`%E0%A4%A`), or an encoded NUL or lone surrogate. The caller answers 400, never a 500.
 */
function decodeSegment(raw: string): string | null {
  let value: string;
  try {
    value = decodeURIComponent(raw);
  } catch {
    return null;
  }
  return value.includes('\0') || !value.isWellFormed() ? null : value;
}

export const json = (body: unknown, status = 200, headers: Record<string, string> = {}) =>
  new Response(JSON.stringify(body), {
    status,
    headers: { 'content-type': 'application/json; charset=utf-8', ...headers },
  });

export const errorResponse = (status: number, code: string, message: string) =>
  json({ errors: [{ message, extensions: { code } }], data: null }, status);
