import { readFileSync } from 'node:fs';
import { checkReadiness } from '../../health.ts';
import { json } from '../../http/router.ts';
import { defineModule } from '../../kernel/module.ts';

/**
 * The API's base: the shared GraphQL types every module extends (`ResponseStatus`, `PageInfo`,
 * the `Query` and `Mutation` roots), liveness and readiness, and the Prometheus metrics page.
 */
export const coreModule = defineModule({
  name: 'core',
  needs: [],
  provides: [],
  graphql: {
    typeDefs: readFileSync(new URL('../../graphql/core.graphql', import.meta.url), 'utf8'),
    resolvers: { Query: { health: () => 'ok' } },
  },
  routes(router, { database, metrics }) {
    // Liveness: the process answers. Readiness: it can serve (database reachable, schema current).
    router.add('GET', '/healthz', () => json({ status: 'ok' }));
    router.add('GET', '/readyz', async () => {
      const problems = await checkReadiness(database);
      return problems.length === 0
        ? json({ status: 'ready' })
        : json({ status: 'unavailable', problems }, 503, { 'retry-after': '1' });
    });
    router.add('GET', '/metrics', async () => {
      const { body, contentType } = await metrics.render();
      return new Response(body, { headers: { 'content-type': contentType } });
    });
  },
  async start({ database, metrics }) {
    metrics.addPoolSource(() =>
      database.poolStats().map((s) => ({
        database: 'tessera',
        lane: s.lane,
        size: s.total,
        inUse: s.total - s.idle,
        waiting: s.waiting,
      })),
    );
  },
});
