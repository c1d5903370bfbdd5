import type { ColumnType, Generated } from 'kysely';

/** Kysely's view of our tables. Timestamps come back as `Date` from both PGlite and `pg`. */
type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>;
type NullableTimestamp = ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;

export interface WorkspacesTable {
  id: string;
  name: string;
  is_default: Generated<boolean>;
  created_at: Timestamp;
  /** Session JWTs of the workspace issued before this instant are refused (0002_sessions). */
  sessions_revoked_at: NullableTimestamp;
  allowed_embed_origins: Generated<string[]>;
}

export interface AccessKeysTable {
  id: string;
  workspace_id: string;
  name: Generated<string>;
  secret_hash: Uint8Array;
  permissions: string[];
  created_at: Timestamp;
  expires_at: NullableTimestamp;
  revoked_at: NullableTimestamp;
  last_used_at: NullableTimestamp;
  created_by: string | null;
}

export interface UsersTable {
  id: string;
  workspace_id: string;
  email: string;
  email_normalized: string;
  status: Generated<string>;
  is_scim_managed: Generated<boolean>;
  profile_picture: Generated<string>;
  created_at: Timestamp;
  updated_at: Timestamp;
  last_active_session_at: NullableTimestamp;
}

export interface UserAttributesTable {
  user_id: string;
  source: 'DATABASE' | 'JWT';
  key: string;
  value: string;
  /** Copies of the user's, kept by triggers (migration 0005) for the filtered-page index. */
  workspace_id: Generated<string | null>;
  email_normalized: Generated<string | null>;
}

export interface RoleAssignmentRow {
  position: number;
  role_id: string;
  scopes: string[];
}

export interface UserRoleAssignmentsTable extends RoleAssignmentRow {
  user_id: string;
  /** `CLAIM`: granted by an ID token's role claims, replaced at every sign-in (0009_sso). */
  source: Generated<'DIRECT' | 'CLAIM'>;
}

export interface UserGroupsTable {
  id: string;
  workspace_id: string;
  name: string;
  description: Generated<string>;
  created_at: Timestamp;
}

export interface GroupRoleAssignmentsTable extends RoleAssignmentRow {
  group_id: string;
}

export interface GroupMembersTable {
  group_id: string;
  user_id: string;
  added_at: Timestamp;
}

export interface AuditEventsTable {
  id: string;
  seq: Generated<string>;
  workspace_id: string | null;
  occurred_at: Timestamp;
  action: string;
  outcome: 'SUCCESS' | 'FAILURE' | 'STARTED';
  actor_key_id: string | null;
  actor_user_id: string | null;
  target_type: string | null;
  target_id: string | null;
  request_id: string | null;
  ip: string | null;
  details: ColumnType<Record<string, unknown>, string | undefined, string>;
}

export interface OutboxMessagesTable {
  id: string;
  workspace_id: string | null;
  kind: string;
  recipient: string;
  subject: string;
  body: string;
  state: Generated<'QUEUED' | 'SENDING' | 'SENT' | 'FAILED'>;
  attempts: Generated<number>;
  next_attempt_at: Timestamp;
  last_error: string | null;
  created_at: Timestamp;
  sent_at: NullableTimestamp;
}

export interface CoreTables {
  workspaces: WorkspacesTable;
  access_keys: AccessKeysTable;
  users: UsersTable;
  user_attributes: UserAttributesTable;
  user_role_assignments: UserRoleAssignmentsTable;
  user_groups: UserGroupsTable;
  group_role_assignments: GroupRoleAssignmentsTable;
  group_members: GroupMembersTable;
  audit_events: AuditEventsTable;
  outbox_messages: OutboxMessagesTable;
}

/** A credential mapping as stored: the override password sealed, never plaintext. */
export interface StoredCredentialMapping {
  attributeMatch: { key: string; value: string }[];
  database?: string | null;
  schema?: string | null;
  user?: string | null;
  host?: string | null;
  passwordSealed?: string | null;
  slotPattern?: string | null;
}

export interface DataConnectionsTable {
  id: string;
  workspace_id: string;
  name: string;
  engine: 'postgres' | 'mysql' | 'pglite';
  host: Generated<string>;
  port: number | null;
  database_name: Generated<string>;
  username: Generated<string>;
  password_sealed: string | null;
  schema_name: string | null;
  tls: Generated<boolean>;
  on_no_match: Generated<'DENY' | 'USE_BASE'>;
  credential_mappings: ColumnType<StoredCredentialMapping[], string | undefined, string>;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface DataDomainsTable {
  workspace_id: string;
  id: string;
  name: string;
  description: Generated<string>;
  connection_id: string | null;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface DataDomainTablesTable {
  workspace_id: string;
  domain_id: string;
  schema_name: string;
  table_name: string;
  position: number;
  policy: string | null;
  policy_updated_at: NullableTimestamp;
}

export interface DataColumnPoliciesTable {
  workspace_id: string;
  domain_id: string;
  schema_name: string;
  table_name: string;
  column_name: string;
  mask: 'NULL' | 'TEXT' | 'HASH' | 'EXPRESSION';
  mask_text: string | null;
  mask_expression: string | null;
  condition: string;
  /** JSON array of the table's column names. */
  table_columns: ColumnType<string[], string, string>;
  updated_at: Timestamp;
}

export interface WorkspaceDataSettingsTable {
  workspace_id: string;
  row_policies_apply_to_admins: Generated<boolean>;
  require_row_policies: Generated<boolean>;
  updated_at: Timestamp;
}

export interface DataTables {
  data_connections: DataConnectionsTable;
  data_domains: DataDomainsTable;
  data_domain_tables: DataDomainTablesTable;
  workspace_data_settings: WorkspaceDataSettingsTable;
  data_column_policies: DataColumnPoliciesTable;
}

export interface SigningKeysTable {
  kid: string;
  alg: string;
  public_jwk: string;
  private_key_sealed: string;
  state: 'current' | 'previous';
  created_at: Timestamp;
  retire_after: NullableTimestamp;
}

export interface AuthFailureCountersTable {
  bucket: string;
  window_start: Timestamp;
  failures: number;
}

export interface SessionTables {
  signing_keys: SigningKeysTable;
  auth_failure_counters: AuthFailureCountersTable;
}

export interface AttributeDefinitionsTable {
  workspace_id: string;
  key: string;
  type: 'STRING' | 'STRING_LIST' | 'INT' | 'BOOL' | 'ENUM';
  pattern: string | null;
  allowed_values: string[] | null;
  precedence: Generated<'TRANSIENT_FIRST' | 'JWT_WINS' | 'DATABASE_ONLY'>;
  transient_override: Generated<'ANY' | 'NARROW_ONLY' | 'NEVER'>;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface ScimUsersTable {
  user_id: string;
  workspace_id: string;
  external_id: string | null;
  resource: ColumnType<Record<string, unknown>, string | undefined, string>;
  version: Generated<number>;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface ScimGroupsTable {
  group_id: string;
  workspace_id: string;
  external_id: string | null;
  version: Generated<number>;
  created_at: Timestamp;
  updated_at: Timestamp;
}

/** Attribute definitions and SCIM 2.0 (migration 0010). */
export interface IdentityTables {
  attribute_definitions: AttributeDefinitionsTable;
  scim_users: ScimUsersTable;
  scim_groups: ScimGroupsTable;
}

/** All tables. Each feature area adds its own interface here. */
export interface Database extends CoreTables, SessionTables, DataTables, IdentityTables {}
