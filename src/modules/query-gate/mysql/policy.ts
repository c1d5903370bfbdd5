import type mysqlGrammar from 'node-sql-parser/build/mysql.js';
import { echo } from '../../../errors.ts';
import { queryRefused } from '../errors.ts';
import { bindPolicyFunction, type PolicyBinder, type PolicyFunction } from '../policy-functions.ts';
import { checkParamCount, type GateState } from '../state.ts';
import type { GateRequest, GateTable } from '../types.ts';
import { lexMysql } from './lex.ts';
import { identifier, isObject, type MyNode } from './nodes.ts';
import { parseMysqlBounded } from './parse.ts';
import { MyPolicyWalker } from './policy-walk.ts';
import { parserText } from './spellings.ts';

/** node-sql-parser's MySQL grammar, used for MariaDB too. */
export const OPTIONS = { database: 'mysql' } as const;
export type Parser = InstanceType<typeof mysqlGrammar.Parser>;

export interface Placeholder {
  readonly node: MyNode;
  readonly value: unknown;
}

/**
 * Parses SQL that must be exactly one SELECT. The parse runs on the grammar's own bounded copy
 * (`parse.ts`); `_parser` is the caller's printer, kept so every step takes the same one.
 */
export function parseOne(_parser: Parser, sql: string, what: 'query' | 'policy'): MyNode {
  // One lexical truth: text the parser and the server could split differently is refused here.
  const spelled = parserText(sql, lexMysql(sql, 'input'));
  const parsed = parseMysqlBounded(spelled.text, { ...OPTIONS, parseOptions: { includeLocations: true } });
  if ('error' in parsed) {
    throw queryRefused(`The ${what} is not valid SQL for MySQL: ${echo(parsed.error, 200)}`);
  }
  const ast = parsed.ast;
  const statements = Array.isArray(ast) ? ast : [ast];
  if (statements.length !== 1)
    throw queryRefused(`Exactly one statement is allowed (found ${statements.length})`);
  spelled.restore(statements[0]);
  const statement = statements[0];
  if (!isObject(statement) || statement.type !== 'select') {
    const kind = isObject(statement) ? String(statement.type).toUpperCase() : 'unknown';
    throw queryRefused(`Only read-only SELECT statements are allowed (found ${kind})`, { statement: kind });
  }
  return statement;
}

/** A policy is parsed as the WHERE of `SELECT 1 FROM DUAL WHERE (…)`, and must keep that shape. */
export function parsePolicy(parser: Parser, policy: string): MyNode {
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

/** What compiling a MySQL policy reads and where it writes. */
export interface MysqlPolicyCompilation {
  /** Parses a policy's text (the rewrite parses each text once per request). */
  readonly parse: (policy: string) => MyNode;
  readonly request: Pick<GateRequest, 'defaultSchema' | 'user'>;
  readonly state: GateState;
  /** Receives every `?` the policy compiles to, in order. */
  readonly placeholders: Placeholder[];
  /** Told each column of the policy's own table (the save-time check lists them). */
  readonly onColumn?: ((name: string) => void) | undefined;
  /** Binds each compat call; the user's own values unless set. */
  readonly binder?: PolicyBinder | undefined;
}

/** Walks a table's policy with the policy walker; returns its WHERE expression with placeholders. */
export function compileMysqlPolicy(table: GateTable, compilation: MysqlPolicyCompilation): MyNode {
  const { parse, request, state, placeholders, onColumn } = compilation;
  const binder = compilation.binder ?? ((fn, key) => bindPolicyFunction(fn, key, request.user));
  const expression = parse(table.policy ?? '');
  const bind = (call: MyNode, fn: PolicyFunction) => {
    const key = policyFunctionKey(call, fn);
    if (key !== null) state.useAttribute(key);
    return binder(fn, key);
  };
  const placeholder = (value: unknown): MyNode => {
    checkParamCount(placeholders.length + 1);
    const node: MyNode = { type: 'origin', value: '?' };
    placeholders.push({ node, value });
    // Text compares binary-exact: under the usual case- and pad-insensitive collations
    // `tenant = ?` would match 'b-secret-tenant' or 'B-SECRET-TENANT ' against 'B-SECRET-TENANT'.
    // Cast on the parameter side, so an index on the column still serves the lookup
    // (docs/query-gate.md, "MySQL and MariaDB: exact comparisons").
    return typeof value === 'string' ? binary(node) : node;
  };
  const walker = new MyPolicyWalker({
    defaultSchema: request.defaultSchema,
    // Tables inside a policy are trusted admin SQL, but always qualified so that neither the
    // connection's default database nor a CTE of the user's query can stand in for them.
    table: (item, schema) => ({ ...item, db: quoteRaw(schema) }),
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

/** `CAST(? AS BINARY)`: compared byte for byte, no collation, no trailing-space padding. */
export function binary(node: MyNode): MyNode {
  return { type: 'cast', keyword: 'cast', expr: node, symbol: 'as', target: [{ dataType: 'BINARY' }] };
}

/** The sub-select that stands for a table: `SELECT * FROM db.table WHERE policy`. */
export function policySelect(table: GateTable, where: MyNode | null): MyNode {
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
    // A LIMIT keeps the derived table from being merged into the user's query and stops the
    // optimizer pushing the user's conditions into it, so none of them is evaluated on a row
    // before the policy let it through (an error such as "Subquery returns more than 1 row"
    // would otherwise answer yes/no questions about other tenants' rows). The value is
    // MySQL's documented "all rows".
    limit: { seperator: '', value: [{ type: 'bigint', value: '18446744073709551615' }] },
    locking_read: null,
    window: null,
    collate: null,
  };
}

/** The parser keeps identifiers as written between backticks (a backtick doubled). */
export function quoteRaw(name: string): string {
  return name.replaceAll('`', '``');
}

/** The attribute key of a compat call: one plain string literal (none for USER_EMAIL). */
export function policyFunctionKey(call: MyNode, fn: PolicyFunction): string | null {
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
export function qualifyPolicyColumn(ref: MyNode, table: GateTable, onColumn?: (name: string) => void): void {
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
