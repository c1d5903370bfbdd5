import { sql } from 'kysely';
import type { Executor } from '../../../db/index.ts';
import type { AttributeDefinition } from '../../attribute-definitions/rules.ts';
import { type EffectiveAttributes, mergeAttributes } from '../../attributes/effective.ts';
import type { StoredAssignment } from '../../users/queries/users.ts';
import type { ConnectionRow } from '../connections/queries.ts';
import { BUILT_IN_DOMAIN_ID } from '../domains/catalog.ts';
import { builtInDomain, type DomainTable, type DomainView } from '../domains/queries.ts';
import type { StoredColumnPolicy } from '../policies/queries.ts';
import { DEFAULT_DATA_SETTINGS, type WorkspaceDataSettings } from '../policies/settings.ts';

/** Everything a query needs from Tessera's own database, current on every request (snapshot-cache.ts). */
export interface QuerySnapshot {
  readonly user: { readonly email: string; readonly status: string } | null;
  readonly domain: DomainView | null;
  /** The domain's connection row (secrets still sealed), or null when unbound or missing. */
  readonly connection: ConnectionRow | null;
  readonly assignments: readonly StoredAssignment[];
  readonly attributes: EffectiveAttributes;
  readonly settings: WorkspaceDataSettings;
  /** The domain's column policies, by table then column. */
  readonly columnPolicies: readonly SnapshotColumnPolicy[];
}

export type SnapshotColumnPolicy = Omit<StoredColumnPolicy, 'updatedAt'>;

interface SnapshotRow {
  user_email: string | null;
  user_status: string | null;
  d_id: string | null;
  d_name: string | null;
  d_description: string | null;
  d_connection_id: string | null;
  d_created_at: Date | null;
  d_updated_at: Date | null;
  c_id: string | null;
  c_name: string;
  c_engine: ConnectionRow['engine'];
  c_host: string;
  c_port: number | null;
  c_database_name: string;
  c_username: string;
  c_password_sealed: string | null;
  c_schema_name: string | null;
  c_tls: boolean;
  c_on_no_match: ConnectionRow['on_no_match'];
  c_credential_mappings: ConnectionRow['credential_mappings'] | string;
  c_created_at: Date;
  c_updated_at: Date;
  s_row_policies_apply_to_admins: boolean | null;
  s_require_row_policies: boolean | null;
  tables: readonly DomainTable[] | string;
  direct_roles: readonly { roleId: string; scopes: string[] }[] | string;
  group_roles: readonly { roleId: string; scopes: string[]; groupId: string }[] | string;
  stored_attributes: readonly { key: string; value: string; source: string }[] | string;
  attribute_definitions: readonly AttributeDefinition[] | string;
  column_policies: readonly SnapshotColumnPolicy[] | string;
}

/**
 * One statement, one round trip (and one consistent snapshot) instead of eight separate reads:
 * the user, the domain with its tables and policies, its connection, the workspace's data
 * settings, the user's direct and group role assignments, their stored attributes, and the
 * workspace's attribute definitions (owned by attribute-definitions, read here as part of this
 * declared read model: docs/attribute-definitions.md "Where definitions apply"), and the
 * domain's column policies. Triggers bump the workspace's snapshot version on a write to any of
 * these tables (migration 0012), and SnapshotCache keeps a snapshot only under the version it was
 * read after, so a role, attribute, policy, settings or connection change applies on the next
 * request on every instance (docs/data-access.md "The snapshot cache"). A table added here needs
 * its triggers there. Lists keep the order the separate reads had.
 */
export async function readQuerySnapshot(
  db: Executor,
  caller: {
    readonly workspaceId: string;
    readonly userId: string;
    readonly transientAttributes: ReadonlyMap<string, string>;
  },
  domainId: string,
): Promise<QuerySnapshot> {
  const { workspaceId, userId, transientAttributes: transient } = caller;
  // Prepared once per session: planning this statement costs several times running it.
  const { rows } = await sql<SnapshotRow>`/* prepared */
    select
      u.email as user_email, u.status as user_status,
      d.id as d_id, d.name as d_name, d.description as d_description,
      d.connection_id as d_connection_id, d.created_at as d_created_at, d.updated_at as d_updated_at,
      c.id as c_id, c.name as c_name, c.engine as c_engine, c.host as c_host, c.port as c_port,
      c.database_name as c_database_name, c.username as c_username, c.password_sealed as c_password_sealed,
      c.schema_name as c_schema_name, c.tls as c_tls, c.on_no_match as c_on_no_match,
      c.credential_mappings as c_credential_mappings, c.created_at as c_created_at, c.updated_at as c_updated_at,
      s.row_policies_apply_to_admins as s_row_policies_apply_to_admins,
      s.require_row_policies as s_require_row_policies,
      (select coalesce(json_agg(json_build_object('schema', t.schema_name, 'name', t.table_name, 'policy', t.policy)
                                order by t.position), '[]'::json)
         from data_domain_tables t where t.workspace_id = ${workspaceId} and t.domain_id = d.id) as tables,
      (select coalesce(json_agg(json_build_object('roleId', a.role_id, 'scopes', a.scopes) order by a.position), '[]'::json)
         from user_role_assignments a where a.user_id = ${userId}) as direct_roles,
      (select coalesce(json_agg(json_build_object('roleId', g.role_id, 'scopes', g.scopes, 'groupId', g.group_id)
                                order by g.group_id, g.position), '[]'::json)
         from group_members m join group_role_assignments g on g.group_id = m.group_id
         where m.user_id = ${userId}) as group_roles,
      (select coalesce(json_agg(json_build_object('key', a.key, 'value', a.value, 'source', a.source)), '[]'::json)
         from user_attributes a where a.user_id = ${userId}) as stored_attributes,
      (select coalesce(json_agg(json_build_object('key', ad.key, 'type', ad.type, 'pattern', ad.pattern,
                                'allowedValues', ad.allowed_values, 'precedence', ad.precedence,
                                'transientOverride', ad.transient_override)), '[]'::json)
         from attribute_definitions ad where ad.workspace_id = ${workspaceId}) as attribute_definitions,
      (select coalesce(json_agg(json_build_object('schema', cp.schema_name, 'table', cp.table_name,
                                'column', cp.column_name, 'mask', cp.mask, 'maskText', cp.mask_text,
                                'maskExpression', cp.mask_expression, 'condition', cp.condition,
                                'tableColumns', cp.table_columns)
                                order by cp.schema_name, cp.table_name, cp.column_name), '[]'::json)
         from data_column_policies cp
         where cp.workspace_id = ${workspaceId} and cp.domain_id = ${domainId}) as column_policies
    from (select 1) as base
    left join users u on u.workspace_id = ${workspaceId} and u.id = ${userId}
    left join data_domains d on d.workspace_id = ${workspaceId} and d.id = ${domainId}
    left join data_connections c on c.workspace_id = ${workspaceId} and c.id = d.connection_id
    left join workspace_data_settings s on s.workspace_id = ${workspaceId}`.execute(db);
  const r = rows[0]!;
  const tables = json(r.tables);
  const domain: DomainView | null =
    r.d_id !== null
      ? {
          id: r.d_id,
          workspaceId,
          name: r.d_name!,
          description: r.d_description!,
          connectionId: r.d_connection_id,
          tables,
          isBuiltIn: r.d_id === BUILT_IN_DOMAIN_ID,
          createdAt: r.d_created_at,
          updatedAt: r.d_updated_at,
        }
      : domainId === BUILT_IN_DOMAIN_ID
        ? builtInDomain(workspaceId)
        : null;
  const connection: ConnectionRow | null =
    r.c_id !== null
      ? {
          id: r.c_id,
          workspace_id: workspaceId,
          name: r.c_name,
          engine: r.c_engine,
          host: r.c_host,
          port: r.c_port,
          database_name: r.c_database_name,
          username: r.c_username,
          password_sealed: r.c_password_sealed,
          schema_name: r.c_schema_name,
          tls: r.c_tls,
          on_no_match: r.c_on_no_match,
          credential_mappings: json(r.c_credential_mappings),
          created_at: r.c_created_at,
          updated_at: r.c_updated_at,
        }
      : null;
  return {
    user: r.user_email !== null ? { email: r.user_email, status: r.user_status! } : null,
    domain,
    connection,
    assignments: [
      ...json(r.direct_roles).map((a) => ({
        roleId: a.roleId,
        scopes: a.scopes,
        inheritedFromGroupId: null,
      })),
      ...json(r.group_roles).map((a) => ({
        roleId: a.roleId,
        scopes: a.scopes,
        inheritedFromGroupId: a.groupId,
      })),
    ],
    attributes: mergeAttributes({
      transient,
      stored: json(r.stored_attributes),
      definitions: new Map(json(r.attribute_definitions).map((d) => [d.key, d])),
    }),
    settings:
      r.s_row_policies_apply_to_admins === null
        ? DEFAULT_DATA_SETTINGS
        : {
            rowPoliciesApplyToAdmins: r.s_row_policies_apply_to_admins,
            requireRowPolicies: r.s_require_row_policies!,
          },
    columnPolicies: json(r.column_policies).map((c) => ({
      ...c,
      tableColumns: json(c.tableColumns as readonly string[] | string),
    })),
  };
}

/** Drivers hand `json` columns back parsed; tolerate one that returns the text. */
function json<T>(value: T | string): T {
  return typeof value === 'string' ? (JSON.parse(value) as T) : value;
}
