import { unauthenticated } from '../../errors.ts';
import type { ModuleResolvers, RequestContext } from '../../graphql/context.ts';
import { withStatus } from '../../graphql/status.ts';
import { existingWorkspace, targetWorkspace, workspaceMustExist } from '../auth/guards.ts';
import type { Principal } from '../auth/principal.ts';
import type {
  Asking,
  CreateDashboardInput,
  FilterValueInput,
  ShareInput,
  TileRun,
  UpdateDashboardInput,
} from './service.ts';
import type { Dashboard, DashboardAccess, DashboardShare } from './types.ts';
import type { TileInput } from './validation.ts';

function asking(ctx: RequestContext): Asking & { principal: Principal } {
  if (!ctx.principal) throw unauthenticated();
  return { principal: ctx.principal, origin: ctx.origin, at: () => ctx.clock.now() };
}

const view = (d: Dashboard, access: DashboardAccess) => ({
  ...d,
  access,
  createdAt: d.createdAt.toISOString(),
  updatedAt: d.updatedAt.toISOString(),
});

const tileResult = (dashboardId: string, tileId: string, r: TileRun) => ({
  dashboardId,
  tileId,
  queryId: r.queryId,
  columns: r.columns,
  rows: r.rows,
  rowCount: r.rowCount,
  truncated: r.truncated,
  cached: r.cached,
  computedAt: r.computedAt.toISOString(),
});

const shareView = (s: DashboardShare) => ({ ...s, createdAt: s.createdAt.toISOString() });

/** Resolvers of schema.graphql: they validate the credential's shape and delegate to the service. */
export function dashboardResolvers(): ModuleResolvers {
  return {
    Query: {
      dashboards: async (
        _: unknown,
        args: { workspaceId?: string | null; domainId?: string | null },
        ctx: RequestContext,
      ) => {
        const a = asking(ctx);
        const workspaceId = await existingWorkspace(ctx.services.workspaces, a.principal, args.workspaceId);
        const list = await ctx.services.dashboards.list(a, workspaceId, args.domainId ?? null);
        return list.map((d) => view(d.dashboard, d.access));
      },
      dashboard: async (_: unknown, args: { id: string }, ctx: RequestContext) => {
        const found = await ctx.services.dashboards.get(asking(ctx), args.id);
        return found ? view(found.dashboard, found.access) : null;
      },
      dashboardTileResult: async (
        _: unknown,
        args: { dashboardId: string; tileId: string; filters?: readonly FilterValueInput[] | null },
        ctx: RequestContext,
      ) =>
        tileResult(
          args.dashboardId,
          args.tileId,
          await ctx.services.dashboards.tileResult(
            asking(ctx),
            args.dashboardId,
            args.tileId,
            args.filters ?? [],
          ),
        ),
      dashboardTilePreview: async (
        _: unknown,
        args: { dashboardId: string; tile: TileInput; filters?: readonly FilterValueInput[] | null },
        ctx: RequestContext,
      ) =>
        tileResult(
          args.dashboardId,
          args.tile.id ?? 'preview',
          await ctx.services.dashboards.previewTile(
            asking(ctx),
            args.dashboardId,
            args.tile,
            args.filters ?? [],
          ),
        ),
      dashboardFilterOptions: async (
        _: unknown,
        args: { dashboardId: string; filterId: string },
        ctx: RequestContext,
      ) => ({
        dashboardId: args.dashboardId,
        filterId: args.filterId,
        ...(await ctx.services.dashboards.filterOptions(asking(ctx), args.dashboardId, args.filterId)),
      }),
      dashboardShares: async (_: unknown, args: { dashboardId: string }, ctx: RequestContext) =>
        (await ctx.services.dashboards.shares(asking(ctx), args.dashboardId)).map(shareView),
    },
    Mutation: {
      createDashboard: (
        _: unknown,
        args: { input: CreateDashboardInput & { workspaceId?: string | null } },
        ctx: RequestContext,
      ) => {
        const a = asking(ctx);
        const workspaceId = targetWorkspace(a.principal, args.input.workspaceId);
        return withStatus('Dashboard created', { dashboard: null }, async () => {
          await workspaceMustExist(ctx.services.workspaces, a.principal, workspaceId);
          return {
            dashboard: view(await ctx.services.dashboards.create(a, workspaceId, args.input), 'EDIT'),
          };
        });
      },
      updateDashboard: (_: unknown, args: { input: UpdateDashboardInput }, ctx: RequestContext) => {
        const a = asking(ctx);
        return withStatus('Dashboard updated', { dashboard: null }, async () => ({
          dashboard: view(await ctx.services.dashboards.update(a, args.input), 'EDIT'),
        }));
      },
      duplicateDashboard: (
        _: unknown,
        args: { input: { id: string; title?: string | null } },
        ctx: RequestContext,
      ) => {
        const a = asking(ctx);
        return withStatus('Dashboard duplicated', { dashboard: null }, async () => ({
          dashboard: view(
            await ctx.services.dashboards.duplicate(a, args.input.id, args.input.title ?? null),
            'EDIT',
          ),
        }));
      },
      deleteDashboard: (
        _: unknown,
        args: { input: { id: string; version?: number | null } },
        ctx: RequestContext,
      ) => {
        const a = asking(ctx);
        return withStatus('Dashboard deleted', { id: null }, async () => {
          await ctx.services.dashboards.delete(a, args.input.id, args.input.version ?? null);
          return { id: args.input.id };
        });
      },
      addScopeRoleAssignmentsForSharing: async (
        _: unknown,
        args: {
          scopeId: string;
          scopeRoleAssignments: readonly ShareInput[];
          scopeType: 'DASHBOARD';
          message?: string | null;
        },
        ctx: RequestContext,
      ) => {
        const a = asking(ctx);
        const r = await withStatus('Role added successfully', {}, async () => {
          await ctx.services.dashboards.share(
            a,
            args.scopeId,
            args.scopeRoleAssignments,
            args.message ?? null,
          );
          return {};
        });
        return r.status;
      },
      removeScopeRoleAssignmentsForSharing: async (
        _: unknown,
        args: { scopeId: string; scopeRoleAssignments: readonly ShareInput[]; scopeType: 'DASHBOARD' },
        ctx: RequestContext,
      ) => {
        const a = asking(ctx);
        const r = await withStatus('Role removed successfully', {}, async () => {
          await ctx.services.dashboards.unshare(a, args.scopeId, args.scopeRoleAssignments);
          return {};
        });
        return r.status;
      },
    },
  };
}
