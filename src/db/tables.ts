/**
 * Who owns each table: the folder under `src/modules/` whose `queries.ts` (or `queries/` folder)
 * is the only code that names the table in SQL; `db` is this layer (the migrator's own tables).
 * Everything else reaches a table through its owner's service or the query functions it exports,
 * so a table's columns, indexes and invariants are known in one folder. `npm test` checks it
 * (scripts/architecture.ts): every table created in `migrations/` must be listed here.
 */
export const TABLE_OWNERS = {
  tessera_migrations: 'db',
  tessera_migrations_lock: 'db',
  workspaces: 'workspaces',
  access_keys: 'access-keys',
  users: 'users',
  user_attributes: 'users',
  user_role_assignments: 'users',
  user_groups: 'groups',
  group_role_assignments: 'groups',
  group_members: 'groups',
  audit_events: 'audit',
  outbox_messages: 'outbox',
  signing_keys: 'sessions',
  auth_failure_counters: 'sessions',
  data_connections: 'data',
  data_domains: 'data',
  data_domain_tables: 'data',
  workspace_data_settings: 'data',
  data_column_policies: 'data',
  data_snapshot_versions: 'data',
  data_snapshot_changes: 'data',
  dashboards: 'dashboards',
  dashboard_shares: 'dashboards',
  attribute_definitions: 'attribute-definitions',
  scim_users: 'scim',
  scim_groups: 'scim',
  sso_settings: 'sso',
  sso_issuers: 'sso',
  sso_identities: 'sso',
  sso_login_attempts: 'sso',
  web_sessions: 'web-sessions',
  sign_in_links: 'web-sessions',
  sign_in_link_requests: 'web-sessions',
} as const satisfies Record<string, string>;

export type TableName = keyof typeof TABLE_OWNERS;

/** A statement that reads the tables of several modules at once, declared rather than hidden. */
export interface ReadModel {
  /** The one file (under `src/`) that holds the statement. */
  readonly file: string;
  /** Exactly the tables it reads; it writes none. */
  readonly reads: readonly TableName[];
  readonly why: string;
}

/**
 * The read models that join across owners. Each is read-only and lives in its own file, so a
 * change to an owner's table shows up in the list of places to check.
 */
export const READ_MODELS: readonly ReadModel[] = [
  {
    file: 'src/modules/data/query/snapshot.ts',
    reads: [
      'users',
      'user_attributes',
      'user_role_assignments',
      'group_members',
      'group_role_assignments',
      'data_domains',
      'data_domain_tables',
      'data_connections',
      'workspace_data_settings',
      'attribute_definitions',
      'data_column_policies',
    ],
    why:
      'runQuery reads everything it decides on in one statement: one round trip and one consistent ' +
      'snapshot instead of eight reads across five modules',
  },
  {
    file: 'src/modules/sessions/impersonation-facts.ts',
    reads: ['access_keys', 'users', 'attribute_definitions', 'auth_failure_counters'],
    why:
      'every impersonation checks the key, the user, the definitions of its transient attributes ' +
      'and the rate-limit counters; concurrent attempts share one group-committed statement',
  },
  {
    file: 'src/modules/sessions/session-state.ts',
    reads: ['users', 'workspaces', 'access_keys', 'data_snapshot_versions'],
    why:
      'every request with a session token checks the user, the workspace cut-off and the minting ' +
      'key in one statement, so revoking any of them ends the session on the next request; the ' +
      "same statement reads the workspace's snapshot version, so runQuery's cached snapshot needs no trip of its own",
  },
];
