import { createHash } from 'node:crypto';
import type { Config } from '../../../config.ts';
import { Batcher } from '../../../db/batcher.ts';
import type { Db } from '../../../db/index.ts';
import { AppError, badInput, forbidden, notFound } from '../../../errors.ts';
import { newId } from '../../../ids.ts';
import { attributeValues } from '../../attributes/effective.ts';
import {
  type AuditEventInput,
  type AuditOrigin,
  auditEvent,
  recordAuditEvents,
} from '../../audit/service.ts';
import type { RewrittenQuery } from '../../query-gate/index.ts';
import { redact, resolveConnection } from '../connections/resolve.ts';
import type { ConnectionService } from '../connections/service.ts';
import { type Connection, defaultSchemaOf, dialectOf, type ResolvedSettings } from '../connections/types.ts';
import type { DomainView } from '../domains/queries.ts';
import type { PoolManager } from '../engines/pools.ts';
import type { QueryOutput, ResultColumn } from '../engines/types.ts';
import { loadGate } from '../gate.ts';
import { type DomainAccess, domainAccess } from './access.ts';
import { RewriteCache } from './rewrite-cache.ts';
import { readQuerySnapshot } from './snapshot.ts';

/** The user a query runs for: from a session token, or named by an administrator (explainAccess). */
export interface QueryCaller {
  readonly workspaceId: string;
  readonly userId: string;
  readonly transientAttributes: ReadonlyMap<string, string>;
}

export interface QueryResult {
  readonly queryId: string;
  readonly columns: readonly ResultColumn[];
  readonly rows: readonly (readonly unknown[])[];
  readonly rowCount: number;
  readonly truncated: boolean;
}

export interface AccessExplanation {
  readonly allowed: boolean;
  readonly roles: readonly string[];
  readonly policiesApplied: boolean;
  readonly sql: string;
  readonly params: readonly unknown[];
  readonly connection: ReturnType<typeof redact>;
  readonly tables: RewrittenQuery['tables'];
  readonly policies: RewrittenQuery['policies'];
  readonly attributesUsed: readonly string[];
}

/** A value for a `{{name}}` placeholder in a query's SQL: always bound, never spliced. */
export type QueryParameter = string | number | boolean | null | readonly (string | number)[];

/** One query to run as a user. */
export interface QueryRequest {
  readonly caller: QueryCaller;
  readonly domainId: string;
  readonly sql: string;
  /**
   * Values for the `{{name}}` placeholders in `sql` (dashboard filters). Each is bound as a
   * parameter by the gate; a name the SQL does not use is ignored.
   */
  readonly parameters?: Readonly<Record<string, QueryParameter>>;
  /** Who asked, for the audit record. */
  readonly origin: AuditOrigin;
  readonly at: () => Date;
  /**
   * A saved query the calling module has already authorized this user to run (a tile of a
   * dashboard they may view): the ad-hoc query role check is skipped, nothing else is. The user
   * must be ACTIVE and the gate applies their policies as for any query; the audit names the item.
   */
  readonly savedItem?: { readonly type: string; readonly id: string };
  /** The row cap, instead of TESSERA_QUERY_MAX_ROWS (exports ask for more). */
  readonly maxRows?: number;
  /** Results already read for exactly what this query runs as (docs/dashboards.md "The result cache"). */
  readonly resultCache?: QueryResultCache;
}

/**
 * Where `run` looks for a result before executing, and keeps the one it read. The key is a
 * digest of what reaches the warehouse: the rewritten SQL, every bound value, the connection
 * settings it runs with and the row cap, so only requests that would run the very same
 * statement in the very same place share an entry.
 */
export interface QueryResultCache {
  get(key: string): QueryOutput | undefined;
  set(key: string, output: QueryOutput): void;
}

const MAX_SQL_LENGTH = 100_000;

interface Plan {
  readonly domain: DomainView;
  readonly connection: Connection;
  readonly settings: ResolvedSettings;
  readonly rewritten: RewrittenQuery;
  readonly attributesHash: string;
  readonly access: DomainAccess;
  readonly policiesApplied: boolean;
}

/**
 * The executor around the query gate (docs/data-access.md "Enforcement: one gate"): the user's role on the domain, their
 * effective attributes, the connection those attributes resolve to, the gate's rewrite, then a
 * READ ONLY transaction with a statement timeout and a row cap; one audit record per query.
 */
export class QueryService {
  readonly #db: Db;
  readonly #config: Config['data'];
  readonly #connections: ConnectionService;
  readonly #pools: PoolManager;
  /** Per instance; correct across instances because its key is read fresh each request. */
  readonly rewrites = new RewriteCache();

  /**
   * Audit records are group-committed: the records of queries that finish while one INSERT is
   * being written go into the next one, so concurrent queries share a commit (its WAL flush is
   * most of a lone query's cost). Each query is still answered only once its record is committed.
   */
  readonly #auditBatch: Batcher<AuditEventInput, undefined>;

  /** `auditInFlight`: audit INSERTs at once (1 for PGlite's single session, a few for a pool). */
  constructor(
    db: Db,
    config: Config['data'],
    connections: ConnectionService,
    pools: PoolManager,
    auditInFlight = 1,
  ) {
    this.#db = db;
    this.#auditBatch = new Batcher(
      async (events) => {
        await recordAuditEvents(db, events);
        return events.map(() => undefined);
      },
      { maxInFlight: auditInFlight },
    );
    this.#config = config;
    this.#connections = connections;
    this.#pools = pools;
  }

  /** Runs a user's ad-hoc query; every outcome (refusals included) leaves one audit record. */
  async run(request: QueryRequest): Promise<QueryResult> {
    const { caller, domainId, sql, origin, at } = request;
    checkSql(sql);
    const queryId = newId('qry');
    const started = performance.now();
    let plan: Partial<Plan> = {};
    let output: QueryOutput | null = null;
    let cached = false;
    let failure: unknown = null;
    try {
      const full = await this.#plan(
        caller,
        domainId,
        sql,
        (p) => {
          plan = p;
        },
        request.savedItem === undefined ? 'adHoc' : 'saved',
        request.parameters,
      );
      const maxRows = request.maxRows ?? this.#config.maxRows;
      const cacheKey = request.resultCache ? resultCacheKey(full, maxRows) : null;
      const hit = cacheKey === null ? undefined : request.resultCache!.get(cacheKey);
      cached = hit !== undefined;
      output =
        hit ??
        (await this.#pools.use(full.settings, (pool) =>
          pool.run(
            full.rewritten.sql,
            full.rewritten.params,
            { timeoutMs: this.#config.queryTimeoutMs, maxRows },
            full.rewritten.policyChecks ?? [],
          ),
        ));
      if (cacheKey !== null && !cached) request.resultCache!.set(cacheKey, output);
    } catch (err) {
      failure = err;
    }
    // Exactly one record per query, whatever happened.
    await this.#audit(caller, domainId, sql, origin, at(), queryId, plan, started, {
      ...(output
        ? { rowCount: output.rows.length, truncated: output.truncated, ...(cached ? { cached } : {}) }
        : { errorCode: failure instanceof AppError ? failure.code : 'INTERNAL_SERVER_ERROR' }),
      ...(request.savedItem ? { savedItem: request.savedItem } : {}),
    });
    if (!output) throw failure;
    return {
      queryId,
      columns: output.columns,
      rows: output.rows,
      rowCount: output.rows.length,
      truncated: output.truncated,
    };
  }

  /** What a user's query would become, and where it would run, without running it (`data:admin`). */
  async explain(caller: QueryCaller, domainId: string, sql: string): Promise<AccessExplanation> {
    checkSql(sql);
    const plan = await this.#plan(caller, domainId, sql, () => {}, 'none');
    return {
      allowed: plan.access.canQuery,
      roles: plan.access.roles,
      policiesApplied: plan.policiesApplied,
      sql: plan.rewritten.sql,
      params: plan.rewritten.params,
      connection: redact(plan.settings),
      tables: plan.rewritten.tables,
      policies: plan.rewritten.policies,
      attributesUsed: plan.rewritten.attributesUsed,
    };
  }

  async #plan(
    caller: QueryCaller,
    domainId: string,
    sql: string,
    progress: (p: Partial<Plan>) => void,
    /** adHoc: the role must allow ad-hoc queries; saved: the caller authorized the item; none: explain. */
    check: 'adHoc' | 'saved' | 'none',
    parameters?: QueryRequest['parameters'],
  ): Promise<Plan> {
    const snapshot = await readQuerySnapshot(
      this.#db,
      caller.workspaceId,
      caller.userId,
      domainId,
      caller.transientAttributes,
    );
    const { user, domain, settings: dataSettings } = snapshot;
    if (!user) throw notFound('User not found');
    if (!domain) throw notFound('Domain not found');
    const access = domainAccess(snapshot.assignments, domainId);
    if (check === 'adHoc' && (!access.canQuery || user.status !== 'ACTIVE')) {
      throw forbidden('Your role in this domain does not allow ad-hoc queries');
    }
    if (check === 'saved' && user.status !== 'ACTIVE') throw forbidden('The user is not active');
    if (domain.connectionId === null)
      throw new AppError('CONFLICT', 'The domain is not bound to a connection');
    if (!snapshot.connection) throw notFound('Connection not found');
    const connection = this.#connections.open(snapshot.connection);
    const attributes = attributeValues(snapshot.attributes);
    const attributesHash = sha256(
      JSON.stringify([...attributes].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))),
    );
    progress({ domain, connection, attributesHash, access });
    const settings = resolveConnection(connection, attributes);
    progress({ domain, connection, settings, attributesHash, access });
    const policiesApplied = !access.isAdmin || dataSettings.rowPoliciesApplyToAdmins;
    // Tables listed in the connection's base schema follow a mapping's schema (or, on MySQL, its
    // database) override, so one domain serves every tenant's copy of the same tables.
    const baseSchema = connection.schema ?? defaultSchemaOf(connection.engine, connection.database);
    const gate = await loadGate();
    const rewritten = await this.rewrites.rewrite(
      gate,
      {
        dialect: dialectOf(connection.engine),
        sql,
        tables: domain.tables.map((t) => ({
          schema: t.schema === baseSchema ? settings.schema : t.schema,
          name: t.name,
          policy: t.policy,
        })),
        defaultSchema: settings.schema,
        user: { email: user.email, attributes },
        applyPolicies: policiesApplied,
        requirePolicies: dataSettings.requireRowPolicies,
        ...(parameters === undefined ? {} : { parameters }),
      },
      domain,
    );
    const plan: Plan = { domain, connection, settings, rewritten, attributesHash, access, policiesApplied };
    progress(plan);
    return plan;
  }

  async #audit(
    caller: QueryCaller,
    domainId: string,
    sql: string,
    origin: AuditOrigin,
    at: Date,
    queryId: string,
    plan: Partial<Plan>,
    started: number,
    outcome: {
      rowCount?: number;
      truncated?: boolean;
      cached?: boolean;
      errorCode?: string;
      savedItem?: { type: string; id: string };
    },
  ): Promise<void> {
    await this.#auditBatch.add(
      auditEvent(
        { ...origin, actorUserId: caller.userId },
        at,
        caller.workspaceId,
        'data.query',
        { type: 'domain', id: domainId },
        {
          queryId,
          sql,
          rewrittenSqlSha256: plan.rewritten ? sha256(plan.rewritten.sql) : null,
          attributesSha256: plan.attributesHash ?? null,
          attributesUsed: plan.rewritten?.attributesUsed ?? [],
          connectionId: plan.connection?.id ?? null,
          credentialMapping: plan.settings?.mappingIndex ?? null,
          policiesApplied: plan.policiesApplied ?? null,
          durationMs: Math.round(performance.now() - started),
          ...outcome,
        },
        outcome.errorCode ? 'FAILURE' : 'SUCCESS',
      ),
    );
  }
}

function checkSql(sql: string): void {
  if (sql.trim().length === 0 || sql.length > MAX_SQL_LENGTH) {
    throw badInput(`The SQL must be 1 to ${MAX_SQL_LENGTH} characters`, [
      { code: 'BAD_USER_INPUT', field: 'sql', message: `must be 1 to ${MAX_SQL_LENGTH} characters` },
    ]);
  }
}

/** The digest of what a query runs: statement, bound values, where, as whom, and how many rows. */
function resultCacheKey(plan: Plan, maxRows: number): string {
  const s = plan.settings;
  return sha256(
    JSON.stringify([
      [s.connectionId, s.engine, s.host, s.port, s.database, s.user, s.password, s.schema, s.tls],
      plan.rewritten.sql,
      plan.rewritten.params,
      plan.rewritten.policyChecks ?? [],
      maxRows,
    ]),
  );
}

const sha256 = (text: string) => createHash('sha256').update(text, 'utf8').digest('hex');
