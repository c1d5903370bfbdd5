import { defaultFieldResolver, type GraphQLFieldResolver, type GraphQLSchema } from 'graphql';
import { forbidden, unauthenticated } from '../../errors.ts';
import type { Permission } from './permissions.ts';
import type { Principal } from './principal.ts';

/**
 * Who may call a field (docs/security.md §3):
 *
 * - `public`: no credential (the field takes its own, like `impersonateUser`, or none);
 * - `session`: a user's session only;
 * - `anyCredential`: a session, or a key holding at least one GraphQL permission;
 * - `{ keys }`: a key (or API JWT) holding one of `keys`; with `sessions: true` a user's session
 *   too, which the resolver then checks against the user's own roles.
 *
 * `scim` is never a GraphQL permission (docs/scim.md, "Authentication"): a key that holds only
 * `scim` is refused by every field that is not public. The resolvers keep their own, finer
 * checks (which workspace, which object); this table is the floor under them.
 */
export type FieldAccess =
  | 'public'
  | 'session'
  | 'anyCredential'
  | { readonly keys: readonly Permission[]; readonly sessions?: true };

const IAM_READ = { keys: ['iam:read'] } as const;
const IAM_WRITE = { keys: ['iam:write'] } as const;
const DATA_ADMIN = { keys: ['data:admin'] } as const;
const SITE_ADMIN = { keys: ['site:admin'] } as const;
/** Dashboards: a `data:admin` key, or a user's session under its dashboard roles (docs/dashboards.md). */
const DASHBOARDS = { keys: ['data:admin'], sessions: true } as const;
/** Domains are read by identity admins too: scopes of role assignments name them. */
const DOMAIN_READ = { keys: ['data:admin', 'iam:read'] } as const;

/**
 * Every root field of the schema, and the few nested fields a credential that reaches their parent
 * may still not read. The server refuses to start while a root field has no row here, so a new
 * field cannot be served before someone decides who may call it.
 */
export const FIELD_ACCESS: Readonly<Record<string, Readonly<Record<string, FieldAccess>>>> = {
  Query: {
    health: 'public',
    impersonateUser: 'public',
    exchangeAccessToken: 'public',
    // A session's own user and attributes (the embed page's first call); null for a key.
    currentUser: 'anyCredential',
    effectiveAttributes: { keys: ['iam:read'], sessions: true },
    listUsers: IAM_READ,
    users: IAM_READ,
    user: IAM_READ,
    userGroups: IAM_READ,
    userGroup: IAM_READ,
    roles: IAM_READ,
    auditEvents: IAM_READ,
    outboxMessages: IAM_READ,
    attributeDefinitions: IAM_READ,
    accessKeys: { keys: ['iam:write', 'site:admin'] },
    workspaces: SITE_ADMIN,
    // A session reads its own workspace (its embed origins are in the embed page's CSP anyway).
    workspace: { keys: ['iam:read', 'data:admin', 'site:admin'], sessions: true },
    ssoIssuers: IAM_READ,
    ssoSettings: IAM_READ,
    connections: DATA_ADMIN,
    connection: DATA_ADMIN,
    discoverTables: DATA_ADMIN,
    checkConnection: DATA_ADMIN,
    unprotectedTables: DATA_ADMIN,
    explainAccess: DATA_ADMIN,
    domains: DOMAIN_READ,
    domain: DOMAIN_READ,
    runQuery: 'session',
    dashboards: DASHBOARDS,
    dashboard: DASHBOARDS,
    dashboardShares: DASHBOARDS,
    dashboardTileResult: 'session',
    dashboardTilePreview: 'session',
    dashboardFilterOptions: 'session',
  },
  Mutation: {
    noop: 'public',
    impersonateUser: 'public',
    requestSignInLink: 'public',
    logout: 'session',
    createUsers: IAM_WRITE,
    setUserAttributes: IAM_WRITE,
    deleteUsersFromWorkspace: IAM_WRITE,
    setUserRoleAssignments: IAM_WRITE,
    setUserStatus: IAM_WRITE,
    createUserGroup: IAM_WRITE,
    updateUserGroup: IAM_WRITE,
    deleteUserGroup: IAM_WRITE,
    addUsersToGroup: IAM_WRITE,
    removeUsersFromGroup: IAM_WRITE,
    defineAttribute: IAM_WRITE,
    deleteAttributeDefinition: IAM_WRITE,
    createAccessKey: { keys: ['iam:write', 'site:admin'] },
    revokeAccessKey: { keys: ['iam:write', 'site:admin'] },
    revokeSessions: IAM_WRITE,
    updateWorkspaceEmbedSettings: IAM_WRITE,
    configureSsoIssuer: IAM_WRITE,
    deleteSsoIssuer: IAM_WRITE,
    setSsoSettings: IAM_WRITE,
    createWorkspace: SITE_ADMIN,
    createConnection: DATA_ADMIN,
    updateConnection: DATA_ADMIN,
    deleteConnection: DATA_ADMIN,
    testConnection: DATA_ADMIN,
    createDomain: DATA_ADMIN,
    updateDomain: DATA_ADMIN,
    deleteDomain: DATA_ADMIN,
    setRowPolicy: DATA_ADMIN,
    removeRowPolicy: DATA_ADMIN,
    setColumnPolicy: DATA_ADMIN,
    deleteColumnPolicy: DATA_ADMIN,
    updateWorkspaceDataSettings: DATA_ADMIN,
    createDashboard: DASHBOARDS,
    updateDashboard: DASHBOARDS,
    duplicateDashboard: DASHBOARDS,
    deleteDashboard: DASHBOARDS,
    addScopeRoleAssignmentsForSharing: DASHBOARDS,
    removeScopeRoleAssignmentsForSharing: DASHBOARDS,
  },
  Subscription: {},
  // A session reaches its own groups (currentUser.userGroups), never the other users in them.
  UserGroup: { members: IAM_READ },
};

const ROOT_TYPES = ['Query', 'Mutation', 'Subscription'] as const;

/** Refuses `principal` unless `access` lets it through; the error is the one the contract names. */
export function checkFieldAccess(access: FieldAccess, principal: Principal | null): void {
  if (access === 'public') return;
  if (!principal) throw unauthenticated();
  if (principal.kind === 'session') {
    if (access === 'session' || access === 'anyCredential' || access.sessions) return;
    throw forbidden('This operation is not open to a user session');
  }
  if (access === 'session') throw forbidden('This operation needs a user session token');
  const held = [...principal.permissions].filter((p) => p !== 'scim');
  if (held.length === 0) throw forbidden('This credential grants nothing in GraphQL');
  if (access === 'anyCredential') return;
  if (!access.keys.some((p) => principal.permissions.has(p)))
    throw forbidden(`This operation needs the ${access.keys.join(' or ')} permission`);
}

/** `table` with the rows modules declare for their own fields added (a module may not change a row). */
export function withModuleAccess(
  table: typeof FIELD_ACCESS,
  modules: readonly { readonly access?: typeof FIELD_ACCESS }[],
): typeof FIELD_ACCESS {
  const merged: Record<string, Record<string, FieldAccess>> = {};
  for (const [type, fields] of Object.entries(table)) merged[type] = { ...fields };
  for (const { access } of modules)
    for (const [type, fields] of Object.entries(access ?? {}))
      for (const [name, rule] of Object.entries(fields)) {
        if (merged[type]?.[name]) throw new Error(`field access: ${type}.${name} is declared twice`);
        merged[type] = { ...merged[type], [name]: rule };
      }
  return merged;
}

/**
 * Wraps every declared field's resolver in its check, and fails (at start) when a root field has
 * no declaration.
 */
export function guardFieldAccess(schema: GraphQLSchema, table: typeof FIELD_ACCESS = FIELD_ACCESS): void {
  const problems: string[] = [];
  for (const typeName of ROOT_TYPES) {
    const fields = schema.getType(typeName);
    if (!fields || !('getFields' in fields)) continue;
    for (const name of Object.keys(fields.getFields()))
      if (!table[typeName]?.[name]) problems.push(`${typeName}.${name} declares no access`);
  }
  for (const [typeName, declared] of Object.entries(table)) {
    const type = schema.getType(typeName);
    const fields = type && 'getFields' in type ? type.getFields() : {};
    for (const [name, access] of Object.entries(declared)) {
      const field = (fields as Record<string, { resolve?: GraphQLFieldResolver<unknown, unknown> }>)[name];
      // A declared field the schema lacks belongs to a module this app was built without.
      if (!field || access === 'public') continue;
      const inner = field.resolve ?? defaultFieldResolver;
      field.resolve = (source, args, context, info) => {
        checkFieldAccess(access, (context as { principal: Principal | null }).principal);
        return inner(source, args, context, info);
      };
    }
  }
  if (problems.length > 0)
    throw new Error(`field access (src/modules/auth/field-access.ts): ${problems.join('; ')}`);
}
