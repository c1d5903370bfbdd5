import type { ColumnType } from 'kysely';
import type { Executor } from '../../db/index.ts';
import type { Dashboard, DashboardDefinition, DashboardShare } from './types.ts';

type Timestamp = ColumnType<Date, Date | string, Date | string>;

/** The dashboards module's tables (migration 0007); only this file names them in SQL. */
export interface DashboardsTable {
  workspace_id: string;
  id: string;
  domain_id: string;
  title: string;
  description: string;
  definition: ColumnType<DashboardDefinition | string, string, string>;
  cache_ttl_seconds: number;
  version: number;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface DashboardSharesTable {
  workspace_id: string;
  dashboard_id: string;
  user_id: string;
  role_id: string;
  created_at: Timestamp;
}

declare module '../../db/schema.ts' {
  interface Database {
    dashboards: DashboardsTable;
    dashboard_shares: DashboardSharesTable;
  }
}

type Row = {
  [K in keyof DashboardsTable]: DashboardsTable[K] extends ColumnType<infer S, unknown, unknown>
    ? S
    : DashboardsTable[K];
};

function toDashboard(r: Row): Dashboard {
  const definition = typeof r.definition === 'string' ? JSON.parse(r.definition) : r.definition;
  return {
    id: r.id,
    workspaceId: r.workspace_id,
    domainId: r.domain_id,
    title: r.title,
    description: r.description,
    filters: definition.filters,
    tiles: definition.tiles,
    cacheTtlSeconds: Number(r.cache_ttl_seconds),
    version: Number(r.version),
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}

const definitionOf = (d: DashboardDefinition) => JSON.stringify({ filters: d.filters, tiles: d.tiles });

export async function findDashboard(
  db: Executor,
  workspaceId: string,
  id: string,
  lock = false,
): Promise<Dashboard | null> {
  let q = db
    .selectFrom('dashboards')
    .selectAll()
    .where('workspace_id', '=', workspaceId)
    .where('id', '=', id);
  if (lock) q = q.forUpdate();
  const row = await q.executeTakeFirst();
  return row ? toDashboard(row as Row) : null;
}

/** Dashboards of a workspace (optionally one domain), by title. */
export async function listDashboards(
  db: Executor,
  workspaceId: string,
  domainId: string | null,
): Promise<Dashboard[]> {
  let q = db.selectFrom('dashboards').selectAll().where('workspace_id', '=', workspaceId);
  if (domainId !== null) q = q.where('domain_id', '=', domainId);
  const rows = await q.orderBy('title').orderBy('id').execute();
  return rows.map((r) => toDashboard(r as Row));
}

export async function insertDashboard(db: Executor, d: Dashboard): Promise<void> {
  await db
    .insertInto('dashboards')
    .values({
      workspace_id: d.workspaceId,
      id: d.id,
      domain_id: d.domainId,
      title: d.title,
      description: d.description,
      definition: definitionOf(d),
      cache_ttl_seconds: d.cacheTtlSeconds,
      version: d.version,
      created_at: d.createdAt,
      updated_at: d.updatedAt,
    })
    .execute();
}

/**
 * Writes a new state of a dashboard only if it is still at `expectedVersion` (the check and the
 * write are one statement, so two concurrent updates of one version cannot both succeed).
 * Returns whether it was written.
 */
export async function updateDashboardIfVersion(
  db: Executor,
  d: Dashboard,
  expectedVersion: number,
): Promise<boolean> {
  const result = await db
    .updateTable('dashboards')
    .set({
      title: d.title,
      description: d.description,
      definition: definitionOf(d),
      cache_ttl_seconds: d.cacheTtlSeconds,
      version: d.version,
      updated_at: d.updatedAt,
    })
    .where('workspace_id', '=', d.workspaceId)
    .where('id', '=', d.id)
    .where('version', '=', expectedVersion)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

/** Deletes a dashboard (its shares go with it); `version` null deletes whatever version it has. */
export async function deleteDashboard(
  db: Executor,
  workspaceId: string,
  id: string,
  version: number | null,
): Promise<boolean> {
  let q = db.deleteFrom('dashboards').where('workspace_id', '=', workspaceId).where('id', '=', id);
  if (version !== null) q = q.where('version', '=', version);
  const result = await q.executeTakeFirst();
  return Number(result.numDeletedRows) === 1;
}

/** The sharing roles one user holds on one dashboard. */
export async function shareRolesOf(
  db: Executor,
  workspaceId: string,
  dashboardId: string,
  userId: string,
): Promise<string[]> {
  const rows = await db
    .selectFrom('dashboard_shares')
    .select('role_id')
    .where('workspace_id', '=', workspaceId)
    .where('dashboard_id', '=', dashboardId)
    .where('user_id', '=', userId)
    .execute();
  return rows.map((r) => r.role_id);
}

/** The ids of dashboards shared with a user. */
export async function dashboardsSharedWith(
  db: Executor,
  workspaceId: string,
  userId: string,
): Promise<string[]> {
  const rows = await db
    .selectFrom('dashboard_shares')
    .select('dashboard_id')
    .distinct()
    .where('workspace_id', '=', workspaceId)
    .where('user_id', '=', userId)
    .execute();
  return rows.map((r) => r.dashboard_id);
}

export async function listShares(
  db: Executor,
  workspaceId: string,
  dashboardId: string,
): Promise<DashboardShare[]> {
  const rows = await db
    .selectFrom('dashboard_shares')
    .selectAll()
    .where('workspace_id', '=', workspaceId)
    .where('dashboard_id', '=', dashboardId)
    .orderBy('created_at')
    .orderBy('user_id')
    .orderBy('role_id')
    .execute();
  return rows.map((r) => ({
    dashboardId: r.dashboard_id,
    principalId: r.user_id,
    roleId: r.role_id,
    createdAt: r.created_at,
  }));
}

/** Adds shares; ones that exist already are left as they are. Returns the ones added. */
export async function insertShares(
  db: Executor,
  workspaceId: string,
  dashboardId: string,
  shares: readonly { userId: string; roleId: string }[],
  at: Date,
): Promise<{ userId: string; roleId: string }[]> {
  if (shares.length === 0) return [];
  const rows = await db
    .insertInto('dashboard_shares')
    .values(
      shares.map((s) => ({
        workspace_id: workspaceId,
        dashboard_id: dashboardId,
        user_id: s.userId,
        role_id: s.roleId,
        created_at: at,
      })),
    )
    .onConflict((oc) => oc.doNothing())
    .returning(['user_id', 'role_id'])
    .execute();
  return rows.map((r) => ({ userId: r.user_id, roleId: r.role_id }));
}

export async function deleteShares(
  db: Executor,
  workspaceId: string,
  dashboardId: string,
  shares: readonly { userId: string; roleId: string }[],
): Promise<number> {
  let removed = 0;
  for (const s of shares) {
    const r = await db
      .deleteFrom('dashboard_shares')
      .where('workspace_id', '=', workspaceId)
      .where('dashboard_id', '=', dashboardId)
      .where('user_id', '=', s.userId)
      .where('role_id', '=', s.roleId)
      .executeTakeFirst();
    removed += Number(r.numDeletedRows);
  }
  return removed;
}
