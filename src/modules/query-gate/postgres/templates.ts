import { queryRefused } from '../errors.ts';
import { GateState } from '../state.ts';
import type { GateColumnPolicy, GateRequest, GateTable } from '../types.ts';
import { parsePolicyExpression } from './parse.ts';
import { compilePolicy } from './policy.ts';
import { tableKey } from './verify.ts';
import { isObject, type PgNode } from './walk.ts';

/**
 * A table's policies compiled for one user: the WHERE tree (null: no row policy), the projection
 * (null: `*`; else one target per column, masked ones as `CASE WHEN <condition> THEN col ELSE
 * <mask> END AS col`), with slots `$1…$k`, and their values.
 */
export interface PolicyTemplate {
  readonly where: PgNode | null;
  readonly targetList: PgNode[] | null;
  readonly params: readonly unknown[];
  readonly attributes: readonly string[];
}

/** Whether a request's table is wrapped at all: a row policy or a column policy, when policies apply. */
export function isWrapped(table: GateTable, applyPolicies: boolean): boolean {
  return applyPolicies && (table.policy !== null || (table.columnPolicies?.length ?? 0) > 0);
}

/**
 * Each applied policy of a request, compiled once from its text (never from the user's query):
 * the rewrite inserts a copy with its slots renumbered, and the invariant check compares what
 * will run against the same template.
 */
export class PolicyTemplates {
  private readonly parsed = new Map<string, PgNode>();
  private readonly compiled = new Map<string, PolicyTemplate>();
  private readonly request: GateRequest;
  private readonly domainSchemas: ReadonlySet<string>;

  constructor(request: GateRequest, domainSchemas: ReadonlySet<string>) {
    this.request = request;
    this.domainSchemas = domainSchemas;
  }

  of(table: GateTable): PolicyTemplate {
    const key = tableKey(table.schema, table.name);
    const known = this.compiled.get(key);
    if (known !== undefined) return known;
    const state = new GateState();
    const where = table.policy === null ? null : this.compile(table.policy, table, state);
    const columnPolicies = table.columnPolicies ?? [];
    let targetList: PgNode[] | null = null;
    if (columnPolicies.length > 0) {
      const columns = table.columns ?? [];
      for (const c of columnPolicies) {
        if (!columns.includes(c.column)) {
          throw queryRefused(`The column policy on ${table.name}.${c.column} names a column the table lacks`);
        }
      }
      targetList = columns.map((column) => {
        const policy = columnPolicies.find((c) => c.column === column);
        if (policy === undefined) return { ResTarget: { val: columnRef(table.name, column) } };
        const condition = this.compile(policy.condition, table, state);
        return { ResTarget: { name: column, val: maskedValue(table.name, policy, condition) } };
      });
    }
    const template = { where, targetList, params: state.params, attributes: state.result('').attributesUsed };
    this.compiled.set(key, template);
    return template;
  }

  private compile(text: string, table: GateTable, state: GateState): PgNode {
    let tree = this.parsed.get(text);
    if (tree === undefined) {
      tree = parsePolicyExpression(text);
      this.parsed.set(text, tree);
    }
    return compilePolicy(structuredClone(tree), table, {
      request: this.request,
      state,
      domainSchemas: this.domainSchemas,
    });
  }
}

const quoteIdent = (name: string) => `"${name.replaceAll('"', '""')}"`;
const quoteText = (text: string) => `'${text.replaceAll("'", "''")}'`;

/** `table.column`, qualified so a column the table lacks is an error, never an outer column. */
function columnRef(table: string, column: string): PgNode {
  return { ColumnRef: { fields: [{ String: { sval: table } }, { String: { sval: column } }] } };
}

/**
 * `CASE WHEN <condition> THEN col ELSE <mask> END`. A NULL mask keeps the column's type; every
 * other mask is text, so the shown value is `col::text` too (one type per column for everyone).
 * Built from SQL text with the parser, so it is the very tree the printed SQL parses back to.
 */
export function maskedValue(table: string, policy: GateColumnPolicy, condition: PgNode): PgNode {
  const col = `${quoteIdent(table)}.${quoteIdent(policy.column)}`;
  // `text` unqualified: the printer drops a `pg_catalog.` here, and pg_catalog is searched first.
  const text = `${col}::text`;
  const [shown, mask] = ((): [string, string] => {
    switch (policy.mask) {
      case 'NULL':
        return [col, 'NULL'];
      case 'TEXT':
        return [text, `${quoteText(policy.maskText ?? '')}::text`];
      case 'HASH':
        return [text, `pg_catalog.encode(pg_catalog.sha256(pg_catalog.convert_to(${text}, 'UTF8')), 'hex')`];
      case 'EXPRESSION':
        switch (policy.maskExpression) {
          case 'LAST_4':
            return [text, `pg_catalog."right"(${text}, 4)`];
          case 'EMAIL_DOMAIN':
            return [text, `pg_catalog.split_part(${text}, '@', 2)`];
          default:
            throw queryRefused(`Unknown mask expression on ${table}.${policy.column}`);
        }
    }
  })();
  const tree = parsePolicyExpression(`CASE WHEN TRUE THEN ${shown} ELSE ${mask} END`);
  const caseExpr = tree.CaseExpr as PgNode;
  const when = (caseExpr.args as PgNode[])[0]!.CaseWhen as PgNode;
  when.expr = condition;
  return tree;
}

/** A copy of the template's trees whose slots are fresh parameters of `state`. */
export function instantiate(
  template: PolicyTemplate,
  state: GateState,
): { where: PgNode | null; targetList: PgNode[] | null } {
  const copy = structuredClone({ where: template.where, targetList: template.targetList });
  const renumber = (node: unknown): void => {
    if (Array.isArray(node)) {
      for (const item of node) renumber(item);
      return;
    }
    if (!isObject(node)) return;
    if (isObject(node.ParamRef)) {
      const slot = Number(node.ParamRef.number);
      node.ParamRef.number = state.addParam(template.params[slot - 1]);
      return;
    }
    for (const value of Object.values(node)) renumber(value);
  };
  renumber(copy.where);
  renumber(copy.targetList);
  for (const key of template.attributes) state.useAttribute(key);
  return copy;
}
