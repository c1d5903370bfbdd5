import { isUtf8 } from 'node:buffer';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { CliCommand } from './cli/commands.ts';
import { type Clock, systemClock } from './clock.ts';
import type { Config } from './config.ts';
import { type DatabaseHandle, openDatabase } from './db/index.ts';
import { runInDbScope } from './db/scope.ts';
import type { GraphQLModule } from './graphql/context.ts';
import { unauthorizedResponse } from './graphql/errors.ts';
import { laneOf } from './graphql/lane.ts';
import { createGraphQLServer, type GraphQLServer } from './graphql/yoga.ts';
import { checkReadiness } from './health.ts';
import { failureResponse, logRequest } from './http/request-log.ts';
import { newRequestReport, type RequestReport } from './http/request-report.ts';
import { errorResponse, type HttpContext, json, Router } from './http/router.ts';
import { createModuleServices, servicesFor } from './kernel/assemble.ts';
import type { TesseraModule } from './kernel/module.ts';
import { createLogger, type Logger } from './logger.ts';
import { Metrics } from './metrics.ts';
import { accessKeysModule } from './modules/access-keys/resolvers.ts';
import { auditModule } from './modules/audit/resolvers.ts';
import { recordAuditEvents } from './modules/audit/service.ts';
import { bearerToken } from './modules/auth/authenticator.ts';
import type { Principal } from './modules/auth/principal.ts';
import { groupsModule } from './modules/groups/resolvers.ts';
import { modules as moduleRegistry } from './modules/index.ts';
import { rolesModule } from './modules/roles/resolvers.ts';
import { usersModule } from './modules/users/resolvers.ts';
import { workspacesModule } from './modules/workspaces/resolvers.ts';
import { createServices, type Services } from './services.ts';

/**
 * A feature area beyond the core (sessions, data access, …): its GraphQL modules, its HTTP
 * routes, and work to start and stop with the app.
 */
export interface Feature {
  readonly name: string;
  readonly modules?: readonly GraphQLModule[];
  /** Extra `tessera` subcommands. */
  readonly commands?: readonly CliCommand[];
  routes?(router: Router, app: App): void;
  start?(app: App): Promise<void>;
  stop?(): Promise<void>;
}

export interface App {
  readonly config: Config;
  readonly services: Services;
  readonly db: DatabaseHandle;
  readonly router: Router;
  readonly graphql: GraphQLServer;
  /** Prometheus metrics served at /metrics; features add their own gauges at start. */
  readonly metrics: Metrics;
  readonly log: Logger;
  /** Whether features run their background loops (e.g. the outbox sender): servers do, one-shot commands don't. */
  readonly background: boolean;
  /** Handles one HTTP request (in-process in tests, behind node:http in the server). */
  fetch(request: Request, info?: { ip?: string | null }): Promise<Response>;
  close(): Promise<void>;
}

export interface AppOptions {
  readonly clock?: Clock;
  readonly logger?: Logger;
  readonly features?: readonly Feature[];
  /** The modules to build (default: every module in src/modules/index.ts). */
  readonly modules?: readonly TesseraModule[];
  /** Run background loops (default true); short-lived CLI commands turn them off. */
  readonly background?: boolean;
}

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,64}$/;
const JSON_MEDIA_TYPE = /^application\/(json|graphql-response\+json)\s*(;.*)?$/i;

/** The composition root: opens the database, migrates it, and wires every service and route. */
export async function createApp(config: Config, options: AppOptions = {}): Promise<App> {
  const log = options.logger ?? createLogger(config.logLevel);
  const clock = options.clock ?? systemClock;
  const db = await openDatabase(config.database, config.databaseLimits);
  try {
    await db.migrate();
    const metrics = new Metrics();
    const services = createServices(config, db.db, clock, log, metrics);
    await services.workspaces.ensureDefault();
    const features = options.features ?? [];
    const moduleList = options.modules ?? moduleRegistry;
    const modules: GraphQLModule[] = [
      {
        typeDefs: readFileSync(new URL('./graphql/core.graphql', import.meta.url), 'utf8'),
        resolvers: { Query: { health: () => 'ok' } },
      },
      usersModule(),
      rolesModule(),
      groupsModule(),
      accessKeysModule(),
      workspacesModule(),
      auditModule(),
      ...features.flatMap((f) => f.modules ?? []),
      ...moduleList.flatMap((m) => (m.graphql ? [m.graphql] : [])),
    ];
    const graphql = createGraphQLServer(config, services, modules, log);
    const router = new Router();
    metrics.addPoolSource(() =>
      db.poolStats().map((s) => ({
        database: 'tessera',
        lane: s.lane,
        size: s.total,
        inUse: s.total - s.idle,
        waiting: s.waiting,
      })),
    );
    // Liveness: the process answers. Readiness: it can serve (database reachable, schema current).
    router.add('GET', '/healthz', () => json({ status: 'ok' }));
    router.add('GET', '/readyz', async () => {
      const problems = await checkReadiness(db);
      return problems.length === 0
        ? json({ status: 'ready' })
        : json({ status: 'unavailable', problems }, 503, { 'retry-after': '1' });
    });
    router.add('GET', '/metrics', async () => {
      const { body, contentType } = await metrics.render();
      return new Response(body, { headers: { 'content-type': contentType } });
    });

    const started: TesseraModule[] = [];
    const app: App = {
      config,
      services,
      db,
      router,
      graphql,
      metrics,
      log,
      background: options.background ?? true,
      fetch: (request, info) =>
        handle(app, request, { ip: info?.ip ?? null, requestId: requestIdOf(request) }),
      close: async () => {
        for (const m of [...started].reverse()) await m.stop?.();
        for (const f of [...features].reverse()) await f.stop?.();
        await db.close();
      },
    };
    for (const f of features) f.routes?.(router, app);
    for (const f of features) await f.start?.(app);
    // Modules of the one shape (src/kernel/module.ts) are built after the features, whose
    // services some of them need, until every area is such a module.
    const ordered = createModuleServices(moduleList, services);
    for (const m of ordered) m.routes?.(router, servicesFor(m, services));
    for (const m of ordered) {
      await m.start?.(servicesFor(m, services), { background: app.background });
      started.push(m);
    }
    return app;
  } catch (err) {
    await db.close();
    throw err;
  }
}

function requestIdOf(request: Request): string {
  const given = request.headers.get('x-request-id');
  return given && REQUEST_ID.test(given) ? given : randomUUID();
}

async function handle(app: App, request: Request, ctx: HttpContext): Promise<Response> {
  const started = performance.now();
  const report = newRequestReport();
  let response: Response;
  try {
    response = await runInDbScope({ lane: 'main', signal: request.signal }, () =>
      route(app, request, ctx, report),
    );
  } catch (err) {
    response = failureResponse(err, report);
  }
  logRequest(app, request, ctx.requestId, report, response.status, performance.now() - started);
  // Headers are set on the response itself: re-wrapping it would pipe every body through a second
  // stream. Only a response with immutable headers (e.g. Response.redirect) is copied.
  try {
    setCommonHeaders(response.headers, ctx);
    return response;
  } catch {
    const headers = new Headers(response.headers);
    setCommonHeaders(headers, ctx);
    return new Response(response.body, { status: response.status, statusText: response.statusText, headers });
  }
}

function setCommonHeaders(headers: Headers, ctx: HttpContext): void {
  headers.set('x-request-id', ctx.requestId);
  headers.set('x-content-type-options', 'nosniff');
  // Yoga's event streams say `Connection: keep-alive` and `Content-Encoding: none`. Whether a
  // connection stays open is the HTTP server's decision (the client's `Connection: close`, a
  // shutdown), not the handler's: with the header copied through, a client that asked to close
  // was held open until the keep-alive timeout. `none` is no content coding at all.
  headers.delete('connection');
  if (headers.get('content-encoding') === 'none') headers.delete('content-encoding');
}

async function route(app: App, request: Request, ctx: HttpContext, report: RequestReport): Promise<Response> {
  const url = new URL(request.url);
  if (url.pathname === '/graphql') return graphqlRequest(app, request, ctx, report);
  const match = app.router.match(request.method, url.pathname);
  if (match === null) return errorResponse(404, 'NOT_FOUND', 'Not found');
  if (match === 'method-not-allowed') return errorResponse(405, 'BAD_REQUEST', 'Method not allowed');
  if (match === 'malformed-path') return errorResponse(400, 'BAD_REQUEST', 'Malformed path');
  return match.handler(request, { ...ctx, params: match.params });
}

async function graphqlRequest(
  app: App,
  incoming: Request,
  ctx: HttpContext,
  report: RequestReport,
): Promise<Response> {
  // Only JSON bodies: a form, multipart or text/plain POST is what a cross-site form would send (CSRF).
  if (incoming.method === 'POST' && !JSON_MEDIA_TYPE.test(incoming.headers.get('content-type') ?? '')) {
    return errorResponse(415, 'BAD_REQUEST', 'Content-Type must be application/json');
  }
  // The lane is chosen before authentication, whose own statements must not queue behind slow work.
  const bytes = incoming.method === 'POST' ? await incoming.arrayBuffer() : null;
  // Invalid UTF-8 would be decoded with U+FFFD and stored altered; it is refused, but only after
  // authentication, so a bad credential still gets the one 401 first.
  const bodyIsUtf8 = bytes === null || isUtf8(bytes);
  const body = bytes !== null && bodyIsUtf8 ? new TextDecoder().decode(bytes) : null;
  const request = bytes === null ? incoming : new Request(incoming, { body: bytes });
  const lane = laneOf(body, new URL(incoming.url).searchParams);
  return runInDbScope({ lane, signal: incoming.signal }, () =>
    authenticatedGraphql(app, request, ctx, report, bodyIsUtf8),
  );
}

async function authenticatedGraphql(
  app: App,
  request: Request,
  ctx: HttpContext,
  report: RequestReport,
  bodyIsUtf8: boolean,
): Promise<Response> {
  let principal: Principal | null = null;
  const token = bearerToken(request.headers.get('authorization'));
  // --- web sessions hook (docs/sso.md "Web sessions"): without a bearer token, a browser's
  // session cookie may name the principal; a dead cookie gets the same 401 as a bad token.
  if (token === undefined) {
    const fromCookie = await app.services.authenticator.authenticateCookie(request, ctx);
    if (fromCookie === null) {
      report.codes.push('UNAUTHENTICATED');
      return unauthorizedResponse();
    }
    principal = fromCookie ?? null;
  }
  // --- end of web sessions hook
  if (token !== undefined) {
    principal = token === null ? null : await app.services.authenticator.authenticate(token, ctx);
    if (!principal) {
      await recordFailedAuthentication(app, ctx, token);
      report.codes.push('UNAUTHENTICATED');
      return unauthorizedResponse();
    }
  }
  if (!bodyIsUtf8) return errorResponse(400, 'BAD_REQUEST', 'The request body is not valid UTF-8');
  const response = await app.graphql.fetch(request, {
    requestId: ctx.requestId,
    ip: ctx.ip,
    principal,
    report,
  });
  // Whatever format the client negotiated (JSON, SSE, multipart), an authentication failure is
  // the one 401 body (docs/api-contract.md §1): no second shape to tell failures apart by.
  if (response.status === 401) {
    // Drained rather than cancelled: Yoga's SSE stream throws on cancel. It holds one small result.
    await response.arrayBuffer().catch(() => undefined);
    return unauthorizedResponse();
  }
  // Yoga's 406 has no body; a client that cannot say what it accepts still gets a reason and a
  // code, with the media types it could ask for (docs/limits.md, "Transports").
  if (response.status === 406) {
    await response.arrayBuffer().catch(() => undefined);
    const refusal = errorResponse(
      406,
      'BAD_REQUEST',
      'Not acceptable: ask for one of the media types in Accept',
    );
    refusal.headers.set('accept', response.headers.get('accept') ?? 'application/json');
    return refusal;
  }
  return response;
}

/**
 * The request, its body checked to be UTF-8, or null when it is not. JSON is UTF-8 (RFC 8259);
 * decoding other bytes puts U+FFFD in their place, so a name sent with them used to be stored
 * altered instead of refused (docs/limits.md, "Malformed HTTP requests"). The checked bytes are
 * handed on as they are.
 */
async function recordFailedAuthentication(app: App, ctx: HttpContext, token: string | null): Promise<void> {
  const keyId = token ? app.services.accessKeys.keyIdOf(token) : null;
  const key = keyId
    ? await app.services.db
        .selectFrom('access_keys')
        .select('workspace_id')
        .where('id', '=', keyId)
        .executeTakeFirst()
    : undefined;
  await recordAuditEvents(app.services.db, [
    {
      workspaceId: key?.workspace_id ?? null,
      action: 'auth.failure',
      outcome: 'FAILURE',
      actorKeyId: key ? keyId : null,
      requestId: ctx.requestId,
      ip: ctx.ip,
      details: { credential: token === null ? 'malformed' : keyId ? 'accessKey' : 'token' },
      at: app.services.clock.now(),
    },
  ]);
}
