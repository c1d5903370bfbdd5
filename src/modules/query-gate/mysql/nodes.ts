import type { CteNames } from '../cte-names.ts';
import { queryRefused } from '../errors.ts';
import { asPolicyFunction, isListFunction, type PolicyFunction } from '../policy-functions.ts';
import { MYSQL_TYPES } from './allowlist.ts';

/** The shapes of node-sql-parser trees the MySQL walker knows, and small helpers on them. */

export type MyNode = Record<string, unknown>;

export interface MyScope {
  readonly names: CteNames;
  readonly parent: MyScope | null;
}

/** Expression node types visited key by key. */
// biome-ignore format: a compact word list reads better than one name a line
export const EXPRESSIONS = new Set([
  'binary_expr', 'unary_expr', 'expr_list', 'case', 'when', 'else', 'cast', 'interval', 'extract',
  'number', 'single_quote_string', 'natural_string', 'hex_string', 'full_hex_string', 'bit_string', 'bool',
  'null', 'date', 'time', 'timestamp', 'datetime', 'star', 'window', 'default', 'collate',
  'backticks_quote_string', 'ASC', 'DESC', 'ESCAPE',
]);

// biome-ignore format: a compact word list reads better than one name a line
export const SELECT_KEYS = new Set([
  'with', 'type', 'options', 'distinct', 'columns', 'into', 'from', 'where', 'groupby', 'having',
  'orderby', 'collate', 'limit', 'locking_read', 'window', '_next', 'set_op', 'parentheses',
  '_parentheses', 'loc',
]);

export const FROM_KEYS = new Set(['db', 'table', 'as', 'join', 'on', 'using', 'expr', 'prefix', 'loc']);

export const MAX_DEPTH = 1000;

/** Identifiers come as strings, or `{ type, value }` when quoted. */
export function identifier(value: unknown): string | null {
  if (typeof value === 'string') return value;
  if (isObject(value) && typeof value.value === 'string') return value.value;
  return null;
}

export function compatListFunction(call: MyNode): PolicyFunction | null {
  const name = isObject(call.name) && Array.isArray(call.name.name) ? call.name.name.map(identifier) : [];
  const fn = name.length === 1 && name[0] ? asPolicyFunction(name[0]) : null;
  return fn !== null && isListFunction(fn) ? fn : null;
}

export function inScope(scope: MyScope | null, name: string): boolean {
  for (let s = scope; s !== null; s = s.parent) if (s.names.has(name)) return true;
  return false;
}

export function inScopeIgnoringCase(scope: MyScope | null, name: string): boolean {
  for (let s = scope; s !== null; s = s.parent) if (s.names.hasIgnoringCase(name)) return true;
  return false;
}

/** `name`, `{ type, value: 'name' }` or `{ expr: { type, value: 'name' } }`. */
export function isName(value: unknown): boolean {
  if (!isObject(value)) return false;
  if (typeof value.value === 'string')
    return Object.values(value).every((v) => v === null || typeof v !== 'object');
  return Object.keys(value).length === 1 && isName(value.expr);
}

export function isObject(value: unknown): value is MyNode {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function describe(ast: unknown): string {
  return isObject(ast) && typeof ast.type === 'string' ? ast.type.toUpperCase() : 'unknown';
}

export function refusedConstruct(what: string) {
  return queryRefused(`The query uses a construct the gate does not allow (${what})`, { construct: what });
}

/**
 * The printer writes a literal's `value` between quotes as it stands, so the value is rebuilt
 * here from the characters it denotes: only `''` escapes, nothing of the user's spelling left.
 */
export function reescape(value: unknown): string {
  const text = String(value);
  // The lexer refused backslashes and unbalanced quotes; anything else is not a literal we built.
  if (text.includes('\\') || !/^(?:[^']|'')*$/.test(text)) throw refusedConstruct('string literal');
  return text.replaceAll("''", "'").replaceAll("'", "''");
}

/**
 * The printer puts an alias between backticks as it stands: a name written in backticks comes
 * with its backticks doubled, but one written as a string (`AS 'a`b'`) does not, and would end
 * the quoting early. A backtick in an alias is refused rather than guessed at.
 */
export function checkAlias(alias: unknown): void {
  const text =
    typeof alias === 'string' ? alias : identifier(isObject(alias) && 'expr' in alias ? alias.expr : alias);
  if (text?.includes('`')) throw queryRefused('An alias may not contain a backtick', { construct: 'alias' });
}

/** The printer writes collation names unquoted: only plain collation names pass. */
export function checkCollation(node: MyNode): void {
  const inner = isObject(node.collate) ? node.collate : null;
  const name = inner === null ? null : inner.name;
  if (typeof name !== 'string' || !/^[A-Za-z0-9_]{1,64}$/.test(name) || (inner?.symbol ?? null) !== null) {
    throw queryRefused('COLLATE takes a plain collation name', { construct: 'COLLATE' });
  }
}

const WORD = /^[A-Za-z_][A-Za-z0-9_]*$/;
const NUMBER_TEXT = /^\d+(?:\.\d+)?(?:[eE][+-]?\d+)?(?: (?:PRECEDING|FOLLOWING))?$/i;

/**
 * Texts the printer writes as they stand, outside quotes: charset names (`CAST(… CHARACTER SET
 * x)`, `CONVERT(… USING x)`), interval and EXTRACT units, window-frame bounds. The grammar builds
 * them from a word, so anything else did not come from the grammar as the gate reads it.
 */
export function checkRawText(node: MyNode): void {
  const bad =
    (node.type === 'default' && typeof node.value === 'string' && !WORD.test(node.value)) ||
    (node.type === 'number' && typeof node.value === 'string' && !NUMBER_TEXT.test(node.value)) ||
    (node.type === 'interval' && typeof node.unit === 'string' && !WORD.test(node.unit)) ||
    (typeof node.suffix === 'string' && !/^USING [A-Za-z0-9_]+$/i.test(node.suffix)) ||
    (node.type === 'extract' &&
      isObject(node.args) &&
      typeof node.args.field === 'string' &&
      !WORD.test(node.args.field));
  if (bad) throw refusedConstruct('raw text');
}

/** A CAST target: an allow-listed type, and `CHARACTER SET name` printed as it stands. */
export function checkCastTarget(target: unknown): void {
  if (!isObject(target) || !MYSQL_TYPES.has(String(target.dataType).toLowerCase())) {
    throw queryRefused('CAST to this type is not allowed');
  }
  for (const part of Array.isArray(target.suffix) ? target.suffix : []) {
    if (!isObject(part) || (part.type !== 'default' && part.type !== 'origin'))
      throw refusedConstruct('CAST');
    checkRawText(part);
    if (part.type === 'origin' && part.value !== 'CHARACTER SET') throw refusedConstruct('CAST');
  }
}
