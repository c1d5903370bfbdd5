import type { Clock } from '../../../clock.ts';
import type { Db } from '../../../db/index.ts';
import { AppError, assertNoProblems, notFound } from '../../../errors.ts';
import { type AuditOrigin, auditEvent, recordAuditEvents } from '../../audit/service.ts';
import type { ConnectionService } from '../connections/service.ts';
import { defaultSchemaOf } from '../connections/types.ts';
import { type DomainTable, type DomainView, setTablePolicy } from '../domains/queries.ts';
import type { DomainService } from '../domains/service.ts';
import type { PolicyChecker } from './checker.ts';

export interface TableRef {
  readonly schema?: string | null | undefined;
  readonly name: string;
}

/** Row policies of domain tables: set (validated), removed, and listed where missing. */
export class PolicyService {
  readonly #db: Db;
  readonly #clock: Clock;
  readonly #domains: DomainService;
  readonly #connections: ConnectionService;
  readonly #checker: PolicyChecker;

  constructor(
    db: Db,
    clock: Clock,
    domains: DomainService,
    connections: ConnectionService,
    checker: PolicyChecker,
  ) {
    this.#db = db;
    this.#clock = clock;
    this.#domains = domains;
    this.#connections = connections;
    this.#checker = checker;
  }

  /** Attaches (or replaces) a table's row policy after validating it; a bad policy changes nothing. */
  async set(
    workspaceId: string,
    domainId: string,
    ref: TableRef,
    policy: string,
    origin: AuditOrigin,
  ): Promise<DomainTable> {
    const { domain, table } = await this.#table(workspaceId, domainId, ref);
    const connection = await this.#connections.load(workspaceId, domain.connectionId!);
    assertNoProblems(await this.#checker.problems(connection, table, policy), 'row policy');
    await this.#write(workspaceId, domainId, table, policy.trim(), origin);
    return { ...table, policy: policy.trim() };
  }

  /** Removes a table's policy: the table becomes readable in full (compat), unless the workspace requires policies. */
  async remove(
    workspaceId: string,
    domainId: string,
    ref: TableRef,
    origin: AuditOrigin,
  ): Promise<DomainTable> {
    const { table } = await this.#table(workspaceId, domainId, ref);
    await this.#write(workspaceId, domainId, table, null, origin);
    return { ...table, policy: null };
  }

  /** The domain's tables that have no row policy. */
  async unprotectedTables(workspaceId: string, domainId: string): Promise<DomainTable[]> {
    const domain = await this.#domains.get(workspaceId, domainId);
    return domain.tables.filter((t) => t.policy === null);
  }

  /** Every domain of the workspace with its unprotected tables (for `tessera policy lint`). */
  async lint(workspaceId: string): Promise<{ domain: DomainView; unprotected: DomainTable[] }[]> {
    return (await this.#domains.list(workspaceId)).map((domain) => ({
      domain,
      unprotected: domain.tables.filter((t) => t.policy === null),
    }));
  }

  async #table(workspaceId: string, domainId: string, ref: TableRef) {
    const domain = await this.#domains.get(workspaceId, domainId);
    if (domain.connectionId === null)
      throw new AppError('CONFLICT', 'The domain is not bound to a connection');
    const connection = await this.#connections.load(workspaceId, domain.connectionId);
    const schema =
      ref.schema?.trim() || (connection.schema ?? defaultSchemaOf(connection.engine, connection.database));
    const table = domain.tables.find((t) => t.schema === schema && t.name === ref.name.trim());
    if (!table) throw notFound(`The domain has no table ${schema}.${ref.name.trim()}`);
    return { domain, table };
  }

  async #write(
    workspaceId: string,
    domainId: string,
    table: DomainTable,
    policy: string | null,
    origin: AuditOrigin,
  ) {
    const now = this.#clock.now();
    await this.#db.transaction().execute(async (tx) => {
      if (!(await setTablePolicy(tx, workspaceId, domainId, table, policy, now)))
        throw notFound('The table left the domain meanwhile');
      await recordAuditEvents(tx, [
        auditEvent(
          origin,
          now,
          workspaceId,
          policy === null ? 'data.policy.remove' : 'data.policy.set',
          { type: 'domain', id: domainId },
          { table: `${table.schema}.${table.name}`, ...(policy === null ? {} : { policy }) },
        ),
      ]);
    });
  }
}
