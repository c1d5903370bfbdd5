import type { Clock } from '../../../clock.ts';
import type { Db, Executor } from '../../../db/index.ts';
import { type AuditOrigin, recordAudit } from '../../audit/service.ts';
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

/** A workspace's data settings, read and changed (docs/data-access.md "Row policies"). */
export class DataSettingsService {
  readonly #db: Db;
  readonly #clock: Clock;

  constructor(deps: { readonly db: Db; readonly clock: Clock }) {
    this.#db = deps.db;
    this.#clock = deps.clock;
  }

  /** The workspace's settings; the defaults when it never changed them. */
  read(workspaceId: string): Promise<WorkspaceDataSettings> {
    return readDataSettings(this.#db, workspaceId);
  }

  /** Changes the given settings (an omitted one keeps its value), audited in the same transaction. */
  update(workspaceId: string, input: DataSettingsInput, origin: AuditOrigin): Promise<WorkspaceDataSettings> {
    const now = this.#clock.now();
    return this.#db.transaction().execute(async (tx) => {
      const current = await readDataSettings(tx, workspaceId);
      const next: WorkspaceDataSettings = {
        rowPoliciesApplyToAdmins: input.rowPoliciesApplyToAdmins ?? current.rowPoliciesApplyToAdmins,
        requireRowPolicies: input.requireRowPolicies ?? current.requireRowPolicies,
      };
      await upsertDataSettings(tx, workspaceId, {
        row_policies_apply_to_admins: next.rowPoliciesApplyToAdmins,
        require_row_policies: next.requireRowPolicies,
        updated_at: now,
      });
      await recordAudit(tx, origin, {
        action: 'data.settings.update',
        workspaceId,
        target: workspaceId,
        details: { ...next },
        at: now,
      });
      return next;
    });
  }
}

/** A change of data settings: an omitted (or null) field keeps its value. */
export interface DataSettingsInput {
  readonly rowPoliciesApplyToAdmins?: boolean | null;
  readonly requireRowPolicies?: boolean | null;
}

async function readDataSettings(db: Executor, workspaceId: string): Promise<WorkspaceDataSettings> {
  const row = await findDataSettingsRow(db, workspaceId);
  return row
    ? {
        rowPoliciesApplyToAdmins: row.row_policies_apply_to_admins,
        requireRowPolicies: row.require_row_policies,
      }
    : DEFAULT_DATA_SETTINGS;
}
