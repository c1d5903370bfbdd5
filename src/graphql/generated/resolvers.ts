import type { GraphQLResolveInfo, GraphQLScalarType, GraphQLScalarTypeConfig } from 'graphql';
import type { AccessKeyView as AccessKeyViewModel } from '../../modules/access-keys/service.ts';
import type { AttributeDefinitionView as AttributeDefinitionViewModel } from '../../modules/attribute-definitions/service.ts';
import type { AuditRow as AuditRowModel } from '../../modules/audit/queries.ts';
import type { ConnectionView as ConnectionViewModel } from '../../modules/data/connections/types.ts';
import type { StoredColumnPolicy as StoredColumnPolicyModel } from '../../modules/data/policies/queries.ts';
import type { DomainView as DomainViewModel } from '../../modules/data/domains/queries.ts';
import type { OutboxMessage as OutboxMessageModel } from '../../modules/outbox/queries.ts';
import type { Role as RoleModel } from '../../modules/roles/roles.ts';
import type { StoredAssignment as StoredAssignmentModel } from '../../modules/users/queries/users.ts';
import type { UserModel as UserModelModel } from '../../modules/users/model.ts';
import type { UserConnectionValue as UserConnectionValueModel } from '../../modules/users/resolvers.ts';
import type { GroupView as GroupViewModel } from '../../modules/groups/service.ts';
import type { WorkspaceView as WorkspaceViewModel } from '../../modules/workspaces/service.ts';
import type { RequestContext } from '../context.ts';
export type Maybe<T> = T | null;
export type InputMaybe<T> = Maybe<T>;
export type Omit<T, K extends keyof T> = Pick<T, Exclude<keyof T, K>>;
export type RequireFields<T, K extends keyof T> = Omit<T, K> & { [P in K]-?: NonNullable<T[P]> };
/** All built-in and custom scalars, mapped to their actual values */
export type Scalars = {
  ID: { input: string; output: string; }
  String: { input: string; output: string; }
  Boolean: { input: boolean; output: boolean; }
  Int: { input: number; output: number; }
  Float: { input: number; output: number; }
  /** Any JSON value (a query result cell, a bound parameter). */
  JSONValue: { input: unknown; output: unknown; }
};

export type AccessExplanation = {
  /** Whether the user's roles allow ad-hoc queries in the domain. */
  readonly allowed: Scalars['Boolean']['output'];
  readonly attributesUsed: ReadonlyArray<Scalars['String']['output']>;
  readonly connection: ResolvedConnection;
  /** Columns the query reads masked unless each condition holds for the user. */
  readonly maskedColumns: ReadonlyArray<MaskedColumn>;
  readonly params: ReadonlyArray<Maybe<Scalars['JSONValue']['output']>>;
  readonly policies: ReadonlyArray<AppliedRowPolicy>;
  /** false when an admin bypasses row policies. */
  readonly policiesApplied: Scalars['Boolean']['output'];
  readonly roles: ReadonlyArray<Scalars['String']['output']>;
  readonly sql: Scalars['String']['output'];
  readonly tables: ReadonlyArray<DataTableName>;
};

export type AccessKey = {
  readonly creationTimestamp: Scalars['String']['output'];
  readonly expiresAt?: Maybe<Scalars['String']['output']>;
  readonly id: Scalars['ID']['output'];
  readonly lastUsedAt?: Maybe<Scalars['String']['output']>;
  readonly name: Scalars['String']['output'];
  readonly permissions: ReadonlyArray<Scalars['String']['output']>;
  readonly revokedAt?: Maybe<Scalars['String']['output']>;
  readonly workspaceId: Scalars['ID']['output'];
};

export type AppliedRowPolicy = {
  readonly name: Scalars['String']['output'];
  readonly policy: Scalars['String']['output'];
  readonly schema: Scalars['String']['output'];
};

export type AttributeDefinition = {
  readonly allowedValues?: Maybe<ReadonlyArray<Scalars['String']['output']>>;
  readonly creationTimestamp: Scalars['String']['output'];
  readonly key: Scalars['String']['output'];
  /** Matched against the whole value (each element of a STRING_LIST). */
  readonly pattern?: Maybe<Scalars['String']['output']>;
  readonly precedence: AttributePrecedence;
  readonly transientOverride: TransientOverride;
  readonly type: AttributeType;
  readonly updateTimestamp: Scalars['String']['output'];
};

/** Matches a stored attribute: by key only, by key and value, or by key and any of several values. */
export type AttributeFilter = {
  readonly anyOf?: InputMaybe<ReadonlyArray<Scalars['String']['input']>>;
  readonly key: Scalars['String']['input'];
  readonly value?: InputMaybe<Scalars['String']['input']>;
};

export type AttributeMatch = {
  readonly key: Scalars['String']['output'];
  readonly value: Scalars['String']['output'];
};

export type AttributeMatchInput = {
  readonly key: Scalars['String']['input'];
  readonly value: Scalars['String']['input'];
};

/** Which stored source wins for a declared key. TRANSIENT_FIRST is the compat order. */
export type AttributePrecedence =
  /** transient > DATABASE; JWT values are never used */
  | 'DATABASE_ONLY'
  /** transient > JWT > DATABASE */
  | 'JWT_WINS'
  /** transient > DATABASE > JWT */
  | 'TRANSIENT_FIRST';

/** A declared attribute key (docs/attribute-definitions.md). STRING_LIST is string[], stored as a JSON array. */
export type AttributeType =
  | 'BOOL'
  | 'ENUM'
  | 'INT'
  | 'STRING'
  | 'STRING_LIST';

export type AuditEvent = {
  readonly action: Scalars['String']['output'];
  readonly actorKeyId?: Maybe<Scalars['ID']['output']>;
  readonly actorUserId?: Maybe<Scalars['ID']['output']>;
  /** Action-specific details as a JSON string. */
  readonly details: Scalars['String']['output'];
  readonly id: Scalars['ID']['output'];
  readonly ip?: Maybe<Scalars['String']['output']>;
  readonly occurredAt: Scalars['String']['output'];
  readonly outcome: AuditOutcome;
  readonly requestId?: Maybe<Scalars['String']['output']>;
  readonly targetId?: Maybe<Scalars['ID']['output']>;
  readonly targetType?: Maybe<Scalars['String']['output']>;
};

export type AuditEventConnection = {
  readonly edges: ReadonlyArray<AuditEventEdge>;
  readonly pageInfo: PageInfo;
};

export type AuditEventEdge = {
  readonly cursor: Scalars['String']['output'];
  readonly node: AuditEvent;
};

export type AuditEventFilter = {
  readonly action?: InputMaybe<Scalars['String']['input']>;
  readonly actionPrefix?: InputMaybe<Scalars['String']['input']>;
  readonly actorKeyId?: InputMaybe<Scalars['ID']['input']>;
  readonly actorUserId?: InputMaybe<Scalars['ID']['input']>;
  readonly outcome?: InputMaybe<AuditOutcome>;
  /** ISO 8601, inclusive. */
  readonly since?: InputMaybe<Scalars['String']['input']>;
  readonly targetId?: InputMaybe<Scalars['ID']['input']>;
  /** ISO 8601, exclusive. */
  readonly until?: InputMaybe<Scalars['String']['input']>;
};

export type AuditOutcome =
  | 'FAILURE'
  /** A query that was running when its record was read, or whose outcome was never written (docs/data-access.md). */
  | 'STARTED'
  | 'SUCCESS';

/** What a masked column shows while its condition does not hold. */
export type ColumnMask =
  /** An allow-listed expression (maskExpression): LAST_4 or EMAIL_DOMAIN. */
  | 'EXPRESSION'
  /** The sha256 of the value's text form, as lowercase hex. */
  | 'HASH'
  /** SQL NULL (the column keeps its type). */
  | 'NULL'
  /** A fixed text (maskText). */
  | 'TEXT';

/** Masks one column of a domain table unless a condition on the user's attributes holds. */
export type ColumnPolicy = {
  readonly column: Scalars['String']['output'];
  /** A row-policy-style condition; when it holds the column is shown as stored. */
  readonly condition: Scalars['String']['output'];
  readonly mask: ColumnMask;
  readonly maskExpression?: Maybe<Scalars['String']['output']>;
  readonly maskText?: Maybe<Scalars['String']['output']>;
  readonly table: DataTableName;
  readonly updatedTimestamp: Scalars['String']['output'];
};

export type ColumnPolicyResponse = {
  readonly columnPolicy?: Maybe<ColumnPolicy>;
  readonly status: ResponseStatus;
};

/** The least-privilege check of one set of a connection's credentials. */
export type ConnectionPrivilegeCheck = {
  readonly database?: Maybe<Scalars['String']['output']>;
  /** Why the check could not run (the connection failed, a mapping template needs attributes). */
  readonly errorCode?: Maybe<Scalars['String']['output']>;
  readonly findings: ReadonlyArray<PrivilegeFinding>;
  /** Index of the credential mapping checked; null = the base settings. */
  readonly mappingIndex?: Maybe<Scalars['Int']['output']>;
  readonly message?: Maybe<Scalars['String']['output']>;
  /** The check ran and found nothing beyond reading the domains' tables. */
  readonly ok: Scalars['Boolean']['output'];
  readonly user?: Maybe<Scalars['String']['output']>;
};

export type ConnectionResponse = {
  readonly connection?: Maybe<DataConnection>;
  readonly status: ResponseStatus;
};

export type ConnectionTestResult = {
  readonly errorCode?: Maybe<Scalars['String']['output']>;
  readonly latencyMs: Scalars['Float']['output'];
  readonly message?: Maybe<Scalars['String']['output']>;
  readonly ok: Scalars['Boolean']['output'];
  readonly resolved?: Maybe<ResolvedConnection>;
  readonly serverVersion?: Maybe<Scalars['String']['output']>;
};

export type CreateAccessKeyInput = {
  /** ISO 8601; omitted = never expires. */
  readonly expiresAt?: InputMaybe<Scalars['String']['input']>;
  readonly name?: InputMaybe<Scalars['String']['input']>;
  /** Any of iam:read, iam:write, impersonate, data:admin, site:admin. */
  readonly permissions: ReadonlyArray<Scalars['String']['input']>;
  readonly workspaceId?: InputMaybe<Scalars['ID']['input']>;
};

export type CreateAccessKeyResponse = {
  readonly accessKey?: Maybe<AccessKey>;
  readonly status: ResponseStatus;
  /** The secret key, shown only in this response. */
  readonly token?: Maybe<Scalars['String']['output']>;
};

export type CreateConnectionInput = {
  readonly credentialMappings?: InputMaybe<ReadonlyArray<CredentialMappingInput>>;
  readonly database?: InputMaybe<Scalars['String']['input']>;
  readonly engine: Scalars['String']['input'];
  readonly host?: InputMaybe<Scalars['String']['input']>;
  readonly name: Scalars['String']['input'];
  readonly onNoMatch?: InputMaybe<OnNoMatch>;
  readonly password?: InputMaybe<Scalars['String']['input']>;
  readonly port?: InputMaybe<Scalars['Int']['input']>;
  readonly schema?: InputMaybe<Scalars['String']['input']>;
  readonly tls?: InputMaybe<Scalars['Boolean']['input']>;
  readonly user?: InputMaybe<Scalars['String']['input']>;
  readonly workspaceId?: InputMaybe<Scalars['ID']['input']>;
};

export type CreateDashboardInput = {
  /** Default 60; 0 turns the result cache off for this dashboard; at most 86400. */
  readonly cacheTtlSeconds?: InputMaybe<Scalars['Int']['input']>;
  readonly description?: InputMaybe<Scalars['String']['input']>;
  readonly domainId: Scalars['ID']['input'];
  readonly filters?: InputMaybe<ReadonlyArray<DashboardFilterInput>>;
  readonly tiles?: InputMaybe<ReadonlyArray<DashboardTileInput>>;
  readonly title: Scalars['String']['input'];
  readonly workspaceId?: InputMaybe<Scalars['ID']['input']>;
};

export type CreateDomainInput = {
  readonly connectionId?: InputMaybe<Scalars['ID']['input']>;
  readonly description?: InputMaybe<Scalars['String']['input']>;
  readonly name: Scalars['String']['input'];
  readonly tables?: InputMaybe<ReadonlyArray<TableRefInput>>;
  readonly workspaceId?: InputMaybe<Scalars['ID']['input']>;
};

export type CreateUserGroupInput = {
  readonly description?: InputMaybe<Scalars['String']['input']>;
  readonly name: Scalars['String']['input'];
  readonly roleAssignments?: InputMaybe<ReadonlyArray<RoleAssignmentInput>>;
  readonly workspaceId?: InputMaybe<Scalars['ID']['input']>;
};

export type CreateUserOutcome =
  | 'CREATED'
  | 'UNCHANGED'
  | 'UPDATED';

export type CreateUserResult = {
  readonly email: Scalars['String']['output'];
  readonly outcome: CreateUserOutcome;
  readonly userId: Scalars['ID']['output'];
};

export type CreateUsersInput = {
  readonly emails: ReadonlyArray<Scalars['String']['input']>;
  readonly roleAssignments?: InputMaybe<ReadonlyArray<RoleAssignmentInput>>;
  readonly sendWelcomeEmail?: InputMaybe<Scalars['Boolean']['input']>;
  readonly userAttributes?: InputMaybe<ReadonlyArray<UserAttributeInput>>;
  readonly userGroupIds?: InputMaybe<ReadonlyArray<Scalars['ID']['input']>>;
  readonly workspaceID?: InputMaybe<Scalars['ID']['input']>;
};

export type CreateUsersResponse = {
  /** One result per distinct email, in input order. */
  readonly results: ReadonlyArray<CreateUserResult>;
  readonly status: ResponseStatus;
  /** The created or re-applied users (empty on failure). */
  readonly users: ReadonlyArray<User>;
};

export type CreateWorkspaceInput = {
  readonly name: Scalars['String']['input'];
};

export type CreateWorkspaceResponse = {
  readonly status: ResponseStatus;
  readonly workspace?: Maybe<Workspace>;
};

/** Overrides applied when every attributeMatch pair equals the user's effective attribute. Secrets are never returned. */
export type CredentialMapping = {
  readonly attributeMatch: ReadonlyArray<AttributeMatch>;
  readonly database?: Maybe<Scalars['String']['output']>;
  readonly hasPassword: Scalars['Boolean']['output'];
  readonly host?: Maybe<Scalars['String']['output']>;
  readonly schema?: Maybe<Scalars['String']['output']>;
  /** Every template slot value must match it; null = ^[A-Za-z0-9_]{1,63}$. */
  readonly slotPattern?: Maybe<Scalars['String']['output']>;
  readonly user?: Maybe<Scalars['String']['output']>;
};

export type CredentialMappingInput = {
  readonly attributeMatch: ReadonlyArray<AttributeMatchInput>;
  /** Overrides; each may be a template with named slots, e.g. tenant_{{account_id}}. */
  readonly database?: InputMaybe<Scalars['String']['input']>;
  readonly host?: InputMaybe<Scalars['String']['input']>;
  readonly password?: InputMaybe<Scalars['String']['input']>;
  readonly schema?: InputMaybe<Scalars['String']['input']>;
  readonly slotPattern?: InputMaybe<Scalars['String']['input']>;
  readonly user?: InputMaybe<Scalars['String']['input']>;
};

/**
 * A dashboard: filters and tiles over one domain. Every tile, filter option list and export runs
 * through the query gate as the viewing user, so two users opening the same dashboard see their
 * own rows (docs/dashboards.md).
 */
export type Dashboard = {
  /** What the calling credential may do with this dashboard. */
  readonly access: DashboardAccess;
  /** Seconds a tile result may be served from the result cache; 0 = never cached. */
  readonly cacheTtlSeconds: Scalars['Int']['output'];
  readonly createdAt: Scalars['String']['output'];
  readonly description: Scalars['String']['output'];
  /** The domain every tile's SQL reads; domain roles on it decide who may view and edit. */
  readonly domainId: Scalars['ID']['output'];
  readonly filters: ReadonlyArray<DashboardFilter>;
  readonly id: Scalars['ID']['output'];
  readonly tiles: ReadonlyArray<DashboardTile>;
  readonly title: Scalars['String']['output'];
  readonly updatedAt: Scalars['String']['output'];
  /** Optimistic version: starts at 1, grows by one with every change; updateDashboard must name it. */
  readonly version: Scalars['Int']['output'];
  readonly workspaceId: Scalars['ID']['output'];
};

export type DashboardAccess =
  /** Also change, duplicate, delete and share it (EXPLORER, DATA_ADMIN, ADMIN, dashboard editors, data:admin). */
  | 'EDIT'
  /** Read the dashboard and run its tiles (VIEWER and other domain roles, dashboard viewers). */
  | 'VIEW';

/**
 * A filter of a dashboard. Its id is the parameter name tile SQL uses (`{{region}}`); values are
 * always bound as parameters, never spliced into the SQL. A tile that does not name a filter
 * ignores it.
 */
export type DashboardFilter = {
  /**
   * Used when the viewer sets no value: one value (SINGLE_SELECT, TEXT), any number (MULTI_SELECT),
   * or two (DATE_RANGE: from, to). Empty = unset, bound as NULL.
   */
  readonly defaultValues: ReadonlyArray<Scalars['String']['output']>;
  /** Parameter name: ^[a-z][a-z0-9_]{0,39}$. */
  readonly id: Scalars['ID']['output'];
  readonly label: Scalars['String']['output'];
  /** SINGLE_SELECT and MULTI_SELECT: SQL whose first column lists the options (run as the viewer). */
  readonly optionsSql?: Maybe<Scalars['String']['output']>;
  readonly type: DashboardFilterType;
};

export type DashboardFilterInput = {
  readonly defaultValues?: InputMaybe<ReadonlyArray<Scalars['String']['input']>>;
  readonly id: Scalars['ID']['input'];
  readonly label: Scalars['String']['input'];
  readonly optionsSql?: InputMaybe<Scalars['String']['input']>;
  readonly type: DashboardFilterType;
};

export type DashboardFilterType =
  /** Two dates (from, to), ISO 8601 YYYY-MM-DD; SQL reads {{<id>_from}} and {{<id>_to}}. */
  | 'DATE_RANGE'
  /** Any number of values out of optionsSql's first column, bound as one list; SQL reads {{<id>}}. */
  | 'MULTI_SELECT'
  /** One value out of optionsSql's first column; SQL reads {{<id>}}. */
  | 'SINGLE_SELECT'
  /** Free text; SQL reads {{<id>}}. */
  | 'TEXT';

/** A value of one filter for one request; unknown filter ids are refused. */
export type DashboardFilterValueInput = {
  readonly filterId: Scalars['ID']['input'];
  /** One value (SINGLE_SELECT, TEXT), any number (MULTI_SELECT), two (DATE_RANGE); [] = unset. */
  readonly values: ReadonlyArray<Scalars['String']['input']>;
};

export type DashboardResponse = {
  readonly dashboard?: Maybe<Dashboard>;
  readonly status: ResponseStatus;
};

/** One sharing role on one dashboard (compat roles …0008 viewer, …0009 editor). */
export type DashboardShare = {
  readonly createdAt: Scalars['String']['output'];
  readonly principalId: Scalars['String']['output'];
  readonly roleId: Scalars['ID']['output'];
};

export type DashboardTile = {
  readonly bindings: TileBindings;
  /** Unique within the dashboard; ^[A-Za-z0-9_-]{1,40}$ (generated when omitted on input). */
  readonly id: Scalars['ID']['output'];
  readonly position: TilePosition;
  /** SQL against the dashboard's domain; {{filter}} placeholders are bound parameters. */
  readonly sql: Scalars['String']['output'];
  readonly title: Scalars['String']['output'];
  readonly visualization: Visualization;
};

export type DashboardTileInput = {
  readonly bindings?: InputMaybe<TileBindingsInput>;
  /** Keep a tile's id across updates; omitted: a new id. */
  readonly id?: InputMaybe<Scalars['ID']['input']>;
  readonly position: TilePositionInput;
  readonly sql: Scalars['String']['input'];
  readonly title: Scalars['String']['input'];
  readonly visualization: Visualization;
};

/** A data source of the workspace (data:admin). The password is stored encrypted and never returned. */
export type DataConnection = {
  readonly creationTimestamp: Scalars['String']['output'];
  readonly credentialMappings: ReadonlyArray<CredentialMapping>;
  readonly database: Scalars['String']['output'];
  /** postgres, mysql (MariaDB included) or pglite (an embedded warehouse; database = warehouse name). */
  readonly engine: Scalars['String']['output'];
  readonly hasPassword: Scalars['Boolean']['output'];
  readonly host: Scalars['String']['output'];
  readonly id: Scalars['ID']['output'];
  readonly name: Scalars['String']['output'];
  readonly onNoMatch: OnNoMatch;
  readonly port?: Maybe<Scalars['Int']['output']>;
  readonly schema?: Maybe<Scalars['String']['output']>;
  readonly tls: Scalars['Boolean']['output'];
  readonly updatedTimestamp: Scalars['String']['output'];
  readonly user: Scalars['String']['output'];
  readonly workspaceId: Scalars['ID']['output'];
};

export type DataDeleteResponse = {
  readonly status: ResponseStatus;
};

/** A named set of tables of one connection; role scopes name domains. */
export type DataDomain = {
  /** Column policies of the domain's tables (data:admin; see docs/data-access.md, Column policies). */
  readonly columnPolicies: ReadonlyArray<ColumnPolicy>;
  readonly connection?: Maybe<DataConnection>;
  readonly description: Scalars['String']['output'];
  readonly id: Scalars['ID']['output'];
  /** The built-in domain `default` every workspace has; it cannot be deleted. */
  readonly isBuiltIn: Scalars['Boolean']['output'];
  readonly name: Scalars['String']['output'];
  readonly tables: ReadonlyArray<DomainTable>;
  readonly workspaceId: Scalars['ID']['output'];
};

export type DataTableName = {
  readonly name: Scalars['String']['output'];
  readonly schema: Scalars['String']['output'];
};

export type DefineAttributeInput = {
  /** Required for ENUM; allowed for STRING and STRING_LIST. */
  readonly allowedValues?: InputMaybe<ReadonlyArray<Scalars['String']['input']>>;
  readonly key: Scalars['String']['input'];
  readonly pattern?: InputMaybe<Scalars['String']['input']>;
  readonly precedence?: InputMaybe<AttributePrecedence>;
  readonly transientOverride?: InputMaybe<TransientOverride>;
  readonly type: AttributeType;
  /** Omitted: the credential's workspace. */
  readonly workspaceId?: InputMaybe<Scalars['ID']['input']>;
};

export type DefineAttributeResponse = {
  readonly attributeDefinition?: Maybe<AttributeDefinition>;
  readonly status: ResponseStatus;
};

export type DeleteAttributeDefinitionInput = {
  readonly key: Scalars['String']['input'];
  readonly workspaceId?: InputMaybe<Scalars['ID']['input']>;
};

export type DeleteAttributeDefinitionResponse = {
  readonly status: ResponseStatus;
};

export type DeleteColumnPolicyInput = {
  readonly column: Scalars['String']['input'];
  readonly domainId: Scalars['ID']['input'];
  readonly table: TableRefInput;
};

export type DeleteDashboardInput = {
  readonly id: Scalars['ID']['input'];
  /** When given, the delete is refused with CONFLICT unless it is the current version. */
  readonly version?: InputMaybe<Scalars['Int']['input']>;
};

export type DeleteDashboardResponse = {
  readonly id?: Maybe<Scalars['ID']['output']>;
  readonly status: ResponseStatus;
};

export type DeleteDataObjectInput = {
  readonly id: Scalars['ID']['input'];
};

export type DeleteSsoIssuerInput = {
  readonly id: Scalars['ID']['input'];
  readonly workspaceId?: InputMaybe<Scalars['ID']['input']>;
};

export type DeleteUserGroupInput = {
  readonly id: Scalars['ID']['input'];
};

export type DeleteUsersFromWorkspaceInput = {
  readonly userIds: ReadonlyArray<Scalars['ID']['input']>;
  readonly workspaceId?: InputMaybe<Scalars['ID']['input']>;
};

export type DeleteUsersFromWorkspaceResponse = {
  readonly status: ResponseStatus;
};

export type DiscoveredColumn = {
  readonly name: Scalars['String']['output'];
  readonly type: Scalars['String']['output'];
};

export type DiscoveredTable = {
  readonly columns: ReadonlyArray<DiscoveredColumn>;
  readonly name: Scalars['String']['output'];
  readonly schema: Scalars['String']['output'];
};

export type DomainResponse = {
  readonly domain?: Maybe<DataDomain>;
  readonly status: ResponseStatus;
};

export type DomainTable = {
  readonly name: Scalars['String']['output'];
  /** Row policy (a SQL boolean expression); null = readable in full unless the workspace requires policies. */
  readonly policy?: Maybe<Scalars['String']['output']>;
  readonly schema: Scalars['String']['output'];
};

export type DuplicateDashboardInput = {
  readonly id: Scalars['ID']['input'];
  /** Default: the original's title with ' (copy)'. */
  readonly title?: InputMaybe<Scalars['String']['input']>;
};

export type EffectiveAttribute = {
  /** Values that took no part, and why. */
  readonly ignored: ReadonlyArray<IgnoredAttributeValue>;
  readonly key: Scalars['String']['output'];
  /** Values of weaker sources for the same key, strongest first. */
  readonly overridden: ReadonlyArray<OverriddenAttributeValue>;
  /** The rule that decided which value won (its attribute definition's, or the compat default). */
  readonly rule: EffectiveAttributeRule;
  /** The source whose value won. */
  readonly source: EffectiveAttributeSource;
  readonly value: Scalars['String']['output'];
};

/** The rule that decided an effective attribute: its definition's, or the compat default. */
export type EffectiveAttributeRule = {
  readonly declared: Scalars['Boolean']['output'];
  readonly precedence: AttributePrecedence;
  readonly transientOverride: TransientOverride;
  readonly type?: Maybe<AttributeType>;
};

export type EffectiveAttributeSource =
  | 'DATABASE'
  | 'JWT'
  | 'TRANSIENT';

/** The options of a select filter, as the calling user may see them. */
export type FilterOptions = {
  readonly dashboardId: Scalars['ID']['output'];
  readonly filterId: Scalars['ID']['output'];
  /** More options existed than the row cap. */
  readonly truncated: Scalars['Boolean']['output'];
  readonly values: ReadonlyArray<Scalars['String']['output']>;
};

export type FormatStyle =
  | 'AUTO'
  | 'CURRENCY'
  | 'DATE'
  | 'NUMBER'
  | 'PERCENT'
  | 'TEXT';

export type GroupMembersInput = {
  readonly groupId: Scalars['ID']['input'];
  readonly userIds: ReadonlyArray<Scalars['ID']['input']>;
};

export type GroupStatusResponse = {
  readonly status: ResponseStatus;
};

export type IgnoredAttributeReason =
  /** NARROW_ONLY: the transient value does not narrow the stored one. */
  | 'NOT_NARROWER'
  /** DATABASE_ONLY: the JWT value is never used. */
  | 'SOURCE_NOT_USED'
  /** NEVER: a transient value carried by a session token is ignored. */
  | 'TRANSIENT_REFUSED'
  /** The value does not fit the key's definition. */
  | 'TYPE_MISMATCH';

export type IgnoredAttributeValue = {
  readonly reason: IgnoredAttributeReason;
  readonly source: EffectiveAttributeSource;
  readonly value: Scalars['String']['output'];
};

export type LogoutResponse = {
  readonly status: ResponseStatus;
};

export type MaskedColumn = {
  readonly column: Scalars['String']['output'];
  readonly condition: Scalars['String']['output'];
  readonly mask: ColumnMask;
  readonly name: Scalars['String']['output'];
  readonly schema: Scalars['String']['output'];
};

export type Mutation = {
  /** compat: shares a dashboard; `message` is added to the notification email sent to each user. */
  readonly addScopeRoleAssignmentsForSharing: ResponseStatus;
  readonly addUsersToGroup: GroupStatusResponse;
  /** Creates or updates an OIDC issuer (iam:write). */
  readonly configureSsoIssuer: SsoIssuerResponse;
  readonly createAccessKey: CreateAccessKeyResponse;
  readonly createConnection: ConnectionResponse;
  readonly createDashboard: DashboardResponse;
  readonly createDomain: DomainResponse;
  readonly createUserGroup: UserGroupResponse;
  readonly createUsers: CreateUsersResponse;
  readonly createWorkspace: CreateWorkspaceResponse;
  /** Declares a key, or replaces its definition (iam:write). Applies on the next request everywhere. */
  readonly defineAttribute: DefineAttributeResponse;
  /** Removes a key's definition: it behaves as an undeclared key again (iam:write). */
  readonly deleteAttributeDefinition: DeleteAttributeDefinitionResponse;
  readonly deleteColumnPolicy: ColumnPolicyResponse;
  readonly deleteConnection: DataDeleteResponse;
  readonly deleteDashboard: DeleteDashboardResponse;
  readonly deleteDomain: DataDeleteResponse;
  readonly deleteSsoIssuer: SsoStatusResponse;
  readonly deleteUserGroup: GroupStatusResponse;
  readonly deleteUsersFromWorkspace: DeleteUsersFromWorkspaceResponse;
  readonly duplicateDashboard: DashboardResponse;
  readonly impersonateUser: Scalars['String']['output'];
  /** Ends the web session of the request's cookie. Needs a cookie-authenticated request. */
  readonly logout: LogoutResponse;
  /** No-op, so the Mutation type is never empty. */
  readonly noop?: Maybe<Scalars['Boolean']['output']>;
  readonly removeRowPolicy: RowPolicyResponse;
  /** compat: takes sharing roles back. */
  readonly removeScopeRoleAssignmentsForSharing: ResponseStatus;
  readonly removeUsersFromGroup: GroupStatusResponse;
  /**
   * Emails a one-time sign-in link to the address if it belongs to an active user of the workspace
   * (default: the default workspace). Public; answers the same for unknown addresses; rate limited
   * per address and per client: its IP address, an IPv6 client's /64 (RATE_LIMITED).
   */
  readonly requestSignInLink: SignInLinkResponse;
  readonly revokeAccessKey: RevokeAccessKeyResponse;
  /** Ends every session token and web session of the workspace issued until now (iam:write; another workspace: site:admin). */
  readonly revokeSessions: RevokeSessionsResponse;
  readonly setColumnPolicy: ColumnPolicyResponse;
  readonly setRowPolicy: RowPolicyResponse;
  /** JIT provisioning, default roles and groups, role claims, prefix and group mappings (iam:write). */
  readonly setSsoSettings: SsoSettingsResponse;
  readonly setUserAttributes: SetUserAttributesResponse;
  readonly setUserRoleAssignments: SetUserRoleAssignmentsResponse;
  readonly setUserStatus: SetUserStatusResponse;
  /** Connects with the base settings, or as a user with these attributes would. */
  readonly testConnection: ConnectionTestResult;
  readonly updateConnection: ConnectionResponse;
  readonly updateDashboard: DashboardResponse;
  readonly updateDomain: DomainResponse;
  readonly updateUserGroup: UserGroupResponse;
  readonly updateWorkspaceDataSettings: WorkspaceDataSettingsResponse;
  /** Which origins may frame the workspace's embed page (iam:write; another workspace: site:admin). */
  readonly updateWorkspaceEmbedSettings: UpdateWorkspaceEmbedSettingsResponse;
};


export type MutationAddScopeRoleAssignmentsForSharingArgs = {
  message?: InputMaybe<Scalars['String']['input']>;
  scopeId: Scalars['ID']['input'];
  scopeRoleAssignments: ReadonlyArray<ScopeRoleAssignmentInput>;
  scopeType: ScopeType;
};


export type MutationAddUsersToGroupArgs = {
  input: GroupMembersInput;
};


export type MutationConfigureSsoIssuerArgs = {
  input: SsoIssuerInput;
};


export type MutationCreateAccessKeyArgs = {
  input: CreateAccessKeyInput;
};


export type MutationCreateConnectionArgs = {
  input: CreateConnectionInput;
};


export type MutationCreateDashboardArgs = {
  input: CreateDashboardInput;
};


export type MutationCreateDomainArgs = {
  input: CreateDomainInput;
};


export type MutationCreateUserGroupArgs = {
  input: CreateUserGroupInput;
};


export type MutationCreateUsersArgs = {
  input: CreateUsersInput;
};


export type MutationCreateWorkspaceArgs = {
  input: CreateWorkspaceInput;
};


export type MutationDefineAttributeArgs = {
  input: DefineAttributeInput;
};


export type MutationDeleteAttributeDefinitionArgs = {
  input: DeleteAttributeDefinitionInput;
};


export type MutationDeleteColumnPolicyArgs = {
  input: DeleteColumnPolicyInput;
};


export type MutationDeleteConnectionArgs = {
  input: DeleteDataObjectInput;
};


export type MutationDeleteDashboardArgs = {
  input: DeleteDashboardInput;
};


export type MutationDeleteDomainArgs = {
  input: DeleteDataObjectInput;
};


export type MutationDeleteSsoIssuerArgs = {
  input: DeleteSsoIssuerInput;
};


export type MutationDeleteUserGroupArgs = {
  input: DeleteUserGroupInput;
};


export type MutationDeleteUsersFromWorkspaceArgs = {
  input: DeleteUsersFromWorkspaceInput;
};


export type MutationDuplicateDashboardArgs = {
  input: DuplicateDashboardInput;
};


export type MutationImpersonateUserArgs = {
  accessToken: Scalars['String']['input'];
  attributes?: InputMaybe<ReadonlyArray<UserAttributeInput>>;
  userEmail: Scalars['String']['input'];
};


export type MutationRemoveRowPolicyArgs = {
  input: RemoveRowPolicyInput;
};


export type MutationRemoveScopeRoleAssignmentsForSharingArgs = {
  scopeId: Scalars['ID']['input'];
  scopeRoleAssignments: ReadonlyArray<ScopeRoleAssignmentInput>;
  scopeType: ScopeType;
};


export type MutationRemoveUsersFromGroupArgs = {
  input: GroupMembersInput;
};


export type MutationRequestSignInLinkArgs = {
  email: Scalars['String']['input'];
  workspaceId?: InputMaybe<Scalars['ID']['input']>;
};


export type MutationRevokeAccessKeyArgs = {
  input: RevokeAccessKeyInput;
};


export type MutationRevokeSessionsArgs = {
  workspaceId?: InputMaybe<Scalars['ID']['input']>;
};


export type MutationSetColumnPolicyArgs = {
  input: SetColumnPolicyInput;
};


export type MutationSetRowPolicyArgs = {
  input: SetRowPolicyInput;
};


export type MutationSetSsoSettingsArgs = {
  input: SsoSettingsInput;
};


export type MutationSetUserAttributesArgs = {
  input: SetUserAttributesInput;
};


export type MutationSetUserRoleAssignmentsArgs = {
  input: SetUserRoleAssignmentsInput;
};


export type MutationSetUserStatusArgs = {
  input: SetUserStatusInput;
};


export type MutationTestConnectionArgs = {
  attributes?: InputMaybe<ReadonlyArray<UserAttributeInput>>;
  id: Scalars['ID']['input'];
};


export type MutationUpdateConnectionArgs = {
  input: UpdateConnectionInput;
};


export type MutationUpdateDashboardArgs = {
  input: UpdateDashboardInput;
};


export type MutationUpdateDomainArgs = {
  input: UpdateDomainInput;
};


export type MutationUpdateUserGroupArgs = {
  input: UpdateUserGroupInput;
};


export type MutationUpdateWorkspaceDataSettingsArgs = {
  input: UpdateWorkspaceDataSettingsInput;
};


export type MutationUpdateWorkspaceEmbedSettingsArgs = {
  input: UpdateWorkspaceEmbedSettingsInput;
};

export type OnNoMatch =
  /** No credential mapping matches: the query is refused with ACCESS_DENIED (default). */
  | 'DENY'
  /** No credential mapping matches: the base settings apply. */
  | 'USE_BASE';

/** An email waiting in, or delivered from, the outbox (welcome emails). */
export type OutboxMessage = {
  /** Delivery attempts made so far. */
  readonly attempts: Scalars['Int']['output'];
  readonly createdAt: Scalars['String']['output'];
  readonly id: Scalars['ID']['output'];
  readonly kind: Scalars['String']['output'];
  /** The last delivery error (SMTP code and reply), if any. */
  readonly lastError?: Maybe<Scalars['String']['output']>;
  /** When the next attempt is due (while SENDING: when the claim expires). Null once SENT or FAILED. */
  readonly nextAttemptAt?: Maybe<Scalars['String']['output']>;
  readonly recipient: Scalars['String']['output'];
  readonly sentAt?: Maybe<Scalars['String']['output']>;
  readonly state: OutboxState;
  readonly subject: Scalars['String']['output'];
};

export type OutboxMessageConnection = {
  readonly edges: ReadonlyArray<OutboxMessageEdge>;
  readonly pageInfo: PageInfo;
};

export type OutboxMessageEdge = {
  readonly cursor: Scalars['String']['output'];
  readonly node: OutboxMessage;
};

export type OutboxState =
  | 'FAILED'
  | 'QUEUED'
  | 'SENDING'
  | 'SENT';

export type OverriddenAttributeValue = {
  readonly source: EffectiveAttributeSource;
  readonly value: Scalars['String']['output'];
};

export type PageInfo = {
  readonly endCursor?: Maybe<Scalars['String']['output']>;
  readonly hasNextPage: Scalars['Boolean']['output'];
};

/** Something a connection's credentials may do beyond reading the tables of its domains. */
export type PrivilegeFinding = {
  /** READ_OUTSIDE_DOMAIN, WRITE, EXECUTE_FUNCTION or ADMIN. */
  readonly kind: Scalars['String']['output'];
  /** The table, function, schema, database, role, or *.* (the whole server) it concerns. */
  readonly object: Scalars['String']['output'];
  readonly privilege: Scalars['String']['output'];
};

/** One bad input item. */
export type Problem = {
  readonly code: Scalars['String']['output'];
  /** Input path, e.g. emails[2] or userAttributes[0].key. */
  readonly field: Scalars['String']['output'];
  /** The offending value, shortened, when it is safe to echo. */
  readonly item?: Maybe<Scalars['String']['output']>;
  readonly message: Scalars['String']['output'];
};

export type Query = {
  readonly accessKeys: ReadonlyArray<AccessKey>;
  /** The workspace's attribute definitions, ordered by key (iam:read). */
  readonly attributeDefinitions: ReadonlyArray<AttributeDefinition>;
  /** Newest first. */
  readonly auditEvents: AuditEventConnection;
  /** What the credentials (base and each mapping) may do beyond reading the tables of the domains bound to the connection: reads outside them, writes, function execution, administration (data:admin). See docs/data-access.md. */
  readonly checkConnection: ReadonlyArray<ConnectionPrivilegeCheck>;
  readonly connection?: Maybe<DataConnection>;
  /** Connections of the workspace (data:admin). */
  readonly connections: ReadonlyArray<DataConnection>;
  /** The user of a session token; null for access keys and API tokens. */
  readonly currentUser?: Maybe<User>;
  /** One dashboard with its filters and tiles; null when it does not exist. */
  readonly dashboard?: Maybe<Dashboard>;
  /** The options of a SINGLE_SELECT or MULTI_SELECT filter, through the gate as the calling user. */
  readonly dashboardFilterOptions: FilterOptions;
  /** Who the dashboard is shared with; needs EDIT access. */
  readonly dashboardShares: ReadonlyArray<DashboardShare>;
  /** Runs an unsaved tile (edit mode's preview) as the calling user; needs EDIT access. */
  readonly dashboardTilePreview: TileResult;
  /** Runs one tile through the query gate as the calling user (a session token). */
  readonly dashboardTileResult: TileResult;
  /** Dashboards the caller may view (data:admin: every one of the workspace), ordered by title. */
  readonly dashboards: ReadonlyArray<Dashboard>;
  /** Schemas, tables and columns the connection's base settings can see (data:admin). */
  readonly discoverTables: ReadonlyArray<DiscoveredTable>;
  readonly domain?: Maybe<DataDomain>;
  /** Domains of the workspace, the built-in default first (data:admin or iam:read). */
  readonly domains: ReadonlyArray<DataDomain>;
  /**
   * Effective attributes (transient > DATABASE > JWT). With a session token: its own user and its
   * transient attributes (userId and sessionAttributes must be omitted or name that user). With an
   * iam:read key: any user of the key's workspace, with the given would-be session attributes.
   */
  readonly effectiveAttributes: ReadonlyArray<EffectiveAttribute>;
  /** A short-lived API JWT carrying the access key's permissions. */
  readonly exchangeAccessToken: Scalars['String']['output'];
  /** What a user's query would become and where it would run, without running it (data:admin). */
  readonly explainAccess: AccessExplanation;
  /** Liveness of the API itself. */
  readonly health: Scalars['String']['output'];
  /**
   * An embedded session token (session JWT) for one user of the access key's workspace. Needs no
   * Authorization header: the access key with the impersonate permission is the argument. Also a
   * Mutation (legacy docs call it as a Query).
   */
  readonly impersonateUser: Scalars['String']['output'];
  /** Every user of the workspace, ordered by email (compat). */
  readonly listUsers: ReadonlyArray<User>;
  /** The workspace's outgoing emails, newest first (iam:read). */
  readonly outboxMessages: OutboxMessageConnection;
  /** The built-in roles (there are no custom roles). */
  readonly roles: ReadonlyArray<Role>;
  /** Runs one read-only SQL statement for the session's user, through the query gate (session token). */
  readonly runQuery: QueryResult;
  /** The workspace's OIDC issuers (iam:read). */
  readonly ssoIssuers: ReadonlyArray<SsoIssuer>;
  /** The workspace's SSO settings (iam:read). */
  readonly ssoSettings: SsoSettings;
  /** Tables of the domain without a row policy (data:admin). */
  readonly unprotectedTables: ReadonlyArray<DomainTable>;
  readonly user?: Maybe<User>;
  readonly userGroup?: Maybe<UserGroup>;
  readonly userGroups: ReadonlyArray<UserGroup>;
  /** Cursor-paginated, filtered users; at most 500 a page. */
  readonly users: UserConnection;
  /** A workspace; omitted id = the credential's own. */
  readonly workspace?: Maybe<Workspace>;
  /** Every workspace (site:admin). */
  readonly workspaces: ReadonlyArray<Workspace>;
};


export type QueryAccessKeysArgs = {
  workspaceId?: InputMaybe<Scalars['ID']['input']>;
};


export type QueryAttributeDefinitionsArgs = {
  workspaceId?: InputMaybe<Scalars['ID']['input']>;
};


export type QueryAuditEventsArgs = {
  after?: InputMaybe<Scalars['String']['input']>;
  filter?: InputMaybe<AuditEventFilter>;
  first?: InputMaybe<Scalars['Int']['input']>;
  workspaceId?: InputMaybe<Scalars['ID']['input']>;
};


export type QueryCheckConnectionArgs = {
  connectionId: Scalars['ID']['input'];
};


export type QueryConnectionArgs = {
  id: Scalars['ID']['input'];
};


export type QueryConnectionsArgs = {
  workspaceId?: InputMaybe<Scalars['ID']['input']>;
};


export type QueryDashboardArgs = {
  id: Scalars['ID']['input'];
};


export type QueryDashboardFilterOptionsArgs = {
  dashboardId: Scalars['ID']['input'];
  filterId: Scalars['ID']['input'];
};


export type QueryDashboardSharesArgs = {
  dashboardId: Scalars['ID']['input'];
};


export type QueryDashboardTilePreviewArgs = {
  dashboardId: Scalars['ID']['input'];
  filters?: InputMaybe<ReadonlyArray<DashboardFilterValueInput>>;
  tile: DashboardTileInput;
};


export type QueryDashboardTileResultArgs = {
  dashboardId: Scalars['ID']['input'];
  filters?: InputMaybe<ReadonlyArray<DashboardFilterValueInput>>;
  tileId: Scalars['ID']['input'];
};


export type QueryDashboardsArgs = {
  domainId?: InputMaybe<Scalars['ID']['input']>;
  workspaceId?: InputMaybe<Scalars['ID']['input']>;
};


export type QueryDiscoverTablesArgs = {
  connectionId: Scalars['ID']['input'];
};


export type QueryDomainArgs = {
  id: Scalars['ID']['input'];
};


export type QueryDomainsArgs = {
  workspaceId?: InputMaybe<Scalars['ID']['input']>;
};


export type QueryEffectiveAttributesArgs = {
  sessionAttributes?: InputMaybe<ReadonlyArray<UserAttributeInput>>;
  userId?: InputMaybe<Scalars['ID']['input']>;
};


export type QueryExchangeAccessTokenArgs = {
  accessToken: Scalars['String']['input'];
};


export type QueryExplainAccessArgs = {
  domainId: Scalars['ID']['input'];
  sessionAttributes?: InputMaybe<ReadonlyArray<UserAttributeInput>>;
  sql: Scalars['String']['input'];
  userId: Scalars['ID']['input'];
};


export type QueryImpersonateUserArgs = {
  accessToken: Scalars['String']['input'];
  attributes?: InputMaybe<ReadonlyArray<UserAttributeInput>>;
  userEmail: Scalars['String']['input'];
};


export type QueryListUsersArgs = {
  workspaceId?: InputMaybe<Scalars['ID']['input']>;
};


export type QueryOutboxMessagesArgs = {
  after?: InputMaybe<Scalars['String']['input']>;
  first?: InputMaybe<Scalars['Int']['input']>;
  state?: InputMaybe<OutboxState>;
  workspaceId?: InputMaybe<Scalars['ID']['input']>;
};


export type QueryRunQueryArgs = {
  domainId: Scalars['ID']['input'];
  sql: Scalars['String']['input'];
};


export type QuerySsoIssuersArgs = {
  workspaceId?: InputMaybe<Scalars['ID']['input']>;
};


export type QuerySsoSettingsArgs = {
  workspaceId?: InputMaybe<Scalars['ID']['input']>;
};


export type QueryUnprotectedTablesArgs = {
  domainId: Scalars['ID']['input'];
};


export type QueryUserArgs = {
  id: Scalars['ID']['input'];
};


export type QueryUserGroupArgs = {
  id: Scalars['ID']['input'];
};


export type QueryUserGroupsArgs = {
  workspaceId?: InputMaybe<Scalars['ID']['input']>;
};


export type QueryUsersArgs = {
  after?: InputMaybe<Scalars['String']['input']>;
  filter?: InputMaybe<UserFilter>;
  first?: InputMaybe<Scalars['Int']['input']>;
  workspaceId?: InputMaybe<Scalars['ID']['input']>;
};


export type QueryWorkspaceArgs = {
  id?: InputMaybe<Scalars['ID']['input']>;
};

export type QueryResult = {
  readonly columns: ReadonlyArray<QueryResultColumn>;
  readonly queryId: Scalars['ID']['output'];
  readonly rowCount: Scalars['Int']['output'];
  /** One array of cell values per row, in column order. */
  readonly rows: ReadonlyArray<ReadonlyArray<Maybe<Scalars['JSONValue']['output']>>>;
  /** More rows existed than the row cap. */
  readonly truncated: Scalars['Boolean']['output'];
};

export type QueryResultColumn = {
  readonly name: Scalars['String']['output'];
  readonly type: Scalars['String']['output'];
};

export type RemoveRowPolicyInput = {
  readonly domainId: Scalars['ID']['input'];
  readonly table: TableRefInput;
};

/** Connection settings after credential mappings, with every secret replaced by hasPassword. */
export type ResolvedConnection = {
  readonly connectionId: Scalars['ID']['output'];
  readonly database: Scalars['String']['output'];
  readonly engine: Scalars['String']['output'];
  readonly hasPassword: Scalars['Boolean']['output'];
  readonly host: Scalars['String']['output'];
  /** Index of the credential mapping that applied; null = base settings. */
  readonly mappingIndex?: Maybe<Scalars['Int']['output']>;
  readonly port?: Maybe<Scalars['Int']['output']>;
  readonly schema: Scalars['String']['output'];
  readonly tls: Scalars['Boolean']['output'];
  readonly user: Scalars['String']['output'];
};

/**
 * Outcome of a compat mutation (WisdomAI `ResponseStatus`). `code` and `message` are compat;
 * `errorCode` and `problems` are Tessera extensions that name every bad input item.
 */
export type ResponseStatus = {
  readonly code: StatusCode;
  /** Stable machine-readable code (e.g. BAD_USER_INPUT, NOT_FOUND); null on success. */
  readonly errorCode?: Maybe<Scalars['String']['output']>;
  readonly message: Scalars['String']['output'];
  /** Every bad input item, when the failure is about input. */
  readonly problems: ReadonlyArray<Problem>;
};

export type RevokeAccessKeyInput = {
  readonly id: Scalars['ID']['input'];
  readonly workspaceId?: InputMaybe<Scalars['ID']['input']>;
};

export type RevokeAccessKeyResponse = {
  readonly status: ResponseStatus;
};

export type RevokeSessionsResponse = {
  /** Session tokens issued at or before this instant (ISO 8601) are refused. */
  readonly revokedAt?: Maybe<Scalars['String']['output']>;
  readonly status: ResponseStatus;
};

export type Role = {
  /** Whether holders may run ad-hoc queries in their domains. */
  readonly allowsAdHocQueries: Scalars['Boolean']['output'];
  /** Whether the role can be granted on domains (dashboard sharing roles cannot). */
  readonly assignableToDomains: Scalars['Boolean']['output'];
  readonly description: Scalars['String']['output'];
  readonly id: Scalars['ID']['output'];
  readonly name: Scalars['String']['output'];
};

export type RoleAssignment = {
  /** Set when the assignment is inherited from a user group. */
  readonly inheritedFromGroupId?: Maybe<Scalars['ID']['output']>;
  readonly roleId: Scalars['ID']['output'];
  readonly scopes: ReadonlyArray<Scalars['ID']['output']>;
  /** Where the assignment comes from: the API, a user group, or the role claims of the last SSO sign-in. */
  readonly source: RoleAssignmentSource;
};

export type RoleAssignmentInput = {
  readonly roleId: Scalars['ID']['input'];
  readonly scopes: ReadonlyArray<Scalars['ID']['input']>;
};

export type RoleAssignmentSource =
  /** Granted by the role claims of the user's last SSO sign-in; replaced at every sign-in. */
  | 'CLAIM'
  /** Given through the API (createUsers, setUserRoleAssignments). */
  | 'DIRECT'
  /** Inherited from a user group (inheritedFromGroupId). */
  | 'GROUP';

export type RowPolicyResponse = {
  readonly status: ResponseStatus;
  readonly table?: Maybe<DomainTable>;
};

/** compat: one user and the sharing role they get (…0008 dashboard viewer, …0009 dashboard editor). */
export type ScopeRoleAssignmentInput = {
  readonly principalId: Scalars['String']['input'];
  readonly roleId: Scalars['ID']['input'];
};

/** compat: what can be shared. Tessera shares dashboards only. */
export type ScopeType =
  | 'DASHBOARD';

export type SetColumnPolicyInput = {
  readonly column: Scalars['String']['input'];
  readonly condition: Scalars['String']['input'];
  readonly domainId: Scalars['ID']['input'];
  readonly mask: ColumnMask;
  /** Required for EXPRESSION (LAST_4 or EMAIL_DOMAIN), refused otherwise. */
  readonly maskExpression?: InputMaybe<Scalars['String']['input']>;
  /** Required for TEXT, refused otherwise. */
  readonly maskText?: InputMaybe<Scalars['String']['input']>;
  readonly table: TableRefInput;
};

export type SetRowPolicyInput = {
  readonly domainId: Scalars['ID']['input'];
  readonly policy: Scalars['String']['input'];
  readonly table: TableRefInput;
};

export type SetUserAttributesInput = {
  readonly userAttributes: ReadonlyArray<UserAttributeInput>;
  readonly userId: Scalars['ID']['input'];
};

export type SetUserAttributesResponse = {
  readonly status: ResponseStatus;
};

export type SetUserRoleAssignmentsInput = {
  readonly roleAssignments: ReadonlyArray<RoleAssignmentInput>;
  readonly userId: Scalars['ID']['input'];
};

export type SetUserRoleAssignmentsResponse = {
  readonly status: ResponseStatus;
};

export type SetUserStatusInput = {
  /** ACTIVE, INACTIVE, SUSPENDED or PENDING. A suspended or inactive user's sessions stop working at once. */
  readonly status: UserStatus;
  readonly userId: Scalars['ID']['input'];
};

export type SetUserStatusResponse = {
  readonly status: ResponseStatus;
};

export type SignInLinkResponse = {
  /** OK whether or not the address belongs to a user: the answer tells nothing about it. */
  readonly status: ResponseStatus;
};

/** A claim of the sign-in (a dotted path into nested claims) stored as a JWT-sourced attribute. */
export type SsoAttributeMapping = {
  readonly attribute: Scalars['String']['output'];
  readonly claim: Scalars['String']['output'];
};

export type SsoAttributeMappingInput = {
  readonly attribute: Scalars['String']['input'];
  readonly claim: Scalars['String']['input'];
};

/** How Tessera authenticates to the identity provider's token endpoint. */
export type SsoClientAuthMethod =
  | 'CLIENT_SECRET_BASIC'
  | 'CLIENT_SECRET_POST'
  | 'PRIVATE_KEY_JWT';

/** An IdP group (a string of the role claims) whose members belong to a Tessera user group. */
export type SsoGroupMapping = {
  readonly groupId: Scalars['ID']['output'];
  readonly idpGroup: Scalars['String']['output'];
};

export type SsoGroupMappingInput = {
  readonly groupId: Scalars['ID']['input'];
  readonly idpGroup: Scalars['String']['input'];
};

/** An OpenID Connect provider users of the workspace sign in with. */
export type SsoIssuer = {
  readonly attributeMappings: ReadonlyArray<SsoAttributeMapping>;
  readonly clientAuthMethod: SsoClientAuthMethod;
  readonly clientId: Scalars['String']['output'];
  /** The issuer URL (or its /.well-known/openid-configuration URL). */
  readonly discoveryUrl: Scalars['String']['output'];
  /** Secrets are never shown, only whether one is stored. */
  readonly hasClientSecret: Scalars['Boolean']['output'];
  readonly hasPrivateKey: Scalars['Boolean']['output'];
  readonly id: Scalars['ID']['output'];
  /** Where a browser starts signing in with this issuer. */
  readonly loginUrl: Scalars['String']['output'];
  readonly name: Scalars['String']['output'];
  /** The redirect URI to register at the provider. */
  readonly redirectUri: Scalars['String']['output'];
  readonly scopes: ReadonlyArray<Scalars['String']['output']>;
  readonly workspaceId: Scalars['ID']['output'];
};

export type SsoIssuerInput = {
  readonly attributeMappings?: InputMaybe<ReadonlyArray<SsoAttributeMappingInput>>;
  readonly clientAuthMethod?: InputMaybe<SsoClientAuthMethod>;
  readonly clientId?: InputMaybe<Scalars['String']['input']>;
  readonly clientSecret?: InputMaybe<Scalars['String']['input']>;
  readonly discoveryUrl?: InputMaybe<Scalars['String']['input']>;
  /** Given: updates that issuer (omitted fields keep their values). Omitted: creates one. */
  readonly id?: InputMaybe<Scalars['ID']['input']>;
  readonly name?: InputMaybe<Scalars['String']['input']>;
  /** A private JWK, as JSON text, for PRIVATE_KEY_JWT. */
  readonly privateKeyJwk?: InputMaybe<Scalars['String']['input']>;
  /** Default: openid email profile. Must include openid. */
  readonly scopes?: InputMaybe<ReadonlyArray<Scalars['String']['input']>>;
  readonly workspaceId?: InputMaybe<Scalars['ID']['input']>;
};

export type SsoIssuerResponse = {
  readonly issuer?: Maybe<SsoIssuer>;
  readonly status: ResponseStatus;
};

export type SsoSettings = {
  readonly defaultGroupIds: ReadonlyArray<Scalars['ID']['output']>;
  /** Given to users created by just-in-time provisioning. */
  readonly defaultRoleAssignments: ReadonlyArray<RoleAssignment>;
  readonly groupMappings: ReadonlyArray<SsoGroupMapping>;
  /** Just-in-time provisioning: the first sign-in of an unknown verified email creates the user. */
  readonly jitEnabled: Scalars['Boolean']['output'];
  /** The claims read for role strings and IdP groups (default roles, groups). */
  readonly roleClaims: ReadonlyArray<Scalars['String']['output']>;
  /** The first segment of a role string (default wisdom). */
  readonly rolePrefix: Scalars['String']['output'];
  readonly workspaceId: Scalars['ID']['output'];
};

export type SsoSettingsInput = {
  readonly defaultGroupIds?: InputMaybe<ReadonlyArray<Scalars['ID']['input']>>;
  readonly defaultRoleAssignments?: InputMaybe<ReadonlyArray<RoleAssignmentInput>>;
  readonly groupMappings?: InputMaybe<ReadonlyArray<SsoGroupMappingInput>>;
  readonly jitEnabled?: InputMaybe<Scalars['Boolean']['input']>;
  readonly roleClaims?: InputMaybe<ReadonlyArray<Scalars['String']['input']>>;
  readonly rolePrefix?: InputMaybe<Scalars['String']['input']>;
  readonly workspaceId?: InputMaybe<Scalars['ID']['input']>;
};

export type SsoSettingsResponse = {
  readonly settings?: Maybe<SsoSettings>;
  readonly status: ResponseStatus;
};

export type SsoStatusResponse = {
  readonly status: ResponseStatus;
};

export type StatusCode =
  | 'ERROR'
  | 'NONE'
  | 'NOT_FOUND'
  | 'OK';

export type TableRefInput = {
  readonly name: Scalars['String']['input'];
  /** Omitted: the connection's schema (Postgres: public; MySQL: the database). */
  readonly schema?: InputMaybe<Scalars['String']['input']>;
};

/** Which result columns a chart draws. Names are result column names. */
export type TileBindings = {
  readonly format?: Maybe<TileFormat>;
  /** A column whose distinct values split each y series into one series per value. */
  readonly group?: Maybe<Scalars['String']['output']>;
  /** The x axis (BAR, LINE, AREA, SCATTER) or the slice labels (PIE). */
  readonly x?: Maybe<Scalars['String']['output']>;
  /** The series (y values); NUMBER shows the first row of the first; PIE sizes slices by the first. */
  readonly y: ReadonlyArray<Scalars['String']['output']>;
};

export type TileBindingsInput = {
  readonly format?: InputMaybe<TileFormatInput>;
  readonly group?: InputMaybe<Scalars['String']['input']>;
  readonly x?: InputMaybe<Scalars['String']['input']>;
  readonly y?: InputMaybe<ReadonlyArray<Scalars['String']['input']>>;
};

/** How values are shown (number tiles, axes, table cells of the y columns). */
export type TileFormat = {
  /** ISO 4217 code for CURRENCY, e.g. EUR. */
  readonly currency?: Maybe<Scalars['String']['output']>;
  /** Digits after the decimal point; null = as the value comes. */
  readonly decimals?: Maybe<Scalars['Int']['output']>;
  readonly prefix?: Maybe<Scalars['String']['output']>;
  readonly style: FormatStyle;
  readonly suffix?: Maybe<Scalars['String']['output']>;
};

export type TileFormatInput = {
  readonly currency?: InputMaybe<Scalars['String']['input']>;
  readonly decimals?: InputMaybe<Scalars['Int']['input']>;
  readonly prefix?: InputMaybe<Scalars['String']['input']>;
  readonly style?: InputMaybe<FormatStyle>;
  readonly suffix?: InputMaybe<Scalars['String']['input']>;
};

/** Position on a 12-column grid: x + w <= 12; y and h in grid rows. */
export type TilePosition = {
  readonly h: Scalars['Int']['output'];
  readonly w: Scalars['Int']['output'];
  readonly x: Scalars['Int']['output'];
  readonly y: Scalars['Int']['output'];
};

export type TilePositionInput = {
  readonly h: Scalars['Int']['input'];
  readonly w: Scalars['Int']['input'];
  readonly x: Scalars['Int']['input'];
  readonly y: Scalars['Int']['input'];
};

/** One tile's rows as the calling user may see them. */
export type TileResult = {
  /** Served from the result cache. */
  readonly cached: Scalars['Boolean']['output'];
  readonly columns: ReadonlyArray<TileResultColumn>;
  /** When the rows were read from the warehouse (ISO 8601). */
  readonly computedAt: Scalars['String']['output'];
  readonly dashboardId: Scalars['ID']['output'];
  /** The audit record of this request (written for cache hits too). */
  readonly queryId: Scalars['ID']['output'];
  readonly rowCount: Scalars['Int']['output'];
  /** One array of cell values per row, in column order. */
  readonly rows: ReadonlyArray<ReadonlyArray<Maybe<Scalars['JSONValue']['output']>>>;
  readonly tileId: Scalars['ID']['output'];
  /** More rows existed than the row cap. */
  readonly truncated: Scalars['Boolean']['output'];
};

export type TileResultColumn = {
  readonly name: Scalars['String']['output'];
  readonly type: Scalars['String']['output'];
};

/** Whether a session's transient value (impersonateUser attributes) may stand for the key. */
export type TransientOverride =
  | 'ANY'
  /** A list may only shrink to a sub-list of the stored one; a scalar must equal the stored value. */
  | 'NARROW_ONLY'
  /** impersonateUser refuses any transient value for the key (ATTRIBUTE_OVERRIDE_REFUSED). */
  | 'NEVER';

/** An omitted field keeps its value. password: null or "" clears it. credentialMappings replaces them all. */
export type UpdateConnectionInput = {
  readonly credentialMappings?: InputMaybe<ReadonlyArray<CredentialMappingInput>>;
  readonly database?: InputMaybe<Scalars['String']['input']>;
  readonly engine?: InputMaybe<Scalars['String']['input']>;
  readonly host?: InputMaybe<Scalars['String']['input']>;
  readonly id: Scalars['ID']['input'];
  readonly name?: InputMaybe<Scalars['String']['input']>;
  readonly onNoMatch?: InputMaybe<OnNoMatch>;
  readonly password?: InputMaybe<Scalars['String']['input']>;
  readonly port?: InputMaybe<Scalars['Int']['input']>;
  readonly schema?: InputMaybe<Scalars['String']['input']>;
  readonly tls?: InputMaybe<Scalars['Boolean']['input']>;
  readonly user?: InputMaybe<Scalars['String']['input']>;
};

/**
 * Replaces the fields given; `filters` and `tiles` replace the whole list. `version` must be the
 * dashboard's current version, else the update is refused with CONFLICT and nothing changes.
 */
export type UpdateDashboardInput = {
  readonly cacheTtlSeconds?: InputMaybe<Scalars['Int']['input']>;
  readonly description?: InputMaybe<Scalars['String']['input']>;
  readonly filters?: InputMaybe<ReadonlyArray<DashboardFilterInput>>;
  readonly id: Scalars['ID']['input'];
  readonly tiles?: InputMaybe<ReadonlyArray<DashboardTileInput>>;
  readonly title?: InputMaybe<Scalars['String']['input']>;
  readonly version: Scalars['Int']['input'];
};

export type UpdateDomainInput = {
  readonly connectionId?: InputMaybe<Scalars['ID']['input']>;
  readonly description?: InputMaybe<Scalars['String']['input']>;
  readonly id: Scalars['ID']['input'];
  readonly name?: InputMaybe<Scalars['String']['input']>;
  /** Replaces the table list; tables that stay keep their policies. */
  readonly tables?: InputMaybe<ReadonlyArray<TableRefInput>>;
};

export type UpdateUserGroupInput = {
  readonly description?: InputMaybe<Scalars['String']['input']>;
  readonly id: Scalars['ID']['input'];
  readonly name?: InputMaybe<Scalars['String']['input']>;
  /** Replaces the group's assignments when given. */
  readonly roleAssignments?: InputMaybe<ReadonlyArray<RoleAssignmentInput>>;
};

export type UpdateWorkspaceDataSettingsInput = {
  readonly requireRowPolicies?: InputMaybe<Scalars['Boolean']['input']>;
  readonly rowPoliciesApplyToAdmins?: InputMaybe<Scalars['Boolean']['input']>;
  readonly workspaceId?: InputMaybe<Scalars['ID']['input']>;
};

export type UpdateWorkspaceEmbedSettingsInput = {
  /** Origins like https://app.example.com or https://*.example.com; [] = the embed page cannot be framed. */
  readonly allowedEmbedOrigins: ReadonlyArray<Scalars['String']['input']>;
  /** Omitted: the credential's workspace. */
  readonly workspaceId?: InputMaybe<Scalars['ID']['input']>;
};

export type UpdateWorkspaceEmbedSettingsResponse = {
  readonly status: ResponseStatus;
  readonly workspace?: Maybe<Workspace>;
};

export type User = {
  /** ISO 8601 UTC. */
  readonly creationTimestamp: Scalars['String']['output'];
  /**
   * The user's effective attributes. For the session's own user they include the session's
   * transient attributes; otherwise stored ones only.
   */
  readonly effectiveAttributes: ReadonlyArray<EffectiveAttribute>;
  readonly email: Scalars['String']['output'];
  readonly id: Scalars['ID']['output'];
  readonly isScimManaged: Scalars['Boolean']['output'];
  /** Last impersonation or SSO session, or null. */
  readonly lastActiveSessionTimestamp?: Maybe<Scalars['String']['output']>;
  /** The display_name attribute, else the email. */
  readonly name: Scalars['String']['output'];
  /** Empty string when none. */
  readonly profilePicture: Scalars['String']['output'];
  /** Direct assignments, then those inherited from groups (inheritedFromGroupId set). */
  readonly roleAssignments: ReadonlyArray<RoleAssignment>;
  readonly status: UserStatus;
  /** Stored attributes, both sources (DATABASE and JWT). */
  readonly userAttributes: ReadonlyArray<UserAttribute>;
  readonly userGroups: ReadonlyArray<UserGroup>;
  readonly workspaceId: Scalars['ID']['output'];
};

export type UserAttribute = {
  readonly key: Scalars['String']['output'];
  readonly source: UserAttributeSource;
  readonly value: Scalars['String']['output'];
};

export type UserAttributeInput = {
  readonly key: Scalars['String']['input'];
  readonly value: Scalars['String']['input'];
};

export type UserAttributeSource =
  | 'DATABASE'
  | 'JWT';

export type UserConnection = {
  readonly edges: ReadonlyArray<UserEdge>;
  readonly pageInfo: PageInfo;
  readonly totalCount: Scalars['Int']['output'];
};

export type UserEdge = {
  readonly cursor: Scalars['String']['output'];
  readonly node: User;
};

export type UserFilter = {
  readonly attribute?: InputMaybe<AttributeFilter>;
  /** All of these must match. */
  readonly attributes?: InputMaybe<ReadonlyArray<AttributeFilter>>;
  /** Case-insensitive prefix of the email. */
  readonly emailPrefix?: InputMaybe<Scalars['String']['input']>;
  readonly groupId?: InputMaybe<Scalars['ID']['input']>;
  /** Users holding this role directly or through a group. */
  readonly roleId?: InputMaybe<Scalars['ID']['input']>;
  readonly status?: InputMaybe<ReadonlyArray<UserStatus>>;
};

export type UserGroup = {
  readonly creationTimestamp: Scalars['String']['output'];
  readonly description: Scalars['String']['output'];
  readonly id: Scalars['ID']['output'];
  readonly members: ReadonlyArray<User>;
  readonly name: Scalars['String']['output'];
  /** Assignments every member inherits. */
  readonly roleAssignments: ReadonlyArray<RoleAssignment>;
};

export type UserGroupResponse = {
  readonly status: ResponseStatus;
  readonly userGroup?: Maybe<UserGroup>;
};

export type UserStatus =
  | 'ACTIVE'
  | 'DELETED'
  | 'INACTIVE'
  | 'PENDING'
  | 'SUSPENDED';

export type Visualization =
  | 'AREA'
  | 'BAR'
  | 'LINE'
  | 'NUMBER'
  | 'PIE'
  | 'SCATTER'
  | 'TABLE';

export type Workspace = {
  /** Origins allowed to frame the embed page (CSP frame-ancestors). */
  readonly allowedEmbedOrigins: ReadonlyArray<Scalars['String']['output']>;
  readonly creationTimestamp: Scalars['String']['output'];
  readonly id: Scalars['ID']['output'];
  readonly isDefault: Scalars['Boolean']['output'];
  readonly name: Scalars['String']['output'];
  /** true: a query reading a table without a row policy is denied. */
  readonly requireRowPolicies: Scalars['Boolean']['output'];
  /** Admins bypass row policies unless true (compat default false). */
  readonly rowPoliciesApplyToAdmins: Scalars['Boolean']['output'];
  /** When the workspace's sessions were last revoked (ISO 8601), or null. */
  readonly sessionsRevokedAt?: Maybe<Scalars['String']['output']>;
};

export type WorkspaceDataSettingsResponse = {
  readonly status: ResponseStatus;
  readonly workspace?: Maybe<Workspace>;
};



export type ResolverTypeWrapper<T> = Promise<T> | T;


export type ResolverWithResolve<TResult, TParent, TContext, TArgs> = {
  resolve: ResolverFn<TResult, TParent, TContext, TArgs>;
};
export type Resolver<TResult, TParent = Record<PropertyKey, never>, TContext = Record<PropertyKey, never>, TArgs = Record<PropertyKey, never>> = ResolverFn<TResult, TParent, TContext, TArgs> | ResolverWithResolve<TResult, TParent, TContext, TArgs>;

export type ResolverFn<TResult, TParent, TContext, TArgs> = (
  parent: TParent,
  args: TArgs,
  context: TContext,
  info: GraphQLResolveInfo
) => Promise<TResult> | TResult;

export type SubscriptionSubscribeFn<TResult, TParent, TContext, TArgs> = (
  parent: TParent,
  args: TArgs,
  context: TContext,
  info: GraphQLResolveInfo
) => AsyncIterable<TResult> | Promise<AsyncIterable<TResult>>;

export type SubscriptionResolveFn<TResult, TParent, TContext, TArgs> = (
  parent: TParent,
  args: TArgs,
  context: TContext,
  info: GraphQLResolveInfo
) => TResult | Promise<TResult>;

export interface SubscriptionSubscriberObject<TResult, TKey extends string, TParent, TContext, TArgs> {
  subscribe: SubscriptionSubscribeFn<{ [key in TKey]: TResult }, TParent, TContext, TArgs>;
  resolve?: SubscriptionResolveFn<TResult, { [key in TKey]: TResult }, TContext, TArgs>;
}

export interface SubscriptionResolverObject<TResult, TParent, TContext, TArgs> {
  subscribe: SubscriptionSubscribeFn<any, TParent, TContext, TArgs>;
  resolve: SubscriptionResolveFn<TResult, any, TContext, TArgs>;
}

export type SubscriptionObject<TResult, TKey extends string, TParent, TContext, TArgs> =
  | SubscriptionSubscriberObject<TResult, TKey, TParent, TContext, TArgs>
  | SubscriptionResolverObject<TResult, TParent, TContext, TArgs>;

export type SubscriptionResolver<TResult, TKey extends string, TParent = Record<PropertyKey, never>, TContext = Record<PropertyKey, never>, TArgs = Record<PropertyKey, never>> =
  | ((...args: any[]) => SubscriptionObject<TResult, TKey, TParent, TContext, TArgs>)
  | SubscriptionObject<TResult, TKey, TParent, TContext, TArgs>;

export type TypeResolveFn<TTypes, TParent = Record<PropertyKey, never>, TContext = Record<PropertyKey, never>> = (
  parent: TParent,
  context: TContext,
  info: GraphQLResolveInfo
) => Maybe<TTypes> | Promise<Maybe<TTypes>>;

export type IsTypeOfResolverFn<T = Record<PropertyKey, never>, TContext = Record<PropertyKey, never>> = (obj: T, context: TContext, info: GraphQLResolveInfo) => boolean | Promise<boolean>;

export type NextResolverFn<T> = () => Promise<T>;

export type DirectiveResolverFn<TResult = Record<PropertyKey, never>, TParent = Record<PropertyKey, never>, TContext = Record<PropertyKey, never>, TArgs = Record<PropertyKey, never>> = (
  next: NextResolverFn<TResult>,
  parent: TParent,
  args: TArgs,
  context: TContext,
  info: GraphQLResolveInfo
) => TResult | Promise<TResult>;





/** Mapping between all available schema types and the resolvers types */
export type ResolversTypes = {
  AccessExplanation: ResolverTypeWrapper<AccessExplanation>;
  AccessKey: ResolverTypeWrapper<AccessKeyViewModel>;
  AppliedRowPolicy: ResolverTypeWrapper<AppliedRowPolicy>;
  AttributeDefinition: ResolverTypeWrapper<AttributeDefinitionViewModel>;
  AttributeFilter: AttributeFilter;
  AttributeMatch: ResolverTypeWrapper<AttributeMatch>;
  AttributeMatchInput: AttributeMatchInput;
  AttributePrecedence: AttributePrecedence;
  AttributeType: AttributeType;
  AuditEvent: ResolverTypeWrapper<AuditRowModel>;
  AuditEventConnection: ResolverTypeWrapper<Omit<AuditEventConnection, 'edges'> & { edges: ReadonlyArray<ResolversTypes['AuditEventEdge']> }>;
  AuditEventEdge: ResolverTypeWrapper<Omit<AuditEventEdge, 'node'> & { node: ResolversTypes['AuditEvent'] }>;
  AuditEventFilter: AuditEventFilter;
  AuditOutcome: AuditOutcome;
  Boolean: ResolverTypeWrapper<Scalars['Boolean']['output']>;
  ColumnMask: ColumnMask;
  ColumnPolicy: ResolverTypeWrapper<StoredColumnPolicyModel>;
  ColumnPolicyResponse: ResolverTypeWrapper<Omit<ColumnPolicyResponse, 'columnPolicy'> & { columnPolicy?: Maybe<ResolversTypes['ColumnPolicy']> }>;
  ConnectionPrivilegeCheck: ResolverTypeWrapper<ConnectionPrivilegeCheck>;
  ConnectionResponse: ResolverTypeWrapper<Omit<ConnectionResponse, 'connection'> & { connection?: Maybe<ResolversTypes['DataConnection']> }>;
  ConnectionTestResult: ResolverTypeWrapper<ConnectionTestResult>;
  CreateAccessKeyInput: CreateAccessKeyInput;
  CreateAccessKeyResponse: ResolverTypeWrapper<Omit<CreateAccessKeyResponse, 'accessKey'> & { accessKey?: Maybe<ResolversTypes['AccessKey']> }>;
  CreateConnectionInput: CreateConnectionInput;
  CreateDashboardInput: CreateDashboardInput;
  CreateDomainInput: CreateDomainInput;
  CreateUserGroupInput: CreateUserGroupInput;
  CreateUserOutcome: CreateUserOutcome;
  CreateUserResult: ResolverTypeWrapper<CreateUserResult>;
  CreateUsersInput: CreateUsersInput;
  CreateUsersResponse: ResolverTypeWrapper<Omit<CreateUsersResponse, 'users'> & { users: ReadonlyArray<ResolversTypes['User']> }>;
  CreateWorkspaceInput: CreateWorkspaceInput;
  CreateWorkspaceResponse: ResolverTypeWrapper<Omit<CreateWorkspaceResponse, 'workspace'> & { workspace?: Maybe<ResolversTypes['Workspace']> }>;
  CredentialMapping: ResolverTypeWrapper<CredentialMapping>;
  CredentialMappingInput: CredentialMappingInput;
  Dashboard: ResolverTypeWrapper<Dashboard>;
  DashboardAccess: DashboardAccess;
  DashboardFilter: ResolverTypeWrapper<DashboardFilter>;
  DashboardFilterInput: DashboardFilterInput;
  DashboardFilterType: DashboardFilterType;
  DashboardFilterValueInput: DashboardFilterValueInput;
  DashboardResponse: ResolverTypeWrapper<DashboardResponse>;
  DashboardShare: ResolverTypeWrapper<DashboardShare>;
  DashboardTile: ResolverTypeWrapper<DashboardTile>;
  DashboardTileInput: DashboardTileInput;
  DataConnection: ResolverTypeWrapper<ConnectionViewModel>;
  DataDeleteResponse: ResolverTypeWrapper<DataDeleteResponse>;
  DataDomain: ResolverTypeWrapper<DomainViewModel>;
  DataTableName: ResolverTypeWrapper<DataTableName>;
  DefineAttributeInput: DefineAttributeInput;
  DefineAttributeResponse: ResolverTypeWrapper<Omit<DefineAttributeResponse, 'attributeDefinition'> & { attributeDefinition?: Maybe<ResolversTypes['AttributeDefinition']> }>;
  DeleteAttributeDefinitionInput: DeleteAttributeDefinitionInput;
  DeleteAttributeDefinitionResponse: ResolverTypeWrapper<DeleteAttributeDefinitionResponse>;
  DeleteColumnPolicyInput: DeleteColumnPolicyInput;
  DeleteDashboardInput: DeleteDashboardInput;
  DeleteDashboardResponse: ResolverTypeWrapper<DeleteDashboardResponse>;
  DeleteDataObjectInput: DeleteDataObjectInput;
  DeleteSsoIssuerInput: DeleteSsoIssuerInput;
  DeleteUserGroupInput: DeleteUserGroupInput;
  DeleteUsersFromWorkspaceInput: DeleteUsersFromWorkspaceInput;
  DeleteUsersFromWorkspaceResponse: ResolverTypeWrapper<DeleteUsersFromWorkspaceResponse>;
  DiscoveredColumn: ResolverTypeWrapper<DiscoveredColumn>;
  DiscoveredTable: ResolverTypeWrapper<DiscoveredTable>;
  DomainResponse: ResolverTypeWrapper<Omit<DomainResponse, 'domain'> & { domain?: Maybe<ResolversTypes['DataDomain']> }>;
  DomainTable: ResolverTypeWrapper<DomainTable>;
  DuplicateDashboardInput: DuplicateDashboardInput;
  EffectiveAttribute: ResolverTypeWrapper<EffectiveAttribute>;
  EffectiveAttributeRule: ResolverTypeWrapper<EffectiveAttributeRule>;
  EffectiveAttributeSource: EffectiveAttributeSource;
  FilterOptions: ResolverTypeWrapper<FilterOptions>;
  Float: ResolverTypeWrapper<Scalars['Float']['output']>;
  FormatStyle: FormatStyle;
  GroupMembersInput: GroupMembersInput;
  GroupStatusResponse: ResolverTypeWrapper<GroupStatusResponse>;
  ID: ResolverTypeWrapper<Scalars['ID']['output']>;
  IgnoredAttributeReason: IgnoredAttributeReason;
  IgnoredAttributeValue: ResolverTypeWrapper<IgnoredAttributeValue>;
  Int: ResolverTypeWrapper<Scalars['Int']['output']>;
  JSONValue: ResolverTypeWrapper<Scalars['JSONValue']['output']>;
  LogoutResponse: ResolverTypeWrapper<LogoutResponse>;
  MaskedColumn: ResolverTypeWrapper<MaskedColumn>;
  Mutation: ResolverTypeWrapper<Record<PropertyKey, never>>;
  OnNoMatch: OnNoMatch;
  OutboxMessage: ResolverTypeWrapper<OutboxMessageModel>;
  OutboxMessageConnection: ResolverTypeWrapper<Omit<OutboxMessageConnection, 'edges'> & { edges: ReadonlyArray<ResolversTypes['OutboxMessageEdge']> }>;
  OutboxMessageEdge: ResolverTypeWrapper<Omit<OutboxMessageEdge, 'node'> & { node: ResolversTypes['OutboxMessage'] }>;
  OutboxState: OutboxState;
  OverriddenAttributeValue: ResolverTypeWrapper<OverriddenAttributeValue>;
  PageInfo: ResolverTypeWrapper<PageInfo>;
  PrivilegeFinding: ResolverTypeWrapper<PrivilegeFinding>;
  Problem: ResolverTypeWrapper<Problem>;
  Query: ResolverTypeWrapper<Record<PropertyKey, never>>;
  QueryResult: ResolverTypeWrapper<QueryResult>;
  QueryResultColumn: ResolverTypeWrapper<QueryResultColumn>;
  RemoveRowPolicyInput: RemoveRowPolicyInput;
  ResolvedConnection: ResolverTypeWrapper<ResolvedConnection>;
  ResponseStatus: ResolverTypeWrapper<ResponseStatus>;
  RevokeAccessKeyInput: RevokeAccessKeyInput;
  RevokeAccessKeyResponse: ResolverTypeWrapper<RevokeAccessKeyResponse>;
  RevokeSessionsResponse: ResolverTypeWrapper<RevokeSessionsResponse>;
  Role: ResolverTypeWrapper<RoleModel>;
  RoleAssignment: ResolverTypeWrapper<StoredAssignmentModel>;
  RoleAssignmentInput: RoleAssignmentInput;
  RoleAssignmentSource: RoleAssignmentSource;
  RowPolicyResponse: ResolverTypeWrapper<RowPolicyResponse>;
  ScopeRoleAssignmentInput: ScopeRoleAssignmentInput;
  ScopeType: ScopeType;
  SetColumnPolicyInput: SetColumnPolicyInput;
  SetRowPolicyInput: SetRowPolicyInput;
  SetUserAttributesInput: SetUserAttributesInput;
  SetUserAttributesResponse: ResolverTypeWrapper<SetUserAttributesResponse>;
  SetUserRoleAssignmentsInput: SetUserRoleAssignmentsInput;
  SetUserRoleAssignmentsResponse: ResolverTypeWrapper<SetUserRoleAssignmentsResponse>;
  SetUserStatusInput: SetUserStatusInput;
  SetUserStatusResponse: ResolverTypeWrapper<SetUserStatusResponse>;
  SignInLinkResponse: ResolverTypeWrapper<SignInLinkResponse>;
  SsoAttributeMapping: ResolverTypeWrapper<SsoAttributeMapping>;
  SsoAttributeMappingInput: SsoAttributeMappingInput;
  SsoClientAuthMethod: SsoClientAuthMethod;
  SsoGroupMapping: ResolverTypeWrapper<SsoGroupMapping>;
  SsoGroupMappingInput: SsoGroupMappingInput;
  SsoIssuer: ResolverTypeWrapper<SsoIssuer>;
  SsoIssuerInput: SsoIssuerInput;
  SsoIssuerResponse: ResolverTypeWrapper<SsoIssuerResponse>;
  SsoSettings: ResolverTypeWrapper<Omit<SsoSettings, 'defaultRoleAssignments'> & { defaultRoleAssignments: ReadonlyArray<ResolversTypes['RoleAssignment']> }>;
  SsoSettingsInput: SsoSettingsInput;
  SsoSettingsResponse: ResolverTypeWrapper<Omit<SsoSettingsResponse, 'settings'> & { settings?: Maybe<ResolversTypes['SsoSettings']> }>;
  SsoStatusResponse: ResolverTypeWrapper<SsoStatusResponse>;
  StatusCode: StatusCode;
  String: ResolverTypeWrapper<Scalars['String']['output']>;
  TableRefInput: TableRefInput;
  TileBindings: ResolverTypeWrapper<TileBindings>;
  TileBindingsInput: TileBindingsInput;
  TileFormat: ResolverTypeWrapper<TileFormat>;
  TileFormatInput: TileFormatInput;
  TilePosition: ResolverTypeWrapper<TilePosition>;
  TilePositionInput: TilePositionInput;
  TileResult: ResolverTypeWrapper<TileResult>;
  TileResultColumn: ResolverTypeWrapper<TileResultColumn>;
  TransientOverride: TransientOverride;
  UpdateConnectionInput: UpdateConnectionInput;
  UpdateDashboardInput: UpdateDashboardInput;
  UpdateDomainInput: UpdateDomainInput;
  UpdateUserGroupInput: UpdateUserGroupInput;
  UpdateWorkspaceDataSettingsInput: UpdateWorkspaceDataSettingsInput;
  UpdateWorkspaceEmbedSettingsInput: UpdateWorkspaceEmbedSettingsInput;
  UpdateWorkspaceEmbedSettingsResponse: ResolverTypeWrapper<Omit<UpdateWorkspaceEmbedSettingsResponse, 'workspace'> & { workspace?: Maybe<ResolversTypes['Workspace']> }>;
  User: ResolverTypeWrapper<UserModelModel>;
  UserAttribute: ResolverTypeWrapper<UserAttribute>;
  UserAttributeInput: UserAttributeInput;
  UserAttributeSource: UserAttributeSource;
  UserConnection: ResolverTypeWrapper<UserConnectionValueModel>;
  UserEdge: ResolverTypeWrapper<Omit<UserEdge, 'node'> & { node: ResolversTypes['User'] }>;
  UserFilter: UserFilter;
  UserGroup: ResolverTypeWrapper<GroupViewModel>;
  UserGroupResponse: ResolverTypeWrapper<Omit<UserGroupResponse, 'userGroup'> & { userGroup?: Maybe<ResolversTypes['UserGroup']> }>;
  UserStatus: UserStatus;
  Visualization: Visualization;
  Workspace: ResolverTypeWrapper<WorkspaceViewModel>;
  WorkspaceDataSettingsResponse: ResolverTypeWrapper<Omit<WorkspaceDataSettingsResponse, 'workspace'> & { workspace?: Maybe<ResolversTypes['Workspace']> }>;
};

/** Mapping between all available schema types and the resolvers parents */
export type ResolversParentTypes = {
  AccessExplanation: AccessExplanation;
  AccessKey: AccessKeyViewModel;
  AppliedRowPolicy: AppliedRowPolicy;
  AttributeDefinition: AttributeDefinitionViewModel;
  AttributeFilter: AttributeFilter;
  AttributeMatch: AttributeMatch;
  AttributeMatchInput: AttributeMatchInput;
  AuditEvent: AuditRowModel;
  AuditEventConnection: Omit<AuditEventConnection, 'edges'> & { edges: ReadonlyArray<ResolversParentTypes['AuditEventEdge']> };
  AuditEventEdge: Omit<AuditEventEdge, 'node'> & { node: ResolversParentTypes['AuditEvent'] };
  AuditEventFilter: AuditEventFilter;
  Boolean: Scalars['Boolean']['output'];
  ColumnPolicy: StoredColumnPolicyModel;
  ColumnPolicyResponse: Omit<ColumnPolicyResponse, 'columnPolicy'> & { columnPolicy?: Maybe<ResolversParentTypes['ColumnPolicy']> };
  ConnectionPrivilegeCheck: ConnectionPrivilegeCheck;
  ConnectionResponse: Omit<ConnectionResponse, 'connection'> & { connection?: Maybe<ResolversParentTypes['DataConnection']> };
  ConnectionTestResult: ConnectionTestResult;
  CreateAccessKeyInput: CreateAccessKeyInput;
  CreateAccessKeyResponse: Omit<CreateAccessKeyResponse, 'accessKey'> & { accessKey?: Maybe<ResolversParentTypes['AccessKey']> };
  CreateConnectionInput: CreateConnectionInput;
  CreateDashboardInput: CreateDashboardInput;
  CreateDomainInput: CreateDomainInput;
  CreateUserGroupInput: CreateUserGroupInput;
  CreateUserResult: CreateUserResult;
  CreateUsersInput: CreateUsersInput;
  CreateUsersResponse: Omit<CreateUsersResponse, 'users'> & { users: ReadonlyArray<ResolversParentTypes['User']> };
  CreateWorkspaceInput: CreateWorkspaceInput;
  CreateWorkspaceResponse: Omit<CreateWorkspaceResponse, 'workspace'> & { workspace?: Maybe<ResolversParentTypes['Workspace']> };
  CredentialMapping: CredentialMapping;
  CredentialMappingInput: CredentialMappingInput;
  Dashboard: Dashboard;
  DashboardFilter: DashboardFilter;
  DashboardFilterInput: DashboardFilterInput;
  DashboardFilterValueInput: DashboardFilterValueInput;
  DashboardResponse: DashboardResponse;
  DashboardShare: DashboardShare;
  DashboardTile: DashboardTile;
  DashboardTileInput: DashboardTileInput;
  DataConnection: ConnectionViewModel;
  DataDeleteResponse: DataDeleteResponse;
  DataDomain: DomainViewModel;
  DataTableName: DataTableName;
  DefineAttributeInput: DefineAttributeInput;
  DefineAttributeResponse: Omit<DefineAttributeResponse, 'attributeDefinition'> & { attributeDefinition?: Maybe<ResolversParentTypes['AttributeDefinition']> };
  DeleteAttributeDefinitionInput: DeleteAttributeDefinitionInput;
  DeleteAttributeDefinitionResponse: DeleteAttributeDefinitionResponse;
  DeleteColumnPolicyInput: DeleteColumnPolicyInput;
  DeleteDashboardInput: DeleteDashboardInput;
  DeleteDashboardResponse: DeleteDashboardResponse;
  DeleteDataObjectInput: DeleteDataObjectInput;
  DeleteSsoIssuerInput: DeleteSsoIssuerInput;
  DeleteUserGroupInput: DeleteUserGroupInput;
  DeleteUsersFromWorkspaceInput: DeleteUsersFromWorkspaceInput;
  DeleteUsersFromWorkspaceResponse: DeleteUsersFromWorkspaceResponse;
  DiscoveredColumn: DiscoveredColumn;
  DiscoveredTable: DiscoveredTable;
  DomainResponse: Omit<DomainResponse, 'domain'> & { domain?: Maybe<ResolversParentTypes['DataDomain']> };
  DomainTable: DomainTable;
  DuplicateDashboardInput: DuplicateDashboardInput;
  EffectiveAttribute: EffectiveAttribute;
  EffectiveAttributeRule: EffectiveAttributeRule;
  FilterOptions: FilterOptions;
  Float: Scalars['Float']['output'];
  GroupMembersInput: GroupMembersInput;
  GroupStatusResponse: GroupStatusResponse;
  ID: Scalars['ID']['output'];
  IgnoredAttributeValue: IgnoredAttributeValue;
  Int: Scalars['Int']['output'];
  JSONValue: Scalars['JSONValue']['output'];
  LogoutResponse: LogoutResponse;
  MaskedColumn: MaskedColumn;
  Mutation: Record<PropertyKey, never>;
  OutboxMessage: OutboxMessageModel;
  OutboxMessageConnection: Omit<OutboxMessageConnection, 'edges'> & { edges: ReadonlyArray<ResolversParentTypes['OutboxMessageEdge']> };
  OutboxMessageEdge: Omit<OutboxMessageEdge, 'node'> & { node: ResolversParentTypes['OutboxMessage'] };
  OverriddenAttributeValue: OverriddenAttributeValue;
  PageInfo: PageInfo;
  PrivilegeFinding: PrivilegeFinding;
  Problem: Problem;
  Query: Record<PropertyKey, never>;
  QueryResult: QueryResult;
  QueryResultColumn: QueryResultColumn;
  RemoveRowPolicyInput: RemoveRowPolicyInput;
  ResolvedConnection: ResolvedConnection;
  ResponseStatus: ResponseStatus;
  RevokeAccessKeyInput: RevokeAccessKeyInput;
  RevokeAccessKeyResponse: RevokeAccessKeyResponse;
  RevokeSessionsResponse: RevokeSessionsResponse;
  Role: RoleModel;
  RoleAssignment: StoredAssignmentModel;
  RoleAssignmentInput: RoleAssignmentInput;
  RowPolicyResponse: RowPolicyResponse;
  ScopeRoleAssignmentInput: ScopeRoleAssignmentInput;
  SetColumnPolicyInput: SetColumnPolicyInput;
  SetRowPolicyInput: SetRowPolicyInput;
  SetUserAttributesInput: SetUserAttributesInput;
  SetUserAttributesResponse: SetUserAttributesResponse;
  SetUserRoleAssignmentsInput: SetUserRoleAssignmentsInput;
  SetUserRoleAssignmentsResponse: SetUserRoleAssignmentsResponse;
  SetUserStatusInput: SetUserStatusInput;
  SetUserStatusResponse: SetUserStatusResponse;
  SignInLinkResponse: SignInLinkResponse;
  SsoAttributeMapping: SsoAttributeMapping;
  SsoAttributeMappingInput: SsoAttributeMappingInput;
  SsoGroupMapping: SsoGroupMapping;
  SsoGroupMappingInput: SsoGroupMappingInput;
  SsoIssuer: SsoIssuer;
  SsoIssuerInput: SsoIssuerInput;
  SsoIssuerResponse: SsoIssuerResponse;
  SsoSettings: Omit<SsoSettings, 'defaultRoleAssignments'> & { defaultRoleAssignments: ReadonlyArray<ResolversParentTypes['RoleAssignment']> };
  SsoSettingsInput: SsoSettingsInput;
  SsoSettingsResponse: Omit<SsoSettingsResponse, 'settings'> & { settings?: Maybe<ResolversParentTypes['SsoSettings']> };
  SsoStatusResponse: SsoStatusResponse;
  String: Scalars['String']['output'];
  TableRefInput: TableRefInput;
  TileBindings: TileBindings;
  TileBindingsInput: TileBindingsInput;
  TileFormat: TileFormat;
  TileFormatInput: TileFormatInput;
  TilePosition: TilePosition;
  TilePositionInput: TilePositionInput;
  TileResult: TileResult;
  TileResultColumn: TileResultColumn;
  UpdateConnectionInput: UpdateConnectionInput;
  UpdateDashboardInput: UpdateDashboardInput;
  UpdateDomainInput: UpdateDomainInput;
  UpdateUserGroupInput: UpdateUserGroupInput;
  UpdateWorkspaceDataSettingsInput: UpdateWorkspaceDataSettingsInput;
  UpdateWorkspaceEmbedSettingsInput: UpdateWorkspaceEmbedSettingsInput;
  UpdateWorkspaceEmbedSettingsResponse: Omit<UpdateWorkspaceEmbedSettingsResponse, 'workspace'> & { workspace?: Maybe<ResolversParentTypes['Workspace']> };
  User: UserModelModel;
  UserAttribute: UserAttribute;
  UserAttributeInput: UserAttributeInput;
  UserConnection: UserConnectionValueModel;
  UserEdge: Omit<UserEdge, 'node'> & { node: ResolversParentTypes['User'] };
  UserFilter: UserFilter;
  UserGroup: GroupViewModel;
  UserGroupResponse: Omit<UserGroupResponse, 'userGroup'> & { userGroup?: Maybe<ResolversParentTypes['UserGroup']> };
  Workspace: WorkspaceViewModel;
  WorkspaceDataSettingsResponse: Omit<WorkspaceDataSettingsResponse, 'workspace'> & { workspace?: Maybe<ResolversParentTypes['Workspace']> };
};

export type AccessExplanationResolvers<ContextType = RequestContext, ParentType extends ResolversParentTypes['AccessExplanation'] = ResolversParentTypes['AccessExplanation']> = {
  allowed?: Resolver<ResolversTypes['Boolean'], ParentType, ContextType>;
  attributesUsed?: Resolver<ReadonlyArray<ResolversTypes['String']>, ParentType, ContextType>;
  connection?: Resolver<ResolversTypes['ResolvedConnection'], ParentType, ContextType>;
  maskedColumns?: Resolver<ReadonlyArray<ResolversTypes['MaskedColumn']>, ParentType, ContextType>;
  params?: Resolver<ReadonlyArray<Maybe<ResolversTypes['JSONValue']>>, ParentType, ContextType>;
  policies?: Resolver<ReadonlyArray<ResolversTypes['AppliedRowPolicy']>, ParentType, ContextType>;
  policiesApplied?: Resolver<ResolversTypes['Boolean'], ParentType, ContextType>;
  roles?: Resolver<ReadonlyArray<ResolversTypes['String']>, ParentType, ContextType>;
  sql?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  tables?: Resolver<ReadonlyArray<ResolversTypes['DataTableName']>, ParentType, ContextType>;
};

export type AccessKeyResolvers<ContextType = RequestContext, ParentType extends ResolversParentTypes['AccessKey'] = ResolversParentTypes['AccessKey']> = {
  creationTimestamp?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  expiresAt?: Resolver<Maybe<ResolversTypes['String']>, ParentType, ContextType>;
  id?: Resolver<ResolversTypes['ID'], ParentType, ContextType>;
  lastUsedAt?: Resolver<Maybe<ResolversTypes['String']>, ParentType, ContextType>;
  name?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  permissions?: Resolver<ReadonlyArray<ResolversTypes['String']>, ParentType, ContextType>;
  revokedAt?: Resolver<Maybe<ResolversTypes['String']>, ParentType, ContextType>;
  workspaceId?: Resolver<ResolversTypes['ID'], ParentType, ContextType>;
};

export type AppliedRowPolicyResolvers<ContextType = RequestContext, ParentType extends ResolversParentTypes['AppliedRowPolicy'] = ResolversParentTypes['AppliedRowPolicy']> = {
  name?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  policy?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  schema?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
};

export type AttributeDefinitionResolvers<ContextType = RequestContext, ParentType extends ResolversParentTypes['AttributeDefinition'] = ResolversParentTypes['AttributeDefinition']> = {
  allowedValues?: Resolver<Maybe<ReadonlyArray<ResolversTypes['String']>>, ParentType, ContextType>;
  creationTimestamp?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  key?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  pattern?: Resolver<Maybe<ResolversTypes['String']>, ParentType, ContextType>;
  precedence?: Resolver<ResolversTypes['AttributePrecedence'], ParentType, ContextType>;
  transientOverride?: Resolver<ResolversTypes['TransientOverride'], ParentType, ContextType>;
  type?: Resolver<ResolversTypes['AttributeType'], ParentType, ContextType>;
  updateTimestamp?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
};

export type AttributeMatchResolvers<ContextType = RequestContext, ParentType extends ResolversParentTypes['AttributeMatch'] = ResolversParentTypes['AttributeMatch']> = {
  key?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  value?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
};

export type AuditEventResolvers<ContextType = RequestContext, ParentType extends ResolversParentTypes['AuditEvent'] = ResolversParentTypes['AuditEvent']> = {
  action?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  actorKeyId?: Resolver<Maybe<ResolversTypes['ID']>, ParentType, ContextType>;
  actorUserId?: Resolver<Maybe<ResolversTypes['ID']>, ParentType, ContextType>;
  details?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  id?: Resolver<ResolversTypes['ID'], ParentType, ContextType>;
  ip?: Resolver<Maybe<ResolversTypes['String']>, ParentType, ContextType>;
  occurredAt?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  outcome?: Resolver<ResolversTypes['AuditOutcome'], ParentType, ContextType>;
  requestId?: Resolver<Maybe<ResolversTypes['String']>, ParentType, ContextType>;
  targetId?: Resolver<Maybe<ResolversTypes['ID']>, ParentType, ContextType>;
  targetType?: Resolver<Maybe<ResolversTypes['String']>, ParentType, ContextType>;
};

export type AuditEventConnectionResolvers<ContextType = RequestContext, ParentType extends ResolversParentTypes['AuditEventConnection'] = ResolversParentTypes['AuditEventConnection']> = {
  edges?: Resolver<ReadonlyArray<ResolversTypes['AuditEventEdge']>, ParentType, ContextType>;
  pageInfo?: Resolver<ResolversTypes['PageInfo'], ParentType, ContextType>;
};

export type AuditEventEdgeResolvers<ContextType = RequestContext, ParentType extends ResolversParentTypes['AuditEventEdge'] = ResolversParentTypes['AuditEventEdge']> = {
  cursor?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  node?: Resolver<ResolversTypes['AuditEvent'], ParentType, ContextType>;
};

export type ColumnPolicyResolvers<ContextType = RequestContext, ParentType extends ResolversParentTypes['ColumnPolicy'] = ResolversParentTypes['ColumnPolicy']> = {
  column?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  condition?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  mask?: Resolver<ResolversTypes['ColumnMask'], ParentType, ContextType>;
  maskExpression?: Resolver<Maybe<ResolversTypes['String']>, ParentType, ContextType>;
  maskText?: Resolver<Maybe<ResolversTypes['String']>, ParentType, ContextType>;
  table?: Resolver<ResolversTypes['DataTableName'], ParentType, ContextType>;
  updatedTimestamp?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
};

export type ColumnPolicyResponseResolvers<ContextType = RequestContext, ParentType extends ResolversParentTypes['ColumnPolicyResponse'] = ResolversParentTypes['ColumnPolicyResponse']> = {
  columnPolicy?: Resolver<Maybe<ResolversTypes['ColumnPolicy']>, ParentType, ContextType>;
  status?: Resolver<ResolversTypes['ResponseStatus'], ParentType, ContextType>;
};

export type ConnectionPrivilegeCheckResolvers<ContextType = RequestContext, ParentType extends ResolversParentTypes['ConnectionPrivilegeCheck'] = ResolversParentTypes['ConnectionPrivilegeCheck']> = {
  database?: Resolver<Maybe<ResolversTypes['String']>, ParentType, ContextType>;
  errorCode?: Resolver<Maybe<ResolversTypes['String']>, ParentType, ContextType>;
  findings?: Resolver<ReadonlyArray<ResolversTypes['PrivilegeFinding']>, ParentType, ContextType>;
  mappingIndex?: Resolver<Maybe<ResolversTypes['Int']>, ParentType, ContextType>;
  message?: Resolver<Maybe<ResolversTypes['String']>, ParentType, ContextType>;
  ok?: Resolver<ResolversTypes['Boolean'], ParentType, ContextType>;
  user?: Resolver<Maybe<ResolversTypes['String']>, ParentType, ContextType>;
};

export type ConnectionResponseResolvers<ContextType = RequestContext, ParentType extends ResolversParentTypes['ConnectionResponse'] = ResolversParentTypes['ConnectionResponse']> = {
  connection?: Resolver<Maybe<ResolversTypes['DataConnection']>, ParentType, ContextType>;
  status?: Resolver<ResolversTypes['ResponseStatus'], ParentType, ContextType>;
};

export type ConnectionTestResultResolvers<ContextType = RequestContext, ParentType extends ResolversParentTypes['ConnectionTestResult'] = ResolversParentTypes['ConnectionTestResult']> = {
  errorCode?: Resolver<Maybe<ResolversTypes['String']>, ParentType, ContextType>;
  latencyMs?: Resolver<ResolversTypes['Float'], ParentType, ContextType>;
  message?: Resolver<Maybe<ResolversTypes['String']>, ParentType, ContextType>;
  ok?: Resolver<ResolversTypes['Boolean'], ParentType, ContextType>;
  resolved?: Resolver<Maybe<ResolversTypes['ResolvedConnection']>, ParentType, ContextType>;
  serverVersion?: Resolver<Maybe<ResolversTypes['String']>, ParentType, ContextType>;
};

export type CreateAccessKeyResponseResolvers<ContextType = RequestContext, ParentType extends ResolversParentTypes['CreateAccessKeyResponse'] = ResolversParentTypes['CreateAccessKeyResponse']> = {
  accessKey?: Resolver<Maybe<ResolversTypes['AccessKey']>, ParentType, ContextType>;
  status?: Resolver<ResolversTypes['ResponseStatus'], ParentType, ContextType>;
  token?: Resolver<Maybe<ResolversTypes['String']>, ParentType, ContextType>;
};

export type CreateUserResultResolvers<ContextType = RequestContext, ParentType extends ResolversParentTypes['CreateUserResult'] = ResolversParentTypes['CreateUserResult']> = {
  email?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  outcome?: Resolver<ResolversTypes['CreateUserOutcome'], ParentType, ContextType>;
  userId?: Resolver<ResolversTypes['ID'], ParentType, ContextType>;
};

export type CreateUsersResponseResolvers<ContextType = RequestContext, ParentType extends ResolversParentTypes['CreateUsersResponse'] = ResolversParentTypes['CreateUsersResponse']> = {
  results?: Resolver<ReadonlyArray<ResolversTypes['CreateUserResult']>, ParentType, ContextType>;
  status?: Resolver<ResolversTypes['ResponseStatus'], ParentType, ContextType>;
  users?: Resolver<ReadonlyArray<ResolversTypes['User']>, ParentType, ContextType>;
};

export type CreateWorkspaceResponseResolvers<ContextType = RequestContext, ParentType extends ResolversParentTypes['CreateWorkspaceResponse'] = ResolversParentTypes['CreateWorkspaceResponse']> = {
  status?: Resolver<ResolversTypes['ResponseStatus'], ParentType, ContextType>;
  workspace?: Resolver<Maybe<ResolversTypes['Workspace']>, ParentType, ContextType>;
};

export type CredentialMappingResolvers<ContextType = RequestContext, ParentType extends ResolversParentTypes['CredentialMapping'] = ResolversParentTypes['CredentialMapping']> = {
  attributeMatch?: Resolver<ReadonlyArray<ResolversTypes['AttributeMatch']>, ParentType, ContextType>;
  database?: Resolver<Maybe<ResolversTypes['String']>, ParentType, ContextType>;
  hasPassword?: Resolver<ResolversTypes['Boolean'], ParentType, ContextType>;
  host?: Resolver<Maybe<ResolversTypes['String']>, ParentType, ContextType>;
  schema?: Resolver<Maybe<ResolversTypes['String']>, ParentType, ContextType>;
  slotPattern?: Resolver<Maybe<ResolversTypes['String']>, ParentType, ContextType>;
  user?: Resolver<Maybe<ResolversTypes['String']>, ParentType, ContextType>;
};

export type DashboardResolvers<ContextType = RequestContext, ParentType extends ResolversParentTypes['Dashboard'] = ResolversParentTypes['Dashboard']> = {
  access?: Resolver<ResolversTypes['DashboardAccess'], ParentType, ContextType>;
  cacheTtlSeconds?: Resolver<ResolversTypes['Int'], ParentType, ContextType>;
  createdAt?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  description?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  domainId?: Resolver<ResolversTypes['ID'], ParentType, ContextType>;
  filters?: Resolver<ReadonlyArray<ResolversTypes['DashboardFilter']>, ParentType, ContextType>;
  id?: Resolver<ResolversTypes['ID'], ParentType, ContextType>;
  tiles?: Resolver<ReadonlyArray<ResolversTypes['DashboardTile']>, ParentType, ContextType>;
  title?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  updatedAt?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  version?: Resolver<ResolversTypes['Int'], ParentType, ContextType>;
  workspaceId?: Resolver<ResolversTypes['ID'], ParentType, ContextType>;
};

export type DashboardFilterResolvers<ContextType = RequestContext, ParentType extends ResolversParentTypes['DashboardFilter'] = ResolversParentTypes['DashboardFilter']> = {
  defaultValues?: Resolver<ReadonlyArray<ResolversTypes['String']>, ParentType, ContextType>;
  id?: Resolver<ResolversTypes['ID'], ParentType, ContextType>;
  label?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  optionsSql?: Resolver<Maybe<ResolversTypes['String']>, ParentType, ContextType>;
  type?: Resolver<ResolversTypes['DashboardFilterType'], ParentType, ContextType>;
};

export type DashboardResponseResolvers<ContextType = RequestContext, ParentType extends ResolversParentTypes['DashboardResponse'] = ResolversParentTypes['DashboardResponse']> = {
  dashboard?: Resolver<Maybe<ResolversTypes['Dashboard']>, ParentType, ContextType>;
  status?: Resolver<ResolversTypes['ResponseStatus'], ParentType, ContextType>;
};

export type DashboardShareResolvers<ContextType = RequestContext, ParentType extends ResolversParentTypes['DashboardShare'] = ResolversParentTypes['DashboardShare']> = {
  createdAt?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  principalId?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  roleId?: Resolver<ResolversTypes['ID'], ParentType, ContextType>;
};

export type DashboardTileResolvers<ContextType = RequestContext, ParentType extends ResolversParentTypes['DashboardTile'] = ResolversParentTypes['DashboardTile']> = {
  bindings?: Resolver<ResolversTypes['TileBindings'], ParentType, ContextType>;
  id?: Resolver<ResolversTypes['ID'], ParentType, ContextType>;
  position?: Resolver<ResolversTypes['TilePosition'], ParentType, ContextType>;
  sql?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  title?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  visualization?: Resolver<ResolversTypes['Visualization'], ParentType, ContextType>;
};

export type DataConnectionResolvers<ContextType = RequestContext, ParentType extends ResolversParentTypes['DataConnection'] = ResolversParentTypes['DataConnection']> = {
  creationTimestamp?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  credentialMappings?: Resolver<ReadonlyArray<ResolversTypes['CredentialMapping']>, ParentType, ContextType>;
  database?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  engine?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  hasPassword?: Resolver<ResolversTypes['Boolean'], ParentType, ContextType>;
  host?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  id?: Resolver<ResolversTypes['ID'], ParentType, ContextType>;
  name?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  onNoMatch?: Resolver<ResolversTypes['OnNoMatch'], ParentType, ContextType>;
  port?: Resolver<Maybe<ResolversTypes['Int']>, ParentType, ContextType>;
  schema?: Resolver<Maybe<ResolversTypes['String']>, ParentType, ContextType>;
  tls?: Resolver<ResolversTypes['Boolean'], ParentType, ContextType>;
  updatedTimestamp?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  user?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  workspaceId?: Resolver<ResolversTypes['ID'], ParentType, ContextType>;
};

export type DataDeleteResponseResolvers<ContextType = RequestContext, ParentType extends ResolversParentTypes['DataDeleteResponse'] = ResolversParentTypes['DataDeleteResponse']> = {
  status?: Resolver<ResolversTypes['ResponseStatus'], ParentType, ContextType>;
};

export type DataDomainResolvers<ContextType = RequestContext, ParentType extends ResolversParentTypes['DataDomain'] = ResolversParentTypes['DataDomain']> = {
  columnPolicies?: Resolver<ReadonlyArray<ResolversTypes['ColumnPolicy']>, ParentType, ContextType>;
  connection?: Resolver<Maybe<ResolversTypes['DataConnection']>, ParentType, ContextType>;
  description?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  id?: Resolver<ResolversTypes['ID'], ParentType, ContextType>;
  isBuiltIn?: Resolver<ResolversTypes['Boolean'], ParentType, ContextType>;
  name?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  tables?: Resolver<ReadonlyArray<ResolversTypes['DomainTable']>, ParentType, ContextType>;
  workspaceId?: Resolver<ResolversTypes['ID'], ParentType, ContextType>;
};

export type DataTableNameResolvers<ContextType = RequestContext, ParentType extends ResolversParentTypes['DataTableName'] = ResolversParentTypes['DataTableName']> = {
  name?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  schema?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
};

export type DefineAttributeResponseResolvers<ContextType = RequestContext, ParentType extends ResolversParentTypes['DefineAttributeResponse'] = ResolversParentTypes['DefineAttributeResponse']> = {
  attributeDefinition?: Resolver<Maybe<ResolversTypes['AttributeDefinition']>, ParentType, ContextType>;
  status?: Resolver<ResolversTypes['ResponseStatus'], ParentType, ContextType>;
};

export type DeleteAttributeDefinitionResponseResolvers<ContextType = RequestContext, ParentType extends ResolversParentTypes['DeleteAttributeDefinitionResponse'] = ResolversParentTypes['DeleteAttributeDefinitionResponse']> = {
  status?: Resolver<ResolversTypes['ResponseStatus'], ParentType, ContextType>;
};

export type DeleteDashboardResponseResolvers<ContextType = RequestContext, ParentType extends ResolversParentTypes['DeleteDashboardResponse'] = ResolversParentTypes['DeleteDashboardResponse']> = {
  id?: Resolver<Maybe<ResolversTypes['ID']>, ParentType, ContextType>;
  status?: Resolver<ResolversTypes['ResponseStatus'], ParentType, ContextType>;
};

export type DeleteUsersFromWorkspaceResponseResolvers<ContextType = RequestContext, ParentType extends ResolversParentTypes['DeleteUsersFromWorkspaceResponse'] = ResolversParentTypes['DeleteUsersFromWorkspaceResponse']> = {
  status?: Resolver<ResolversTypes['ResponseStatus'], ParentType, ContextType>;
};

export type DiscoveredColumnResolvers<ContextType = RequestContext, ParentType extends ResolversParentTypes['DiscoveredColumn'] = ResolversParentTypes['DiscoveredColumn']> = {
  name?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  type?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
};

export type DiscoveredTableResolvers<ContextType = RequestContext, ParentType extends ResolversParentTypes['DiscoveredTable'] = ResolversParentTypes['DiscoveredTable']> = {
  columns?: Resolver<ReadonlyArray<ResolversTypes['DiscoveredColumn']>, ParentType, ContextType>;
  name?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  schema?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
};

export type DomainResponseResolvers<ContextType = RequestContext, ParentType extends ResolversParentTypes['DomainResponse'] = ResolversParentTypes['DomainResponse']> = {
  domain?: Resolver<Maybe<ResolversTypes['DataDomain']>, ParentType, ContextType>;
  status?: Resolver<ResolversTypes['ResponseStatus'], ParentType, ContextType>;
};

export type DomainTableResolvers<ContextType = RequestContext, ParentType extends ResolversParentTypes['DomainTable'] = ResolversParentTypes['DomainTable']> = {
  name?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  policy?: Resolver<Maybe<ResolversTypes['String']>, ParentType, ContextType>;
  schema?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
};

export type EffectiveAttributeResolvers<ContextType = RequestContext, ParentType extends ResolversParentTypes['EffectiveAttribute'] = ResolversParentTypes['EffectiveAttribute']> = {
  ignored?: Resolver<ReadonlyArray<ResolversTypes['IgnoredAttributeValue']>, ParentType, ContextType>;
  key?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  overridden?: Resolver<ReadonlyArray<ResolversTypes['OverriddenAttributeValue']>, ParentType, ContextType>;
  rule?: Resolver<ResolversTypes['EffectiveAttributeRule'], ParentType, ContextType>;
  source?: Resolver<ResolversTypes['EffectiveAttributeSource'], ParentType, ContextType>;
  value?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
};

export type EffectiveAttributeRuleResolvers<ContextType = RequestContext, ParentType extends ResolversParentTypes['EffectiveAttributeRule'] = ResolversParentTypes['EffectiveAttributeRule']> = {
  declared?: Resolver<ResolversTypes['Boolean'], ParentType, ContextType>;
  precedence?: Resolver<ResolversTypes['AttributePrecedence'], ParentType, ContextType>;
  transientOverride?: Resolver<ResolversTypes['TransientOverride'], ParentType, ContextType>;
  type?: Resolver<Maybe<ResolversTypes['AttributeType']>, ParentType, ContextType>;
};

export type FilterOptionsResolvers<ContextType = RequestContext, ParentType extends ResolversParentTypes['FilterOptions'] = ResolversParentTypes['FilterOptions']> = {
  dashboardId?: Resolver<ResolversTypes['ID'], ParentType, ContextType>;
  filterId?: Resolver<ResolversTypes['ID'], ParentType, ContextType>;
  truncated?: Resolver<ResolversTypes['Boolean'], ParentType, ContextType>;
  values?: Resolver<ReadonlyArray<ResolversTypes['String']>, ParentType, ContextType>;
};

export type GroupStatusResponseResolvers<ContextType = RequestContext, ParentType extends ResolversParentTypes['GroupStatusResponse'] = ResolversParentTypes['GroupStatusResponse']> = {
  status?: Resolver<ResolversTypes['ResponseStatus'], ParentType, ContextType>;
};

export type IgnoredAttributeValueResolvers<ContextType = RequestContext, ParentType extends ResolversParentTypes['IgnoredAttributeValue'] = ResolversParentTypes['IgnoredAttributeValue']> = {
  reason?: Resolver<ResolversTypes['IgnoredAttributeReason'], ParentType, ContextType>;
  source?: Resolver<ResolversTypes['EffectiveAttributeSource'], ParentType, ContextType>;
  value?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
};

export interface JsonValueScalarConfig extends GraphQLScalarTypeConfig<ResolversTypes['JSONValue'], any> {
  name: 'JSONValue';
}

export type LogoutResponseResolvers<ContextType = RequestContext, ParentType extends ResolversParentTypes['LogoutResponse'] = ResolversParentTypes['LogoutResponse']> = {
  status?: Resolver<ResolversTypes['ResponseStatus'], ParentType, ContextType>;
};

export type MaskedColumnResolvers<ContextType = RequestContext, ParentType extends ResolversParentTypes['MaskedColumn'] = ResolversParentTypes['MaskedColumn']> = {
  column?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  condition?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  mask?: Resolver<ResolversTypes['ColumnMask'], ParentType, ContextType>;
  name?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  schema?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
};

export type MutationResolvers<ContextType = RequestContext, ParentType extends ResolversParentTypes['Mutation'] = ResolversParentTypes['Mutation']> = {
  addScopeRoleAssignmentsForSharing?: Resolver<ResolversTypes['ResponseStatus'], ParentType, ContextType, RequireFields<MutationAddScopeRoleAssignmentsForSharingArgs, 'scopeId' | 'scopeRoleAssignments' | 'scopeType'>>;
  addUsersToGroup?: Resolver<ResolversTypes['GroupStatusResponse'], ParentType, ContextType, RequireFields<MutationAddUsersToGroupArgs, 'input'>>;
  configureSsoIssuer?: Resolver<ResolversTypes['SsoIssuerResponse'], ParentType, ContextType, RequireFields<MutationConfigureSsoIssuerArgs, 'input'>>;
  createAccessKey?: Resolver<ResolversTypes['CreateAccessKeyResponse'], ParentType, ContextType, RequireFields<MutationCreateAccessKeyArgs, 'input'>>;
  createConnection?: Resolver<ResolversTypes['ConnectionResponse'], ParentType, ContextType, RequireFields<MutationCreateConnectionArgs, 'input'>>;
  createDashboard?: Resolver<ResolversTypes['DashboardResponse'], ParentType, ContextType, RequireFields<MutationCreateDashboardArgs, 'input'>>;
  createDomain?: Resolver<ResolversTypes['DomainResponse'], ParentType, ContextType, RequireFields<MutationCreateDomainArgs, 'input'>>;
  createUserGroup?: Resolver<ResolversTypes['UserGroupResponse'], ParentType, ContextType, RequireFields<MutationCreateUserGroupArgs, 'input'>>;
  createUsers?: Resolver<ResolversTypes['CreateUsersResponse'], ParentType, ContextType, RequireFields<MutationCreateUsersArgs, 'input'>>;
  createWorkspace?: Resolver<ResolversTypes['CreateWorkspaceResponse'], ParentType, ContextType, RequireFields<MutationCreateWorkspaceArgs, 'input'>>;
  defineAttribute?: Resolver<ResolversTypes['DefineAttributeResponse'], ParentType, ContextType, RequireFields<MutationDefineAttributeArgs, 'input'>>;
  deleteAttributeDefinition?: Resolver<ResolversTypes['DeleteAttributeDefinitionResponse'], ParentType, ContextType, RequireFields<MutationDeleteAttributeDefinitionArgs, 'input'>>;
  deleteColumnPolicy?: Resolver<ResolversTypes['ColumnPolicyResponse'], ParentType, ContextType, RequireFields<MutationDeleteColumnPolicyArgs, 'input'>>;
  deleteConnection?: Resolver<ResolversTypes['DataDeleteResponse'], ParentType, ContextType, RequireFields<MutationDeleteConnectionArgs, 'input'>>;
  deleteDashboard?: Resolver<ResolversTypes['DeleteDashboardResponse'], ParentType, ContextType, RequireFields<MutationDeleteDashboardArgs, 'input'>>;
  deleteDomain?: Resolver<ResolversTypes['DataDeleteResponse'], ParentType, ContextType, RequireFields<MutationDeleteDomainArgs, 'input'>>;
  deleteSsoIssuer?: Resolver<ResolversTypes['SsoStatusResponse'], ParentType, ContextType, RequireFields<MutationDeleteSsoIssuerArgs, 'input'>>;
  deleteUserGroup?: Resolver<ResolversTypes['GroupStatusResponse'], ParentType, ContextType, RequireFields<MutationDeleteUserGroupArgs, 'input'>>;
  deleteUsersFromWorkspace?: Resolver<ResolversTypes['DeleteUsersFromWorkspaceResponse'], ParentType, ContextType, RequireFields<MutationDeleteUsersFromWorkspaceArgs, 'input'>>;
  duplicateDashboard?: Resolver<ResolversTypes['DashboardResponse'], ParentType, ContextType, RequireFields<MutationDuplicateDashboardArgs, 'input'>>;
  impersonateUser?: Resolver<ResolversTypes['String'], ParentType, ContextType, RequireFields<MutationImpersonateUserArgs, 'accessToken' | 'userEmail'>>;
  logout?: Resolver<ResolversTypes['LogoutResponse'], ParentType, ContextType>;
  noop?: Resolver<Maybe<ResolversTypes['Boolean']>, ParentType, ContextType>;
  removeRowPolicy?: Resolver<ResolversTypes['RowPolicyResponse'], ParentType, ContextType, RequireFields<MutationRemoveRowPolicyArgs, 'input'>>;
  removeScopeRoleAssignmentsForSharing?: Resolver<ResolversTypes['ResponseStatus'], ParentType, ContextType, RequireFields<MutationRemoveScopeRoleAssignmentsForSharingArgs, 'scopeId' | 'scopeRoleAssignments' | 'scopeType'>>;
  removeUsersFromGroup?: Resolver<ResolversTypes['GroupStatusResponse'], ParentType, ContextType, RequireFields<MutationRemoveUsersFromGroupArgs, 'input'>>;
  requestSignInLink?: Resolver<ResolversTypes['SignInLinkResponse'], ParentType, ContextType, RequireFields<MutationRequestSignInLinkArgs, 'email'>>;
  revokeAccessKey?: Resolver<ResolversTypes['RevokeAccessKeyResponse'], ParentType, ContextType, RequireFields<MutationRevokeAccessKeyArgs, 'input'>>;
  revokeSessions?: Resolver<ResolversTypes['RevokeSessionsResponse'], ParentType, ContextType, Partial<MutationRevokeSessionsArgs>>;
  setColumnPolicy?: Resolver<ResolversTypes['ColumnPolicyResponse'], ParentType, ContextType, RequireFields<MutationSetColumnPolicyArgs, 'input'>>;
  setRowPolicy?: Resolver<ResolversTypes['RowPolicyResponse'], ParentType, ContextType, RequireFields<MutationSetRowPolicyArgs, 'input'>>;
  setSsoSettings?: Resolver<ResolversTypes['SsoSettingsResponse'], ParentType, ContextType, RequireFields<MutationSetSsoSettingsArgs, 'input'>>;
  setUserAttributes?: Resolver<ResolversTypes['SetUserAttributesResponse'], ParentType, ContextType, RequireFields<MutationSetUserAttributesArgs, 'input'>>;
  setUserRoleAssignments?: Resolver<ResolversTypes['SetUserRoleAssignmentsResponse'], ParentType, ContextType, RequireFields<MutationSetUserRoleAssignmentsArgs, 'input'>>;
  setUserStatus?: Resolver<ResolversTypes['SetUserStatusResponse'], ParentType, ContextType, RequireFields<MutationSetUserStatusArgs, 'input'>>;
  testConnection?: Resolver<ResolversTypes['ConnectionTestResult'], ParentType, ContextType, RequireFields<MutationTestConnectionArgs, 'id'>>;
  updateConnection?: Resolver<ResolversTypes['ConnectionResponse'], ParentType, ContextType, RequireFields<MutationUpdateConnectionArgs, 'input'>>;
  updateDashboard?: Resolver<ResolversTypes['DashboardResponse'], ParentType, ContextType, RequireFields<MutationUpdateDashboardArgs, 'input'>>;
  updateDomain?: Resolver<ResolversTypes['DomainResponse'], ParentType, ContextType, RequireFields<MutationUpdateDomainArgs, 'input'>>;
  updateUserGroup?: Resolver<ResolversTypes['UserGroupResponse'], ParentType, ContextType, RequireFields<MutationUpdateUserGroupArgs, 'input'>>;
  updateWorkspaceDataSettings?: Resolver<ResolversTypes['WorkspaceDataSettingsResponse'], ParentType, ContextType, RequireFields<MutationUpdateWorkspaceDataSettingsArgs, 'input'>>;
  updateWorkspaceEmbedSettings?: Resolver<ResolversTypes['UpdateWorkspaceEmbedSettingsResponse'], ParentType, ContextType, RequireFields<MutationUpdateWorkspaceEmbedSettingsArgs, 'input'>>;
};

export type OutboxMessageResolvers<ContextType = RequestContext, ParentType extends ResolversParentTypes['OutboxMessage'] = ResolversParentTypes['OutboxMessage']> = {
  attempts?: Resolver<ResolversTypes['Int'], ParentType, ContextType>;
  createdAt?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  id?: Resolver<ResolversTypes['ID'], ParentType, ContextType>;
  kind?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  lastError?: Resolver<Maybe<ResolversTypes['String']>, ParentType, ContextType>;
  nextAttemptAt?: Resolver<Maybe<ResolversTypes['String']>, ParentType, ContextType>;
  recipient?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  sentAt?: Resolver<Maybe<ResolversTypes['String']>, ParentType, ContextType>;
  state?: Resolver<ResolversTypes['OutboxState'], ParentType, ContextType>;
  subject?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
};

export type OutboxMessageConnectionResolvers<ContextType = RequestContext, ParentType extends ResolversParentTypes['OutboxMessageConnection'] = ResolversParentTypes['OutboxMessageConnection']> = {
  edges?: Resolver<ReadonlyArray<ResolversTypes['OutboxMessageEdge']>, ParentType, ContextType>;
  pageInfo?: Resolver<ResolversTypes['PageInfo'], ParentType, ContextType>;
};

export type OutboxMessageEdgeResolvers<ContextType = RequestContext, ParentType extends ResolversParentTypes['OutboxMessageEdge'] = ResolversParentTypes['OutboxMessageEdge']> = {
  cursor?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  node?: Resolver<ResolversTypes['OutboxMessage'], ParentType, ContextType>;
};

export type OverriddenAttributeValueResolvers<ContextType = RequestContext, ParentType extends ResolversParentTypes['OverriddenAttributeValue'] = ResolversParentTypes['OverriddenAttributeValue']> = {
  source?: Resolver<ResolversTypes['EffectiveAttributeSource'], ParentType, ContextType>;
  value?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
};

export type PageInfoResolvers<ContextType = RequestContext, ParentType extends ResolversParentTypes['PageInfo'] = ResolversParentTypes['PageInfo']> = {
  endCursor?: Resolver<Maybe<ResolversTypes['String']>, ParentType, ContextType>;
  hasNextPage?: Resolver<ResolversTypes['Boolean'], ParentType, ContextType>;
};

export type PrivilegeFindingResolvers<ContextType = RequestContext, ParentType extends ResolversParentTypes['PrivilegeFinding'] = ResolversParentTypes['PrivilegeFinding']> = {
  kind?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  object?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  privilege?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
};

export type ProblemResolvers<ContextType = RequestContext, ParentType extends ResolversParentTypes['Problem'] = ResolversParentTypes['Problem']> = {
  code?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  field?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  item?: Resolver<Maybe<ResolversTypes['String']>, ParentType, ContextType>;
  message?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
};

export type QueryResolvers<ContextType = RequestContext, ParentType extends ResolversParentTypes['Query'] = ResolversParentTypes['Query']> = {
  accessKeys?: Resolver<ReadonlyArray<ResolversTypes['AccessKey']>, ParentType, ContextType, Partial<QueryAccessKeysArgs>>;
  attributeDefinitions?: Resolver<ReadonlyArray<ResolversTypes['AttributeDefinition']>, ParentType, ContextType, Partial<QueryAttributeDefinitionsArgs>>;
  auditEvents?: Resolver<ResolversTypes['AuditEventConnection'], ParentType, ContextType, RequireFields<QueryAuditEventsArgs, 'first'>>;
  checkConnection?: Resolver<ReadonlyArray<ResolversTypes['ConnectionPrivilegeCheck']>, ParentType, ContextType, RequireFields<QueryCheckConnectionArgs, 'connectionId'>>;
  connection?: Resolver<Maybe<ResolversTypes['DataConnection']>, ParentType, ContextType, RequireFields<QueryConnectionArgs, 'id'>>;
  connections?: Resolver<ReadonlyArray<ResolversTypes['DataConnection']>, ParentType, ContextType, Partial<QueryConnectionsArgs>>;
  currentUser?: Resolver<Maybe<ResolversTypes['User']>, ParentType, ContextType>;
  dashboard?: Resolver<Maybe<ResolversTypes['Dashboard']>, ParentType, ContextType, RequireFields<QueryDashboardArgs, 'id'>>;
  dashboardFilterOptions?: Resolver<ResolversTypes['FilterOptions'], ParentType, ContextType, RequireFields<QueryDashboardFilterOptionsArgs, 'dashboardId' | 'filterId'>>;
  dashboardShares?: Resolver<ReadonlyArray<ResolversTypes['DashboardShare']>, ParentType, ContextType, RequireFields<QueryDashboardSharesArgs, 'dashboardId'>>;
  dashboardTilePreview?: Resolver<ResolversTypes['TileResult'], ParentType, ContextType, RequireFields<QueryDashboardTilePreviewArgs, 'dashboardId' | 'tile'>>;
  dashboardTileResult?: Resolver<ResolversTypes['TileResult'], ParentType, ContextType, RequireFields<QueryDashboardTileResultArgs, 'dashboardId' | 'tileId'>>;
  dashboards?: Resolver<ReadonlyArray<ResolversTypes['Dashboard']>, ParentType, ContextType, Partial<QueryDashboardsArgs>>;
  discoverTables?: Resolver<ReadonlyArray<ResolversTypes['DiscoveredTable']>, ParentType, ContextType, RequireFields<QueryDiscoverTablesArgs, 'connectionId'>>;
  domain?: Resolver<Maybe<ResolversTypes['DataDomain']>, ParentType, ContextType, RequireFields<QueryDomainArgs, 'id'>>;
  domains?: Resolver<ReadonlyArray<ResolversTypes['DataDomain']>, ParentType, ContextType, Partial<QueryDomainsArgs>>;
  effectiveAttributes?: Resolver<ReadonlyArray<ResolversTypes['EffectiveAttribute']>, ParentType, ContextType, Partial<QueryEffectiveAttributesArgs>>;
  exchangeAccessToken?: Resolver<ResolversTypes['String'], ParentType, ContextType, RequireFields<QueryExchangeAccessTokenArgs, 'accessToken'>>;
  explainAccess?: Resolver<ResolversTypes['AccessExplanation'], ParentType, ContextType, RequireFields<QueryExplainAccessArgs, 'domainId' | 'sql' | 'userId'>>;
  health?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  impersonateUser?: Resolver<ResolversTypes['String'], ParentType, ContextType, RequireFields<QueryImpersonateUserArgs, 'accessToken' | 'userEmail'>>;
  listUsers?: Resolver<ReadonlyArray<ResolversTypes['User']>, ParentType, ContextType, Partial<QueryListUsersArgs>>;
  outboxMessages?: Resolver<ResolversTypes['OutboxMessageConnection'], ParentType, ContextType, RequireFields<QueryOutboxMessagesArgs, 'first'>>;
  roles?: Resolver<ReadonlyArray<ResolversTypes['Role']>, ParentType, ContextType>;
  runQuery?: Resolver<ResolversTypes['QueryResult'], ParentType, ContextType, RequireFields<QueryRunQueryArgs, 'domainId' | 'sql'>>;
  ssoIssuers?: Resolver<ReadonlyArray<ResolversTypes['SsoIssuer']>, ParentType, ContextType, Partial<QuerySsoIssuersArgs>>;
  ssoSettings?: Resolver<ResolversTypes['SsoSettings'], ParentType, ContextType, Partial<QuerySsoSettingsArgs>>;
  unprotectedTables?: Resolver<ReadonlyArray<ResolversTypes['DomainTable']>, ParentType, ContextType, RequireFields<QueryUnprotectedTablesArgs, 'domainId'>>;
  user?: Resolver<Maybe<ResolversTypes['User']>, ParentType, ContextType, RequireFields<QueryUserArgs, 'id'>>;
  userGroup?: Resolver<Maybe<ResolversTypes['UserGroup']>, ParentType, ContextType, RequireFields<QueryUserGroupArgs, 'id'>>;
  userGroups?: Resolver<ReadonlyArray<ResolversTypes['UserGroup']>, ParentType, ContextType, Partial<QueryUserGroupsArgs>>;
  users?: Resolver<ResolversTypes['UserConnection'], ParentType, ContextType, RequireFields<QueryUsersArgs, 'first'>>;
  workspace?: Resolver<Maybe<ResolversTypes['Workspace']>, ParentType, ContextType, Partial<QueryWorkspaceArgs>>;
  workspaces?: Resolver<ReadonlyArray<ResolversTypes['Workspace']>, ParentType, ContextType>;
};

export type QueryResultResolvers<ContextType = RequestContext, ParentType extends ResolversParentTypes['QueryResult'] = ResolversParentTypes['QueryResult']> = {
  columns?: Resolver<ReadonlyArray<ResolversTypes['QueryResultColumn']>, ParentType, ContextType>;
  queryId?: Resolver<ResolversTypes['ID'], ParentType, ContextType>;
  rowCount?: Resolver<ResolversTypes['Int'], ParentType, ContextType>;
  rows?: Resolver<ReadonlyArray<ReadonlyArray<Maybe<ResolversTypes['JSONValue']>>>, ParentType, ContextType>;
  truncated?: Resolver<ResolversTypes['Boolean'], ParentType, ContextType>;
};

export type QueryResultColumnResolvers<ContextType = RequestContext, ParentType extends ResolversParentTypes['QueryResultColumn'] = ResolversParentTypes['QueryResultColumn']> = {
  name?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  type?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
};

export type ResolvedConnectionResolvers<ContextType = RequestContext, ParentType extends ResolversParentTypes['ResolvedConnection'] = ResolversParentTypes['ResolvedConnection']> = {
  connectionId?: Resolver<ResolversTypes['ID'], ParentType, ContextType>;
  database?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  engine?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  hasPassword?: Resolver<ResolversTypes['Boolean'], ParentType, ContextType>;
  host?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  mappingIndex?: Resolver<Maybe<ResolversTypes['Int']>, ParentType, ContextType>;
  port?: Resolver<Maybe<ResolversTypes['Int']>, ParentType, ContextType>;
  schema?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  tls?: Resolver<ResolversTypes['Boolean'], ParentType, ContextType>;
  user?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
};

export type ResponseStatusResolvers<ContextType = RequestContext, ParentType extends ResolversParentTypes['ResponseStatus'] = ResolversParentTypes['ResponseStatus']> = {
  code?: Resolver<ResolversTypes['StatusCode'], ParentType, ContextType>;
  errorCode?: Resolver<Maybe<ResolversTypes['String']>, ParentType, ContextType>;
  message?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  problems?: Resolver<ReadonlyArray<ResolversTypes['Problem']>, ParentType, ContextType>;
};

export type RevokeAccessKeyResponseResolvers<ContextType = RequestContext, ParentType extends ResolversParentTypes['RevokeAccessKeyResponse'] = ResolversParentTypes['RevokeAccessKeyResponse']> = {
  status?: Resolver<ResolversTypes['ResponseStatus'], ParentType, ContextType>;
};

export type RevokeSessionsResponseResolvers<ContextType = RequestContext, ParentType extends ResolversParentTypes['RevokeSessionsResponse'] = ResolversParentTypes['RevokeSessionsResponse']> = {
  revokedAt?: Resolver<Maybe<ResolversTypes['String']>, ParentType, ContextType>;
  status?: Resolver<ResolversTypes['ResponseStatus'], ParentType, ContextType>;
};

export type RoleResolvers<ContextType = RequestContext, ParentType extends ResolversParentTypes['Role'] = ResolversParentTypes['Role']> = {
  allowsAdHocQueries?: Resolver<ResolversTypes['Boolean'], ParentType, ContextType>;
  assignableToDomains?: Resolver<ResolversTypes['Boolean'], ParentType, ContextType>;
  description?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  id?: Resolver<ResolversTypes['ID'], ParentType, ContextType>;
  name?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
};

export type RoleAssignmentResolvers<ContextType = RequestContext, ParentType extends ResolversParentTypes['RoleAssignment'] = ResolversParentTypes['RoleAssignment']> = {
  inheritedFromGroupId?: Resolver<Maybe<ResolversTypes['ID']>, ParentType, ContextType>;
  roleId?: Resolver<ResolversTypes['ID'], ParentType, ContextType>;
  scopes?: Resolver<ReadonlyArray<ResolversTypes['ID']>, ParentType, ContextType>;
  source?: Resolver<ResolversTypes['RoleAssignmentSource'], ParentType, ContextType>;
};

export type RowPolicyResponseResolvers<ContextType = RequestContext, ParentType extends ResolversParentTypes['RowPolicyResponse'] = ResolversParentTypes['RowPolicyResponse']> = {
  status?: Resolver<ResolversTypes['ResponseStatus'], ParentType, ContextType>;
  table?: Resolver<Maybe<ResolversTypes['DomainTable']>, ParentType, ContextType>;
};

export type SetUserAttributesResponseResolvers<ContextType = RequestContext, ParentType extends ResolversParentTypes['SetUserAttributesResponse'] = ResolversParentTypes['SetUserAttributesResponse']> = {
  status?: Resolver<ResolversTypes['ResponseStatus'], ParentType, ContextType>;
};

export type SetUserRoleAssignmentsResponseResolvers<ContextType = RequestContext, ParentType extends ResolversParentTypes['SetUserRoleAssignmentsResponse'] = ResolversParentTypes['SetUserRoleAssignmentsResponse']> = {
  status?: Resolver<ResolversTypes['ResponseStatus'], ParentType, ContextType>;
};

export type SetUserStatusResponseResolvers<ContextType = RequestContext, ParentType extends ResolversParentTypes['SetUserStatusResponse'] = ResolversParentTypes['SetUserStatusResponse']> = {
  status?: Resolver<ResolversTypes['ResponseStatus'], ParentType, ContextType>;
};

export type SignInLinkResponseResolvers<ContextType = RequestContext, ParentType extends ResolversParentTypes['SignInLinkResponse'] = ResolversParentTypes['SignInLinkResponse']> = {
  status?: Resolver<ResolversTypes['ResponseStatus'], ParentType, ContextType>;
};

export type SsoAttributeMappingResolvers<ContextType = RequestContext, ParentType extends ResolversParentTypes['SsoAttributeMapping'] = ResolversParentTypes['SsoAttributeMapping']> = {
  attribute?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  claim?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
};

export type SsoGroupMappingResolvers<ContextType = RequestContext, ParentType extends ResolversParentTypes['SsoGroupMapping'] = ResolversParentTypes['SsoGroupMapping']> = {
  groupId?: Resolver<ResolversTypes['ID'], ParentType, ContextType>;
  idpGroup?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
};

export type SsoIssuerResolvers<ContextType = RequestContext, ParentType extends ResolversParentTypes['SsoIssuer'] = ResolversParentTypes['SsoIssuer']> = {
  attributeMappings?: Resolver<ReadonlyArray<ResolversTypes['SsoAttributeMapping']>, ParentType, ContextType>;
  clientAuthMethod?: Resolver<ResolversTypes['SsoClientAuthMethod'], ParentType, ContextType>;
  clientId?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  discoveryUrl?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  hasClientSecret?: Resolver<ResolversTypes['Boolean'], ParentType, ContextType>;
  hasPrivateKey?: Resolver<ResolversTypes['Boolean'], ParentType, ContextType>;
  id?: Resolver<ResolversTypes['ID'], ParentType, ContextType>;
  loginUrl?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  name?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  redirectUri?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  scopes?: Resolver<ReadonlyArray<ResolversTypes['String']>, ParentType, ContextType>;
  workspaceId?: Resolver<ResolversTypes['ID'], ParentType, ContextType>;
};

export type SsoIssuerResponseResolvers<ContextType = RequestContext, ParentType extends ResolversParentTypes['SsoIssuerResponse'] = ResolversParentTypes['SsoIssuerResponse']> = {
  issuer?: Resolver<Maybe<ResolversTypes['SsoIssuer']>, ParentType, ContextType>;
  status?: Resolver<ResolversTypes['ResponseStatus'], ParentType, ContextType>;
};

export type SsoSettingsResolvers<ContextType = RequestContext, ParentType extends ResolversParentTypes['SsoSettings'] = ResolversParentTypes['SsoSettings']> = {
  defaultGroupIds?: Resolver<ReadonlyArray<ResolversTypes['ID']>, ParentType, ContextType>;
  defaultRoleAssignments?: Resolver<ReadonlyArray<ResolversTypes['RoleAssignment']>, ParentType, ContextType>;
  groupMappings?: Resolver<ReadonlyArray<ResolversTypes['SsoGroupMapping']>, ParentType, ContextType>;
  jitEnabled?: Resolver<ResolversTypes['Boolean'], ParentType, ContextType>;
  roleClaims?: Resolver<ReadonlyArray<ResolversTypes['String']>, ParentType, ContextType>;
  rolePrefix?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  workspaceId?: Resolver<ResolversTypes['ID'], ParentType, ContextType>;
};

export type SsoSettingsResponseResolvers<ContextType = RequestContext, ParentType extends ResolversParentTypes['SsoSettingsResponse'] = ResolversParentTypes['SsoSettingsResponse']> = {
  settings?: Resolver<Maybe<ResolversTypes['SsoSettings']>, ParentType, ContextType>;
  status?: Resolver<ResolversTypes['ResponseStatus'], ParentType, ContextType>;
};

export type SsoStatusResponseResolvers<ContextType = RequestContext, ParentType extends ResolversParentTypes['SsoStatusResponse'] = ResolversParentTypes['SsoStatusResponse']> = {
  status?: Resolver<ResolversTypes['ResponseStatus'], ParentType, ContextType>;
};

export type TileBindingsResolvers<ContextType = RequestContext, ParentType extends ResolversParentTypes['TileBindings'] = ResolversParentTypes['TileBindings']> = {
  format?: Resolver<Maybe<ResolversTypes['TileFormat']>, ParentType, ContextType>;
  group?: Resolver<Maybe<ResolversTypes['String']>, ParentType, ContextType>;
  x?: Resolver<Maybe<ResolversTypes['String']>, ParentType, ContextType>;
  y?: Resolver<ReadonlyArray<ResolversTypes['String']>, ParentType, ContextType>;
};

export type TileFormatResolvers<ContextType = RequestContext, ParentType extends ResolversParentTypes['TileFormat'] = ResolversParentTypes['TileFormat']> = {
  currency?: Resolver<Maybe<ResolversTypes['String']>, ParentType, ContextType>;
  decimals?: Resolver<Maybe<ResolversTypes['Int']>, ParentType, ContextType>;
  prefix?: Resolver<Maybe<ResolversTypes['String']>, ParentType, ContextType>;
  style?: Resolver<ResolversTypes['FormatStyle'], ParentType, ContextType>;
  suffix?: Resolver<Maybe<ResolversTypes['String']>, ParentType, ContextType>;
};

export type TilePositionResolvers<ContextType = RequestContext, ParentType extends ResolversParentTypes['TilePosition'] = ResolversParentTypes['TilePosition']> = {
  h?: Resolver<ResolversTypes['Int'], ParentType, ContextType>;
  w?: Resolver<ResolversTypes['Int'], ParentType, ContextType>;
  x?: Resolver<ResolversTypes['Int'], ParentType, ContextType>;
  y?: Resolver<ResolversTypes['Int'], ParentType, ContextType>;
};

export type TileResultResolvers<ContextType = RequestContext, ParentType extends ResolversParentTypes['TileResult'] = ResolversParentTypes['TileResult']> = {
  cached?: Resolver<ResolversTypes['Boolean'], ParentType, ContextType>;
  columns?: Resolver<ReadonlyArray<ResolversTypes['TileResultColumn']>, ParentType, ContextType>;
  computedAt?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  dashboardId?: Resolver<ResolversTypes['ID'], ParentType, ContextType>;
  queryId?: Resolver<ResolversTypes['ID'], ParentType, ContextType>;
  rowCount?: Resolver<ResolversTypes['Int'], ParentType, ContextType>;
  rows?: Resolver<ReadonlyArray<ReadonlyArray<Maybe<ResolversTypes['JSONValue']>>>, ParentType, ContextType>;
  tileId?: Resolver<ResolversTypes['ID'], ParentType, ContextType>;
  truncated?: Resolver<ResolversTypes['Boolean'], ParentType, ContextType>;
};

export type TileResultColumnResolvers<ContextType = RequestContext, ParentType extends ResolversParentTypes['TileResultColumn'] = ResolversParentTypes['TileResultColumn']> = {
  name?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  type?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
};

export type UpdateWorkspaceEmbedSettingsResponseResolvers<ContextType = RequestContext, ParentType extends ResolversParentTypes['UpdateWorkspaceEmbedSettingsResponse'] = ResolversParentTypes['UpdateWorkspaceEmbedSettingsResponse']> = {
  status?: Resolver<ResolversTypes['ResponseStatus'], ParentType, ContextType>;
  workspace?: Resolver<Maybe<ResolversTypes['Workspace']>, ParentType, ContextType>;
};

export type UserResolvers<ContextType = RequestContext, ParentType extends ResolversParentTypes['User'] = ResolversParentTypes['User']> = {
  creationTimestamp?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  effectiveAttributes?: Resolver<ReadonlyArray<ResolversTypes['EffectiveAttribute']>, ParentType, ContextType>;
  email?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  id?: Resolver<ResolversTypes['ID'], ParentType, ContextType>;
  isScimManaged?: Resolver<ResolversTypes['Boolean'], ParentType, ContextType>;
  lastActiveSessionTimestamp?: Resolver<Maybe<ResolversTypes['String']>, ParentType, ContextType>;
  name?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  profilePicture?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  roleAssignments?: Resolver<ReadonlyArray<ResolversTypes['RoleAssignment']>, ParentType, ContextType>;
  status?: Resolver<ResolversTypes['UserStatus'], ParentType, ContextType>;
  userAttributes?: Resolver<ReadonlyArray<ResolversTypes['UserAttribute']>, ParentType, ContextType>;
  userGroups?: Resolver<ReadonlyArray<ResolversTypes['UserGroup']>, ParentType, ContextType>;
  workspaceId?: Resolver<ResolversTypes['ID'], ParentType, ContextType>;
};

export type UserAttributeResolvers<ContextType = RequestContext, ParentType extends ResolversParentTypes['UserAttribute'] = ResolversParentTypes['UserAttribute']> = {
  key?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  source?: Resolver<ResolversTypes['UserAttributeSource'], ParentType, ContextType>;
  value?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
};

export type UserConnectionResolvers<ContextType = RequestContext, ParentType extends ResolversParentTypes['UserConnection'] = ResolversParentTypes['UserConnection']> = {
  edges?: Resolver<ReadonlyArray<ResolversTypes['UserEdge']>, ParentType, ContextType>;
  pageInfo?: Resolver<ResolversTypes['PageInfo'], ParentType, ContextType>;
  totalCount?: Resolver<ResolversTypes['Int'], ParentType, ContextType>;
};

export type UserEdgeResolvers<ContextType = RequestContext, ParentType extends ResolversParentTypes['UserEdge'] = ResolversParentTypes['UserEdge']> = {
  cursor?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  node?: Resolver<ResolversTypes['User'], ParentType, ContextType>;
};

export type UserGroupResolvers<ContextType = RequestContext, ParentType extends ResolversParentTypes['UserGroup'] = ResolversParentTypes['UserGroup']> = {
  creationTimestamp?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  description?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  id?: Resolver<ResolversTypes['ID'], ParentType, ContextType>;
  members?: Resolver<ReadonlyArray<ResolversTypes['User']>, ParentType, ContextType>;
  name?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  roleAssignments?: Resolver<ReadonlyArray<ResolversTypes['RoleAssignment']>, ParentType, ContextType>;
};

export type UserGroupResponseResolvers<ContextType = RequestContext, ParentType extends ResolversParentTypes['UserGroupResponse'] = ResolversParentTypes['UserGroupResponse']> = {
  status?: Resolver<ResolversTypes['ResponseStatus'], ParentType, ContextType>;
  userGroup?: Resolver<Maybe<ResolversTypes['UserGroup']>, ParentType, ContextType>;
};

export type WorkspaceResolvers<ContextType = RequestContext, ParentType extends ResolversParentTypes['Workspace'] = ResolversParentTypes['Workspace']> = {
  allowedEmbedOrigins?: Resolver<ReadonlyArray<ResolversTypes['String']>, ParentType, ContextType>;
  creationTimestamp?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  id?: Resolver<ResolversTypes['ID'], ParentType, ContextType>;
  isDefault?: Resolver<ResolversTypes['Boolean'], ParentType, ContextType>;
  name?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  requireRowPolicies?: Resolver<ResolversTypes['Boolean'], ParentType, ContextType>;
  rowPoliciesApplyToAdmins?: Resolver<ResolversTypes['Boolean'], ParentType, ContextType>;
  sessionsRevokedAt?: Resolver<Maybe<ResolversTypes['String']>, ParentType, ContextType>;
};

export type WorkspaceDataSettingsResponseResolvers<ContextType = RequestContext, ParentType extends ResolversParentTypes['WorkspaceDataSettingsResponse'] = ResolversParentTypes['WorkspaceDataSettingsResponse']> = {
  status?: Resolver<ResolversTypes['ResponseStatus'], ParentType, ContextType>;
  workspace?: Resolver<Maybe<ResolversTypes['Workspace']>, ParentType, ContextType>;
};

export type Resolvers<ContextType = RequestContext> = {
  AccessExplanation?: AccessExplanationResolvers<ContextType>;
  AccessKey?: AccessKeyResolvers<ContextType>;
  AppliedRowPolicy?: AppliedRowPolicyResolvers<ContextType>;
  AttributeDefinition?: AttributeDefinitionResolvers<ContextType>;
  AttributeMatch?: AttributeMatchResolvers<ContextType>;
  AuditEvent?: AuditEventResolvers<ContextType>;
  AuditEventConnection?: AuditEventConnectionResolvers<ContextType>;
  AuditEventEdge?: AuditEventEdgeResolvers<ContextType>;
  ColumnPolicy?: ColumnPolicyResolvers<ContextType>;
  ColumnPolicyResponse?: ColumnPolicyResponseResolvers<ContextType>;
  ConnectionPrivilegeCheck?: ConnectionPrivilegeCheckResolvers<ContextType>;
  ConnectionResponse?: ConnectionResponseResolvers<ContextType>;
  ConnectionTestResult?: ConnectionTestResultResolvers<ContextType>;
  CreateAccessKeyResponse?: CreateAccessKeyResponseResolvers<ContextType>;
  CreateUserResult?: CreateUserResultResolvers<ContextType>;
  CreateUsersResponse?: CreateUsersResponseResolvers<ContextType>;
  CreateWorkspaceResponse?: CreateWorkspaceResponseResolvers<ContextType>;
  CredentialMapping?: CredentialMappingResolvers<ContextType>;
  Dashboard?: DashboardResolvers<ContextType>;
  DashboardFilter?: DashboardFilterResolvers<ContextType>;
  DashboardResponse?: DashboardResponseResolvers<ContextType>;
  DashboardShare?: DashboardShareResolvers<ContextType>;
  DashboardTile?: DashboardTileResolvers<ContextType>;
  DataConnection?: DataConnectionResolvers<ContextType>;
  DataDeleteResponse?: DataDeleteResponseResolvers<ContextType>;
  DataDomain?: DataDomainResolvers<ContextType>;
  DataTableName?: DataTableNameResolvers<ContextType>;
  DefineAttributeResponse?: DefineAttributeResponseResolvers<ContextType>;
  DeleteAttributeDefinitionResponse?: DeleteAttributeDefinitionResponseResolvers<ContextType>;
  DeleteDashboardResponse?: DeleteDashboardResponseResolvers<ContextType>;
  DeleteUsersFromWorkspaceResponse?: DeleteUsersFromWorkspaceResponseResolvers<ContextType>;
  DiscoveredColumn?: DiscoveredColumnResolvers<ContextType>;
  DiscoveredTable?: DiscoveredTableResolvers<ContextType>;
  DomainResponse?: DomainResponseResolvers<ContextType>;
  DomainTable?: DomainTableResolvers<ContextType>;
  EffectiveAttribute?: EffectiveAttributeResolvers<ContextType>;
  EffectiveAttributeRule?: EffectiveAttributeRuleResolvers<ContextType>;
  FilterOptions?: FilterOptionsResolvers<ContextType>;
  GroupStatusResponse?: GroupStatusResponseResolvers<ContextType>;
  IgnoredAttributeValue?: IgnoredAttributeValueResolvers<ContextType>;
  JSONValue?: GraphQLScalarType;
  LogoutResponse?: LogoutResponseResolvers<ContextType>;
  MaskedColumn?: MaskedColumnResolvers<ContextType>;
  Mutation?: MutationResolvers<ContextType>;
  OutboxMessage?: OutboxMessageResolvers<ContextType>;
  OutboxMessageConnection?: OutboxMessageConnectionResolvers<ContextType>;
  OutboxMessageEdge?: OutboxMessageEdgeResolvers<ContextType>;
  OverriddenAttributeValue?: OverriddenAttributeValueResolvers<ContextType>;
  PageInfo?: PageInfoResolvers<ContextType>;
  PrivilegeFinding?: PrivilegeFindingResolvers<ContextType>;
  Problem?: ProblemResolvers<ContextType>;
  Query?: QueryResolvers<ContextType>;
  QueryResult?: QueryResultResolvers<ContextType>;
  QueryResultColumn?: QueryResultColumnResolvers<ContextType>;
  ResolvedConnection?: ResolvedConnectionResolvers<ContextType>;
  ResponseStatus?: ResponseStatusResolvers<ContextType>;
  RevokeAccessKeyResponse?: RevokeAccessKeyResponseResolvers<ContextType>;
  RevokeSessionsResponse?: RevokeSessionsResponseResolvers<ContextType>;
  Role?: RoleResolvers<ContextType>;
  RoleAssignment?: RoleAssignmentResolvers<ContextType>;
  RowPolicyResponse?: RowPolicyResponseResolvers<ContextType>;
  SetUserAttributesResponse?: SetUserAttributesResponseResolvers<ContextType>;
  SetUserRoleAssignmentsResponse?: SetUserRoleAssignmentsResponseResolvers<ContextType>;
  SetUserStatusResponse?: SetUserStatusResponseResolvers<ContextType>;
  SignInLinkResponse?: SignInLinkResponseResolvers<ContextType>;
  SsoAttributeMapping?: SsoAttributeMappingResolvers<ContextType>;
  SsoGroupMapping?: SsoGroupMappingResolvers<ContextType>;
  SsoIssuer?: SsoIssuerResolvers<ContextType>;
  SsoIssuerResponse?: SsoIssuerResponseResolvers<ContextType>;
  SsoSettings?: SsoSettingsResolvers<ContextType>;
  SsoSettingsResponse?: SsoSettingsResponseResolvers<ContextType>;
  SsoStatusResponse?: SsoStatusResponseResolvers<ContextType>;
  TileBindings?: TileBindingsResolvers<ContextType>;
  TileFormat?: TileFormatResolvers<ContextType>;
  TilePosition?: TilePositionResolvers<ContextType>;
  TileResult?: TileResultResolvers<ContextType>;
  TileResultColumn?: TileResultColumnResolvers<ContextType>;
  UpdateWorkspaceEmbedSettingsResponse?: UpdateWorkspaceEmbedSettingsResponseResolvers<ContextType>;
  User?: UserResolvers<ContextType>;
  UserAttribute?: UserAttributeResolvers<ContextType>;
  UserConnection?: UserConnectionResolvers<ContextType>;
  UserEdge?: UserEdgeResolvers<ContextType>;
  UserGroup?: UserGroupResolvers<ContextType>;
  UserGroupResponse?: UserGroupResponseResolvers<ContextType>;
  Workspace?: WorkspaceResolvers<ContextType>;
  WorkspaceDataSettingsResponse?: WorkspaceDataSettingsResponseResolvers<ContextType>;
};

