import { readFileSync } from 'node:fs';
import type { ModuleResolvers } from '../../graphql/context.ts';
import { defineModule } from '../../kernel/module.ts';
import { createDataAccess, type DataAccess } from './access.ts';
import { demoCommand, policyCommand } from './commands.ts';
import { type DomainCatalog, databaseDomainCatalog } from './domains/catalog.ts';
import { queryResolvers } from './query/resolvers.ts';
import { adminResolvers } from './resolvers.ts';

declare module '../../kernel/services.ts' {
  interface Services {
    /** The data plane: connections, domains, policies, the query executor around the gate. */
    readonly data: DataAccess;
    /** Which domain ids exist in a workspace, for validating role scopes. */
    readonly domains: DomainCatalog;
  }
}

/**
 * Attribute-driven data access (docs/data-access.md; tables `data_connections`, `data_domains`,
 * `data_domain_tables`, `workspace_data_settings`): connections, domains, row policies and the
 * query executor around the gate, and the domain catalog role scopes are checked against.
 */
export const dataModule = defineModule({
  name: 'data',
  needs: ['workspaces', 'auditTrail'],
  uses: ['users'],
  provides: ['data', 'domains'],
  create: (services) => ({ data: createDataAccess(services), domains: databaseDomainCatalog }),
  graphql: {
    typeDefs: readFileSync(new URL('./schema.graphql', import.meta.url), 'utf8'),
    resolvers: merge(adminResolvers(), queryResolvers()),
  },
  commands: [policyCommand(), demoCommand()],
  async start({ data, metrics }) {
    metrics.addPoolSource(() =>
      data.pools.samples().map((s) => ({
        database: `warehouse:${s.connectionId}`,
        lane: 'main',
        size: s.size,
        inUse: s.inUse,
        waiting: s.waiting,
      })),
    );
  },
  async stop({ data }) {
    await data.close();
  },
});

function merge(...maps: ModuleResolvers[]): ModuleResolvers {
  const out: Record<string, object> = {};
  for (const m of maps)
    for (const [type, fields] of Object.entries(m)) out[type] = { ...(out[type] ?? {}), ...fields };
  // Each map was checked against the generated types; merging type by type keeps every field's type.
  return out as ModuleResolvers;
}
