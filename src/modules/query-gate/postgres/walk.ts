import { WithNames } from '../cte-names.ts';
import { accessDenied, queryRefused } from '../errors.ts';
import { asPolicyFunction, type PolicyFunction } from '../policy-functions.ts';
import { POSTGRES_FUNCTIONS, POSTGRES_TYPES, POSTGRES_VALUE_FUNCTIONS } from './allowlist.ts';
import {
  CTE_KEYS,
  checkOperator,
  GENERIC,
  inScope,
  isObject,
  isSystemSchema,
  isWrapped,
  MAX_DEPTH,
  type PgNode,
  refusedConstruct,
  type Scope,
  SELECT_KEYS,
  stringList,
  UNWRAPPED,
} from './nodes.ts';

export type { PgNode, Scope };
export { isObject, isSystemSchema, stringList };

/**
 * A generic, fail-closed walk of a libpg-query parse tree. Every node of every key is visited;
 * a node type (or an unwrapped struct under a key) that is not listed here is refused, so no
 * table reference or function call can hide in a place the gate does not understand.
 */

/** What both walkers are told: where unqualified names resolve, and what a table reference becomes. */
export interface WalkHooks {
  /** A table reference outside CTE scope: return a replacement node, or null to keep it (mutated). */
  table(rangeVar: PgNode, schema: string): PgNode | null;
  readonly defaultSchema: string;
}

/**
 * The walk both the query walker (`query-walk.ts`) and the policy walker (`policy-walk.ts`) share;
 * each decides, in its own methods, what a column, a call, a parameter, an IN list and a cast
 * may be where it walks.
 */
export abstract class PgWalker<H extends WalkHooks = WalkHooks> {
  private depth = 0;
  /** Sub-selects entered; 0 means the top level of a policy expression. */
  protected selectDepth = 0;
  protected readonly hooks: H;

  constructor(hooks: H) {
    this.hooks = hooks;
  }

  /** A column reference (before its fields are walked). */
  protected abstract columnRef(body: PgNode): void;
  /** A field selection `(expr).f` (before its fields are walked). */
  protected abstract indirection(body: PgNode): void;
  /** A call of a compat policy function: its replacement. */
  protected abstract compatCall(body: PgNode, fn: PolicyFunction, name: string): PgNode;
  /** A parameter `$n`: its replacement. */
  protected abstract paramRef(body: PgNode): PgNode;
  /** `x [NOT] IN (…)`: a replacement, `'walked'` when done in place, or null to walk it as usual. */
  protected abstract inList(body: PgNode, scope: Scope | null): PgNode | 'walked' | null;
  /** Whether a cast to the schema-qualified type `names` (not pg_catalog's) is allowed. */
  protected abstract qualifiedTypeAllowed(names: readonly string[]): boolean;

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
        return this.aExpr(body, scope);
      case 'TypeName':
        this.typeName(body, scope);
        return null;
      case 'SQLValueFunction':
        if (!POSTGRES_VALUE_FUNCTIONS.has(String(body.op))) {
          throw queryRefused(`${String(body.op).replace('SVFOP_', '')} is not allowed in queries`);
        }
        return null;
      case 'ColumnRef':
        this.columnRef(body);
        this.fields(body, scope);
        return null;
      case 'A_Indirection':
        this.indirection(body);
        this.fields(body, scope);
        return null;
      case 'SubLink':
        // `x OPERATOR(s.=) ANY (…)`: the operator must be a built-in, as in A_Expr.
        if (body.operName !== undefined) checkOperator(stringList(body.operName));
        this.fields(body, scope, new Set(['operName']));
        return null;
      case 'SortBy':
        // `ORDER BY x USING OPERATOR(s.<)`: the same rule as for operators in expressions.
        if (body.useOp !== undefined) checkOperator(stringList(body.useOp));
        this.fields(body, scope, new Set(['useOp']));
        return null;
      case 'ParamRef':
        return this.paramRef(body);
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
    const names = new WithNames();
    for (const cte of ctes) {
      if (!names.add(cte.ctename as string)) throw queryRefused('A WITH query name is used twice');
    }
    const all: Scope = { names: names.visible(), parent: scope };
    ctes.forEach((cte, i) => {
      // A CTE sees the earlier ones, and itself under RECURSIVE. Postgres also lets a recursive
      // WITH refer forward; treating such a name as a table (wrapped in its policy) is the safe
      // reading, since a name wrongly taken for a CTE would escape the policy.
      const visible = {
        names: names.visible(clause.recursive === true ? i + 1 : i),
        parent: scope,
      };
      for (const key of Object.keys(cte)) {
        if (!CTE_KEYS.has(key)) {
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
    if (compat !== null && names.length === 1) return this.compatCall(body, compat, name);
    const qualifierOk = names.length === 1 || (names.length === 2 && names[0] === 'pg_catalog');
    if (!qualifierOk || !POSTGRES_FUNCTIONS.has(name)) {
      throw queryRefused(`Function ${names.join('.')}() is not allowed`, { function: names.join('.') });
    }
    // Pin the built-in: a same-named function earlier on the search_path cannot stand in for it.
    body.funcname = [{ String: { sval: 'pg_catalog' } }, { String: { sval: name } }];
    this.fields(body, scope, new Set(['funcname']));
    return null;
  }

  private aExpr(body: PgNode, scope: Scope | null): PgNode | null {
    checkOperator(stringList(body.name));
    if (body.kind === 'AEXPR_IN') {
      const replaced = this.inList(body, scope);
      if (replaced === 'walked') return null;
      if (replaced !== null) {
        const expr = replaced.A_Expr as PgNode;
        expr.lexpr = this.node(expr.lexpr, scope);
        return replaced;
      }
    }
    this.fields(body, scope, new Set(['name']));
    return null;
  }

  /** Walks the fields of a node the subclass has looked at (e.g. an IN expression it rewrote in place). */
  protected walkFields(body: PgNode, scope: Scope | null, skip?: ReadonlySet<string>): void {
    this.fields(body, scope, skip);
  }

  private typeName(body: PgNode, scope: Scope | null): void {
    if (body.pct_type !== undefined || body.setof === true) throw refusedConstruct('type');
    const names = stringList(body.names);
    const last = names[names.length - 1] ?? '';
    const builtin = names.length === 1 || (names.length === 2 && names[0] === 'pg_catalog');
    // A query casts to built-in value types only: a cast to a table's row type forges a row the
    // policy never produced, and a domain's or base type's input function may be anyone's code.
    // Policies (trusted admin SQL) may also cast to types of the domain's schemas (enums).
    const ok = builtin ? POSTGRES_TYPES.has(last) : this.qualifiedTypeAllowed(names);
    if (!ok) throw queryRefused(`Type ${names.join('.')} is not allowed`, { type: names.join('.') });
    this.fields(body, scope, new Set(['names']));
  }
}
