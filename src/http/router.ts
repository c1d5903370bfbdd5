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

/** A small method + path router for the non-GraphQL endpoints (`/healthz`, `/embed/…`, …). */
export class Router {
  readonly #routes: Route[] = [];

  /** `path` may contain `:name` segments, e.g. `/embed/dashboards/:id`. */
  add(method: 'GET' | 'POST' | 'HEAD', path: string, handler: RouteHandler): this {
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
  ): { handler: RouteHandler; params: Record<string, string>; path: string } | 'method-not-allowed' | null {
    let pathMatched = false;
    for (const route of this.#routes) {
      const m = route.pattern.exec(pathname);
      if (!m) continue;
      pathMatched = true;
      if (route.method !== method && !(method === 'HEAD' && route.method === 'GET')) continue;
      const params: Record<string, string> = Object.create(null);
      route.names.forEach((name, i) => {
        params[name] = decodeURIComponent(m[i + 1]!);
      });
      return { handler: route.handler, params, path: route.path };
    }
    return pathMatched ? 'method-not-allowed' : null;
  }
}

export const json = (body: unknown, status = 200, headers: Record<string, string> = {}) =>
  new Response(JSON.stringify(body), {
    status,
    headers: { 'content-type': 'application/json; charset=utf-8', ...headers },
  });

export const errorResponse = (status: number, code: string, message: string) =>
  json({ errors: [{ message, extensions: { code } }], data: null }, status);
