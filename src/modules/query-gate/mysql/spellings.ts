import { queryRefused } from '../errors.ts';
import type { MyToken } from './lex.ts';
import { isObject, MAX_DEPTH, type MyNode } from './nodes.ts';

/**
 * Three MySQL spellings node-sql-parser does not know, handed to it as same-length spellings it
 * does know and restored in its tree (docs/query-gate.md, "MySQL and MariaDB: parser choice"):
 *
 * - `a <=> b` is parsed as `a <@ b` (an operator the lexer never lets through from a user, since
 *   `@` is refused) and the operator is put back;
 * - `SUBSTRING(x FROM n FOR m)` is parsed as `SUBSTRING(x, n, m)`, which MySQL documents as the
 *   same call, and printed that way;
 * - `NATURAL [LEFT|RIGHT [OUTER]] JOIN t` is parsed without `NATURAL`, and the join of the item
 *   that starts where `t` starts gets it back.
 *
 * Offsets do not move, so the parser's positions still point into the original text. Only the
 * tokens change: tables and sub-selects are where the server sees them.
 */
export interface ParserText {
  readonly text: string;
  /** Puts the original spellings back into the parsed tree (which must have positions). */
  restore(tree: unknown): void;
}

const SUBSTRING_CALLS = new Set(['substring', 'substr']);
const NATURAL_TOKEN = 'natural';

export function parserText(sql: string, tokens: readonly MyToken[]): ParserText {
  const word = (t: MyToken | undefined) =>
    t !== undefined && t.kind === 'word' ? sql.slice(t.start, t.end).toLowerCase() : null;
  const op = (t: MyToken | undefined) =>
    t !== undefined && t.kind === 'operator' ? sql.slice(t.start, t.end) : null;
  const edits: { start: number; text: string }[] = [];
  const naturals = new Map<number, string>();
  // Open SUBSTRING( calls: the parenthesis depth at which their own arguments sit.
  const calls: number[] = [];
  let depth = 0;
  tokens.forEach((t, i) => {
    const o = op(t);
    if (o === '(') {
      depth++;
      if (SUBSTRING_CALLS.has(word(tokens[i - 1]) ?? '') && tokens[i - 1]!.end === t.start) calls.push(depth);
    } else if (o === ')') {
      if (calls.at(-1) === depth) calls.pop();
      depth--;
    } else if (o === '<=>') {
      edits.push({ start: t.start, text: '<@ ' });
    }
    const w = word(t);
    if ((w === 'from' || w === 'for') && calls.at(-1) === depth) {
      edits.push({ start: t.start, text: w === 'from' ? ',   ' : ',  ' });
    } else if (w === NATURAL_TOKEN) {
      let j = i + 1;
      const next = word(tokens[j]);
      const side = next === 'left' || next === 'right' ? next : null;
      if (side !== null) j += word(tokens[j + 1]) === 'outer' ? 2 : 1;
      if (word(tokens[j]) !== 'join') throw queryRefused('NATURAL must be followed by JOIN');
      const target = tokens[j + 1];
      // A derived table: its tree position is that of its first token inside the parenthesis.
      const start = op(target) === '(' ? tokens[j + 2]?.start : target?.start;
      if (start === undefined) throw queryRefused('NATURAL JOIN needs a table');
      naturals.set(start, side === null ? 'NATURAL JOIN' : `NATURAL ${side.toUpperCase()} JOIN`);
      edits.push({ start: t.start, text: ' '.repeat(t.end - t.start) });
    }
  });
  let text = sql;
  for (const e of edits) text = text.slice(0, e.start) + e.text + text.slice(e.start + e.text.length);
  return { text, restore: (tree) => restore(tree, naturals) };
}

const SKIPPED = new Set(['loc', 'tableList', 'columnList']);

function restore(tree: unknown, naturals: ReadonlyMap<number, string>): void {
  let found = 0;
  const visit = (value: unknown, depth: number): void => {
    // The walk that follows refuses deeper trees anyway; stop before the stack does.
    if (depth > 4 * MAX_DEPTH) throw queryRefused('The query is nested too deeply');
    if (Array.isArray(value)) {
      for (const v of value) visit(v, depth + 1);
      return;
    }
    if (!isObject(value)) return;
    if (value.type === 'binary_expr' && value.operator === '<@') value.operator = '<=>';
    if (typeof value.join === 'string') {
      const spelling = naturals.get(itemStart(value));
      if (spelling !== undefined) {
        if (value.on != null || value.using != null) throw queryRefused('NATURAL JOIN takes no ON or USING');
        value.join = spelling;
        found++;
      }
    }
    // A CTE's `tableList`/`columnList` are the parser's string lists of every name before it
    // (n CTEs hold n² strings): no tree in them to restore, and the walks read only `ast`.
    for (const key of Object.keys(value)) if (!SKIPPED.has(key)) visit(value[key], depth + 1);
  };
  visit(tree, 0);
  // Every NATURAL must have found its join, or the parser read the text another way.
  if (found !== naturals.size) throw queryRefused('The query cannot be rewritten faithfully');
}

/** Where a FROM item starts: its own position, or its sub-select's. */
function itemStart(item: MyNode): number {
  const own = isObject(item.loc) && isObject(item.loc.start) ? item.loc.start : null;
  const sub =
    isObject(item.expr) && isObject(item.expr.ast) && isObject(item.expr.ast.loc) ? item.expr.ast.loc : null;
  const start = own ?? (sub !== null && isObject(sub.start) ? sub.start : null);
  return start === null ? Number.NaN : Number(start.offset);
}
