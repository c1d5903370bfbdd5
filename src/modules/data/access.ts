import type { Config } from '../../config.ts';
import type { Services } from '../../kernel/services.ts';
import { ConnectionService } from './connections/service.ts';
import type { ResolvedSettings } from './connections/types.ts';
import { DomainService } from './domains/service.ts';
import { openPgliteWarehousePool, Warehouses } from './engines/pglite.ts';
import { PoolManager } from './engines/pools.ts';
import type { PoolOptions } from './engines/types.ts';
import { PolicyChecker } from './policies/checker.ts';
import { PolicyService } from './policies/service.ts';
import { DataSettingsService } from './policies/settings.ts';
import { QueryService } from './query/service.ts';

/** The data plane's services, built once per app (src/modules/data/module.ts). */
export interface DataAccess {
  readonly connections: ConnectionService;
  readonly domains: DomainService;
  readonly policies: PolicyService;
  /** The workspace data settings (row policies for admins, policies required). */
  readonly settings: DataSettingsService;
  readonly queries: QueryService;
  readonly pools: PoolManager;
  readonly warehouses: Warehouses;
  close(): Promise<void>;
}

/**
 * Where `pglite` warehouses live: in memory when Tessera's own database is in memory (tests),
 * else under `TESSERA_WAREHOUSE_DIR` (default `<data dir>/warehouses`; `memory` keeps them in memory).
 */
export function warehouseDirOf(config: Config): string | null {
  if (config.database.kind === 'pglite' && config.database.dataDir === null) return null;
  return config.data.warehouseDir;
}

export function createDataAccess(
  services: Pick<Services, 'db' | 'clock' | 'secrets' | 'config' | 'auditTrail'>,
): DataAccess {
  const { db, clock, secrets, config, auditTrail } = services;
  const warehouses = new Warehouses(warehouseDirOf(config));
  // Each engine's driver is loaded when its first pool opens, so a server pays in memory and start
  // time only for the engines its connections use.
  const factory = async (settings: ResolvedSettings, options: PoolOptions) =>
    settings.engine === 'postgres'
      ? (await import('./engines/postgres.ts')).openPostgresPool(settings, options)
      : settings.engine === 'mysql'
        ? (await import('./engines/mysql.ts')).openMysqlPool(settings, options)
        : openPgliteWarehousePool(warehouses, settings);
  const pools = new PoolManager(factory, {
    max: config.data.maxPools,
    idleMs: config.data.poolIdleMs,
    connectionsPerPool: config.data.connectionsPerPool,
    statementTimeoutMs: config.data.queryTimeoutMs,
  });
  const connections = new ConnectionService(db, clock, secrets, pools);
  const checker = new PolicyChecker(connections);
  const domains = new DomainService(db, clock, connections, checker);
  const policies = new PolicyService({ db, clock, domains, connections, checker });
  const queries = new QueryService({ db, config: config.data, connections, pools, audit: auditTrail });
  return {
    connections,
    domains,
    policies,
    settings: new DataSettingsService({ db, clock }),
    queries,
    pools,
    warehouses,
    close: async () => {
      await pools.closeAll();
      await warehouses.closeAll();
    },
  };
}
