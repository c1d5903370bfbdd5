import type { Migration } from 'kysely';
import * as core from './0001_core.ts';
import * as sessions from './0002_sessions.ts';
import * as dataAccess from './0003_data_access.ts';
import * as outbox from './0004_outbox.ts';
import * as indexes from './0005_indexes.ts';
import * as longAttributeValues from './0006_long_attribute_values.ts';
import * as dashboards from './0007_dashboards.ts';
import * as columnPolicies from './0008_column_policies.ts';
import * as sso from './0009_sso.ts';
import * as scimAttributeDefinitions from './0010_scim_attribute_definitions.ts';
import * as attributeCopyTriggerWhen from './0011_attribute_copy_trigger_when.ts';
import * as snapshotVersions from './0012_snapshot_versions.ts';
import * as auditStarted from './0013_audit_started.ts';
import * as ssoLoginClient from './0014_sso_login_client.ts';
import * as snapshotInsertByColumn from './0015_snapshot_insert_by_column.ts';

/**
 * Every migration, in order. Listed explicitly (not read from the file system) so the set that
 * runs is exactly the set that was reviewed. Add new ones at the end; never edit a shipped one.
 */
export const migrations: Record<string, Migration> = {
  '0001_core': core,
  '0002_sessions': sessions,
  '0003_data_access': dataAccess,
  '0004_outbox': outbox,
  '0005_indexes': indexes,
  '0006_long_attribute_values': longAttributeValues,
  '0007_dashboards': dashboards,
  '0008_column_policies': columnPolicies,
  '0009_sso': sso,
  '0010_scim_attribute_definitions': scimAttributeDefinitions,
  '0011_attribute_copy_trigger_when': attributeCopyTriggerWhen,
  '0012_snapshot_versions': snapshotVersions,
  '0013_audit_started': auditStarted,
  '0014_sso_login_client': ssoLoginClient,
  '0015_snapshot_insert_by_column': snapshotInsertByColumn,
};
