import { readFileSync } from 'node:fs';
import type { Feature } from '../../app.ts';
import type { ModuleResolvers } from '../../graphql/context.ts';
import { createDataAccess, type DataAccess } from './access.ts';
import { demoCommand, policyCommand } from './commands.ts';
import { databaseDomainCatalog } from './domains/catalog.ts';
import { queryResolvers } from './query/resolvers.ts';
import { adminResolvers } from './resolvers.ts';

declare module '../../kernel/services.ts' {
  interface Services {
    /** The data plane (connections, domains, policies, the query executor), once the feature has started. */
    data: DataAccess;
  }
}

/**
 * Attribute-driven data access (docs/data-access.md): connections, domains, row policies and the query
 * executor around the gate. Its services exist from `start` to `stop`; the GraphQL resolvers and
 * CLI commands reach them through this feature instance, never through a global.
 */
export function dataAccessFeature(): Feature & { data(): DataAccess } {
  let data: DataAccess | null = null;
  const get = (): DataAccess => {
    if (!data) throw new Error('the data access feature has not started');
    return data;
  };
  return {
    name: 'data-access',
    modules: [
      {
        typeDefs: readFileSync(new URL('./schema.graphql', import.meta.url), 'utf8'),
        resolvers: merge(adminResolvers(get), queryResolvers(get)),
      },
    ],
    commands: [policyCommand(get), demoCommand(get)],
    data: get,
    async start(app) {
      const started = createDataAccess(app);
      data = started;
      app.services.data = started;
      app.services.domains = databaseDomainCatalog;
      app.metrics.addPoolSource(() =>
        started.pools.samples().map((s) => ({
          database: `warehouse:${s.connectionId}`,
          lane: 'main',
          size: s.size,
          inUse: s.inUse,
          waiting: s.waiting,
        })),
      );
    },
    async stop() {
      await data?.close();
      data = null;
    },
  };
}

function merge(...maps: ModuleResolvers[]): ModuleResolvers {
  const out: Record<string, object> = {};
  for (const m of maps)
    for (const [type, fields] of Object.entries(m)) out[type] = { ...(out[type] ?? {}), ...fields };
  // Each map was checked against the generated types; merging type by type keeps every field's type.
  return out as ModuleResolvers;
}
