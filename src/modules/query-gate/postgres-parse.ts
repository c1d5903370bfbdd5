import { parseSync } from 'pgsql-parser';
import { echo } from '../../errors.ts';
import { queryRefused } from './errors.ts';
import { isObject, type PgNode } from './postgres-walk.ts';

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
 * database runs what was checked (a deparser quirk cannot turn into a different query).
 */
export function verifyRoundTrip(sql: string, rewritten: PgNode, paramCount: number): void {
  const reparsed = parseOneSelect(sql, 'query');
  if (JSON.stringify(normalize(reparsed)) !== JSON.stringify(normalize(rewritten))) {
    throw queryRefused('The query cannot be rewritten faithfully');
  }
  let max = 0;
  JSON.stringify(reparsed, (key, value) => {
    if (key === 'ParamRef' && isObject(value)) max = Math.max(max, Number(value.number ?? 0));
    return value;
  });
  if (max !== paramCount) throw queryRefused('The query cannot be rewritten faithfully');
}

/** Drops positions and default values (the parser omits false, 0 and empty), sorting keys. */
export function normalize(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(normalize);
  if (!isObject(value)) return value;
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(value).sort()) {
    const v = value[key];
    if (key === 'location' || key.endsWith('list_start') || key.endsWith('list_end')) continue;
    if (v === false || v === 0 || v === '' || v === undefined) continue;
    out[key] = normalize(v);
  }
  return out;
}
