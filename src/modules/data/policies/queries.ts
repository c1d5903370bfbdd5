import type { Executor } from '../../../db/index.ts';

export const findDataSettingsRow = (db: Executor, workspaceId: string) =>
  db
    .selectFrom('workspace_data_settings')
    .selectAll()
    .where('workspace_id', '=', workspaceId)
    .executeTakeFirst();

export const upsertDataSettings = (
  db: Executor,
  workspaceId: string,
  values: { row_policies_apply_to_admins: boolean; require_row_policies: boolean; updated_at: Date },
) =>
  db
    .insertInto('workspace_data_settings')
    .values({ workspace_id: workspaceId, ...values })
    .onConflict((oc) => oc.column('workspace_id').doUpdateSet(values))
    .execute();

/** One stored column policy (docs/data-access.md "Column policies"). */
export interface StoredColumnPolicy {
  readonly schema: string;
  readonly table: string;
  readonly column: string;
  readonly mask: 'NULL' | 'TEXT' | 'HASH' | 'EXPRESSION';
  readonly maskText: string | null;
  readonly maskExpression: string | null;
  readonly condition: string;
  /** The table's columns, in order, when a policy of the table was last saved. */
  readonly tableColumns: readonly string[];
  readonly updatedAt: Date;
}

/** The domain a column policy belongs to. */
export interface DomainScope {
  readonly workspaceId: string;
  readonly domainId: string;
}

/** The column policies of a domain, by table then column. */
export async function listColumnPolicies(
  db: Executor,
  workspaceId: string,
  domainId: string,
): Promise<StoredColumnPolicy[]> {
  const rows = await db
    .selectFrom('data_column_policies')
    .selectAll()
    .where('workspace_id', '=', workspaceId)
    .where('domain_id', '=', domainId)
    .orderBy('schema_name')
    .orderBy('table_name')
    .orderBy('column_name')
    .execute();
  return rows.map((r) => ({
    schema: r.schema_name,
    table: r.table_name,
    column: r.column_name,
    mask: r.mask,
    maskText: r.mask_text,
    maskExpression: r.mask_expression,
    condition: r.condition,
    tableColumns: typeof r.table_columns === 'string' ? JSON.parse(r.table_columns) : r.table_columns,
    updatedAt: r.updated_at,
  }));
}

/**
 * Stores one column policy, and the table's current column list on every policy of that table
 * (the wrapper projects one list per table).
 */
export async function upsertColumnPolicy(
  db: Executor,
  where: DomainScope,
  policy: Omit<StoredColumnPolicy, 'updatedAt'>,
  at: Date,
): Promise<void> {
  const { workspaceId, domainId } = where;
  const tableColumns = JSON.stringify(policy.tableColumns);
  const values = {
    mask: policy.mask,
    mask_text: policy.maskText,
    mask_expression: policy.maskExpression,
    condition: policy.condition,
    table_columns: tableColumns,
    updated_at: at,
  };
  await db
    .insertInto('data_column_policies')
    .values({
      workspace_id: workspaceId,
      domain_id: domainId,
      schema_name: policy.schema,
      table_name: policy.table,
      column_name: policy.column,
      ...values,
    })
    .onConflict((oc) =>
      oc
        .columns(['workspace_id', 'domain_id', 'schema_name', 'table_name', 'column_name'])
        .doUpdateSet(values),
    )
    .execute();
  await db
    .updateTable('data_column_policies')
    .set({ table_columns: tableColumns })
    .where('workspace_id', '=', workspaceId)
    .where('domain_id', '=', domainId)
    .where('schema_name', '=', policy.schema)
    .where('table_name', '=', policy.table)
    .execute();
}

/** Deletes one column policy; false when there was none. */
export async function deleteColumnPolicy(
  db: Executor,
  where: DomainScope,
  table: { schema: string; name: string },
  column: string,
): Promise<boolean> {
  const { workspaceId, domainId } = where;
  const result = await db
    .deleteFrom('data_column_policies')
    .where('workspace_id', '=', workspaceId)
    .where('domain_id', '=', domainId)
    .where('schema_name', '=', table.schema)
    .where('table_name', '=', table.name)
    .where('column_name', '=', column)
    .executeTakeFirst();
  return Number(result.numDeletedRows) > 0;
}
