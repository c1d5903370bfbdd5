import { type Clock, systemClock } from './clock.ts';
import type { Config } from './config.ts';
import { createSecretBox, resolveMasterKey } from './crypto/secret-box.ts';
import { type DatabaseHandle, openDatabase } from './db/index.ts';
import { createGraphQLServer, type GraphQLServer } from './graphql/yoga.ts';
import { createHttpPipeline, type HttpPipeline } from './http/pipeline.ts';
import { Router } from './http/router.ts';
import { assembleServices, servicesFor } from './kernel/assemble.ts';
import type { RunningApp } from './kernel/command.ts';
import type { AnyModule } from './kernel/module.ts';
import type { Services } from './kernel/services.ts';
import { createLogger, type Logger } from './logger.ts';
import { Metrics } from './metrics.ts';
import { authenticateRequest } from './modules/auth/bearer.ts';
import { modules as moduleRegistry } from './modules/index.ts';

export interface App extends RunningApp {
  readonly config: Config;
  readonly services: Services;
  readonly db: DatabaseHandle;
  readonly router: Router;
  readonly graphql: GraphQLServer;
  /** Prometheus metrics served at /metrics; modules add their own gauges at start. */
  readonly metrics: Metrics;
  readonly log: Logger;
  /** Whether modules run their background loops (e.g. the outbox sender): servers do, one-shot commands don't. */
  readonly background: boolean;
  /** Handles one HTTP request: `http.fetch`. */
  fetch: HttpPipeline['fetch'];
}

export interface AppOptions {
  readonly clock?: Clock;
  readonly logger?: Logger;
  /** The modules to build (default: every module in src/modules/index.ts). */
  readonly modules?: readonly AnyModule[];
  /** Run background loops (default true); short-lived CLI commands turn them off. */
  readonly background?: boolean;
}

/**
 * The composition root: opens the database, migrates it, builds every module's services from the
 * one list (in the order their `needs` require), then their schema, routes and start-up work,
 * all before anything is served.
 */
export async function createApp(config: Config, options: AppOptions = {}): Promise<App> {
  const log = options.logger ?? createLogger(config.logLevel);
  const clock = options.clock ?? systemClock;
  const background = options.background ?? true;
  const db = await openDatabase(config.database, config.databaseLimits);
  // Each started module with the services it may reach, stopped in reverse order.
  const started: { module: AnyModule; services: Services }[] = [];
  const stopStarted = async () => {
    for (const { module, services } of started.splice(0).reverse()) await module.stop?.(services);
  };
  try {
    await db.migrate();
    const metrics = new Metrics();
    const moduleList = options.modules ?? moduleRegistry;
    // The kernel's services; every other one comes from a module.
    const assembled = assembleServices(moduleList, {
      config,
      db: db.db,
      database: db,
      clock,
      log,
      metrics,
      secrets: createSecretBox(resolveMasterKey(config)),
    });
    const { ordered } = assembled;
    const all = assembled.services;
    const graphql = createGraphQLServer(
      config,
      all,
      moduleList.flatMap((m) => (m.graphql ? [m.graphql] : [])),
      log,
    );
    const router = new Router();
    for (const m of ordered) m.routes?.(router, servicesFor(m, all));
    for (const m of ordered) {
      const view = servicesFor(m, all);
      // Stopped in reverse even when a later module fails to start.
      started.push({ module: m, services: view });
      await m.start?.(view, { background });
    }
    const http = createHttpPipeline({
      router,
      graphql,
      log,
      metrics,
      maxBodyBytes: config.maxBodyBytes,
      authenticate: (request, ctx) => authenticateRequest(all, request, ctx),
    });
    return {
      config,
      services: all,
      db,
      router,
      graphql,
      http,
      metrics,
      log,
      background,
      fetch: http.fetch,
      close: async () => {
        await stopStarted();
        await db.close();
      },
    };
  } catch (err) {
    await stopStarted().catch(() => undefined);
    await db.close();
    throw err;
  }
}
