/**
 * Every action Tessera audits: what kind of object it acts on (stored as `target_type`) and the
 * details stored with it. An event is written through `recordAudit`, which takes its details type
 * from here, so an action that is not listed, or details of the wrong shape, fail tsc.
 *
 * Details are stored as given (JSON, in the order their keys are written); `undefined` means the
 * action stores `{}`.
 */
export interface AuditActions {
  'auth.failure': {
    target: null;
    details:
      | { credential: 'malformed' | 'accessKey' | 'token' }
      | { endpoint: 'scim'; credential: 'noScimPermission' | 'accessKey' | 'missing'; keyId: string | null };
  };

  'accessKey.use': { target: 'accessKey'; details: undefined };
  'accessKey.create': { target: 'accessKey'; details: { permissions: readonly string[] } };
  'accessKey.revoke': { target: 'accessKey'; details: undefined };
  'accessKey.exchange': { target: 'accessKey'; details: { jti: string } | KeyFailure };

  'workspace.create': { target: 'workspace'; details: { name: string } };
  'workspace.embedSettings': { target: 'workspace'; details: { allowedEmbedOrigins: readonly string[] } };
  'sessions.revoke': { target: 'workspace'; details: undefined };

  'user.create': { target: 'user'; details: UserWrite };
  'user.update': { target: 'user'; details: UserWrite };
  'user.setAttributes': { target: 'user'; details: { keys: readonly string[] } };
  'user.setJwtAttributes': {
    target: 'user';
    details: { keys: readonly string[]; claimRoleIds?: readonly string[] } | undefined;
  };
  'user.setRoleAssignments': { target: 'user'; details: { roleIds: readonly string[] } };
  'user.setStatus': { target: 'user'; details: { from: string; to: string } };
  'user.delete': { target: 'user'; details: { email: string } };
  'user.impersonate': {
    target: 'user';
    details:
      | { jti: string; expiresAt: string; transientAttributeKeys: readonly string[] }
      | { reason: string; email: string }
      | KeyFailure;
  };

  'group.create': { target: 'group'; details: { name?: string | undefined; via?: 'scim' } };
  'group.update': { target: 'group'; details: { name?: string | undefined; via?: 'scim' } };
  'group.delete': { target: 'group'; details: undefined };
  'group.addMember': { target: 'user'; details: { groupId: string; via?: 'scim' } };
  'group.removeMember': { target: 'user'; details: { groupId: string; via?: 'scim' } };

  'attributeDefinition.define': {
    target: 'attributeDefinition';
    details: { type: string; precedence: string; transientOverride: string };
  };
  'attributeDefinition.delete': { target: 'attributeDefinition'; details: undefined };

  'data.connection.create': { target: 'connection'; details: { name: string; engine: string } };
  'data.connection.update': { target: 'connection'; details: { fields: readonly string[] } };
  'data.connection.delete': { target: 'connection'; details: { name: string } };
  'data.domain.create': { target: 'domain'; details: DomainWrite };
  'data.domain.update': { target: 'domain'; details: DomainWrite };
  'data.domain.delete': { target: 'domain'; details: { name: string } };
  'data.policy.set': { target: 'domain'; details: { table: string; policy: string } };
  'data.policy.remove': { target: 'domain'; details: { table: string } };
  'data.column_policy.set': {
    target: 'domain';
    details: { table: string; column: string; mask: string; condition: string };
  };
  'data.column_policy.remove': { target: 'domain'; details: { table: string; column: string } };
  'data.settings.update': {
    target: 'workspace';
    details: { rowPoliciesApplyToAdmins: boolean; requireRowPolicies: boolean };
  };
  'data.query': { target: 'domain'; details: QueryRecord };

  'sso.issuer.create': { target: 'ssoIssuer'; details: { name: string; discoveryUrl: string } };
  'sso.issuer.update': { target: 'ssoIssuer'; details: { name: string; discoveryUrl: string } };
  'sso.issuer.delete': { target: 'ssoIssuer'; details: undefined };
  'sso.settings': {
    target: 'workspace';
    details: { jitEnabled: boolean; roleClaims: readonly string[]; rolePrefix: string };
  };
  'sso.login': {
    target: 'user';
    details: {
      issuerId: string;
      via: string;
      sessionId: string;
      claimRoleIds: readonly string[];
      ignoredRoleClaims: readonly { readonly value: string; readonly reason: string }[];
      groupsAdded: readonly string[];
      groupsRemoved: readonly string[];
    };
  };
  /** A sign-in the issuer's answer or Tessera's checks refused (its stable code and reason). */
  'sso.login.refused': { target: 'ssoIssuer'; details: { code: string; reason: unknown } };
  'webSession.start': { target: 'user'; details: WebSessionEvent };
  'webSession.logout': { target: 'user'; details: WebSessionEvent };
  'signInLink.request': { target: 'user'; details: WebSessionEvent };

  'dashboard.create': { target: 'dashboard'; details: { title: string; domainId: string } };
  'dashboard.duplicate': { target: 'dashboard'; details: { title: string; domainId: string } };
  'dashboard.update': { target: 'dashboard'; details: { version: number } };
  'dashboard.delete': { target: 'dashboard'; details: undefined };
  'dashboard.share': { target: 'dashboard'; details: { added: readonly SharedWith[]; messageSent: boolean } };
  'dashboard.unshare': {
    target: 'dashboard';
    details: { removed: number; requested: readonly SharedWith[] };
  };
}

/** A web session's start or end, or a sign-in link's request: the session, and how it started. */
interface WebSessionEvent {
  readonly via?: 'link' | 'sso';
  readonly sessionId?: string;
}

/** A user and the sharing role they were given on a dashboard (or asked to lose). */
interface SharedWith {
  readonly principalId: string;
  readonly roleId: string;
}

/** A credential refused before anything else is known (no target). */
interface KeyFailure {
  reason: string;
}

interface UserWrite {
  email: string;
  /** How the user was written: `createUsers`, `import`, `scim`, … */
  via: string;
  /** SCIM writes: the status set and the attribute keys written. */
  status?: string;
  keys?: readonly string[];
}

interface DomainWrite {
  name: string;
  connectionId: string | null;
  tables: readonly string[];
}

/** One ad-hoc query, whatever its outcome (docs/data-access.md "Running queries: runQuery"). */
export interface QueryRecord {
  queryId: string;
  sql: string;
  rewrittenSqlSha256: string | null;
  attributesSha256: string | null;
  attributesUsed: readonly string[];
  connectionId: string | null;
  credentialMapping: number | null;
  policiesApplied: boolean | null;
  /** Absent while the record is STARTED: written as the query began to run, its outcome not yet known. */
  durationMs?: number;
  rowCount?: number;
  truncated?: boolean;
  /** Served from a result cache (docs/dashboards.md "The result cache"). */
  cached?: boolean;
  /** The saved item (a dashboard tile) the query ran for. */
  savedItem?: { readonly type: string; readonly id: string };
  errorCode?: string;
}

export type AuditAction = keyof AuditActions;
export type AuditTargetKind = NonNullable<AuditActions[AuditAction]['target']>;
export type AuditDetails<A extends AuditAction> = AuditActions[A]['details'];

/** The `target_type` each action stores; tsc holds this list to the registry above. */
export const AUDIT_TARGETS: { readonly [A in AuditAction]: AuditActions[A]['target'] } = {
  'auth.failure': null,
  'accessKey.use': 'accessKey',
  'accessKey.create': 'accessKey',
  'accessKey.revoke': 'accessKey',
  'accessKey.exchange': 'accessKey',
  'workspace.create': 'workspace',
  'workspace.embedSettings': 'workspace',
  'sessions.revoke': 'workspace',
  'user.create': 'user',
  'user.update': 'user',
  'user.setAttributes': 'user',
  'user.setJwtAttributes': 'user',
  'user.setRoleAssignments': 'user',
  'user.setStatus': 'user',
  'user.delete': 'user',
  'user.impersonate': 'user',
  'group.create': 'group',
  'group.update': 'group',
  'group.delete': 'group',
  'group.addMember': 'user',
  'group.removeMember': 'user',
  'data.connection.create': 'connection',
  'data.connection.update': 'connection',
  'data.connection.delete': 'connection',
  'data.domain.create': 'domain',
  'data.domain.update': 'domain',
  'data.domain.delete': 'domain',
  'data.policy.set': 'domain',
  'data.policy.remove': 'domain',
  'data.settings.update': 'workspace',
  'data.query': 'domain',
  'data.column_policy.set': 'domain',
  'data.column_policy.remove': 'domain',
  'sso.issuer.create': 'ssoIssuer',
  'sso.issuer.update': 'ssoIssuer',
  'sso.issuer.delete': 'ssoIssuer',
  'sso.settings': 'workspace',
  'sso.login': 'user',
  'sso.login.refused': 'ssoIssuer',
  'webSession.start': 'user',
  'webSession.logout': 'user',
  'signInLink.request': 'user',
  'attributeDefinition.define': 'attributeDefinition',
  'attributeDefinition.delete': 'attributeDefinition',
  'dashboard.create': 'dashboard',
  'dashboard.duplicate': 'dashboard',
  'dashboard.update': 'dashboard',
  'dashboard.delete': 'dashboard',
  'dashboard.share': 'dashboard',
  'dashboard.unshare': 'dashboard',
};
