import type { CteNames } from '../cte-names.ts';
import { queryRefused } from '../errors.ts';
import { asPolicyFunction } from '../policy-functions.ts';

/** The shapes of libpg-query parse trees the Postgres walker knows, and small helpers on them. */

export type PgNode = Record<string, unknown>;

/** CTE names visible at a point of the query; they shadow unqualified table names. */
export interface Scope {
  readonly names: CteNames;
  readonly parent: Scope | null;
}

/** Node types whose fields are walked generically (their own content needs no extra check). */
// biome-ignore format: a compact word list reads better than one name a line
export const GENERIC = new Set([
  'ResTarget', 'String', 'Integer', 'Float', 'Boolean', 'BitString', 'A_Const', 'A_Star', 'BoolExpr',
  'NullTest', 'BooleanTest', 'SubLink', 'RangeSubselect', 'JoinExpr', 'Alias', 'CaseExpr', 'CaseWhen',
  'CoalesceExpr', 'MinMaxExpr', 'A_ArrayExpr', 'A_Indirection', 'A_Indices', 'RowExpr', 'List',
  'GroupingSet', 'GroupingFunc', 'WindowDef', 'CollateClause', 'RangeFunction', 'ColumnDef',
  'NamedArgExpr', 'CTESearchClause', 'CTECycleClause', 'TypeCast',
]);

/** Keys that hold a struct without its type wrapper, and the struct's type. */
export const UNWRAPPED: Readonly<Record<string, string>> = {
  alias: 'Alias',
  join_using_alias: 'Alias',
  typeName: 'TypeName',
  over: 'WindowDef',
  withClause: 'WithClause',
  intoClause: 'IntoClause',
  larg: 'SelectStmt',
  rarg: 'SelectStmt',
  ival: 'Integer',
  fval: 'Float',
  sval: 'String',
  boolval: 'Boolean',
  bsval: 'BitString',
  search_clause: 'CTESearchClause',
  cycle_clause: 'CTECycleClause',
};

// biome-ignore format: a compact word list reads better than one name a line
export const SELECT_KEYS = new Set([
  'distinctClause', 'targetList', 'fromClause', 'whereClause', 'groupClause', 'groupDistinct',
  'havingClause', 'windowClause', 'valuesLists', 'sortClause', 'limitOffset', 'limitCount', 'limitOption',
  'withClause', 'op', 'all', 'larg', 'rarg',
]);

export const MAX_DEPTH = 1000;

export function isSystemSchema(schema: string): boolean {
  // Postgres reserves the pg_ prefix for system schemas (pg_catalog, pg_toast, pg_temp_N…).
  return schema.startsWith('pg_') || schema === 'information_schema';
}

/** Operators are unqualified or pg_catalog's: a schema-qualified one could be anyone's function. */
export function checkOperator(op: readonly string[]): void {
  if (op.length > 1 && !(op.length === 2 && op[0] === 'pg_catalog')) {
    throw queryRefused(`Operator ${op.join('.')} is not allowed`);
  }
}

export function listFunctionCall(item: unknown): { body: PgNode; name: string } | null {
  if (!isObject(item) || !isObject(item.FuncCall)) return null;
  const names = stringList(item.FuncCall.funcname);
  const fn = names.length === 1 ? asPolicyFunction(names[0]!) : null;
  return fn === 'user_attribute_str_list' || fn === 'user_attribute_int_list'
    ? { body: item.FuncCall, name: fn }
    : null;
}

export function inScope(scope: Scope | null, name: string): boolean {
  for (let s = scope; s !== null; s = s.parent) if (s.names.has(name)) return true;
  return false;
}

/** `[{ String: { sval } }, …]` → strings; anything else is refused. */
export function stringList(value: unknown): string[] {
  if (!Array.isArray(value)) throw refusedConstruct('name');
  return value.map((item) => {
    if (!isObject(item) || !isObject(item.String) || typeof item.String.sval !== 'string')
      throw refusedConstruct('name');
    return item.String.sval;
  });
}

/** The `String` names of a field list from position `from` on (`A_Star` and subscripts skipped). */
export function fieldNames(list: unknown, from: number): string[] {
  if (!Array.isArray(list)) return [];
  return list
    .slice(from)
    .flatMap((item) =>
      isObject(item) && isObject(item.String) && typeof item.String.sval === 'string'
        ? [item.String.sval]
        : [],
    );
}

export function isObject(value: unknown): value is PgNode {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function isWrapped(value: PgNode): boolean {
  const keys = Object.keys(value);
  return keys.length === 1 && /^[A-Z]/.test(keys[0]!);
}

export function refusedConstruct(what: string) {
  return queryRefused(`The query uses a construct the gate does not allow (${what})`, { construct: what });
}

/** The keys a parsed CTE may have; anything else is a construct the gate does not model. */
export const CTE_KEYS: ReadonlySet<string> = new Set([
  'ctename',
  'aliascolnames',
  'ctematerialized',
  'ctequery',
  'search_clause',
  'cycle_clause',
  'location',
]);
