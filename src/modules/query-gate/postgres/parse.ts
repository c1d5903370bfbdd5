import { parseSync } from 'pgsql-parser';
import { echo } from '../../../errors.ts';
import { queryRefused } from '../errors.ts';
import { isObject, type PgNode } from './walk.ts';

/** Parses SQL that must be exactly one SELECT (VALUES, set operations and WITH included). */
export function parseOneSelect(sql: string, what: 'query' | 'policy'): PgNode {
  let result: { stmts?: { stmt?: unknown }[] };
  try {
    result = parseSync(sql) as typeof result;
  } catch (error) {
    throw queryRefused(
      `The ${what} is not valid SQL: ${echo(error instanceof Error ? error.message : String(error), 200)}`,
    );
  }
  const stmts = result.stmts ?? [];
  if (stmts.length !== 1) throw queryRefused(`Exactly one statement is allowed (found ${stmts.length})`);
  const stmt = stmts[0]!.stmt;
  if (!isObject(stmt) || !isObject(stmt.SelectStmt)) {
    const kind = isObject(stmt) ? Object.keys(stmt)[0] : 'unknown';
    throw queryRefused(`Only read-only SELECT statements are allowed (found ${kind})`, { statement: kind });
  }
  return stmt;
}

/**
 * A policy is an expression; it is parsed as the WHERE of `SELECT 1 WHERE (…)` and the result
 * must have exactly that shape, so a policy cannot smuggle in a second clause or statement.
 */
export function parsePolicyExpression(policy: string): PgNode {
  const stmt = parseOneSelect(`SELECT 1 WHERE (\n${policy}\n)`, 'policy');
  const select = stmt.SelectStmt as PgNode;
  const keys = Object.keys(select).sort().join(',');
  if (keys !== 'limitOption,op,targetList,whereClause' || select.op !== 'SETOP_NONE') {
    throw queryRefused('A row policy must be one boolean expression');
  }
  return select.whereClause as PgNode;
}

/**
 * Defence in depth: the deparsed SQL must parse back to exactly the tree the gate built, so the
 * database runs what was checked (a deparser quirk cannot turn into a different query), and its
 * parameters must be exactly $1…$n. Returns the parse of `sql`, for the invariant check.
 */
export function verifyRoundTrip(sql: string, rewritten: PgNode, paramCount: number): PgNode {
  const reparsed = parseOneSelect(sql, 'query');
  const params = new Set<number>();
  const same = sameTree(reparsed, rewritten, params);
  const numbered = [...params].every((n) => Number.isInteger(n) && n >= 1 && n <= paramCount);
  if (!same || params.size !== paramCount || !numbered) {
    throw queryRefused('The query cannot be rewritten faithfully');
  }
  return reparsed;
}

/**
 * Structural equality that ignores positions and default values (the parser omits false, 0 and
 * empty strings); collects the parameter numbers met on the way.
 */
export function sameTree(a: unknown, b: unknown, params: Set<number>): boolean {
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
    return a.every((item, i) => sameTree(item, b[i], params));
  }
  if (!isObject(a) || !isObject(b)) return a === b;
  const keysA = meaningfulKeys(a);
  const keysB = meaningfulKeys(b);
  if (keysA.length !== keysB.length) return false;
  for (const key of keysA) {
    if (!Object.hasOwn(b, key) || !keysB.includes(key)) return false;
    if (key === 'ParamRef' && isObject(a[key])) params.add(Number((a[key] as PgNode).number ?? 0));
    if (!sameTree(a[key], b[key], params)) return false;
  }
  return true;
}

function meaningfulKeys(node: PgNode): string[] {
  return Object.keys(node).filter((key) => {
    const v = node[key];
    if (key === 'location' || key.endsWith('list_start') || key.endsWith('list_end')) return false;
    return !(v === false || v === 0 || v === '' || v === undefined);
  });
}
