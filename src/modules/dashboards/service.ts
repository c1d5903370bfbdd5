import type { Clock } from '../../clock.ts';
import { isRetryableTransactionError } from '../../db/errors.ts';
import type { Db, Executor } from '../../db/index.ts';
import {
  AppError,
  assertNoProblems,
  badInput,
  echo,
  forbidden,
  notFound,
  type Problem,
} from '../../errors.ts';
import { randomToken } from '../../ids.ts';
import { type AuditOrigin, recordAudit } from '../audit/service.ts';
import type { Principal, SessionPrincipal } from '../auth/principal.ts';
import type { DataAccess } from '../data/access.ts';
import { dialectOf } from '../data/connections/types.ts';
import type { DomainCatalog } from '../data/domains/catalog.ts';
import type { QueryParameter, QueryResult } from '../data/query/service.ts';
import { enqueueMessages } from '../outbox/queue.ts';
import type { SqlDialect } from '../query-gate/index.ts';
import type { UserService } from '../users/service.ts';
import { canCreateIn, userAccess } from './access.ts';
import { demoDashboard } from './demo.ts';
import * as q from './queries.ts';
import type { TileResultCache } from './result-cache.ts';
import {
  type Dashboard,
  type DashboardAccess,
  type DashboardFilter,
  type DashboardShare,
  SHARE_ROLE_IDS,
  type Tile,
} from './types.ts';
import { fromUrlSyntax } from './url-filters.ts';
import {
  cacheTtlProblems,
  checkFilters,
  checkTiles,
  DEFAULT_CACHE_TTL_SECONDS,
  type FilterInput,
  filterValueProblems,
  LIMITS,
  parameterNamesOf,
  type TileInput,
  textProblems,
  unboundPlaceholderProblems,
} from './validation.ts';

export interface CreateDashboardInput {
  readonly title: string;
  readonly description?: string | null;
  readonly domainId: string;
  readonly filters?: readonly FilterInput[] | null;
  readonly tiles?: readonly TileInput[] | null;
  readonly cacheTtlSeconds?: number | null;
}

export interface UpdateDashboardInput {
  readonly id: string;
  readonly version: number;
  readonly title?: string | null;
  readonly description?: string | null;
  readonly filters?: readonly FilterInput[] | null;
  readonly tiles?: readonly TileInput[] | null;
  readonly cacheTtlSeconds?: number | null;
}

export interface FilterValueInput {
  readonly filterId: string;
  readonly values: readonly string[];
}

export interface ShareInput {
  readonly roleId: string;
  readonly principalId: string;
}

/** A tile's rows for one user, with where they came from. */
export interface TileRun extends QueryResult {
  readonly cached: boolean;
  readonly computedAt: Date;
}

/** One request's facts: who asks, from where, and when. */
export interface Asking {
  readonly principal: Principal;
  readonly origin: AuditOrigin;
  readonly at: () => Date;
}

/** The largest CSV export, in rows (docs/dashboards.md "Export"). */
export const EXPORT_MAX_ROWS = 100_000;
/** Filter options listed at most. */
export const MAX_FILTER_OPTIONS = 1000;
const MAX_SHARES_PER_CALL = 100;
const MAX_MESSAGE_LENGTH = 2000;

export interface DashboardServiceDeps {
  readonly db: Db;
  readonly clock: Clock;
  readonly data: () => DataAccess;
  readonly users: UserService;
  readonly domains: () => DomainCatalog;
  readonly cache: TileResultCache;
  readonly publicUrl: string;
}

/**
 * Dashboards (docs/dashboards.md): their definitions, who may view and edit them (domain roles
 * and compat sharing roles, read fresh on every request), and running their tiles, filter
 * options and exports through the query gate as the calling user.
 */
export class DashboardService {
  readonly #deps: DashboardServiceDeps;

  constructor(deps: DashboardServiceDeps) {
    this.#deps = deps;
  }

  /** Dashboards the caller may view, by title; `data:admin` keys see every one of the workspace. */
  async list(
    asking: Asking,
    workspaceId: string,
    domainId: string | null,
  ): Promise<{ dashboard: Dashboard; access: DashboardAccess }[]> {
    const all = await q.listDashboards(this.#deps.db, workspaceId, domainId);
    const p = asking.principal;
    if (p.kind !== 'session') {
      requireDataAdmin(p);
      return all.map((dashboard) => ({ dashboard, access: 'EDIT' as const }));
    }
    if (p.workspaceId !== workspaceId) return [];
    const assignments = await this.#activeAssignments(p);
    if (assignments === null) return [];
    const shared = new Set(await q.dashboardsSharedWith(this.#deps.db, workspaceId, p.userId));
    const out: { dashboard: Dashboard; access: DashboardAccess }[] = [];
    for (const dashboard of all) {
      const roles = shared.has(dashboard.id)
        ? await q.shareRolesOf(this.#deps.db, workspaceId, dashboard.id, p.userId)
        : [];
      const access = userAccess(assignments, roles, dashboard.domainId);
      if (access) out.push({ dashboard, access });
    }
    return out;
  }

  /** One dashboard and what the caller may do with it; null when it does not exist; FORBIDDEN when they may not view it. */
  async get(asking: Asking, id: string): Promise<{ dashboard: Dashboard; access: DashboardAccess } | null> {
    const dashboard = await q.findDashboard(this.#deps.db, asking.principal.workspaceId, id);
    if (!dashboard) return null;
    return { dashboard, access: await this.#require(asking.principal, dashboard, 'VIEW') };
  }

  async create(asking: Asking, workspaceId: string, input: CreateDashboardInput): Promise<Dashboard> {
    const p = asking.principal;
    if (p.kind === 'session') {
      if (p.workspaceId !== workspaceId) throw forbidden('The credential does not belong to that workspace');
      if (!canCreateIn((await this.#activeAssignments(p)) ?? [], input.domainId))
        throw forbidden('Creating dashboards needs EXPLORER, DATA_ADMIN or ADMIN in the domain');
    } else requireDataAdmin(p);
    const problems: Problem[] = [
      ...textProblems(input.title, 'title', LIMITS.titleLength),
      ...textProblems(input.description ?? '', 'description', LIMITS.descriptionLength, true),
      ...cacheTtlProblems(input.cacheTtlSeconds),
    ];
    const { filters, problems: filterProblems } = checkFilters(input.filters ?? []);
    const { tiles, problems: tileProblems } = checkTiles(input.tiles ?? []);
    problems.push(...filterProblems, ...tileProblems);
    if (filterProblems.length === 0 && tileProblems.length === 0)
      problems.push(
        ...(await unboundPlaceholderProblems(
          tiles,
          filters,
          await this.#dialect(workspaceId, input.domainId),
        )),
      );
    assertNoProblems(problems, 'dashboard');
    const now = this.#deps.clock.now();
    const dashboard: Dashboard = {
      id: `dsh_${randomToken(16)}`,
      workspaceId,
      domainId: input.domainId,
      title: input.title.trim(),
      description: (input.description ?? '').trim(),
      filters,
      tiles,
      cacheTtlSeconds: input.cacheTtlSeconds ?? DEFAULT_CACHE_TTL_SECONDS,
      version: 1,
      createdAt: now,
      updatedAt: now,
    };
    return this.#insert(dashboard, asking.origin, 'dashboard.create');
  }

  /** Writes a new dashboard (the demo gives its own id), checking that its domain exists. */
  async #insert(
    dashboard: Dashboard,
    origin: AuditOrigin,
    action: 'dashboard.create' | 'dashboard.duplicate',
  ): Promise<Dashboard> {
    await this.#transaction(async (tx) => {
      const unknown = await this.#deps
        .domains()
        .unknownDomains(tx, dashboard.workspaceId, [dashboard.domainId]);
      if (unknown.length > 0)
        throw badInput('Domain not found', [
          { code: 'NOT_FOUND', field: 'domainId', item: echo(dashboard.domainId), message: 'no such domain' },
        ]);
      await q.insertDashboard(tx, dashboard);
      await recordAudit(tx, origin, {
        action,
        workspaceId: dashboard.workspaceId,
        target: dashboard.id,
        details: { title: dashboard.title, domainId: dashboard.domainId },
        at: dashboard.createdAt,
      });
    });
    return dashboard;
  }

  /** Replaces what the input gives, only at the version it names (else CONFLICT, nothing written). */
  async update(asking: Asking, input: UpdateDashboardInput): Promise<Dashboard> {
    const current = await this.#existing(asking.principal.workspaceId, input.id);
    await this.#require(asking.principal, current, 'EDIT');
    if (!Number.isInteger(input.version) || input.version < 1)
      throw badInput('Invalid dashboard: version: must be a positive integer', [
        { code: 'BAD_USER_INPUT', field: 'version', message: 'must be a positive integer' },
      ]);
    if (input.version !== current.version) throw staleVersion(current.version);
    const problems: Problem[] = [
      ...(input.title != null ? textProblems(input.title, 'title', LIMITS.titleLength) : []),
      ...(input.description != null
        ? textProblems(input.description, 'description', LIMITS.descriptionLength, true)
        : []),
      ...cacheTtlProblems(input.cacheTtlSeconds),
    ];
    const filters = input.filters != null ? checkFilters(input.filters) : null;
    const tiles = input.tiles != null ? checkTiles(input.tiles) : null;
    problems.push(...(filters?.problems ?? []), ...(tiles?.problems ?? []));
    const next: Dashboard = {
      ...current,
      title: input.title != null ? input.title.trim() : current.title,
      description: input.description != null ? input.description.trim() : current.description,
      filters: filters?.filters ?? current.filters,
      tiles: tiles?.tiles ?? current.tiles,
      cacheTtlSeconds: input.cacheTtlSeconds ?? current.cacheTtlSeconds,
      version: current.version + 1,
      updatedAt: this.#deps.clock.now(),
    };
    if (problems.length === 0)
      problems.push(
        ...(await unboundPlaceholderProblems(
          next.tiles,
          next.filters,
          await this.#dialect(next.workspaceId, next.domainId),
        )),
      );
    assertNoProblems(problems, 'dashboard');
    await this.#transaction(async (tx) => {
      if (!(await q.updateDashboardIfVersion(tx, next, input.version))) {
        const now = await q.findDashboard(tx, current.workspaceId, current.id);
        if (!now) throw notFound('Dashboard not found');
        throw staleVersion(now.version);
      }
      await recordAudit(tx, asking.origin, {
        action: 'dashboard.update',
        workspaceId: next.workspaceId,
        target: next.id,
        details: { version: next.version },
        at: next.updatedAt,
      });
    });
    return next;
  }

  /** A copy in the same domain, owned by nobody in particular: the original's shares are not copied. */
  async duplicate(asking: Asking, id: string, title: string | null): Promise<Dashboard> {
    const original = await this.#existing(asking.principal.workspaceId, id);
    await this.#require(asking.principal, original, 'VIEW');
    const p = asking.principal;
    if (p.kind === 'session' && !canCreateIn((await this.#activeAssignments(p)) ?? [], original.domainId))
      throw forbidden('Creating dashboards needs EXPLORER, DATA_ADMIN or ADMIN in the domain');
    const copyTitle = title ?? `${original.title} (copy)`.slice(0, LIMITS.titleLength);
    assertNoProblems(textProblems(copyTitle, 'title', LIMITS.titleLength), 'dashboard');
    const now = this.#deps.clock.now();
    return this.#insert(
      {
        ...original,
        id: `dsh_${randomToken(16)}`,
        title: copyTitle.trim(),
        version: 1,
        createdAt: now,
        updatedAt: now,
      },
      asking.origin,
      'dashboard.duplicate',
    );
  }

  async delete(asking: Asking, id: string, version: number | null): Promise<void> {
    const current = await this.#existing(asking.principal.workspaceId, id);
    await this.#require(asking.principal, current, 'EDIT');
    await this.#transaction(async (tx) => {
      if (!(await q.deleteDashboard(tx, current.workspaceId, id, version))) {
        const now = await q.findDashboard(tx, current.workspaceId, id);
        if (!now) throw notFound('Dashboard not found');
        throw staleVersion(now.version);
      }
      await recordAudit(tx, asking.origin, {
        action: 'dashboard.delete',
        workspaceId: current.workspaceId,
        target: current.id,
        at: this.#deps.clock.now(),
      });
    });
  }

  /** Runs one saved tile as the calling user, through the gate and the result cache. */
  async tileResult(
    asking: Asking,
    dashboardId: string,
    tileId: string,
    filters: readonly FilterValueInput[],
  ): Promise<TileRun> {
    const session = requireUser(asking.principal);
    const dashboard = await this.#existing(session.workspaceId, dashboardId);
    await this.#require(session, dashboard, 'VIEW');
    const tile = dashboard.tiles.find((t) => t.id === tileId);
    if (!tile) throw notFound('Tile not found');
    const parameters = parametersFor(dashboard.filters, filters);
    return this.#run(asking, session, dashboard, {
      sql: tile.sql,
      parameters,
      item: `${dashboard.id}/${tile.id}`,
      cacheable: true,
    });
  }

  /** Runs an unsaved tile (edit mode's preview) as the calling user; needs EDIT access; never cached. */
  async previewTile(
    asking: Asking,
    dashboardId: string,
    tile: TileInput,
    filters: readonly FilterValueInput[],
  ): Promise<TileRun> {
    const session = requireUser(asking.principal);
    const dashboard = await this.#existing(session.workspaceId, dashboardId);
    await this.#require(session, dashboard, 'EDIT');
    const { tiles, problems } = checkTiles([tile]);
    assertNoProblems(
      problems.length > 0
        ? problems
        : await unboundPlaceholderProblems(
            tiles,
            dashboard.filters,
            await this.#dialect(dashboard.workspaceId, dashboard.domainId),
          ),
      'tile',
    );
    const sql = tiles[0]!.sql;
    return this.#run(asking, session, dashboard, {
      sql,
      parameters: parametersFor(dashboard.filters, filters),
      item: `${dashboard.id}/preview`,
      cacheable: false,
    });
  }

  /** The options of a select filter: its options SQL's first column as the calling user sees it. */
  async filterOptions(
    asking: Asking,
    dashboardId: string,
    filterId: string,
  ): Promise<{ values: string[]; truncated: boolean }> {
    const session = requireUser(asking.principal);
    const dashboard = await this.#existing(session.workspaceId, dashboardId);
    await this.#require(session, dashboard, 'VIEW');
    const filter = dashboard.filters.find((f) => f.id === filterId);
    if (!filter) throw notFound('Filter not found');
    if (filter.optionsSql === null) return { values: [], truncated: false };
    const result = await this.#run(asking, session, dashboard, {
      sql: filter.optionsSql,
      parameters: {},
      item: `${dashboard.id}/filters/${filter.id}`,
      cacheable: true,
      maxRows: MAX_FILTER_OPTIONS,
    });
    const values = new Set<string>();
    for (const row of result.rows) {
      const v = row[0];
      if (v !== null && v !== undefined) values.add(typeof v === 'string' ? v : String(v));
    }
    return { values: [...values], truncated: result.truncated };
  }

  /**
   * A tile's rows for export, up to EXPORT_MAX_ROWS, through the gate; never from the cache.
   * `urlFilters` are the export URL's values, read in the embed page's syntax (fromUrlSyntax).
   */
  async exportTile(
    asking: Asking,
    dashboardId: string,
    tileId: string,
    urlFilters: readonly FilterValueInput[],
  ): Promise<{ dashboard: Dashboard; tile: Tile; result: TileRun }> {
    const session = requireUser(asking.principal);
    const dashboard = await this.#existing(session.workspaceId, dashboardId);
    await this.#require(session, dashboard, 'VIEW');
    const tile = dashboard.tiles.find((t) => t.id === tileId);
    if (!tile) throw notFound('Tile not found');
    const filters = fromUrlSyntax(dashboard.filters, urlFilters);
    const parameters = parametersFor(dashboard.filters, filters);
    const result = await this.#run(asking, session, dashboard, {
      sql: tile.sql,
      parameters,
      item: `${dashboard.id}/${tile.id}/export`,
      cacheable: false,
      maxRows: EXPORT_MAX_ROWS,
    });
    return { dashboard, tile, result };
  }

  async #run(
    asking: Asking,
    session: SessionPrincipal,
    dashboard: Dashboard,
    query: {
      readonly sql: string;
      readonly parameters: Record<string, QueryParameter>;
      /** The saved item the audit names: `<dashboard>/<tile>`, `…/filters/<id>`, `…/export`. */
      readonly item: string;
      readonly cacheable: boolean;
      readonly maxRows?: number;
    },
  ): Promise<TileRun> {
    const { sql, parameters, item, cacheable, maxRows } = query;
    const cache =
      cacheable && dashboard.cacheTtlSeconds > 0
        ? this.#deps.cache.scope(
            `${dashboard.workspaceId}/${dashboard.id}@${dashboard.version}`,
            dashboard.cacheTtlSeconds,
          )
        : null;
    const result = await this.#deps.data().queries.run({
      caller: {
        workspaceId: session.workspaceId,
        userId: session.userId,
        transientAttributes: session.transientAttributes,
      },
      domainId: dashboard.domainId,
      sql,
      ...(Object.keys(parameters).length > 0 ? { parameters } : {}),
      origin: asking.origin,
      at: asking.at,
      savedItem: { type: 'dashboard', id: item },
      ...(maxRows === undefined ? {} : { maxRows }),
      ...(cache ? { resultCache: cache } : {}),
    });
    const hit = cache?.lookups.hit ?? null;
    return { ...result, cached: hit !== null, computedAt: hit?.computedAt ?? asking.at() };
  }

  /** Who a dashboard is shared with (EDIT access). */
  async shares(asking: Asking, dashboardId: string): Promise<DashboardShare[]> {
    const dashboard = await this.#existing(asking.principal.workspaceId, dashboardId);
    await this.#require(asking.principal, dashboard, 'EDIT');
    return q.listShares(this.#deps.db, dashboard.workspaceId, dashboard.id);
  }

  /**
   * compat `addScopeRoleAssignmentsForSharing`: grants each user the sharing role and, in the
   * same transaction, queues one notification email per new share, carrying `message`.
   */
  async share(
    asking: Asking,
    dashboardId: string,
    assignments: readonly ShareInput[],
    message: string | null,
  ): Promise<void> {
    const dashboard = await this.#existing(asking.principal.workspaceId, dashboardId);
    await this.#require(asking.principal, dashboard, 'EDIT');
    const problems = message === null ? [] : textProblems(message, 'message', MAX_MESSAGE_LENGTH, true);
    const { shares, users } = await this.#checkShares(dashboard.workspaceId, assignments, problems);
    const at = this.#deps.clock.now();
    const sharer = asking.principal.kind === 'session' ? asking.principal.email : 'An administrator';
    await this.#transaction(async (tx) => {
      if (!(await q.findDashboard(tx, dashboard.workspaceId, dashboard.id, true)))
        throw notFound('Dashboard not found');
      const added = await q.insertShares(tx, dashboard, shares, at);
      await enqueueMessages(
        tx,
        added.map((s) => ({
          workspaceId: dashboard.workspaceId,
          kind: 'dashboard-share',
          recipient: users.get(s.userId)!,
          subject: `${sharer} shared the dashboard "${dashboard.title}" with you`,
          body: shareEmailBody({
            sharer,
            dashboard,
            roleId: s.roleId,
            message,
            publicUrl: this.#deps.publicUrl,
          }),
        })),
        at,
      );
      await recordAudit(tx, asking.origin, {
        action: 'dashboard.share',
        workspaceId: dashboard.workspaceId,
        target: dashboard.id,
        details: {
          added: added.map((s) => ({ principalId: s.userId, roleId: s.roleId })),
          messageSent: message !== null && message.trim() !== '',
        },
        at,
      });
    });
  }

  /** compat `removeScopeRoleAssignmentsForSharing`: takes the roles back (ones not held are ignored). */
  async unshare(asking: Asking, dashboardId: string, assignments: readonly ShareInput[]): Promise<void> {
    const dashboard = await this.#existing(asking.principal.workspaceId, dashboardId);
    await this.#require(asking.principal, dashboard, 'EDIT');
    const { shares } = await this.#checkShares(dashboard.workspaceId, assignments, [], false);
    await this.#transaction(async (tx) => {
      const removed = await q.deleteShares(tx, dashboard.workspaceId, dashboard.id, shares);
      await recordAudit(tx, asking.origin, {
        action: 'dashboard.unshare',
        workspaceId: dashboard.workspaceId,
        target: dashboard.id,
        details: { removed, requested: shares.map((s) => ({ principalId: s.userId, roleId: s.roleId })) },
        at: this.#deps.clock.now(),
      });
    });
  }

  /**
   * Every assignment checked at once (role is a sharing role, principal a user of the workspace),
   * collapsed to unique pairs; all problems named, nothing written when there is one.
   */
  async #checkShares(
    workspaceId: string,
    assignments: readonly ShareInput[],
    problems: Problem[],
    usersMustExist = true,
  ): Promise<{ shares: { userId: string; roleId: string }[]; users: Map<string, string> }> {
    if (assignments.length === 0)
      problems.push({ code: 'BAD_USER_INPUT', field: 'scopeRoleAssignments', message: 'must not be empty' });
    if (assignments.length > MAX_SHARES_PER_CALL)
      problems.push({
        code: 'BAD_USER_INPUT',
        field: 'scopeRoleAssignments',
        message: `at most ${MAX_SHARES_PER_CALL} per call`,
      });
    const users = new Map<string, string>();
    const seen = new Set<string>();
    const shares: { userId: string; roleId: string }[] = [];
    for (const [i, a] of assignments.slice(0, MAX_SHARES_PER_CALL).entries()) {
      const at = `scopeRoleAssignments[${i}]`;
      if (a.roleId !== SHARE_ROLE_IDS.VIEWER && a.roleId !== SHARE_ROLE_IDS.EDITOR) {
        problems.push({
          code: 'BAD_USER_INPUT',
          field: `${at}.roleId`,
          item: a.roleId.slice(0, 80),
          message: 'must be a dashboard sharing role (…0008 viewer, …0009 editor)',
        });
        continue;
      }
      if (!users.has(a.principalId)) {
        const user =
          a.principalId.length <= 200 ? await this.#deps.users.find(workspaceId, a.principalId) : undefined;
        if (!user) {
          if (usersMustExist)
            problems.push({
              code: 'NOT_FOUND',
              field: `${at}.principalId`,
              item: a.principalId.slice(0, 80),
              message: 'no such user in this workspace',
            });
          continue;
        }
        users.set(a.principalId, user.email);
      }
      const key = `${a.principalId}\u0000${a.roleId}`;
      if (!seen.has(key)) shares.push({ userId: a.principalId, roleId: a.roleId });
      seen.add(key);
    }
    assertNoProblems(problems, 'sharing request');
    return { shares, users };
  }

  /** `tessera demo`'s "Sales overview" dashboard over the demo domain; left as it is when it exists. */
  ensureDemo(workspaceId: string, domainId: string, origin: AuditOrigin): Promise<Dashboard> {
    return this.ensureDashboard(demoDashboard(workspaceId, domainId), origin);
  }

  /** A dashboard created once under its fixed id (`tessera demo` is idempotent). */
  async ensureDashboard(
    dashboard: Omit<Dashboard, 'createdAt' | 'updatedAt' | 'version'>,
    origin: AuditOrigin,
  ): Promise<Dashboard> {
    const existing = await q.findDashboard(this.#deps.db, dashboard.workspaceId, dashboard.id);
    if (existing) return existing;
    const { problems: fp } = checkFilters(dashboard.filters);
    const { problems: tp } = checkTiles(dashboard.tiles);
    assertNoProblems(
      [
        ...fp,
        ...tp,
        ...(await unboundPlaceholderProblems(
          dashboard.tiles,
          dashboard.filters,
          await this.#dialect(dashboard.workspaceId, dashboard.domainId),
        )),
      ],
      'dashboard',
    );
    const now = this.#deps.clock.now();
    try {
      return await this.#insert(
        { ...dashboard, version: 1, createdAt: now, updatedAt: now },
        origin,
        'dashboard.create',
      );
    } catch (err) {
      // Two demo runs at once: the other one created it.
      const raced = await q.findDashboard(this.#deps.db, dashboard.workspaceId, dashboard.id);
      if (raced) return raced;
      throw err;
    }
  }

  /**
   * The SQL dialect a domain's tiles are read in: its connection's. A domain bound to no
   * connection yet (or an unknown one, which the save then refuses) is read as PostgreSQL, the
   * dialect of the built-in engines (docs/dashboards.md "Placeholders").
   */
  async #dialect(workspaceId: string, domainId: string): Promise<SqlDialect> {
    const data = this.#deps.data();
    const domain = domainId.length <= 200 ? await data.domains.find(workspaceId, domainId) : null;
    const connection = domain?.connectionId
      ? await data.connections.find(workspaceId, domain.connectionId)
      : null;
    return connection ? dialectOf(connection.engine) : 'postgres';
  }

  async #existing(workspaceId: string, id: string): Promise<Dashboard> {
    const dashboard = id.length <= 200 ? await q.findDashboard(this.#deps.db, workspaceId, id) : null;
    if (!dashboard) throw notFound('Dashboard not found');
    return dashboard;
  }

  /** What the principal may do with the dashboard, at least `needed`, else FORBIDDEN. */
  async #require(
    principal: Principal,
    dashboard: Dashboard,
    needed: DashboardAccess,
  ): Promise<DashboardAccess> {
    let access: DashboardAccess | null;
    if (principal.kind !== 'session') access = principal.permissions.has('data:admin') ? 'EDIT' : null;
    else {
      const [assignments, shareRoles] = await Promise.all([
        this.#activeAssignments(principal),
        q.shareRolesOf(this.#deps.db, dashboard.workspaceId, dashboard.id, principal.userId),
      ]);
      access = assignments === null ? null : userAccess(assignments, shareRoles, dashboard.domainId);
    }
    if (access === null)
      throw forbidden('You have no role in this dashboard’s domain and it is not shared with you');
    if (needed === 'EDIT' && access !== 'EDIT')
      throw forbidden('Changing this dashboard needs editing rights');
    return access;
  }

  /**
   * The session user's role assignments; null when the user is gone or not ACTIVE, and then they
   * may do nothing with any dashboard: neither roles nor shares count (INACTIVE and PENDING
   * sessions still authenticate, so this is the check that stops them).
   */
  async #activeAssignments(session: SessionPrincipal) {
    const user = await this.#deps.users.find(session.workspaceId, session.userId);
    if (user?.status !== 'ACTIVE') return null;
    return this.#deps.users.roleAssignments(session.userId);
  }

  async #transaction<T>(work: (tx: Executor) => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.#deps.db.transaction().execute(work);
      } catch (err) {
        if (attempt >= 5 || !isRetryableTransactionError(err)) throw err;
      }
    }
  }
}

function requireDataAdmin(p: Principal): void {
  if (p.kind === 'session' || !p.permissions.has('data:admin'))
    throw forbidden('This operation needs the data:admin permission');
}

function requireUser(p: Principal): SessionPrincipal {
  if (p.kind !== 'session') throw forbidden('Tiles run as a user: this needs a user session token');
  return p;
}

function staleVersion(current: number): AppError {
  return new AppError(
    'CONFLICT',
    `The dashboard changed since version you edited; it is at version ${current}`,
    {
      extra: { currentVersion: current },
    },
  );
}

/**
 * The parameters the dashboard's filters give its SQL (docs/dashboards.md "Filters"): every
 * filter's, a value given for the request, else the filter's default, else NULL. Which of them a
 * tile uses is the gate's to say, with the lexer its save was checked with: it binds the
 * placeholders it finds and ignores the rest, so no second reading of the SQL decides.
 * Values are only ever bound; an unknown filter or a value of the wrong shape is BAD_USER_INPUT.
 */
export function parametersFor(
  filters: readonly DashboardFilter[],
  values: readonly FilterValueInput[],
): Record<string, QueryParameter> {
  // A dashboard has at most LIMITS.filters filters, each given once: a longer list is refused
  // as one problem, not answered with one problem per entry.
  if (values.length > LIMITS.filters)
    throw badInput(`At most ${LIMITS.filters} filter values, one per filter`, [
      { code: 'BAD_USER_INPUT', field: 'filters', message: `at most ${LIMITS.filters} entries` },
    ]);
  const problems: Problem[] = [];
  const given = new Map<string, readonly string[]>();
  for (const [i, v] of values.entries()) {
    const filter = filters.find((f) => f.id === v.filterId);
    if (!filter) {
      problems.push({
        code: 'BAD_USER_INPUT',
        field: `filters[${i}].filterId`,
        item: v.filterId.slice(0, 80),
        message: 'no such filter',
      });
      continue;
    }
    if (given.has(filter.id))
      problems.push({
        code: 'BAD_USER_INPUT',
        field: `filters[${i}].filterId`,
        item: filter.id,
        message: 'given twice',
      });
    problems.push(...filterValueProblems(filter.type, v.values, `filters[${i}].values`));
    given.set(filter.id, v.values);
  }
  assertNoProblems(problems, 'filter values');
  const out: Record<string, QueryParameter> = {};
  for (const f of filters) {
    const names = parameterNamesOf(f);
    const chosen = given.get(f.id);
    const vals = chosen && chosen.length > 0 ? chosen : f.defaultValues;
    if (f.type === 'DATE_RANGE') {
      out[names[0]!] = vals[0] ?? null;
      out[names[1]!] = vals[1] ?? null;
    } else if (f.type === 'MULTI_SELECT') out[f.id] = vals.length > 0 ? [...vals] : null;
    else out[f.id] = vals[0] ?? null;
  }
  return out;
}

function shareEmailBody(share: {
  readonly sharer: string;
  readonly dashboard: Dashboard;
  readonly roleId: string;
  readonly message: string | null;
  readonly publicUrl: string;
}): string {
  const { sharer, dashboard, roleId, message, publicUrl } = share;
  const role = roleId === SHARE_ROLE_IDS.EDITOR ? 'view and edit' : 'view';
  const note = message && message.trim() !== '' ? `\n${sharer} wrote:\n\n${message.trim()}\n` : '';
  return `Hello,\n\n${sharer} shared the dashboard "${dashboard.title}" with you: you can now ${role} it.\n${note}\nOpen it from ${publicUrl}.\n`;
}
