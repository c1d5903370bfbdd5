import type { Clock } from '../../../clock.ts';
import type { Db } from '../../../db/index.ts';
import { AppError, assertNoProblems, echo, notFound, type Problem } from '../../../errors.ts';
import { type AuditOrigin, recordAudit } from '../../audit/service.ts';
import type { ConnectionService } from '../connections/service.ts';
import { defaultSchemaOf } from '../connections/types.ts';
import { type DomainTable, type DomainView, setTablePolicy } from '../domains/queries.ts';
import type { DomainService } from '../domains/service.ts';
import { loadGate } from '../gate.ts';
import type { PolicyChecker } from './checker.ts';
import {
  deleteColumnPolicy,
  listColumnPolicies,
  type StoredColumnPolicy,
  upsertColumnPolicy,
} from './queries.ts';

/** Input of `setColumnPolicy` (docs/data-access.md "Column policies"). */
export interface ColumnPolicyInput {
  readonly column: string;
  readonly mask: string;
  readonly maskText?: string | null | undefined;
  readonly maskExpression?: string | null | undefined;
  readonly condition: string;
}

const MASKS = ['NULL', 'TEXT', 'HASH', 'EXPRESSION'] as const;
const MAX_MASK_TEXT = 200;

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

  constructor(deps: {
    readonly db: Db;
    readonly clock: Clock;
    readonly domains: DomainService;
    readonly connections: ConnectionService;
    readonly checker: PolicyChecker;
  }) {
    this.#db = deps.db;
    this.#clock = deps.clock;
    this.#domains = deps.domains;
    this.#connections = deps.connections;
    this.#checker = deps.checker;
  }

  /** Attaches (or replaces) a table's row policy after validating it; a bad policy changes nothing. */
  async set(
    workspaceId: string,
    change: { readonly domainId: string; readonly table: TableRef; readonly policy: string },
    origin: AuditOrigin,
  ): Promise<DomainTable> {
    const { domainId, table: ref, policy } = change;
    const { domain, table } = await this.#table(workspaceId, domainId, ref);
    const connection = await this.#connections.load(workspaceId, domain.connectionId!);
    assertNoProblems(await this.#checker.problems(connection, table, policy), 'row policy');
    await this.#write(workspaceId, { domainId, table, policy: policy.trim() }, origin);
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
    await this.#write(workspaceId, { domainId, table, policy: null }, origin);
    return { ...table, policy: null };
  }

  /**
   * Sets (or replaces) the column policy of one column: the column must exist in the table as
   * discovered now, the condition is checked like a row policy, the mask against its allow-list.
   * Any problem changes nothing.
   */
  async setColumn(
    workspaceId: string,
    change: { readonly domainId: string; readonly table: TableRef; readonly policy: ColumnPolicyInput },
    origin: AuditOrigin,
  ): Promise<StoredColumnPolicy> {
    const { domainId, table: ref, policy: input } = change;
    const { domain, table } = await this.#table(workspaceId, domainId, ref);
    const connection = await this.#connections.load(workspaceId, domain.connectionId!);
    const discovered = await this.#connections.tryDiscover(connection);
    if (discovered === null) {
      throw new AppError(
        'CONNECTION_FAILED',
        'The connection could not be reached to read the table columns; a column policy needs them',
      );
    }
    const found = discovered.find((t) => t.schema === table.schema && t.name === table.name);
    const tableColumns = found?.columns.map((c) => c.name) ?? [];
    const column = input.column.trim();
    const problems: Problem[] = [];
    if (!tableColumns.includes(column)) {
      problems.push({
        code: 'BAD_USER_INPUT',
        field: 'column',
        item: echo(column, 100),
        message: `the table ${table.schema}.${table.name} has no such column`,
      });
    }
    const mask = MASKS.find((m) => m === input.mask);
    const maskText = input.maskText ?? null;
    const maskExpression = input.maskExpression ?? null;
    if (mask === undefined) {
      problems.push({ code: 'BAD_USER_INPUT', field: 'mask', message: `must be one of ${MASKS.join(', ')}` });
    }
    if (mask === 'TEXT') {
      if (
        maskText === null ||
        maskText.length === 0 ||
        maskText.length > MAX_MASK_TEXT ||
        maskText.includes('\u0000') ||
        maskText.includes('\\')
      ) {
        problems.push({
          code: 'BAD_USER_INPUT',
          field: 'maskText',
          message: `a TEXT mask needs 1 to ${MAX_MASK_TEXT} characters, without NUL or backslash`,
        });
      }
    } else if (maskText !== null) {
      problems.push({ code: 'BAD_USER_INPUT', field: 'maskText', message: 'only a TEXT mask takes a text' });
    }
    const { MASK_EXPRESSIONS } = await loadGate();
    if (mask === 'EXPRESSION') {
      if (maskExpression === null || !(MASK_EXPRESSIONS as readonly string[]).includes(maskExpression)) {
        problems.push({
          code: 'BAD_USER_INPUT',
          field: 'maskExpression',
          message: `an EXPRESSION mask needs one of ${MASK_EXPRESSIONS.join(', ')}`,
        });
      }
    } else if (maskExpression !== null) {
      problems.push({
        code: 'BAD_USER_INPUT',
        field: 'maskExpression',
        message: 'only an EXPRESSION mask takes an expression',
      });
    }
    const condition = input.condition.trim();
    const conditionProblems = await this.#checker.problems(connection, table, input.condition, discovered);
    problems.push(
      ...conditionProblems.map((p) => ({ ...p, field: p.field.replace(/^policy/, 'condition') })),
    );
    assertNoProblems(problems, 'column policy');
    const stored = {
      schema: table.schema,
      table: table.name,
      column,
      mask: mask!,
      maskText,
      maskExpression,
      condition,
      tableColumns,
    };
    const now = this.#clock.now();
    await this.#db.transaction().execute(async (tx) => {
      await upsertColumnPolicy(tx, { workspaceId, domainId }, stored, now);
      await recordAudit(tx, origin, {
        action: 'data.column_policy.set',
        workspaceId: workspaceId,
        target: domainId,
        details: { table: `${table.schema}.${table.name}`, column, mask: stored.mask, condition },
        at: now,
      });
    });
    return { ...stored, updatedAt: now };
  }

  /** Removes one column's policy; NOT_FOUND when it has none. */
  async removeColumn(
    workspaceId: string,
    target: { readonly domainId: string; readonly table: TableRef; readonly column: string },
    origin: AuditOrigin,
  ): Promise<void> {
    const { domainId, table: ref, column } = target;
    const { table } = await this.#table(workspaceId, domainId, ref);
    const now = this.#clock.now();
    await this.#db.transaction().execute(async (tx) => {
      if (!(await deleteColumnPolicy(tx, { workspaceId, domainId }, table, column.trim()))) {
        throw notFound(`The column ${table.schema}.${table.name}.${column.trim()} has no column policy`);
      }
      await recordAudit(tx, origin, {
        action: 'data.column_policy.remove',
        workspaceId: workspaceId,
        target: domainId,
        details: { table: `${table.schema}.${table.name}`, column: column.trim() },
        at: now,
      });
    });
  }

  /** The domain's column policies, for tables still in the domain. */
  async columnPolicies(workspaceId: string, domain: DomainView): Promise<StoredColumnPolicy[]> {
    const all = await listColumnPolicies(this.#db, workspaceId, domain.id);
    return all.filter((p) => domain.tables.some((t) => t.schema === p.schema && t.name === p.table));
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
    change: { readonly domainId: string; readonly table: DomainTable; readonly policy: string | null },
    origin: AuditOrigin,
  ) {
    const { domainId, table, policy } = change;
    const now = this.#clock.now();
    const name = `${table.schema}.${table.name}`;
    await this.#db.transaction().execute(async (tx) => {
      if (!(await setTablePolicy(tx, { workspaceId, domainId }, table, { policy, at: now })))
        throw notFound('The table left the domain meanwhile');
      await recordAudit(
        tx,
        origin,
        policy === null
          ? { action: 'data.policy.remove', workspaceId, target: domainId, details: { table: name }, at: now }
          : {
              action: 'data.policy.set',
              workspaceId,
              target: domainId,
              details: { table: name, policy },
              at: now,
            },
      );
    });
  }
}
