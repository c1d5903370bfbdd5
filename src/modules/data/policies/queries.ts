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
