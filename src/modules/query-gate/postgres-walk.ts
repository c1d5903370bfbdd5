import { accessDenied, queryRefused } from './errors.ts';
import { asPolicyFunction } from './policy-functions.ts';
import { POSTGRES_FUNCTIONS, POSTGRES_TYPES, POSTGRES_VALUE_FUNCTIONS } from './postgres-allowlist.ts';
import type { GateTable } from './types.ts';

/**
 * A generic, fail-closed walk of a libpg-query parse tree. Every node of every key is visited;
 * a node type (or an unwrapped struct under a key) that is not listed here is refused, so no
 * table reference or function call can hide in a place the gate does not understand.
 */

export type PgNode = Record<string, unknown>;

/** CTE names visible at a point of the query; they shadow unqualified table names. */
export interface Scope {
  readonly names: ReadonlySet<string>;
  readonly parent: Scope | null;
}

export interface WalkHooks {
  readonly mode: 'query' | 'policy';
  /** A table reference outside CTE scope: return a replacement node, or null to keep it (mutated). */
  table(rangeVar: PgNode, schema: string): PgNode | null;
  /** A compat policy function call (policy mode only): return its replacement. */
  policyFunction(call: PgNode, name: string): PgNode;
  /** IN-list items a compat list function expands to (policy mode only). */
  expandListFunction(call: PgNode, name: string): PgNode[];
  /** A column reference outside any sub-select (the policy's own columns in policy mode). */
  topLevelColumn?(columnRef: PgNode): void;
  readonly defaultSchema: string;
  /** Schemas of the domain's tables: types written with these qualifiers are allowed. */
  readonly domainSchemas: ReadonlySet<string>;
}

/** Node types whose fields are walked generically (their own content needs no extra check). */
const GENERIC = new Set([
  'ResTarget',
  'String',
  'Integer',
  'Float',
  'Boolean',
  'BitString',
  'A_Const',
  'A_Star',
  'BoolExpr',
  'NullTest',
  'BooleanTest',
  'SubLink',
  'RangeSubselect',
  'JoinExpr',
  'Alias',
  'CaseExpr',
  'CaseWhen',
  'CoalesceExpr',
  'MinMaxExpr',
  'A_ArrayExpr',
  'A_Indirection',
  'A_Indices',
  'RowExpr',
  'List',
  'GroupingSet',
  'GroupingFunc',
  'SortBy',
  'WindowDef',
  'CollateClause',
  'RangeFunction',
  'ColumnDef',
  'NamedArgExpr',
  'CTESearchClause',
  'CTECycleClause',
  'TypeCast',
]);

/** Keys that hold a struct without its type wrapper, and the struct's type. */
const UNWRAPPED: Readonly<Record<string, string>> = {
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

const SELECT_KEYS = new Set([
  'distinctClause',
  'targetList',
  'fromClause',
  'whereClause',
  'groupClause',
  'groupDistinct',
  'havingClause',
  'windowClause',
  'valuesLists',
  'sortClause',
  'limitOffset',
  'limitCount',
  'limitOption',
  'withClause',
  'op',
  'all',
  'larg',
  'rarg',
]);

const MAX_DEPTH = 1000;

export function isSystemSchema(schema: string): boolean {
  // Postgres reserves the pg_ prefix for system schemas (pg_catalog, pg_toast, pg_temp_N…).
  return schema.startsWith('pg_') || schema === 'information_schema';
}

export class PgWalker {
  private depth = 0;
  /** Sub-selects entered; 0 means the top level of a policy expression. */
  private selectDepth = 0;
  private readonly hooks: WalkHooks;

  constructor(hooks: WalkHooks) {
    this.hooks = hooks;
  }

  /** Visits a wrapped node (`{ Type: body }`) and returns it or its replacement. */
  node(node: unknown, scope: Scope | null): PgNode {
    if (!isObject(node)) throw queryRefused('The query has a construct the gate does not understand');
    const keys = Object.keys(node);
    if (keys.length === 0) return node; // an empty marker, e.g. DISTINCT's `[{}]`
    if (keys.length !== 1 || !/^[A-Z]/.test(keys[0]!)) throw refusedConstruct(keys.join(','));
    const type = keys[0]!;
    const body = node[type];
    if (!isObject(body)) throw refusedConstruct(type);
    if (++this.depth > MAX_DEPTH) throw queryRefused('The query is nested too deeply');
    try {
      return this.typed(type, body, scope) ?? node;
    } finally {
      this.depth--;
    }
  }

  /** Visits a node's body; returns a replacement wrapped node, or null when kept (maybe mutated). */
  private typed(type: string, body: PgNode, scope: Scope | null): PgNode | null {
    switch (type) {
      case 'SelectStmt':
        this.select(body, scope);
        return null;
      case 'RangeVar':
        return this.rangeVar(body, scope);
      case 'FuncCall':
        return this.funcCall(body, scope);
      case 'A_Expr':
        this.aExpr(body, scope);
        return null;
      case 'TypeName':
        this.typeName(body, scope);
        return null;
      case 'SQLValueFunction':
        if (!POSTGRES_VALUE_FUNCTIONS.has(String(body.op))) {
          throw queryRefused(`${String(body.op).replace('SVFOP_', '')} is not allowed in queries`);
        }
        return null;
      case 'ColumnRef':
        if (this.selectDepth === 0) this.hooks.topLevelColumn?.(body);
        this.fields(body, scope);
        return null;
      case 'SubLink':
        // `x OPERATOR(s.=) ANY (…)`: the operator must be a built-in, as in A_Expr.
        if (body.operName !== undefined) checkOperator(stringList(body.operName));
        this.fields(body, scope, new Set(['operName']));
        return null;
      case 'ParamRef':
        throw queryRefused('Queries cannot contain parameter placeholders');
      default:
        if (!GENERIC.has(type)) throw refusedConstruct(type);
        this.fields(body, scope);
        return null;
    }
  }

  /** Walks every key of a body. */
  private fields(body: PgNode, scope: Scope | null, skip?: ReadonlySet<string>): void {
    for (const key of Object.keys(body)) {
      if (skip?.has(key)) continue;
      const value = body[key];
      if (value === null || typeof value !== 'object') continue;
      if (Array.isArray(value)) {
        body[key] = value.map((item) => this.node(item, scope));
      } else if (isWrapped(value as PgNode)) {
        body[key] = this.node(value, scope);
      } else {
        const type = UNWRAPPED[key];
        if (type === undefined) throw refusedConstruct(key);
        if (++this.depth > MAX_DEPTH) throw queryRefused('The query is nested too deeply');
        try {
          // Only wrapped nodes may be replaced; an unwrapped struct never is a table or call.
          if (this.typed(type, value as PgNode, scope) !== null) throw refusedConstruct(key);
        } finally {
          this.depth--;
        }
      }
    }
  }

  private select(body: PgNode, scope: Scope | null): void {
    if (body.intoClause !== undefined) throw queryRefused('SELECT … INTO is not allowed');
    if (body.lockingClause !== undefined) throw queryRefused('FOR UPDATE / FOR SHARE is not allowed');
    for (const key of Object.keys(body)) {
      if (!SELECT_KEYS.has(key)) throw refusedConstruct(`SELECT ${key}`);
    }
    this.selectDepth++;
    try {
      const inner = body.withClause === undefined ? scope : this.withClause(body.withClause, scope);
      this.fields(body, inner, new Set(['withClause']));
    } finally {
      this.selectDepth--;
    }
  }

  /** Visits the CTEs with the names each may see; returns the scope of the statement's body. */
  private withClause(clause: unknown, scope: Scope | null): Scope {
    if (!isObject(clause) || !Array.isArray(clause.ctes)) throw refusedConstruct('WITH');
    for (const key of Object.keys(clause)) {
      if (key !== 'ctes' && key !== 'recursive' && key !== 'location') throw refusedConstruct(`WITH ${key}`);
    }
    const ctes = clause.ctes.map((cte) => {
      if (!isObject(cte) || !isObject(cte.CommonTableExpr)) throw refusedConstruct('WITH');
      const body = cte.CommonTableExpr;
      if (typeof body.ctename !== 'string') throw refusedConstruct('WITH');
      if (!isObject(body.ctequery) || !isObject(body.ctequery.SelectStmt)) {
        throw queryRefused('Data-modifying statements in WITH are not allowed');
      }
      return body;
    });
    const names = ctes.map((cte) => cte.ctename as string);
    if (new Set(names).size !== names.length) throw queryRefused('A WITH query name is used twice');
    const all: Scope = { names: new Set(names), parent: scope };
    ctes.forEach((cte, i) => {
      // A CTE sees the earlier ones, and itself under RECURSIVE. Postgres also lets a recursive
      // WITH refer forward; treating such a name as a table (wrapped in its policy) is the safe
      // reading, since a name wrongly taken for a CTE would escape the policy.
      const visible = {
        names: new Set(names.slice(0, clause.recursive === true ? i + 1 : i)),
        parent: scope,
      };
      for (const key of Object.keys(cte)) {
        if (
          ![
            'ctename',
            'aliascolnames',
            'ctematerialized',
            'ctequery',
            'search_clause',
            'cycle_clause',
            'location',
          ].includes(key)
        ) {
          throw refusedConstruct(`WITH ${key}`);
        }
      }
      this.fields(cte, visible, new Set(['ctename']));
    });
    return all;
  }

  private rangeVar(body: PgNode, scope: Scope | null): PgNode | null {
    for (const key of Object.keys(body)) {
      if (
        !['catalogname', 'schemaname', 'relname', 'inh', 'relpersistence', 'alias', 'location'].includes(key)
      ) {
        throw refusedConstruct(`table reference ${key}`);
      }
    }
    if (body.alias !== undefined) this.fields(body, scope, new Set(['relname', 'schemaname', 'catalogname']));
    const relname = body.relname;
    if (typeof relname !== 'string') throw refusedConstruct('table reference');
    if (body.catalogname !== undefined) throw accessDenied('Queries cannot reference other databases');
    if (body.schemaname === undefined && inScope(scope, relname)) return null; // a CTE
    const schema = typeof body.schemaname === 'string' ? body.schemaname : this.hooks.defaultSchema;
    if (isSystemSchema(schema)) {
      throw accessDenied(`System catalog ${schema}.${relname} cannot be queried`, {
        table: `${schema}.${relname}`,
      });
    }
    return this.hooks.table(body, schema);
  }

  private funcCall(body: PgNode, scope: Scope | null): PgNode | null {
    const names = stringList(body.funcname);
    const name = names[names.length - 1] ?? '';
    const compat = asPolicyFunction(name);
    if (compat !== null && names.length === 1) {
      if (this.hooks.mode === 'query') {
        throw queryRefused(`${name.toUpperCase()}() may only be used in row policies`, { function: name });
      }
      return this.hooks.policyFunction(body, compat);
    }
    const qualifierOk = names.length === 1 || (names.length === 2 && names[0] === 'pg_catalog');
    if (!qualifierOk || !POSTGRES_FUNCTIONS.has(name)) {
      throw queryRefused(`Function ${names.join('.')}() is not allowed`, { function: names.join('.') });
    }
    // Pin the built-in: a same-named function earlier on the search_path cannot stand in for it.
    body.funcname = [{ String: { sval: 'pg_catalog' } }, { String: { sval: name } }];
    this.fields(body, scope, new Set(['funcname']));
    return null;
  }

  private aExpr(body: PgNode, scope: Scope | null): void {
    checkOperator(stringList(body.name));
    const list = isObject(body.rexpr) && isObject(body.rexpr.List) ? body.rexpr.List : null;
    if (
      body.kind === 'AEXPR_IN' &&
      list !== null &&
      Array.isArray(list.items) &&
      this.hooks.mode === 'policy'
    ) {
      const items: PgNode[] = [];
      for (const item of list.items) {
        const call = listFunctionCall(item);
        if (call === null) items.push(this.node(item, scope));
        else items.push(...this.hooks.expandListFunction(call.body, call.name));
      }
      // An empty list matches nothing: `x IN (NULL)` is never true.
      list.items = items.length > 0 ? items : [{ A_Const: { isnull: true } }];
      this.fields(body, scope, new Set(['name', 'rexpr']));
      return;
    }
    this.fields(body, scope, new Set(['name']));
  }

  private typeName(body: PgNode, scope: Scope | null): void {
    if (body.pct_type !== undefined || body.setof === true) throw refusedConstruct('type');
    const names = stringList(body.names);
    const last = names[names.length - 1] ?? '';
    const builtin = names.length === 1 || (names.length === 2 && names[0] === 'pg_catalog');
    const ok = builtin
      ? POSTGRES_TYPES.has(last)
      : names.length === 2 && this.hooks.domainSchemas.has(names[0]!) && !isSystemSchema(names[0]!);
    if (!ok) throw queryRefused(`Type ${names.join('.')} is not allowed`, { type: names.join('.') });
    this.fields(body, scope, new Set(['names']));
  }
}

/** Operators are unqualified or pg_catalog's: a schema-qualified one could be anyone's function. */
function checkOperator(op: readonly string[]): void {
  if (op.length > 1 && !(op.length === 2 && op[0] === 'pg_catalog')) {
    throw queryRefused(`Operator ${op.join('.')} is not allowed`);
  }
}

function listFunctionCall(item: unknown): { body: PgNode; name: string } | null {
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

export function isObject(value: unknown): value is PgNode {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isWrapped(value: PgNode): boolean {
  const keys = Object.keys(value);
  return keys.length === 1 && /^[A-Z]/.test(keys[0]!);
}

function refusedConstruct(what: string) {
  return queryRefused(`The query uses a construct the gate does not allow (${what})`, { construct: what });
}

export type { GateTable };
