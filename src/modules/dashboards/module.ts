import { readFileSync } from 'node:fs';
import { defineModule } from '../../kernel/module.ts';
import { dashboardResolvers } from './resolvers.ts';
import { TileResultCache } from './result-cache.ts';
import { dashboardRoutes } from './routes.ts';
import { DashboardService } from './service.ts';

declare module '../../kernel/services.ts' {
  interface Services {
    /** Dashboards, their sharing, and running their tiles as the calling user (docs/dashboards.md). */
    readonly dashboards: DashboardService;
  }
}

/** Dashboards over a domain's data: tiles, filters, compat sharing, CSV export, a safe result cache. */
export const dashboardsModule = defineModule({
  name: 'dashboards',
  needs: ['data', 'users', 'domains', 'authenticator', 'accessKeys'],
  provides: ['dashboards'],
  create(services) {
    const cache = new TileResultCache(services.clock);
    const dashboards = new DashboardService({
      db: services.db,
      clock: services.clock,
      data: () => services.data,
      users: services.users,
      domains: () => services.domains,
      cache,
      publicUrl: services.config.publicUrl,
    });
    services.metrics.addCacheSource(() => ({ cache: 'dashboard_tiles', ...cache.stats() }));
    return { dashboards };
  },
  graphql: {
    typeDefs: readFileSync(new URL('./schema.graphql', import.meta.url), 'utf8'),
    resolvers: dashboardResolvers(),
  },
  routes: dashboardRoutes,
});
