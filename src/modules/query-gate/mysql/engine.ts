import mysqlGrammar from 'node-sql-parser/build/mysql.js';
import type { Problem } from '../../../errors.ts';
import { accessDenied, queryRefused } from '../errors.ts';
import {
  isListKind,
  listNotAllowed,
  type ParameterKind,
  parameterProblem,
  parameterValue,
  placeholderMisplaced,
  type QueryParameterValue,
} from '../parameters.ts';
import { policyProblems, sampleBinding } from '../policy-functions.ts';
import { GateState } from '../state.ts';
import type { GateColumnPolicy, GateRequest, GateTable, RewrittenQuery, TableName } from '../types.ts';
import { isObject, type MyNode } from './nodes.ts';
import { placeholderIndex, placeSlots, slotMarker, substituteMysqlPlaceholders } from './placeholders.ts';
import {
  binary,
  compileMysqlPolicy,
  type MysqlPolicyCompilation,
  type Parser,
  type Placeholder,
  parseOne,
  parsePolicy,
  policySelect,
  quoteRaw,
} from './policy.ts';
import { MyQueryWalker } from './query-walk.ts';
import {
  type ExpectedWrapper,
  expectedWrapper,
  type MysqlQuerySlot,
  print,
  verifyMysqlOutput,
} from './verify.ts';

/**
 * MySQL and MariaDB: parse with node-sql-parser's MySQL grammar, walk and rewrite the tree,
 * print it back. Database and table names are compared case-insensitively (as MySQL does with
 * lower_case_table_names=1, and as Windows/macOS servers do); the printed query always uses the
 * domain's own spelling. CTE names must match exactly: a name that differs only by case is
 * refused, because whether the server takes it for the CTE depends on its settings.
 */

export async function rewriteMysql(request: GateRequest): Promise<RewrittenQuery> {
  const parser = new mysqlGrammar.Parser();
  const substituted = substituteMysqlPlaceholders(request.sql);
  const ast = parseOne(parser, substituted.text, 'query');
  const state = new GateState();
  const placeholders: Placeholder[] = [];
  const parameters = new QueryParameters(request, substituted.uses);
  const walker = new MyQueryWalker({
    defaultSchema: request.defaultSchema,
    table: (item, schema, name) => {
      const table = request.tables.find(
        (t) => t.schema.toLowerCase() === schema.toLowerCase() && t.name.toLowerCase() === name.toLowerCase(),
      );
      if (placeholderIndex({ column: name }) !== null) throw parameters.misplaced(name);
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
      if (!isWrappedMysql(table, request.applyPolicies)) {
        return { ...item, db: quoteRaw(table.schema), table: quoteRaw(table.name), as: alias };
      }
      if (table.policy !== null) state.addPolicy(table, table.policy);
      state.addMasks(table);
      const body = wrapperBody(parser, table, request, { state, placeholders });
      const { db: _db, table: _table, as: _as, ...rest } = item;
      return {
        expr: { ast: body, parentheses: true },
        as: alias ?? quoteRaw(table.name),
        ...rest,
      };
    },
    queryParameter: (ref) => parameters.single(ref),
    queryParameterIn: (ref, alone) => (alone ? parameters.list(ref) : [parameters.single(ref)]),
  });
  walker.statement(ast, null);
  parameters.checkAllPlaced();
  const placed = placeSlots(print(parser, ast), parameters.slots.length);
  const sql = placed.sql;
  const checked = verifyOutput(
    parser,
    sql,
    request,
    placed.order.map((j) => parameters.slots[j]!),
  );
  state.params.push(...checked.params);
  state.noteQuerySlots(checked.queryParameters);
  const result = state.result(sql);
  return { ...result, policyChecks: standaloneChecks(parser, request, result.tables) };
}

/** Whether a table is wrapped: a row policy or a column policy, when policies apply. */
export function isWrappedMysql(table: GateTable, applyPolicies: boolean): boolean {
  return applyPolicies && (table.policy !== null || (table.columnPolicies?.length ?? 0) > 0);
}

/**
 * The sub-select that stands for a table: its row policy as the WHERE (none without one), and
 * with column policies its columns one by one, masked ones as `CASE WHEN <condition> THEN col
 * ELSE <mask> END AS col` (docs/query-gate.md "Column masks in the wrapper"). The row policy is
 * compiled first, then each condition in column order, so a rewrite and its check agree.
 */
function wrapperBody(
  parser: Parser,
  table: GateTable,
  request: GateRequest,
  into: Pick<MysqlPolicyCompilation, 'state' | 'placeholders' | 'binder'>,
): MyNode {
  const compile = (text: string) =>
    compileMysqlPolicy(
      { ...table, policy: text },
      { parse: (policy) => parsedPolicy(parser, policy), request, ...into },
    );
  const where = table.policy === null ? null : compile(table.policy);
  const select = policySelect(table, where);
  const policies = table.columnPolicies ?? [];
  if (policies.length === 0) return select;
  const columns = table.columns ?? [];
  for (const c of policies) {
    if (!columns.includes(c.column)) {
      throw queryRefused(`The column policy on ${table.name}.${c.column} names a column the table lacks`);
    }
  }
  select.columns = columns.map((column) => {
    const ref = `\`${table.name.replaceAll('`', '``')}\`.\`${column.replaceAll('`', '``')}\``;
    const policy = policies.find((c) => c.column === column);
    // Each named, so the output column is the column's own name whatever the server would derive.
    if (policy === undefined) return { expr: parsedPolicy(parser, ref), as: quoteRaw(column) };
    const masked = parsedPolicy(parser, `CASE WHEN 1 THEN ${ref} ELSE ${mysqlMask(ref, policy)} END`);
    const when = Array.isArray(masked.args)
      ? masked.args.find((a) => isObject(a) && a.type === 'when')
      : null;
    if (!isObject(when)) throw queryRefused('The column mask cannot be built');
    when.cond = compile(policy.condition);
    return { expr: masked, as: quoteRaw(column) };
  });
  return select;
}

/** A column's mask in MySQL/MariaDB syntax (docs/data-access.md "Column policies"). */
function mysqlMask(ref: string, policy: GateColumnPolicy): string {
  switch (policy.mask) {
    case 'NULL':
      return 'NULL';
    case 'TEXT':
      return `'${(policy.maskText ?? '').replaceAll("'", "''")}'`;
    case 'HASH':
      return `sha2(${ref}, 256)`;
    case 'EXPRESSION':
      if (policy.maskExpression === 'LAST_4') return `right(${ref}, 4)`;
      if (policy.maskExpression === 'EMAIL_DOMAIN') return `substring_index(${ref}, '@', -1)`;
      throw queryRefused(`Unknown mask expression on ${policy.column}`);
  }
}

/** Policies are few and change rarely: each text is parsed once, every use walks its own copy. */
const POLICY_TREES = new Map<string, MyNode>();

function parsedPolicy(parser: Parser, policy: string): MyNode {
  let parsed = POLICY_TREES.get(policy);
  if (parsed === undefined) {
    parsed = parsePolicy(parser, policy);
    if (POLICY_TREES.size >= 1000) POLICY_TREES.delete(POLICY_TREES.keys().next().value!);
    POLICY_TREES.set(policy, parsed);
  }
  return structuredClone(parsed);
}

/**
 * The `{{name}}` stand-ins of one query: each use is replaced exactly once by its slot(s), a
 * text value as `CAST(? AS BINARY)` (compared byte for byte, as the policies' text values are),
 * a number, boolean or NULL as `?`, a list (only inside `IN (…)`) as one slot per element.
 */
/** The most placeholders MySQL and MariaDB take in one prepared statement. */
const MAX_PLACEHOLDERS = 65_535;

class QueryParameters {
  readonly slots: MysqlQuerySlot[] = [];
  readonly #uses: readonly string[];
  readonly #values: { kind: ParameterKind; value: QueryParameterValue }[];
  readonly #placed = new Set<number>();

  constructor(request: GateRequest, uses: readonly string[]) {
    this.#uses = uses;
    this.#values = uses.map((name) => parameterValue(request.parameters, name, 'mysql'));
    // Each list element is its own `?`, and the server takes at most MAX_PLACEHOLDERS in one
    // statement: past that, refuse before expanding them, which would take the rewrite (and its
    // checks) many seconds for a statement the server refuses anyway.
    let placeholders = 0;
    this.#values.forEach(({ value }, k) => {
      placeholders += Array.isArray(value) ? value.length : 1;
      if (placeholders > MAX_PLACEHOLDERS)
        throw parameterProblem(
          uses[k]!,
          `The query's parameters would be ${MAX_PLACEHOLDERS + 1} or more placeholders (each list element is one); MySQL takes at most ${MAX_PLACEHOLDERS} in a statement`,
        );
    });
  }

  single(ref: MyNode): MyNode {
    const k = this.#take(ref);
    if (isListKind(this.#values[k]!.kind)) throw listNotAllowed(this.#uses[k]!);
    return this.#slot(k, this.#values[k]!.value, null);
  }

  list(ref: MyNode): MyNode[] {
    const k = this.#take(ref);
    const { kind, value } = this.#values[k]!;
    if (!isListKind(kind) || !Array.isArray(value)) return [this.#slot(k, value, null)];
    return value.map((v, i) => this.#slot(k, v, i));
  }

  misplaced(marker: string): Error {
    return placeholderMisplaced(this.#uses[placeholderIndex({ column: marker }) ?? -1] ?? marker);
  }

  checkAllPlaced(): void {
    this.#uses.forEach((name, k) => {
      if (!this.#placed.has(k)) throw placeholderMisplaced(name);
    });
  }

  #take(ref: MyNode): number {
    const k = placeholderIndex(ref) ?? -1;
    const name = this.#uses[k];
    if (name === undefined) throw queryRefused('The query cannot be rewritten faithfully');
    if (ref.table != null || ref.db != null || this.#placed.has(k)) throw placeholderMisplaced(name);
    this.#placed.add(k);
    return k;
  }

  #slot(k: number, value: unknown, element: number | null): MyNode {
    const text = typeof value === 'string';
    const j = this.slots.push({ text, value, name: this.#uses[k]!, element }) - 1;
    return text ? binary(slotMarker(j)) : slotMarker(j);
  }
}

/**
 * The invariant check on printed SQL (see `verifyMysqlOutput`); returns the parameters. Each
 * expected wrapper is built from the policy text again, apart from the rewritten tree.
 */
export function checkMysqlOutput(parser: Parser, sql: string, request: GateRequest): unknown[] {
  return verifyOutput(parser, sql, request, []).params;
}

function verifyOutput(
  parser: Parser,
  sql: string,
  request: GateRequest,
  querySlots: readonly MysqlQuerySlot[],
): ReturnType<typeof verifyMysqlOutput> {
  const expected = new Map<GateTable, ExpectedWrapper>();
  return verifyMysqlOutput(
    sql,
    request,
    (table) => {
      let wrapper = expected.get(table);
      if (wrapper === undefined) {
        const own: Placeholder[] = [];
        wrapper = expectedWrapper(
          parser,
          wrapperBody(parser, table, request, { state: new GateState(), placeholders: own }),
          own,
        );
        expected.set(table, wrapper);
      }
      return wrapper;
    },
    querySlots,
  );
}

/**
 * Each applied policy's wrapper query printed on its own, for the executor to prepare (never run)
 * before the query: with nothing around it, every name of the policy must resolve inside it. MySQL
 * 8.0.14 and later let a derived table see the enclosing query's columns, so a policy naming a
 * column its tables lack would otherwise bind to a column of the user's query.
 */
function standaloneChecks(parser: Parser, request: GateRequest, applied: RewrittenQuery['tables']): string[] {
  const checks = new Set<string>();
  for (const read of applied) {
    const table = request.tables.find((t) => t.schema === read.schema && t.name === read.name);
    if (table === undefined || !isWrappedMysql(table, request.applyPolicies)) continue;
    // Sample values: the check is prepared, never run, and must not bind the user's values twice.
    const into = { state: new GateState(), placeholders: [], binder: sampleBinding };
    checks.add(print(parser, wrapperBody(parser, table, request, into)));
  }
  return [...checks];
}

/** Save-time check of a MySQL row policy (see `validatePolicy`). Column names compare case-insensitively. */
export async function validateMysqlPolicy(
  policy: string,
  columns: readonly string[] | null,
  table: TableName | undefined,
): Promise<Problem[]> {
  const target: GateTable = { schema: table?.schema ?? '', name: table?.name ?? '', policy };
  const user = { email: 'validation@tessera.invalid', attributes: new Map<string, string>() };
  const parser = new mysqlGrammar.Parser();
  return policyProblems(
    policy,
    columns,
    (a, b) => a.toLowerCase() === b.toLowerCase(),
    (noteColumn) =>
      compileMysqlPolicy(target, {
        parse: (text) => parsePolicy(parser, text),
        request: { defaultSchema: 'tessera_validation', user },
        state: new GateState(),
        placeholders: [],
        onColumn: noteColumn,
        binder: sampleBinding,
      }),
  );
}
