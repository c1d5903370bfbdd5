import { randomBytes } from 'node:crypto';
import { queryRefused } from '../errors.ts';
import type { QueryParameterSlot } from '../parameters.ts';
import type { GateRequest, GateTable } from '../types.ts';
import { lexMysql, type MyToken } from './lex.ts';
import { identifier, isObject, type MyNode } from './nodes.ts';
import { parseMysqlBounded } from './parse.ts';
import { OPTIONS, type Parser, type Placeholder } from './policy.ts';
import { MyQueryWalker } from './query-walk.ts';
import { parserText } from './spellings.ts';

/** A `{{name}}` slot of the printed query, in the order of the text: `CAST(? AS BINARY)` for text, else `?`. */
export interface MysqlQuerySlot {
  readonly text: boolean;
  readonly value: unknown;
  readonly name: string;
  readonly element: number | null;
}

/**
 * The invariant, checked on the exact text that will run (docs/query-gate.md,
 * "MySQL and MariaDB: the invariant"): the printed SQL is tokenized with the server's rules and parsed
 * again, and in that fresh tree every reference to a protected table is a policy wrapper equal
 * to the one the gate prints for that table on its own, every other table is a bare domain table
 * without policy, and every `?` sits in a wrapper. Nothing of the rewrite's tree is consulted;
 * the parameters are assembled from the wrappers found, in the order they appear in the text.
 */

/** A table's wrapper as the gate prints it alone: its parsed shape and its values in text order. */
export interface ExpectedWrapper {
  readonly shape: string;
  readonly values: readonly unknown[];
}

function unfaithful(): Error {
  return queryRefused('The query cannot be rewritten faithfully');
}

/** Parses printed SQL (tokenized with the server's rules) that must be one SELECT; positions kept. */
function parsePrinted(sql: string, tokens: readonly MyToken[] = lexMysql(sql, 'output')): MyNode {
  const spelled = parserText(sql, tokens);
  const parsed = parseMysqlBounded(spelled.text, { ...OPTIONS, parseOptions: { includeLocations: true } });
  if ('error' in parsed) throw unfaithful();
  const ast = parsed.ast;
  const statements = Array.isArray(ast) ? ast : [ast];
  const only = statements[0];
  if (statements.length !== 1 || !isObject(only) || only.type !== 'select') throw unfaithful();
  spelled.restore(only);
  return only;
}

/**
 * The tree as comparable text, without positions and without the parser's notes on sub-selects
 * (`tableList`/`columnList` list what the whole statement mentions so far, not the node's SQL).
 */
function shapeOf(node: unknown): string {
  return JSON.stringify(node, (key, value) =>
    key === 'loc' || key === 'tableList' || key === 'columnList' ? undefined : value,
  );
}

/**
 * Prints one table's wrapper body alone and parses it back: a unique column name stands where each
 * placeholder goes, so the parse gives the order of the values in the text; those names are then
 * swapped for `?` nodes, as the parser reads a `?`.
 */
export function expectedWrapper(
  parser: Parser,
  body: MyNode,
  placeholders: readonly Placeholder[],
): ExpectedWrapper {
  // Which placeholder stands at each `?` of the tree, in tree order (by identity).
  const slots = placeholderNodes(body).map((node) => placeholders.findIndex((p) => p.node === node));
  if (slots.length !== placeholders.length || slots.some((i) => i < 0)) throw unfaithful();
  // The shape and the order of the `?` in the text depend on the built tree only: cached.
  const key = `${shapeOf(body)}\u0000${slots.join(',')}`;
  let known = WRAPPERS.get(key);
  if (known === undefined) {
    known = printAndParseAlone(parser, structuredClone(body), slots.length);
    if (WRAPPERS.size >= MAX_CACHED) WRAPPERS.delete(WRAPPERS.keys().next().value!);
    WRAPPERS.set(key, known);
  }
  return { shape: known.shape, values: known.order.map((k) => placeholders[slots[k]!]!.value) };
}

const MAX_CACHED = 1000;
const WRAPPERS = new Map<string, { shape: string; order: number[] }>();

/** The `?` nodes of a built tree, in the order of a depth-first walk over its keys. */
function placeholderNodes(tree: unknown): MyNode[] {
  const nodes: MyNode[] = [];
  const collect = (value: unknown): void => {
    if (Array.isArray(value)) for (const v of value) collect(v);
    else if (isObject(value)) {
      if (value.type === 'origin' && value.value === '?') nodes.push(value);
      else for (const v of Object.values(value)) collect(v);
    }
  };
  collect(tree);
  return nodes;
}

/** `order[j]`: the tree position of the j-th `?` of the printed text. */
function printAndParseAlone(parser: Parser, body: MyNode, count: number): { shape: string; order: number[] } {
  const nodes = placeholderNodes(body);
  if (nodes.length !== count) throw unfaithful();
  const token = `tessera_param_${randomBytes(8).toString('hex')}_`;
  nodes.forEach((node, i) => {
    for (const key of Object.keys(node)) delete node[key];
    Object.assign(node, { type: 'column_ref', table: null, column: `${token}${i}` });
  });
  const tree = parsePrinted(print(parser, body));
  const found: { index: number; offset: number }[] = [];
  const swap = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(swap);
    if (!isObject(value)) return value;
    const column = value.type === 'column_ref' ? identifier(value.column) : null;
    if (column?.startsWith(token)) {
      const start = isObject(value.loc) && isObject(value.loc.start) ? Number(value.loc.start.offset) : NaN;
      found.push({ index: Number(column.slice(token.length)), offset: start });
      return { type: 'origin', value: '?' };
    }
    for (const key of Object.keys(value)) value[key] = swap(value[key]);
    return value;
  };
  const swapped = swap(tree);
  const indexes = new Set(found.map((f) => f.index));
  if (
    found.length !== count ||
    indexes.size !== found.length ||
    found.some((f) => !Number.isFinite(f.offset))
  ) {
    throw unfaithful();
  }
  found.sort((a, b) => a.offset - b.offset);
  return { shape: shapeOf(swapped), order: found.map((f) => f.index) };
}

/** node-sql-parser's printer; a tree it cannot print is refused like any unaccountable query. */
export function print(parser: Parser, ast: MyNode): string {
  try {
    return parser.sqlify(ast as never, OPTIONS);
  } catch {
    throw unfaithful();
  }
}

/**
 * Checks `sql` (the text that will run) and returns its parameters. `wrapperFor` gives the
 * expected wrapper of a protected table; it is asked only for tables found wrapped. Every `?`
 * outside the wrappers must be one of `querySlots` (the query's own `{{name}}` slots, in text
 * order), spelled as its kind prints, and nothing else.
 */
export function verifyMysqlOutput(
  sql: string,
  request: Pick<GateRequest, 'tables' | 'applyPolicies'>,
  wrapperFor: (table: GateTable) => ExpectedWrapper,
  querySlots: readonly MysqlQuerySlot[] = [],
): { params: unknown[]; queryParameters: QueryParameterSlot[] } {
  const tokens = lexMysql(sql, 'output');
  const markTokens = tokens.flatMap((t, i) => (t.kind === 'placeholder' ? [i] : []));
  const marks = markTokens.map((i) => tokens[i]!.start);
  let bareMarks = 0;
  const tree = parsePrinted(sql, tokens);
  const protectedTable = (table: GateTable) =>
    request.applyPolicies && (table.policy !== null || (table.columnPolicies?.length ?? 0) > 0);
  // The gate prints the domain's own spelling, always qualified: an exact match or nothing.
  const domainTable = (item: MyNode): GateTable | undefined => {
    const db = item.db == null ? null : identifier(item.db);
    const name = identifier(item.table);
    return request.tables.find((t) => t.schema === db && t.name === name);
  };
  const wrappers: { start: number; end: number; values: readonly unknown[] }[] = [];
  const walker = new MyQueryWalker({
    // No unqualified name may reach `table`: a default that matches no domain table.
    defaultSchema: '',
    table: (item) => {
      const table = domainTable(item);
      if (table === undefined || protectedTable(table)) throw unfaithful();
      return null;
    },
    derived: (item) => {
      const body = isObject(item.expr) && isObject(item.expr.ast) ? item.expr.ast : null;
      const from = body !== null && Array.isArray(body.from) ? body.from : [];
      const inner = from.length === 1 && isObject(from[0]) ? from[0] : null;
      const table = inner !== null && inner.table != null ? domainTable(inner) : undefined;
      if (body === null || table === undefined || !protectedTable(table)) return false;
      const expected = wrapperFor(table);
      const loc = isObject(body.loc) ? body.loc : null;
      const start = loc !== null && isObject(loc.start) ? Number(loc.start.offset) : NaN;
      const end = loc !== null && isObject(loc.end) ? Number(loc.end.offset) : NaN;
      if (shapeOf(body) !== expected.shape || !Number.isFinite(start) || !Number.isFinite(end))
        throw unfaithful();
      wrappers.push({ start, end, values: expected.values });
      return true;
    },
    parameter: () => {
      bareMarks++;
    },
  });
  walker.statement(tree, null);
  wrappers.sort((a, b) => a.start - b.start);
  // Every `?` of the text lies in exactly one wrapper, as many as that wrapper's own print has,
  // or is one of the query's slots, in their order and spelled as their kind prints.
  const params: unknown[] = [];
  const queryParameters: QueryParameterSlot[] = [];
  const taken = wrappers.map(() => 0);
  let slot = 0;
  marks.forEach((mark, i) => {
    const w = wrappers.findIndex((x) => mark >= x.start && mark < x.end);
    if (w >= 0) {
      params.push(wrappers[w]!.values[taken[w]!++]);
      return;
    }
    const declared = querySlots[slot++];
    if (declared === undefined || castToBinary(sql, tokens, markTokens[i]!) !== declared.text) {
      throw unfaithful();
    }
    queryParameters.push({ index: params.length, name: declared.name, element: declared.element });
    params.push(declared.value);
  });
  if (wrappers.some((w, i) => taken[i] !== w.values.length)) throw unfaithful();
  if (slot !== querySlots.length || bareMarks !== querySlots.length) throw unfaithful();
  return { params, queryParameters };
}

/** Whether the `?` at token `k` is spelled `CAST(? AS BINARY)`. */
function castToBinary(sql: string, tokens: readonly MyToken[], k: number): boolean {
  const spelled = (i: number) => {
    const t = tokens[i];
    return t === undefined ? '' : sql.slice(t.start, t.end).toUpperCase();
  };
  return (
    spelled(k - 2) === 'CAST' &&
    spelled(k - 1) === '(' &&
    spelled(k + 1) === 'AS' &&
    spelled(k + 2) === 'BINARY' &&
    spelled(k + 3) === ')'
  );
}
