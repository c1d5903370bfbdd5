import type { Transaction } from 'kysely';
import type { Clock } from '../../../clock.ts';
import { isForeignKeyViolation, isUniqueViolation } from '../../../db/errors.ts';
import type { Database, Db } from '../../../db/index.ts';
import { AppError, assertNoProblems, echo, notFound, type Problem } from '../../../errors.ts';
import { newId } from '../../../ids.ts';
import { type AuditOrigin, auditEvent, recordAuditEvents } from '../../audit/service.ts';
import type { ConnectionService } from '../connections/service.ts';
import { type Connection, defaultSchemaOf } from '../connections/types.ts';
import type { DiscoveredTable } from '../engines/types.ts';
import type { PolicyChecker } from '../policies/checker.ts';
import { BUILT_IN_DOMAIN_ID } from './catalog.ts';
import {
  assignmentsReferencing,
  type DomainView,
  deleteDomain,
  findDomain,
  insertDomain,
  loadDomains,
  lockDomain,
  replaceTables,
  updateDomain,
} from './queries.ts';

export interface TableRefInput {
  readonly schema?: string | null | undefined;
  readonly name: string;
}

export interface DomainInput {
  readonly name?: string | null | undefined;
  readonly description?: string | null | undefined;
  /** null unbinds (only when the domain has no tables). */
  readonly connectionId?: string | null | undefined;
  /** Replaces the table list; policies of tables that stay are kept. */
  readonly tables?: readonly TableRefInput[] | null | undefined;
}

const MAX_TABLES = 1000;
const IDENT_MAX = 128;

/** Domains: named sets of tables of one connection; role scopes name them (docs/data-access.md "Domains"). */
export class DomainService {
  readonly #db: Db;
  readonly #clock: Clock;
  readonly #connections: ConnectionService;
  readonly #policies: PolicyChecker;

  constructor(db: Db, clock: Clock, connections: ConnectionService, policies: PolicyChecker) {
    this.#db = db;
    this.#clock = clock;
    this.#connections = connections;
    this.#policies = policies;
  }

  /** Every domain of the workspace, the built-in `default` one first. */
  async list(workspaceId: string): Promise<DomainView[]> {
    const rows = await loadDomains(this.#db, workspaceId, null);
    const builtIn =
      rows.find((d) => d.isBuiltIn) ?? (await findDomain(this.#db, workspaceId, BUILT_IN_DOMAIN_ID))!;
    return [builtIn, ...rows.filter((d) => !d.isBuiltIn)];
  }

  find(workspaceId: string, id: string): Promise<DomainView | null> {
    return findDomain(this.#db, workspaceId, id);
  }

  async get(workspaceId: string, id: string): Promise<DomainView> {
    const d = await this.find(workspaceId, id);
    if (!d) throw notFound('Domain not found');
    return d;
  }

  async create(workspaceId: string, input: DomainInput, origin: AuditOrigin): Promise<DomainView> {
    return this.#save(workspaceId, null, input, origin);
  }

  /** Updates a domain; `default` is materialized on its first update (it always exists). */
  async update(
    workspaceId: string,
    id: string,
    input: DomainInput,
    origin: AuditOrigin,
  ): Promise<DomainView> {
    return this.#save(workspaceId, id, input, origin);
  }

  /**
   * Deletes a domain. Refused with CONFLICT while role assignments (of users or groups) still
   * name it: deleting would silently take access away, so the caller removes those scopes first.
   */
  async delete(workspaceId: string, id: string, origin: AuditOrigin): Promise<void> {
    if (id === BUILT_IN_DOMAIN_ID)
      throw new AppError('CONFLICT', 'The built-in default domain cannot be deleted');
    const now = this.#clock.now();
    await this.#db.transaction().execute(async (tx) => {
      const row = await lockDomain(tx, workspaceId, id);
      if (!row) throw notFound('Domain not found');
      const refs = await assignmentsReferencing(tx, workspaceId, id);
      if (refs.userIds.length + refs.groupIds.length > 0) {
        throw new AppError(
          'CONFLICT',
          `Role assignments still name this domain (${refs.userIds.length} users, ${refs.groupIds.length} groups)`,
          { extra: { userIds: refs.userIds.slice(0, 100), groupIds: refs.groupIds.slice(0, 100) } },
        );
      }
      await deleteDomain(tx, workspaceId, id);
      await recordAuditEvents(tx, [
        auditEvent(
          origin,
          now,
          workspaceId,
          'data.domain.delete',
          { type: 'domain', id },
          { name: row.name },
        ),
      ]);
    });
  }

  async #save(
    workspaceId: string,
    id: string | null,
    input: DomainInput,
    origin: AuditOrigin,
  ): Promise<DomainView> {
    const current = id === null ? null : await this.get(workspaceId, id);
    const name = (input.name ?? current?.name ?? '').trim();
    const description = (input.description ?? current?.description ?? '').trim();
    const connectionId =
      input.connectionId === undefined ? (current?.connectionId ?? null) : input.connectionId;
    const problems: Problem[] = [];
    if (name.length === 0 || name.length > 200) problems.push(bad('name', 'must be 1 to 200 characters'));
    if (description.length > 2000) problems.push(bad('description', 'must be at most 2000 characters'));
    let connection: Connection | null = null;
    if (connectionId !== null) {
      connection = await this.#connections.load(workspaceId, connectionId).catch((err) => {
        if (err instanceof AppError && err.code === 'NOT_FOUND') return null;
        throw err;
      });
      if (!connection) problems.push(bad('connectionId', 'unknown connection', connectionId));
    }
    const requested = input.tables ?? current?.tables ?? [];
    const tables = this.#tables(requested, connection, problems, input.tables != null);
    if (tables.length > 0 && connectionId === null)
      problems.push(bad('connectionId', 'a domain with tables needs a connection'));
    assertNoProblems(problems, 'domain');

    const kept = new Map((current?.tables ?? []).map((t) => [key(t.schema, t.name), t.policy]));
    const withPolicies = tables.map((t) => ({ ...t, policy: kept.get(key(t.schema, t.name)) ?? null }));
    const discovered =
      connection && tables.length > 0 ? await this.#connections.tryDiscover(connection) : null;
    if (connection) {
      assertNoProblems(discoveryProblems(requested, tables, discovered), 'domain');
      if (current && current.connectionId !== connection.id) {
        const policyProblems: Problem[] = [];
        for (const [i, t] of withPolicies.entries()) {
          if (t.policy === null) continue;
          for (const p of await this.#policies.problems(connection, t, t.policy, discovered))
            policyProblems.push({ ...p, field: `tables[${i}].policy${p.field ? `.${p.field}` : ''}` });
        }
        assertNoProblems(policyProblems, 'domain');
      }
    }

    const now = this.#clock.now();
    const domainId = id ?? newId('dom');
    try {
      await this.#db.transaction().execute(async (tx: Transaction<Database>) => {
        const values = { name, description, connection_id: connectionId, updated_at: now };
        if (current?.createdAt) {
          await updateDomain(tx, workspaceId, domainId, values);
        } else {
          await insertDomain(tx, { workspace_id: workspaceId, id: domainId, ...values, created_at: now });
        }
        await replaceTables(tx, workspaceId, domainId, withPolicies);
        await recordAuditEvents(tx, [
          auditEvent(
            origin,
            now,
            workspaceId,
            id === null ? 'data.domain.create' : 'data.domain.update',
            { type: 'domain', id: domainId },
            {
              name,
              connectionId,
              tables: tables.map((t) => `${t.schema}.${t.name}`),
            },
          ),
        ]);
      });
    } catch (err) {
      // The connection was deleted while the domain was being saved.
      if (isForeignKeyViolation(err)) assertNoProblems([bad('connectionId', 'unknown connection')], 'domain');
      if (isUniqueViolation(err, 'data_domains_workspace_name_unique'))
        assertNoProblems([bad('name', 'another domain has this name', name)], 'domain');
      throw err;
    }
    return this.get(workspaceId, domainId);
  }

  #tables(
    requested: readonly TableRefInput[],
    connection: Connection | null,
    problems: Problem[],
    given: boolean,
  ) {
    if (requested.length > MAX_TABLES) {
      problems.push(bad('tables', `at most ${MAX_TABLES} tables`));
      return [];
    }
    const seen = new Set<string>();
    const out: { schema: string; name: string }[] = [];
    requested.forEach((t, i) => {
      const schema =
        (t.schema ?? '').trim() ||
        (connection
          ? (connection.schema ?? defaultSchemaOf(connection.engine, connection.database))
          : 'public');
      const name = t.name.trim();
      if (!validIdent(schema))
        problems.push(bad(`tables[${i}].schema`, 'is not a valid schema name', schema));
      if (!validIdent(name)) problems.push(bad(`tables[${i}].name`, 'is not a valid table name', name));
      const k = key(schema, name);
      if (seen.has(k) && given) problems.push(bad(`tables[${i}]`, 'appears twice', `${schema}.${name}`));
      seen.add(k);
      out.push({ schema, name });
    });
    return out;
  }
}

function discoveryProblems(
  requested: readonly TableRefInput[],
  tables: readonly { schema: string; name: string }[],
  discovered: readonly DiscoveredTable[] | null,
): Problem[] {
  if (discovered === null) return []; // unreachable: names are checked again at query time
  const known = new Set(discovered.map((t) => key(t.schema, t.name)));
  return tables.flatMap((t, i) =>
    known.has(key(t.schema, t.name))
      ? []
      : [
          bad(
            `tables[${i}]`,
            'no such table on the connection',
            `${t.schema}.${requested[i]?.name ?? t.name}`,
          ),
        ],
  );
}

const key = (schema: string, name: string) => JSON.stringify([schema, name]);
const validIdent = (s: string) => s.length > 0 && s.length <= IDENT_MAX && !s.includes('\0');
const bad = (field: string, message: string, item?: string): Problem => ({
  code: 'BAD_USER_INPUT',
  field,
  message,
  ...(item === undefined ? {} : { item: echo(item) }),
});
