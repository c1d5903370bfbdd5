import type { Problem } from '../../errors.ts';
import { rewriteMysql, validateMysqlPolicy } from './mysql/engine.ts';
import { rewritePostgres, validatePostgresPolicy } from './postgres/engine.ts';
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
export function rewriteQuery(request: GateRequest): Promise<RewrittenQuery> {
  return request.dialect === 'postgres' ? rewritePostgres(request) : rewriteMysql(request);
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
