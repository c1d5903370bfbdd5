import { randomBytes } from 'node:crypto';
import mysqlGrammar from 'node-sql-parser/build/mysql.js';
import { AppError, echo, type Problem } from '../../errors.ts';
import { accessDenied, queryRefused } from './errors.ts';
import { identifier, isObject, type MyNode, MyWalker } from './mysql-walk.ts';
import {
  type BoundValue,
  bindPolicyFunction,
  type PolicyFunction,
  sampleBinding,
} from './policy-functions.ts';
import { GateState } from './state.ts';
import type { GateRequest, GateTable, RewrittenQuery, TableName } from './types.ts';

/**
 * MySQL and MariaDB: parse with node-sql-parser's MySQL grammar, walk and rewrite the tree,
 * print it back. Database and table names are compared case-insensitively (as MySQL does with
 * lower_case_table_names=1, and as Windows/macOS servers do); the printed query always uses the
 * domain's own spelling. CTE names must match exactly: a name that differs only by case is
 * refused, because whether the server takes it for the CTE depends on its settings.
 */

const OPTIONS = { database: 'mysql' } as const;
type Parser = InstanceType<typeof mysqlGrammar.Parser>;

interface Placeholder {
  readonly node: MyNode;
  readonly value: unknown;
}

export async function rewriteMysql(request: GateRequest): Promise<RewrittenQuery> {
  const parser = new mysqlGrammar.Parser();
  const ast = parseOne(parser, request.sql, 'query');
  const state = new GateState();
  const placeholders: Placeholder[] = [];
  const policyTables = new Set<string>();
  const walker = new MyWalker({
    mode: 'query',
    defaultSchema: request.defaultSchema,
    table: (item, schema, name) => {
      const table = request.tables.find(
        (t) => t.schema.toLowerCase() === schema.toLowerCase() && t.name.toLowerCase() === name.toLowerCase(),
      );
      if (table === undefined) {
        throw accessDenied(`Table ${schema}.${name} is not part of this domain`, {
          table: `${schema}.${name}`,
        });
      }
      state.addTable(table);
      if (request.applyPolicies && table.policy === null && request.requirePolicies) {
        throw accessDenied(`Table ${table.schema}.${table.name} has no row policy`, {
          table: `${table.schema}.${table.name}`,
        });
      }
      // Keep the name as written as the alias, so `ORDERS.id` still finds `orders`.
      const alias = item.as ?? (name === table.name ? null : quoteRaw(name));
      if (!request.applyPolicies || table.policy === null) {
        return { ...item, db: quoteRaw(table.schema), table: quoteRaw(table.name), as: alias };
      }
      state.addPolicy(table, table.policy);
      const where = compileMysqlPolicy(parser, table, request, state, placeholders, policyTables);
      const { db: _db, table: _table, as: _as, ...rest } = item;
      return {
        expr: { ast: policySelect(table, where), parentheses: true },
        as: alias ?? quoteRaw(table.name),
        ...rest,
      };
    },
    policyFunction: unreachable,
    expandListFunction: unreachable,
  });
  walker.statement(ast, null);
  const { sql, params } = printWithParams(parser, ast, placeholders, (entry) => {
    // Defence in depth: the parser's own list of the printed query's tables must hold only
    // qualified domain or policy tables, and unqualified names of the query's CTEs.
    const [kind, db, name] = entry.split('::');
    const ok =
      kind === 'select' &&
      name !== undefined &&
      (db === 'null'
        ? walker.cteNames.has(name)
        : state.tablesRead().some((t) => quoteRaw(t.schema) === db && quoteRaw(t.name) === name) ||
          policyTables.has(`${db?.toLowerCase()}.${name.toLowerCase()}`));
    if (!ok) throw queryRefused('The query cannot be rewritten faithfully');
  });
  state.params.push(...params);
  return state.result(sql);

  function unreachable(): never {
    throw new Error('unreachable: policy functions are refused in query mode');
  }
}

/** Parses SQL that must be exactly one SELECT. */
function parseOne(parser: Parser, sql: string, what: 'query' | 'policy'): MyNode {
  let ast: unknown;
  try {
    ast = parser.astify(sql, OPTIONS);
  } catch (error) {
    throw queryRefused(
      `The ${what} is not valid SQL for MySQL: ${echo(error instanceof Error ? error.message : String(error), 200)}`,
    );
  }
  const statements = Array.isArray(ast) ? ast : [ast];
  if (statements.length !== 1)
    throw queryRefused(`Exactly one statement is allowed (found ${statements.length})`);
  const statement = statements[0];
  if (!isObject(statement) || statement.type !== 'select') {
    const kind = isObject(statement) ? String(statement.type).toUpperCase() : 'unknown';
    throw queryRefused(`Only read-only SELECT statements are allowed (found ${kind})`, { statement: kind });
  }
  return statement;
}

/** A policy is parsed as the WHERE of `SELECT 1 FROM DUAL WHERE (…)`, and must keep that shape. */
function parsePolicy(parser: Parser, policy: string): MyNode {
  const select = parseOne(parser, `SELECT 1 FROM DUAL WHERE (\n${policy}\n)`, 'policy');
  const extra = Object.keys(select).filter(
    (k) => !['type', 'columns', 'from', 'where', 'into', 'loc'].includes(k) && select[k] != null,
  );
  const from = select.from;
  const dual = Array.isArray(from) && from.length === 1 && isObject(from[0]) && from[0].type === 'dual';
  if (extra.length > 0 || !dual || !isObject(select.where))
    throw queryRefused('A row policy must be one boolean expression');
  return select.where;
}

/** Walks a policy in policy mode; returns its WHERE expression with placeholders. */
function compileMysqlPolicy(
  parser: Parser,
  table: GateTable,
  request: Pick<GateRequest, 'defaultSchema' | 'user'>,
  state: GateState,
  placeholders: Placeholder[],
  policyTables: Set<string>,
  onColumn?: (name: string) => void,
  binder: (fn: PolicyFunction, key: string | null) => BoundValue = (fn, key) =>
    bindPolicyFunction(fn, key, request.user),
): MyNode {
  const expression = parsePolicy(parser, table.policy ?? '');
  const bind = (call: MyNode, fn: PolicyFunction) => {
    const key = policyFunctionKey(call, fn);
    if (key !== null) state.useAttribute(key);
    return binder(fn, key);
  };
  const placeholder = (value: unknown): MyNode => {
    const node: MyNode = { type: 'origin', value: '?' };
    placeholders.push({ node, value });
    return node;
  };
  const walker = new MyWalker({
    mode: 'policy',
    defaultSchema: request.defaultSchema,
    // Tables inside a policy are trusted admin SQL, but always qualified so that neither the
    // connection's default database nor a CTE of the user's query can stand in for them.
    table: (item, schema, name) => {
      policyTables.add(`${schema.toLowerCase()}.${name.toLowerCase()}`);
      return { ...item, db: quoteRaw(schema) };
    },
    policyFunction: (call, fn) => {
      const bound = bind(call, fn);
      if (bound.kind === 'text_list' || bound.kind === 'int_list')
        throw new Error('lists are expanded in IN (…)');
      return placeholder(bound.value);
    },
    expandListFunction: (call, fn) => {
      const bound = bind(call, fn);
      if (bound.kind !== 'text_list' && bound.kind !== 'int_list') throw new Error('not a list function');
      return bound.values.map((v) => placeholder(v));
    },
    topLevelColumn: (ref) => qualifyPolicyColumn(ref, table, onColumn),
  });
  return walker.any(expression, null) as MyNode;
}

/** Save-time check of a MySQL row policy (see `validatePolicy`). */
export async function validateMysqlPolicy(
  policy: string,
  columns: readonly string[] | null,
  table: TableName | undefined,
): Promise<Problem[]> {
  const seen = new Set<string>();
  const target: GateTable = { schema: table?.schema ?? '', name: table?.name ?? '', policy };
  const user = { email: 'validation@tessera.invalid', attributes: new Map<string, string>() };
  try {
    const parser = new mysqlGrammar.Parser();
    compileMysqlPolicy(
      parser,
      target,
      { defaultSchema: 'tessera_validation', user },
      new GateState(),
      [],
      new Set(),
      (c) => seen.add(c),
      sampleBinding,
    );
  } catch (error) {
    if (!(error instanceof AppError)) throw error;
    return [{ code: 'BAD_USER_INPUT', field: 'policy', item: echo(policy), message: error.message }];
  }
  if (columns === null) return [];
  const known = new Set(columns.map((c) => c.toLowerCase()));
  return [...seen]
    .filter((c) => !known.has(c.toLowerCase()))
    .map((c) => ({
      code: 'BAD_USER_INPUT',
      field: 'policy',
      item: c,
      message: `Unknown column "${echo(c)}"`,
    }));
}

/** The sub-select that stands for a table: `SELECT * FROM db.table WHERE policy`. */
function policySelect(table: GateTable, where: MyNode): MyNode {
  return {
    with: null,
    type: 'select',
    options: null,
    distinct: null,
    columns: [{ expr: { type: 'column_ref', table: null, column: '*' }, as: null }],
    into: { position: null },
    from: [{ db: quoteRaw(table.schema), table: quoteRaw(table.name), as: null }],
    where,
    groupby: null,
    having: null,
    orderby: null,
    limit: null,
    locking_read: null,
    window: null,
    collate: null,
  };
}

/** The parser keeps identifiers as written between backticks (a backtick doubled). */
function quoteRaw(name: string): string {
  return name.replaceAll('`', '``');
}

/** The attribute key of a compat call: one plain string literal (none for USER_EMAIL). */
function policyFunctionKey(call: MyNode, fn: PolicyFunction): string | null {
  for (const key of Object.keys(call)) {
    if (!['type', 'name', 'args', 'over', 'loc'].includes(key))
      throw queryRefused(`${fn.toUpperCase()}() has unexpected syntax`);
  }
  if (call.over != null) throw queryRefused(`${fn.toUpperCase()}() cannot be a window function`);
  const args = isObject(call.args) && Array.isArray(call.args.value) ? call.args.value : [];
  if (fn === 'user_email') {
    if (args.length !== 0) throw queryRefused('USER_EMAIL() takes no argument');
    return null;
  }
  const only = args.length === 1 ? args[0] : undefined;
  const value = isObject(only) && only.type === 'single_quote_string' ? only.value : undefined;
  // The parser keeps a literal's escapes as written; a key needing escapes is refused.
  if (typeof value !== 'string' || value === '' || /['\\]/.test(value)) {
    throw queryRefused(`${fn.toUpperCase()}() takes one plain string literal: the attribute name`);
  }
  return value;
}

/**
 * A policy's own columns are qualified with the table's name, so a column the table lacks is an
 * error instead of binding to a same-named column of the user's enclosing query.
 */
function qualifyPolicyColumn(ref: MyNode, table: GateTable, onColumn?: (name: string) => void): void {
  const column =
    identifier(ref.column) ??
    (isObject(ref.column) && isObject(ref.column.expr) ? identifier(ref.column.expr) : null);
  if (column === null) throw queryRefused('A row policy has a column reference the gate does not understand');
  const qualifier = ref.table == null ? null : identifier(ref.table);
  const db = ref.db == null ? null : identifier(ref.db);
  const sameTable =
    qualifier === null || table.name === '' || qualifier.toLowerCase() === table.name.toLowerCase();
  const sameDb = db === null || table.schema === '' || db.toLowerCase() === table.schema.toLowerCase();
  if (!sameTable || !sameDb) {
    throw queryRefused(
      `A row policy on ${table.name} can only reference that table's columns outside sub-selects`,
    );
  }
  onColumn?.(column);
  if (table.name !== '') {
    ref.table = quoteRaw(table.name);
    ref.db = null;
  }
}

/**
 * Prints the tree and orders the parameters as their `?` appear in the printed text. The order
 * comes from the parser, not from a guess about the printer: a probe print puts a unique column
 * name where each placeholder goes, and parsing the probe with locations gives their positions.
 */
function printWithParams(
  parser: Parser,
  ast: MyNode,
  placeholders: readonly Placeholder[],
  checkTable: (entry: string) => void,
): { sql: string; params: unknown[] } {
  const token = `tessera_param_${randomBytes(8).toString('hex')}_`;
  placeholders.forEach((p, i) => {
    delete p.node.value;
    Object.assign(p.node, { type: 'column_ref', table: null, column: `${token}${i}` });
  });
  const probe = parser.sqlify(ast as never, OPTIONS);
  for (const p of placeholders) {
    for (const key of Object.keys(p.node)) delete p.node[key];
    Object.assign(p.node, { type: 'origin', value: '?' });
  }
  const sql = parser.sqlify(ast as never, OPTIONS);
  let parsed: { ast: unknown; tableList: string[] };
  try {
    parsed = parser.parse(probe, { ...OPTIONS, parseOptions: { includeLocations: true } }) as typeof parsed;
  } catch {
    throw queryRefused('The query cannot be rewritten faithfully');
  }
  const found: { index: number; offset: number }[] = [];
  let questionMarks = 0;
  const visit = (value: unknown): void => {
    if (Array.isArray(value)) {
      for (const item of value) visit(item);
      return;
    }
    if (!isObject(value)) return;
    const column = identifier(value.column);
    if (value.type === 'column_ref' && column?.startsWith(token)) {
      const loc =
        isObject(value.loc) && isObject(value.loc.start) ? Number(value.loc.start.offset) : Number.NaN;
      found.push({ index: Number(column.slice(token.length)), offset: loc });
    }
    if (value.type === 'origin' && value.value === '?') questionMarks++;
    for (const key of Object.keys(value)) if (key !== 'loc') visit(value[key]);
  };
  visit(parsed.ast);
  const indexes = new Set(found.map((f) => f.index));
  if (
    questionMarks !== 0 ||
    found.length !== placeholders.length ||
    indexes.size !== found.length ||
    found.some((f) => !Number.isFinite(f.offset))
  ) {
    throw queryRefused('The query cannot be rewritten faithfully');
  }
  for (const entry of parsed.tableList) checkTable(entry);
  found.sort((a, b) => a.offset - b.offset);
  return { sql, params: found.map((f) => placeholders[f.index]!.value) };
}
