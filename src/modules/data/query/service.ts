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
import type { GateColumnPolicy, RewrittenQuery } from '../../query-gate/index.ts';
import { redact, resolveConnection } from '../connections/resolve.ts';
import type { ConnectionService } from '../connections/service.ts';
import { type Connection, defaultSchemaOf, dialectOf, type ResolvedSettings } from '../connections/types.ts';
import type { DomainView } from '../domains/queries.ts';
import type { PoolManager } from '../engines/pools.ts';
import type { QueryOutput, ResultColumn } from '../engines/types.ts';
import { loadGate } from '../gate.ts';
import { listColumnPolicies } from '../policies/queries.ts';
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
  readonly maskedColumns: NonNullable<RewrittenQuery['maskedColumns']>;
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
    let failure: unknown = null;
    try {
      const full = await this.#plan(
        caller,
        domainId,
        sql,
        (p) => {
          plan = p;
        },
        true,
        request.parameters,
      );
      output = await this.#pools.use(full.settings, (pool) =>
        pool.run(
          full.rewritten.sql,
          full.rewritten.params,
          { timeoutMs: this.#config.queryTimeoutMs, maxRows: this.#config.maxRows },
          full.rewritten.policyChecks ?? [],
        ),
      );
    } catch (err) {
      failure = err;
    }
    // Exactly one record per query, whatever happened.
    await this.#audit(
      caller,
      domainId,
      sql,
      origin,
      at(),
      queryId,
      plan,
      started,
      output
        ? { rowCount: output.rows.length, truncated: output.truncated }
        : { errorCode: failure instanceof AppError ? failure.code : 'INTERNAL_SERVER_ERROR' },
    );
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
    const plan = await this.#plan(caller, domainId, sql, () => {}, false);
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
      maskedColumns: plan.rewritten.maskedColumns ?? [],
    };
  }

  async #plan(
    caller: QueryCaller,
    domainId: string,
    sql: string,
    progress: (p: Partial<Plan>) => void,
    enforceRole: boolean,
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
    if (enforceRole && (!access.canQuery || user.status !== 'ACTIVE')) {
      throw forbidden('Your role in this domain does not allow ad-hoc queries');
    }
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
    // Column policies are read fresh like everything else, so an edit applies on the next request
    // on every instance (they are part of the rewrite cache's key).
    const columnPolicies = await listColumnPolicies(this.#db, caller.workspaceId, domainId);
    const rewritten = await this.rewrites.rewrite(
      gate,
      {
        dialect: dialectOf(connection.engine),
        sql,
        tables: domain.tables.map((t) => {
          const masks = columnPolicies.filter((c) => c.schema === t.schema && c.table === t.name);
          return {
            schema: t.schema === baseSchema ? settings.schema : t.schema,
            name: t.name,
            policy: t.policy,
            ...(masks.length === 0
              ? {}
              : {
                  columns: masks[0]!.tableColumns,
                  columnPolicies: masks.map((c) => ({
                    column: c.column,
                    mask: c.mask,
                    maskText: c.maskText,
                    maskExpression: c.maskExpression as GateColumnPolicy['maskExpression'],
                    condition: c.condition,
                  })),
                }),
          };
        }),
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
    outcome: { rowCount?: number; truncated?: boolean; errorCode?: string },
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

const sha256 = (text: string) => createHash('sha256').update(text, 'utf8').digest('hex');
