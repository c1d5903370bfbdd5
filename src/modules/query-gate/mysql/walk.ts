import { WithNames } from '../cte-names.ts';
import { accessDenied, queryRefused, SYSTEM_SCHEMAS } from '../errors.ts';
import { asPolicyFunction, type PolicyFunction } from '../policy-functions.ts';
import { MYSQL_FUNCTIONS, MYSQL_KEYWORDS, MYSQL_TYPES } from './allowlist.ts';
import {
  checkAlias,
  checkCastTarget,
  checkCollation,
  checkRawText,
  describe,
  EXPRESSIONS,
  FROM_KEYS,
  identifier,
  inScope,
  inScopeIgnoringCase,
  isName,
  isObject,
  MAX_DEPTH,
  type MyNode,
  type MyScope,
  reescape,
  refusedConstruct,
  SELECT_KEYS,
} from './nodes.ts';

export type { MyNode, MyScope };
export { identifier, isObject };

/**
 * A fail-closed walk of a node-sql-parser (MySQL grammar) tree. Statements and FROM items are
 * handled by shape; every other object is visited key by key, and an object that looks like a
 * table reference, or an expression `type` not listed here, is refused.
 */

/** What both walkers are told: where unqualified names resolve, and what a table reference becomes. */
export interface MyWalkHooks {
  readonly defaultSchema: string;
  /** A FROM item naming a table outside CTE scope: return its replacement, or null to keep it. */
  table(item: MyNode, schema: string, name: string): MyNode | null;
}

/**
 * The walk the query walker (`query-walk.ts`) and the policy walker (`policy-walk.ts`) share; each
 * decides, in its own methods, what a column, a compat call, an IN list, a `?` and a derived table
 * may be where it walks.
 */
export abstract class MyWalker<H extends MyWalkHooks = MyWalkHooks> {
  private depth = 0;
  protected selectDepth = 0;
  protected readonly hooks: H;
  /** Every CTE name the query defines (for the output check). */
  readonly cteNames = new Set<string>();

  constructor(hooks: H) {
    this.hooks = hooks;
  }

  /** A column reference: its replacement (a `{{name}}` slot), or null to keep it. */
  protected abstract columnRef(node: MyNode): unknown;
  /** An expression before it is walked: true when this walker has handled it (an IN list). */
  protected abstract special(node: MyNode, scope: MyScope | null): boolean;
  /** A call of a compat policy function: its replacement. */
  protected abstract compatCall(node: MyNode, fn: PolicyFunction, name: string): unknown;
  /** A derived table `(SELECT …) AS x` before its body is walked: true = fully handled here. */
  protected derived(_item: MyNode): boolean {
    return false;
  }

  statement(ast: unknown, scope: MyScope | null): void {
    if (!isObject(ast) || ast.type !== 'select') {
      throw queryRefused(`Only read-only SELECT statements are allowed (found ${describe(ast)})`);
    }
    for (const key of Object.keys(ast)) {
      if (!SELECT_KEYS.has(key)) throw refusedConstruct(`SELECT ${key}`);
    }
    const into = ast.into;
    if (into != null && (!isObject(into) || Object.values(into).some((v) => v != null))) {
      throw queryRefused('SELECT … INTO is not allowed');
    }
    if (ast.locking_read != null) throw queryRefused('FOR UPDATE / LOCK IN SHARE MODE is not allowed');
    if (ast.options != null) throw refusedConstruct('SELECT options');
    this.enter();
    this.selectDepth++;
    try {
      const inner = ast.with == null ? scope : this.withClause(ast.with, scope);
      if (ast.from != null) ast.from = this.from(ast.from, inner);
      if (Array.isArray(ast.columns)) for (const c of ast.columns) if (isObject(c)) checkAlias(c.as);
      for (const key of ['columns', 'where', 'groupby', 'having', 'orderby', 'limit', 'window', 'collate']) {
        if (ast[key] != null) ast[key] = this.any(ast[key], inner);
      }
      if (ast._next != null) this.statement(ast._next, inner);
      // Whatever else the statement holds must be a plain flag (set_op, distinct…), not a tree.
      for (const key of ['distinct', 'set_op', 'parentheses', '_parentheses']) {
        if (ast[key] != null && typeof ast[key] === 'object') throw refusedConstruct(`SELECT ${key}`);
      }
    } finally {
      this.selectDepth--;
      this.leave();
    }
  }

  private withClause(ctes: unknown, scope: MyScope | null): MyScope {
    if (!Array.isArray(ctes)) throw refusedConstruct('WITH');
    const names = new WithNames();
    // Earlier CTEs, and itself under RECURSIVE: the narrowest reading, so a name is never
    // wrongly taken for a CTE (which would leave a real table unwrapped).
    const recursive = ctes.some((c) => isObject(c) && c.recursive === true);
    ctes.forEach((cte, i) => {
      if (!isObject(cte)) throw refusedConstruct('WITH');
      for (const key of Object.keys(cte)) {
        if (!['name', 'stmt', 'columns', 'recursive', 'loc'].includes(key))
          throw refusedConstruct(`WITH ${key}`);
      }
      const name = identifier(cte.name);
      if (name === null || !names.add(name)) throw queryRefused('A WITH query name is missing or used twice');
      this.cteNames.add(name);
      const visible: MyScope = { names: names.visible(recursive ? i + 1 : i), parent: scope };
      if (!isObject(cte.stmt) || !isObject(cte.stmt.ast)) {
        throw queryRefused('Data-modifying statements in WITH are not allowed');
      }
      this.statement(cte.stmt.ast, visible);
      if (cte.columns != null) this.any(cte.columns, visible);
    });
    return { names: names.visible(), parent: scope };
  }

  private from(from: unknown, scope: MyScope | null): unknown {
    if (isObject(from) && Array.isArray(from.expr)) {
      // A parenthesised join group: `FROM (a JOIN b ON …)`.
      for (const key of Object.keys(from)) {
        if (!['expr', 'parentheses', 'joins', 'loc'].includes(key)) throw refusedConstruct(`FROM ${key}`);
      }
      if (Array.isArray(from.joins) && from.joins.length > 0) throw refusedConstruct('FROM join group');
      from.expr = this.from(from.expr, scope);
      return from;
    }
    if (!Array.isArray(from)) throw refusedConstruct('FROM');
    return from.map((item) => this.fromItem(item, scope));
  }

  private fromItem(item: unknown, scope: MyScope | null): MyNode {
    if (!isObject(item)) throw refusedConstruct('FROM');
    if (item.type === 'dual' && Object.keys(item).every((k) => k === 'type' || k === 'loc')) return item;
    for (const key of Object.keys(item)) {
      if (!FROM_KEYS.has(key)) throw refusedConstruct(`FROM ${key}`);
    }
    if (item.prefix != null && item.prefix !== 'lateral')
      throw refusedConstruct(`FROM ${String(item.prefix)}`);
    if (item.as != null && typeof item.as !== 'string' && !isName(item.as))
      throw refusedConstruct('FROM alias');
    checkAlias(item.as);
    if (item.join != null && typeof item.join !== 'string') throw refusedConstruct('FROM join');
    if (item.on != null) item.on = this.any(item.on, scope);
    if (item.using != null) this.any(item.using, scope);
    if (item.table === undefined) {
      if (!isObject(item.expr) || !isObject(item.expr.ast)) throw refusedConstruct('FROM');
      if (this.derived(item)) return item;
      this.statement(item.expr.ast, scope);
      return item;
    }
    const name = identifier(item.table);
    if (name === null || item.expr !== undefined) throw refusedConstruct('FROM');
    const db = item.db == null ? null : identifier(item.db);
    if (item.db != null && db === null) throw refusedConstruct('FROM');
    if (db === null && inScope(scope, name)) return item; // a CTE
    if (db === null && inScopeIgnoringCase(scope, name)) {
      throw queryRefused(`"${name}" differs from a WITH query name only by case`);
    }
    const schema = db ?? this.hooks.defaultSchema;
    if (SYSTEM_SCHEMAS.mysql.has(schema.toLowerCase())) {
      throw accessDenied(`System database ${schema} cannot be queried`, { table: `${schema}.${name}` });
    }
    return this.hooks.table(item, schema, name) ?? item;
  }

  /** Visits any value in expression position and returns it or its replacement. */
  any(value: unknown, scope: MyScope | null): unknown {
    if (value === null || typeof value !== 'object') return value;
    if (Array.isArray(value)) return value.map((v) => this.any(v, scope));
    this.enter();
    try {
      return this.object(value as MyNode, scope);
    } finally {
      this.leave();
    }
  }

  private object(node: MyNode, scope: MyScope | null): unknown {
    checkRawText(node);
    if (isObject(node.ast)) {
      // A sub-select; `tableList`/`columnList` are the parser's own notes, not SQL.
      this.statement(node.ast, scope);
      return node;
    }
    if ('table' in node && ('db' in node || 'as' in node) && node.type !== 'column_ref') {
      throw refusedConstruct('table reference outside FROM');
    }
    const type = node.type;
    if (type === 'column_ref') {
      // Names only: anything richer under a column reference is not something the gate models.
      for (const key of Object.keys(node)) {
        const v = node[key];
        const plain = v === null || typeof v !== 'object' || key === 'collate' || key === 'loc';
        if (!plain && !isName(v)) throw refusedConstruct('column reference');
      }
      const replaced = this.columnRef(node);
      if (replaced !== null) return replaced;
      if (node.collate != null) this.any(node.collate, scope);
      return node;
    }
    if (type === 'function') return this.functionCall(node, scope);
    if (type === 'aggr_func') {
      this.checkFunction(identifier(node.name) ?? '');
      this.children(node, scope, ['name']);
      return node;
    }
    if (this.special(node, scope)) return node;
    if (type === 'collate') checkCollation(node);
    if (type === 'var' || type === 'assign') throw queryRefused('Variables are not allowed in queries');
    if (type === 'single_quote_string' || type === 'natural_string') node.value = reescape(node.value);
    if (type === 'double_quote_string') {
      // Under ANSI_QUOTES this is an identifier: refuse rather than depend on the sql_mode.
      throw queryRefused('Use single quotes for strings');
    }
    if (type === 'origin') {
      if (typeof node.value !== 'string' || !MYSQL_KEYWORDS.has(node.value.toLowerCase())) {
        throw refusedConstruct(String(node.value));
      }
      return node;
    }
    if (type === 'datatype') {
      if (!MYSQL_TYPES.has(String(node.dataType).toLowerCase()))
        throw queryRefused(`Type ${String(node.dataType)} is not allowed`);
      return node;
    }
    if (type === 'cast') {
      for (const target of Array.isArray(node.target) ? node.target : []) checkCastTarget(target);
      this.children(node, scope, ['target']);
      return node;
    }
    if (type !== undefined && type !== null && !EXPRESSIONS.has(String(type)))
      throw refusedConstruct(String(type));
    this.children(node, scope, []);
    return node;
  }

  private children(node: MyNode, scope: MyScope | null, skip: readonly string[]): void {
    for (const key of Object.keys(node)) {
      if (key === 'type' || key === 'loc' || skip.includes(key)) continue;
      node[key] = this.any(node[key], scope);
    }
  }

  private functionCall(node: MyNode, scope: MyScope | null): unknown {
    const name = isObject(node.name) ? node.name : null;
    const parts = name !== null && Array.isArray(name.name) ? name.name.map(identifier) : [];
    if (name === null || parts.length !== 1 || parts[0] === null || name.schema != null) {
      throw queryRefused('Qualified function calls are not allowed');
    }
    // A quoted name (`` `substring`(…) ``) is not the built-in for the server: MariaDB and MySQL
    // resolve it to a stored function of the default database when one has that name, which
    // runs with its definer's rights. Only a bare word reaches the built-in.
    const part = Array.isArray(name.name) ? name.name[0] : null;
    if (!isObject(part) || (part.type !== 'default' && part.type !== 'origin')) {
      throw queryRefused('Function names must be written without quotes', {
        construct: 'quoted function name',
      });
    }
    const fname = parts[0]!;
    const compat = asPolicyFunction(fname);
    if (compat !== null) return this.compatCall(node, compat, fname);
    this.checkFunction(fname);
    this.children(node, scope, ['name']);
    return node;
  }

  private checkFunction(name: string): void {
    if (!MYSQL_FUNCTIONS.has(name.toLowerCase())) {
      throw queryRefused(`Function ${name}() is not allowed`, { function: name });
    }
  }

  protected enter(): void {
    if (++this.depth > MAX_DEPTH) throw queryRefused('The query is nested too deeply');
  }

  protected leave(): void {
    this.depth--;
  }
}
