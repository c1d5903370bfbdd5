import type { Problem } from '../../errors.ts';
import { queryRefused } from './errors.ts';
import type { GateRequest, RewrittenQuery, TableName } from './types.ts';

export async function rewriteMysql(_request: GateRequest): Promise<RewrittenQuery> {
  throw queryRefused('MySQL queries are not supported by this build of the gate yet');
}

export async function validateMysqlPolicy(
  _policy: string,
  _columns: readonly string[] | null,
  _table: TableName | undefined,
): Promise<Problem[]> {
  return [{ code: 'QUERY_REFUSED', field: 'policy', message: 'MySQL policies are not supported yet' }];
}
