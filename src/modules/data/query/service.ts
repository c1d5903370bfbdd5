import { createHash } from 'node:crypto';
import type { Config } from '../../../config.ts';
import { translateDatabaseFailure } from '../../../db/errors.ts';
import type { Db } from '../../../db/index.ts';
import { AppError, badInput, forbidden, notFound } from '../../../errors.ts';
import { newId } from '../../../ids.ts';
import { attributeValues } from '../../attributes/effective.ts';
import type { QueryRecord } from '../../audit/actions.ts';
import type { AuditOrigin, AuditTrail } from '../../audit/service.ts';
import type { GateColumnPolicy, RewrittenQuery } from '../../query-gate/index.ts';
import { redact, resolveConnection } from '../connections/resolve.ts';
import type { ConnectionService } from '../connections/service.ts';
import {
  type Connection,
  defaultSchemaOf,
  dialectOf,
  isBaseSchema,
  type ResolvedSettings,
} from '../connections/types.ts';
import type { DomainView } from '../domains/queries.ts';
import type { PoolManager } from '../engines/pools.ts';
import type { QueryOutput, ResultColumn } from '../engines/types.ts';
import { loadGate } from '../gate.ts';
import { type DomainAccess, domainAccess } from './access.ts';
import { FenceMemory } from './fence-memory.ts';
import { RewriteCache } from './rewrite-cache.ts';
import { type QuerySnapshot, readQuerySnapshot, type SnapshotColumnPolicy } from './snapshot.ts';
import { SnapshotCache } from './snapshot-cache.ts';

/** The user a query runs for: from a session token, or named by an administrator (explainAccess). */
export interface QueryCaller {
  readonly workspaceId: string;
  readonly userId: string;
  readonly transientAttributes: ReadonlyMap<string, string>;
  /**
   * The workspace's snapshot version, read with the session check this request already made; a
   * snapshot cached under it is used instead of reading one (absent: read fresh).
   */
  readonly snapshotVersion?: string;
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

/** Which role check a query gets: adHoc (the role must allow ad-hoc queries), saved (the caller authorized the item), none (explain). */
type RoleCheck = 'adHoc' | 'saved' | 'none';

const MAX_SQL_LENGTH = 100_000;
/** Digests of rewritten SQL kept; the texts themselves are the rewrite cache's (at most 500 entries). */
const MAX_SQL_DIGESTS = 500;
/** Longer texts are digested every time, so the digests pin at most ~4M characters of SQL. */
const MAX_DIGESTED_SQL_CHARS = 8000;

/**
 * How far a query's plan got. Each step adds to the one before; a query refused part-way keeps
 * what was known by then, which is what its audit record tells (the connection, the attributes'
 * hash, the credential mapping, the rewrite).
 */
type Plan = Started | Located | Resolved | Ready;

/** Nothing known yet: the caller, the domain or its connection was not found, or not allowed. */
interface Started {
  readonly stage: 'started';
}

/** The domain and its connection, with the user's effective attributes. */
interface Located {
  readonly stage: 'located';
  readonly user: NonNullable<QuerySnapshot['user']>;
  readonly domain: DomainView;
  readonly connection: Connection;
  readonly dataSettings: QuerySnapshot['settings'];
  readonly columnPolicies: readonly SnapshotColumnPolicy[];
  readonly access: DomainAccess;
  readonly attributes: ReadonlyMap<string, string>;
  readonly attributesHash: string;
  /** The snapshot's derived values this plan was built from, for `resolve` to complete. */
  readonly derived: Derived;
}

/**
 * Pure functions of one snapshot, each computed the first time a request needs it: the user's
 * access to the domain, the opened connection (its secrets unsealed) with the user's attribute
 * values and their hash, and the settings those values resolve to.
 */
interface Derived {
  readonly access: DomainAccess;
  opened: {
    readonly connection: Connection;
    readonly attributes: ReadonlyMap<string, string>;
    readonly attributesHash: string;
  } | null;
  settings: ResolvedSettings | null;
}

/** The connection settings the user's attributes resolve to (docs/data-access.md "Credential mappings"). */
interface Resolved extends Omit<Located, 'stage'> {
  readonly stage: 'resolved';
  readonly settings: ResolvedSettings;
}

/** The gate's rewrite: ready to run. */
interface Ready extends Omit<Resolved, 'stage'> {
  readonly stage: 'ready';
  readonly rewritten: RewrittenQuery;
  readonly policiesApplied: boolean;
}

/** What became of a query: its result's size, or the code of the error that refused or failed it. */
type QueryOutcome = { readonly durationMs: number } & (
  | { readonly rowCount: number; readonly truncated: boolean; readonly cached?: boolean }
  | { readonly errorCode: string }
);

export interface QueryServiceDeps {
  readonly db: Db;
  readonly config: Config['data'];
  readonly connections: ConnectionService;
  readonly pools: PoolManager;
  /** Where each query's record goes, group-committed with the records of concurrent queries. */
  readonly audit: AuditTrail;
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
  /** Per instance; correct across instances because its key comes from the current snapshot. */
  readonly rewrites = new RewriteCache();
  /** Per instance; correct across instances because its version is read with the session check. */
  readonly snapshots = new SnapshotCache();
  /** Tables whose wrappers run fenced in every query, per instance (see FenceMemory). */
  readonly fences = new FenceMemory();
  /**
   * What each snapshot implies, worked out once per snapshot object: a cached snapshot is the
   * same object on every hit, and a new version is a new object, so nothing here outlives the
   * data it was derived from (see Derived).
   */
  readonly #derived = new WeakMap<QuerySnapshot, Derived>();
  /** The SHA-256 of each short rewritten SQL recently audited: the rewrite cache hands out the same texts. */
  readonly #sqlDigests = new Map<string, string>();

  /**
   * Records are group-committed (concurrent queries share an INSERT and its WAL flush, most of a
   * lone query's cost); each query is still answered only once its record is committed.
   */
  readonly #audit: AuditTrail;

  constructor(deps: QueryServiceDeps) {
    this.#db = deps.db;
    this.#audit = deps.audit;
    this.#config = deps.config;
    this.#connections = deps.connections;
    this.#pools = deps.pools;
  }

  /**
   * Runs a user's ad-hoc query; every outcome (refusals included) leaves one audit record. A
   * query that runs has its record written while it runs (STARTED), and is answered only once
   * both are done; its outcome is filled in afterwards, without holding the answer
   * (docs/data-access.md "Running queries: runQuery").
   */
  async run(request: QueryRequest): Promise<QueryResult> {
    const { caller, domainId, sql } = request;
    checkSql(sql);
    const queryId = newId('qry');
    const started = performance.now();
    const took = () => Math.round(performance.now() - started);
    let plan: Plan = { stage: 'started' };
    let ready: Ready;
    try {
      plan = await this.#locate(caller, domainId, request.savedItem === undefined ? 'adHoc' : 'saved');
      plan = resolve(plan);
      plan = ready = await this.#rewrite(plan, request);
    } catch (err) {
      // Refused before running: the one record holds the refusal, committed before the answer.
      await this.#record(request, recordOf(request, queryId, plan, this.#sqlDigest), {
        durationMs: took(),
        errorCode: codeOf(err),
      });
      throw err;
    }
    const maxRows = request.maxRows ?? this.#config.maxRows;
    const cacheKey = request.resultCache ? resultCacheKey(ready, maxRows) : null;
    const hit = cacheKey === null ? undefined : request.resultCache?.get(cacheKey);
    if (hit !== undefined) {
      const outcome = {
        durationMs: took(),
        rowCount: hit.rows.length,
        truncated: hit.truncated,
        cached: true,
      };
      await this.#record(request, recordOf(request, queryId, ready, this.#sqlDigest), outcome);
      return answer(queryId, hit);
    }
    // The record's commit (a WAL flush) and the warehouse statement overlap; the rows are
    // answered only once both are done, so no answered query lacks its record.
    const [intent, ran] = await Promise.allSettled([
      this.#audit.start(
        this.#origin(request),
        this.#event(request, recordOf(request, queryId, ready, this.#sqlDigest)),
      ),
      this.#execute(ready, request, maxRows),
    ]);
    if (intent.status === 'rejected') throw intent.reason;
    if (ran.status === 'rejected') {
      this.#audit.finish(intent.value, 'FAILURE', { durationMs: took(), errorCode: codeOf(ran.reason) });
      throw ran.reason;
    }
    const { output } = ran.value;
    // A refused kind proof made the query run again fenced: the record names what ran.
    const rewrote = ran.value.plan.rewritten.sql !== ready.rewritten.sql;
    this.#audit.finish(intent.value, 'SUCCESS', {
      durationMs: took(),
      rowCount: output.rows.length,
      truncated: output.truncated,
      ...(rewrote ? { rewrittenSqlSha256: this.#sqlDigest(ran.value.plan.rewritten.sql) } : {}),
    });
    if (cacheKey !== null) request.resultCache?.set(cacheKey, output);
    return answer(queryId, output);
  }

  /** What a user's query would become, and where it would run, without running it (`data:admin`). */
  async explain(caller: QueryCaller, domainId: string, sql: string): Promise<AccessExplanation> {
    checkSql(sql);
    const located = await this.#locate(caller, domainId, 'none');
    const plan = await this.#rewrite(resolve(located), { sql });
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

  /** The snapshot for this request: the cached one if its version is current, else read fresh. */
  async #snapshot(caller: QueryCaller, domainId: string): Promise<QuerySnapshot> {
    const version = caller.snapshotVersion;
    if (version === undefined) return readQuerySnapshot(this.#db, caller, domainId);
    const owner = { ...caller, domainId };
    const hit = this.snapshots.get(owner, version);
    if (hit !== undefined) return hit;
    const snapshot = await readQuerySnapshot(this.#db, caller, domainId);
    this.snapshots.set(owner, version, snapshot);
    return snapshot;
  }

  /** The user, the domain and its connection as of this request; `check` refuses a user who may not query. */
  async #locate(caller: QueryCaller, domainId: string, check: RoleCheck): Promise<Located> {
    const snapshot = await this.#snapshot(caller, domainId);
    const { user, domain } = snapshot;
    if (!user) throw notFound('User not found');
    if (!domain) throw notFound('Domain not found');
    let derived = this.#derived.get(snapshot);
    if (derived === undefined) {
      derived = { access: domainAccess(snapshot.assignments, domainId), opened: null, settings: null };
      this.#derived.set(snapshot, derived);
    }
    const { access } = derived;
    if (check === 'adHoc' && (!access.canQuery || user.status !== 'ACTIVE')) {
      throw forbidden('Your role in this domain does not allow ad-hoc queries');
    }
    if (check === 'saved' && user.status !== 'ACTIVE') throw forbidden('The user is not active');
    if (domain.connectionId === null)
      throw new AppError('CONFLICT', 'The domain is not bound to a connection');
    if (!snapshot.connection) throw notFound('Connection not found');
    if (derived.opened === null) {
      const attributes = attributeValues(snapshot.attributes);
      derived.opened = {
        connection: this.#connections.open(snapshot.connection),
        attributes,
        attributesHash: sha256(
          JSON.stringify([...attributes].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))),
        ),
      };
    }
    return {
      stage: 'located',
      user,
      domain,
      ...derived.opened,
      dataSettings: snapshot.settings,
      columnPolicies: snapshot.columnPolicies,
      access,
      derived,
    };
  }

  /** The gate's rewrite of the query for the user, on the tables of the domain as the settings name them. */
  async #rewrite(plan: Resolved, query: RewriteInput): Promise<Ready> {
    const { sql, parameters, fence } = query;
    const { domain, connection, settings, access, dataSettings, columnPolicies } = plan;
    const policiesApplied = !access.isAdmin || dataSettings.rowPoliciesApplyToAdmins;
    // Tables listed in the connection's base schema follow a mapping's schema (or, on MySQL, its
    // database) override, so one domain serves every tenant's copy of the same tables.
    const baseSchema = connection.schema ?? defaultSchemaOf(connection.engine, connection.database);
    const gate = await loadGate();
    // Column policies come with the snapshot, so an edit applies on the next request
    // on every instance (they are part of the rewrite cache's key).
    const rewritten = await this.rewrites.rewrite(
      gate,
      {
        dialect: dialectOf(connection.engine),
        sql,
        tables: domain.tables.map((t) => {
          const masks = columnPolicies.filter((c) => c.schema === t.schema && c.table === t.name);
          return {
            schema: isBaseSchema(connection.engine, t.schema, baseSchema) ? settings.schema : t.schema,
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
        user: { email: plan.user.email, attributes: plan.attributes },
        applyPolicies: policiesApplied,
        requirePolicies: dataSettings.requireRowPolicies,
        ...(parameters === undefined ? {} : { parameters }),
        ...(fence === undefined ? {} : { fence }),
      },
      domain,
    );
    return { ...plan, stage: 'ready', rewritten, policiesApplied };
  }

  /**
   * Runs the rewritten query in a READ ONLY transaction, with the statement timeout and the row
   * cap. A wrapper the gate left without its fence carries a kind proof; when the server refuses
   * one (the table is a view or a foreign table), the query runs again with every wrapper fenced,
   * and that table goes fenced directly from then on (docs/query-gate.md, "When the fence is dropped").
   */
  #execute(plan: Ready, query: RewriteInput, maxRows: number): Promise<{ plan: Ready; output: QueryOutput }> {
    const limits = { timeoutMs: this.#config.queryTimeoutMs, maxRows };
    const fenced = () => this.#rewrite({ ...plan, stage: 'resolved' }, { ...query, fence: 'always' });
    return this.#pools.use(plan.settings, async (pool) => {
      const run = async (ready: Ready) => ({
        plan: ready,
        output: await pool.run(
          ready.rewritten.sql,
          ready.rewritten.params,
          { ...limits, fenceDropped: (ready.rewritten.fenceProofs?.length ?? 0) > 0 },
          ready.rewritten.policyChecks,
        ),
      });
      if (await this.fences.mustFence(plan.settings, plan.rewritten, pool)) return run(await fenced());
      try {
        return await run(plan);
      } catch (err) {
        // The fenced rewrite has no kind proof: a policy proof it fails is the user's error.
        if (!this.fences.refused(plan.settings, plan.rewritten, err)) throw err;
        return run(await fenced());
      }
    });
  }

  /** Writes a query's one complete record (a refusal, or a cached answer); resolves once committed. */
  async #record(request: QueryRequest, details: QueryRecord, outcome: QueryOutcome): Promise<void> {
    const event = this.#event(request, { ...details, ...outcome });
    await this.#audit.record(this.#origin(request), {
      ...event,
      outcome: 'errorCode' in outcome ? 'FAILURE' : 'SUCCESS',
    });
  }

  /** The SHA-256 of a rewritten SQL for its audit record, remembered for the last few hundred texts. */
  readonly #sqlDigest = (sql: string): string => {
    let digest = this.#sqlDigests.get(sql);
    if (digest === undefined) {
      digest = sha256(sql);
      if (sql.length > MAX_DIGESTED_SQL_CHARS) return digest;
      if (this.#sqlDigests.size >= MAX_SQL_DIGESTS)
        this.#sqlDigests.delete(this.#sqlDigests.keys().next().value!);
      this.#sqlDigests.set(sql, digest);
    }
    return digest;
  };

  #origin(request: QueryRequest): AuditOrigin {
    return { ...request.origin, actorUserId: request.caller.userId };
  }

  #event(request: QueryRequest, details: QueryRecord) {
    return {
      action: 'data.query',
      workspaceId: request.caller.workspaceId,
      target: request.domainId,
      details: request.savedItem ? { ...details, savedItem: request.savedItem } : details,
      at: request.at(),
    } as const;
  }
}

/** A query's record without its outcome: what was known of it when it was refused or began to run. */
function recordOf(
  request: QueryRequest,
  queryId: string,
  plan: Plan,
  digest: (sql: string) => string,
): QueryRecord {
  const located = plan.stage === 'started' ? null : plan;
  const resolved = plan.stage === 'resolved' || plan.stage === 'ready' ? plan : null;
  const ready = plan.stage === 'ready' ? plan : null;
  return {
    queryId,
    sql: request.sql,
    rewrittenSqlSha256: ready ? digest(ready.rewritten.sql) : null,
    attributesSha256: located?.attributesHash ?? null,
    attributesUsed: ready?.rewritten.attributesUsed ?? [],
    connectionId: located?.connection.id ?? null,
    credentialMapping: resolved?.settings.mappingIndex ?? null,
    policiesApplied: ready?.policiesApplied ?? null,
  };
}

/** What a query answers: its rows, as read or as the result cache kept them. */
function answer(queryId: string, output: QueryOutput): QueryResult {
  return {
    queryId,
    columns: output.columns,
    rows: output.rows,
    rowCount: output.rows.length,
    truncated: output.truncated,
  };
}

/**
 * The code a failed query's record keeps: the one its client was answered. Tessera's own database
 * failing under the query (a statement timeout, a lost connection, the client gone) is answered by
 * its translation, not as a 500; only what is unknown is INTERNAL_SERVER_ERROR.
 */
const codeOf = (err: unknown) =>
  err instanceof AppError ? err.code : (translateDatabaseFailure(err)?.code ?? 'INTERNAL_SERVER_ERROR');

/** What the gate rewrites: the user's query, and whether every wrapper must keep its fence. */
type RewriteInput = Pick<QueryRequest, 'sql' | 'parameters'> & { readonly fence?: 'always' };

/**
 * The connection settings the user's attributes select (a credential mapping, or the base ones),
 * kept with the snapshot they follow from; a refusal (no mapping matches under DENY) is kept
 * nowhere and so is thrown again on every request.
 */
function resolve(plan: Located): Resolved {
  plan.derived.settings ??= resolveConnection(plan.connection, plan.attributes);
  return { ...plan, stage: 'resolved', settings: plan.derived.settings };
}

function checkSql(sql: string): void {
  if (sql.trim().length === 0 || sql.length > MAX_SQL_LENGTH) {
    throw badInput(`The SQL must be 1 to ${MAX_SQL_LENGTH} characters`, [
      { code: 'BAD_USER_INPUT', field: 'sql', message: `must be 1 to ${MAX_SQL_LENGTH} characters` },
    ]);
  }
}

/** The digest of what a query runs: statement, bound values, where, as whom, and how many rows. */
function resultCacheKey(plan: Ready, maxRows: number): string {
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
