import { echo, type Problem } from '../../errors.ts';
import { accessDenied, queryRefused } from './errors.ts';
import { rewriteMysql, validateMysqlPolicy } from './mysql/engine.ts';
import { mysqlParameterNames } from './mysql/placeholders.ts';
import { rewritePostgres, validatePostgresPolicy } from './postgres/engine.ts';
import { postgresParameterNames } from './postgres/placeholders.ts';
import type { GateRequest, RewrittenQuery, SqlDialect, TableName } from './types.ts';

export { WAREHOUSE_SQL_MODE } from './mysql/lex.ts';
export {
  parameterShape,
  parameterValue,
  type QueryParameterSlot,
  type QueryParameterValue,
} from './parameters.ts';
export { type BoundValue, bindForUser, type PolicyFunction } from './policy-functions.ts';
export type {
  AppliedPolicy,
  ColumnMask,
  FenceProof,
  GateColumnPolicy,
  GateRequest,
  GateTable,
  GateUser,
  MaskExpression,
  MaskedColumn,
  RewrittenQuery,
  SqlDialect,
  TableName,
} from './types.ts';
export { MASK_EXPRESSIONS } from './types.ts';

/**
 * The query gate (docs/data-access.md "Enforcement: one gate"): parses `request.sql` with the dialect's real parser, refuses
 * anything but one read-only statement over the domain's tables and allow-listed functions, and
 * wraps every table reference in its row policy with attribute values as bound parameters.
 * Throws AppError: QUERY_REFUSED, ACCESS_DENIED, MISSING_ATTRIBUTE, ATTRIBUTE_TYPE_MISMATCH.
 */
export async function rewriteQuery(request: GateRequest): Promise<RewrittenQuery> {
  checkTablesDistinct(request);
  try {
    return await (request.dialect === 'postgres' ? rewritePostgres(request) : rewriteMysql(request));
  } catch (error) {
    throw tooLargeAsRefusal(error);
  }
}

/**
 * The gate's walks (parse, fence rule, rewrite, print, invariant) recurse over the tree, and how
 * deep each may go before the JavaScript stack runs out depends on the JIT's state, so no depth
 * limit of theirs can be relied on to come first. Whichever step overflows, nothing has run: a
 * RangeError (stack exhausted, or an array or string too long) is the query being too large to
 * account for, refused like any other (docs/query-gate.md, "What is refused").
 */
function tooLargeAsRefusal(error: unknown): unknown {
  if (!(error instanceof RangeError)) return error;
  return queryRefused('The query is nested too deeply or too large to check');
}

/**
 * Each table of the request once: a credential mapping that moves the base schema's tables to
 * the tenant's schema can make two entries name one table, each with its own policy or none
 * (docs/data-access.md, "Credential mappings"), and the gate cannot tell which one the table is
 * to carry, so it reads none of them. Names compare as the dialect resolves them (MySQL's
 * database and table names case-insensitively).
 */
function checkTablesDistinct(request: GateRequest): void {
  const fold = (name: string) => (request.dialect === 'mysql' ? name.toLowerCase() : name);
  const seen = new Set<string>();
  for (const table of request.tables) {
    const key = JSON.stringify([fold(table.schema), fold(table.name)]);
    if (seen.has(key)) {
      throw accessDenied(
        `Table ${echo(table.schema)}.${echo(table.name)} is listed more than once in this domain (after the credential mapping)`,
        { table: `${table.schema}.${table.name}` },
      );
    }
    seen.add(key);
  }
}

/**
 * Save-time validation of a row policy: it parses as one boolean expression, calls only the
 * compat functions and allow-listed built-ins, and (when `columns` is known) its own column
 * references exist. `table` (optional) lets qualified references `table.column` be checked.
 * Returns problems (empty = valid); never throws for a bad policy.
 */
export function validatePolicy(
  dialect: SqlDialect,
  policy: string,
  columns: readonly string[] | null,
  table?: TableName,
): Promise<Problem[]> {
  return dialect === 'postgres'
    ? validatePostgresPolicy(policy, columns, table)
    : validateMysqlPolicy(policy, columns, table);
}

/**
 * The `{{name}}` placeholders of a query, each once in order of first use, found by the very
 * lexer `rewriteQuery` binds them with (docs/query-gate.md "Query parameters"): text in strings,
 * quoted names and comments is not one. QUERY_REFUSED for anything that only looks like a
 * placeholder (`{{ name }}`, a stray brace, one glued to a word) and for text the lexer cannot
 * read, as `rewriteQuery` would refuse it. So what a save accepts is what a run binds.
 */
export async function queryParameterNames(dialect: SqlDialect, sql: string): Promise<string[]> {
  return dialect === 'postgres' ? postgresParameterNames(sql) : mysqlParameterNames(sql);
}
