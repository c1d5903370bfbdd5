import type { Clock } from '../../../clock.ts';
import type { Db, Executor } from '../../../db/index.ts';
import { type AuditOrigin, auditEvent, recordAuditEvents } from '../../audit/service.ts';
import { findDataSettingsRow, upsertDataSettings } from './queries.ts';

/** A workspace's data settings (docs/data-access.md "Row policies"); the compat defaults are both false. */
export interface WorkspaceDataSettings {
  /** false (compat default): ADMIN users bypass row policies. */
  readonly rowPoliciesApplyToAdmins: boolean;
  /** true: a query touching a table without a policy is denied. */
  readonly requireRowPolicies: boolean;
}

export const DEFAULT_DATA_SETTINGS: WorkspaceDataSettings = {
  rowPoliciesApplyToAdmins: false,
  requireRowPolicies: false,
};

export async function readDataSettings(db: Executor, workspaceId: string): Promise<WorkspaceDataSettings> {
  const row = await findDataSettingsRow(db, workspaceId);
  return row
    ? {
        rowPoliciesApplyToAdmins: row.row_policies_apply_to_admins,
        requireRowPolicies: row.require_row_policies,
      }
    : DEFAULT_DATA_SETTINGS;
}

/** Changes the given settings (an omitted one keeps its value). */
export async function updateDataSettings(
  db: Db,
  clock: Clock,
  workspaceId: string,
  input: { rowPoliciesApplyToAdmins?: boolean | null; requireRowPolicies?: boolean | null },
  origin: AuditOrigin,
): Promise<WorkspaceDataSettings> {
  const now = clock.now();
  return db.transaction().execute(async (tx) => {
    const current = await readDataSettings(tx, workspaceId);
    const next: WorkspaceDataSettings = {
      rowPoliciesApplyToAdmins: input.rowPoliciesApplyToAdmins ?? current.rowPoliciesApplyToAdmins,
      requireRowPolicies: input.requireRowPolicies ?? current.requireRowPolicies,
    };
    const values = {
      row_policies_apply_to_admins: next.rowPoliciesApplyToAdmins,
      require_row_policies: next.requireRowPolicies,
      updated_at: now,
    };
    await upsertDataSettings(tx, workspaceId, values);
    await recordAuditEvents(tx, [
      auditEvent(
        origin,
        now,
        workspaceId,
        'data.settings.update',
        { type: 'workspace', id: workspaceId },
        { ...next },
      ),
    ]);
    return next;
  });
}
