import { createHash, randomBytes } from 'node:crypto';
import type { JWK } from 'jose';
import * as oidc from 'openid-client';
import type { Clock } from '../../clock.ts';
import type { SecretBox } from '../../crypto/secret-box.ts';
import { isUniqueViolation } from '../../db/errors.ts';
import type { Db, Executor } from '../../db/index.ts';
import { AppError, assertNoProblems, echo, notFound, type Problem } from '../../errors.ts';
import { newId } from '../../ids.ts';
import { attributeProblems } from '../attributes/validation.ts';
import { type AuditOrigin, recordAudit } from '../audit/service.ts';
import type { DomainCatalog } from '../data/domains/catalog.ts';
import type { GroupService } from '../groups/service.ts';
import { ROLE_IDS } from '../roles/roles.ts';
import {
  normalizeAssignments,
  type RoleAssignmentInput,
  roleAssignmentProblems,
} from '../roles/validation.ts';
import { clientAddressBucket } from '../sessions/client-address.ts';
import type { UserService } from '../users/service.ts';
import { SIGNED_OUT_STATUSES } from '../users/statuses.ts';
import { readCookie, setCookie } from '../web-sessions/cookies.ts';
import type { StartedSession, WebSessionService } from '../web-sessions/service.ts';
import {
  type Claims,
  claimStrings,
  groupsFromClaims,
  MAX_CLAIM_STRINGS,
  mappedAttributes,
  rolesFromClaims,
} from './claims.ts';
import { exchangeError, type IssuerClient, OidcClients, ssoError } from './oidc.ts';
import * as q from './queries.ts';
import type { StoredAttributeMapping, StoredGroupMapping, StoredRoleAssignment } from './tables.ts';
import {
  CLIENT_AUTH_METHODS,
  type ClientAuthMethod,
  DEFAULT_SCOPES,
  type IssuerInput,
  issuerProblems,
  parsePrivateJwk,
  settingsShapeProblems,
} from './validation.ts';

/** A pending sign-in lasts this long between leaving for the provider and coming back. */
export const LOGIN_ATTEMPT_SECONDS = 10 * 60;
/**
 * Sign-ins one client (an IPv4 address, an IPv6 /64) may have pending at once. Starting one needs
 * no credential and stores a row, so without a bound anyone could fill the table; an office behind
 * one address starting a hundred sign-ins within ten minutes is still served.
 */
export const PENDING_LOGINS_PER_CLIENT = 100;
const SECRET_CONTEXT = 'sso-issuer';
/** OpenID Connect Core §2: a `sub` is at most 255 characters. */
const MAX_SUBJECT_LENGTH = 255;
/** openid-client's tolerance for `exp` and `nbf`, which an `iat` ahead of our clock gets too. */
const ID_TOKEN_CLOCK_TOLERANCE_SECONDS = 30;
/** RFC 5321's limit on a path: no user's email is longer. */
const MAX_EMAIL_LENGTH = 320;

export interface IssuerView {
  readonly id: string;
  readonly workspaceId: string;
  readonly name: string;
  readonly discoveryUrl: string;
  readonly clientId: string;
  readonly clientAuthMethod: ClientAuthMethod;
  readonly hasClientSecret: boolean;
  readonly hasPrivateKey: boolean;
  readonly scopes: readonly string[];
  readonly attributeMappings: readonly StoredAttributeMapping[];
  readonly loginUrl: string;
  readonly redirectUri: string;
}

export interface SettingsView {
  readonly workspaceId: string;
  readonly jitEnabled: boolean;
  readonly defaultRoleAssignments: readonly StoredRoleAssignment[];
  readonly defaultGroupIds: readonly string[];
  readonly roleClaims: readonly string[];
  readonly rolePrefix: string;
  readonly groupMappings: readonly StoredGroupMapping[];
}

export interface SettingsInput {
  readonly jitEnabled?: boolean | null;
  readonly defaultRoleAssignments?: readonly RoleAssignmentInput[] | null;
  readonly defaultGroupIds?: readonly string[] | null;
  readonly roleClaims?: readonly string[] | null;
  readonly rolePrefix?: string | null;
  readonly groupMappings?: readonly StoredGroupMapping[] | null;
}

const DEFAULT_SETTINGS = {
  jitEnabled: false,
  defaultRoleAssignments: [],
  defaultGroupIds: [],
  roleClaims: ['roles', 'groups'],
  rolePrefix: 'wisdom',
  groupMappings: [],
} as const;

export interface SsoDeps {
  readonly db: Db;
  readonly clock: Clock;
  readonly secrets: SecretBox;
  readonly users: UserService;
  readonly groups: GroupService;
  readonly domains: () => DomainCatalog;
  readonly webSessions: WebSessionService;
  readonly publicUrl: string;
}

export interface CompletedLogin {
  readonly session: StartedSession;
  readonly returnTo: string;
  readonly userId: string;
}

const claimsInvalid = (message: string, problems: readonly Problem[]) =>
  new AppError('SSO_CLAIMS_INVALID', message, { problems: [...problems] });

const hash = (value: string) => createHash('sha256').update(value).digest();
const random = () => randomBytes(32).toString('base64url');

/**
 * OIDC sign-in per workspace (docs/sso.md): issuer and claim-mapping configuration, and the
 * authorization-code flow with PKCE, state and nonce, ending in a web session. Identities are
 * (issuer, sub) pairs linked to users; each sign-in replaces the user's JWT attributes, claim
 * roles and mapped group memberships in one transaction with the session it starts.
 */
export class SsoService {
  readonly #d: SsoDeps;
  readonly #clients: OidcClients;

  constructor(deps: SsoDeps) {
    this.#d = deps;
    this.#clients = new OidcClients(deps.clock);
  }

  /** The cookie that binds a pending sign-in to the browser that started it (login CSRF). */
  get loginCookieName(): string {
    return this.#d.webSessions.cookie.secure ? '__Host-tessera_sso' : 'tessera_sso';
  }

  /**
   * The issuer's own redirect URI (docs/sso.md "Configuring an issuer"). One per issuer, never
   * shared: a provider's response then says, by where it arrives, which issuer it comes from, so a
   * code cannot be carried to another issuer's token endpoint (mix-up) even when the provider
   * sends no `iss` with it.
   */
  redirectUriOf(issuer: { readonly workspace_id: string; readonly name: string }): string {
    return `${this.#d.publicUrl}/sso/${encodeURIComponent(issuer.workspace_id)}/callback/${encodeURIComponent(issuer.name)}`;
  }

  async listIssuers(workspaceId: string): Promise<IssuerView[]> {
    return (await q.listIssuers(this.#d.db, workspaceId)).map((r) => this.#view(r));
  }

  /** Creates an issuer, or updates the one `input.id` names; secrets are sealed at rest. */
  async configureIssuer(workspaceId: string, input: IssuerInput, origin: AuditOrigin): Promise<IssuerView> {
    const db = this.#d.db;
    const existing = input.id ? await q.findIssuer(db, workspaceId, input.id) : undefined;
    if (input.id && !existing) throw notFound('SSO issuer not found');
    const problems = issuerProblems(input, existing !== undefined);
    const method =
      CLIENT_AUTH_METHODS[
        input.clientAuthMethod ?? (existing ? methodOf(existing.client_auth) : 'CLIENT_SECRET_BASIC')
      ];
    const secretSealed =
      input.clientSecret != null
        ? this.#d.secrets.seal(input.clientSecret, SECRET_CONTEXT)
        : (existing?.client_secret_sealed ?? null);
    const keySealed =
      input.privateKeyJwk != null
        ? this.#d.secrets.seal(input.privateKeyJwk, SECRET_CONTEXT)
        : (existing?.private_key_sealed ?? null);
    if (method === 'private_key_jwt' && keySealed === null)
      problems.push({
        code: 'BAD_USER_INPUT',
        field: 'privateKeyJwk',
        message: 'is required for PRIVATE_KEY_JWT',
      });
    if (method !== 'private_key_jwt' && secretSealed === null)
      problems.push({
        code: 'BAD_USER_INPUT',
        field: 'clientSecret',
        message: 'is required for client secret authentication',
      });
    assertNoProblems(problems, 'SSO issuer');
    const now = this.#d.clock.now();
    const id = existing?.id ?? newId('idp');
    try {
      await db.transaction().execute(async (tx) => {
        const row = {
          name: input.name ?? existing!.name,
          discovery_url: input.discoveryUrl ?? existing!.discovery_url,
          client_id: input.clientId ?? existing!.client_id,
          client_auth: method,
          client_secret_sealed: method === 'private_key_jwt' ? null : secretSealed,
          private_key_sealed: method === 'private_key_jwt' ? keySealed : null,
          scopes: [...(input.scopes ?? existing?.scopes ?? DEFAULT_SCOPES)],
          attribute_mappings: [...(input.attributeMappings ?? existing?.attribute_mappings ?? [])].map(
            (m) => ({
              claim: m.claim,
              attribute: m.attribute,
            }),
          ),
          updated_at: now,
        };
        if (existing) await q.updateIssuer(tx, id, row);
        else await q.insertIssuer(tx, { ...row, id, workspace_id: workspaceId, created_at: now });
        await recordAudit(tx, origin, {
          action: existing ? 'sso.issuer.update' : 'sso.issuer.create',
          workspaceId: workspaceId,
          target: id,
          details: {
            name: row.name,
            discoveryUrl: row.discovery_url,
          },
          at: now,
        });
      });
    } catch (err) {
      if (isUniqueViolation(err, 'sso_issuers_workspace_name_unique')) {
        throw new AppError('CONFLICT', `An SSO issuer named ${echo(input.name ?? '')} already exists`, {
          problems: [
            { code: 'CONFLICT', field: 'name', item: echo(input.name ?? ''), message: 'already exists' },
          ],
        });
      }
      throw err;
    }
    this.#clients.forget(id);
    return this.#view((await q.findIssuer(db, workspaceId, id))!);
  }

  /** Deletes an issuer; its identities go with it (their users stay). */
  async deleteIssuer(workspaceId: string, id: string, origin: AuditOrigin): Promise<void> {
    await this.#d.db.transaction().execute(async (tx) => {
      if ((await q.deleteIssuer(tx, workspaceId, id)) === 0) throw notFound('SSO issuer not found');
      await recordAudit(tx, origin, {
        action: 'sso.issuer.delete',
        workspaceId: workspaceId,
        target: id,
        at: this.#d.clock.now(),
      });
    });
    this.#clients.forget(id);
  }

  async settings(workspaceId: string, db: Executor = this.#d.db): Promise<SettingsView> {
    const row = await q.findSettings(db, workspaceId);
    if (!row) return { workspaceId, ...DEFAULT_SETTINGS };
    return {
      workspaceId,
      jitEnabled: row.jit_enabled,
      defaultRoleAssignments: row.default_role_assignments,
      defaultGroupIds: row.default_group_ids,
      roleClaims: row.role_claims,
      rolePrefix: row.role_prefix,
      groupMappings: row.group_mappings,
    };
  }

  /** Replaces the given fields of the workspace's SSO settings; the others keep their values. */
  async setSettings(workspaceId: string, input: SettingsInput, origin: AuditOrigin): Promise<SettingsView> {
    await this.#d.db.transaction().execute(async (tx) => {
      const current = await this.settings(workspaceId, tx);
      const problems: Problem[] = settingsShapeProblems(input);
      if (input.defaultRoleAssignments)
        problems.push(
          ...(await roleAssignmentProblems(tx, this.#d.domains(), workspaceId, input.defaultRoleAssignments)),
        );
      const groupIds = [
        ...(input.defaultGroupIds ?? []),
        ...(input.groupMappings ?? []).map((m) => m.groupId),
      ];
      const known = await this.#d.groups.existing(workspaceId, groupIds, tx);
      (input.defaultGroupIds ?? []).forEach((g, i) => {
        if (!known.has(g))
          problems.push({
            code: 'BAD_USER_INPUT',
            field: `defaultGroupIds[${i}]`,
            item: echo(g),
            message: 'unknown group',
          });
      });
      (input.groupMappings ?? []).forEach((m, i) => {
        if (!known.has(m.groupId))
          problems.push({
            code: 'BAD_USER_INPUT',
            field: `groupMappings[${i}].groupId`,
            item: echo(m.groupId),
            message: 'unknown group',
          });
      });
      assertNoProblems(problems, 'SSO settings');
      const now = this.#d.clock.now();
      const next = {
        workspace_id: workspaceId,
        jit_enabled: input.jitEnabled ?? current.jitEnabled,
        default_role_assignments: input.defaultRoleAssignments
          ? normalizeAssignments(input.defaultRoleAssignments)
          : [...current.defaultRoleAssignments],
        default_group_ids: [...new Set(input.defaultGroupIds ?? current.defaultGroupIds)],
        role_claims: [...new Set(input.roleClaims ?? current.roleClaims)],
        role_prefix: input.rolePrefix ?? current.rolePrefix,
        group_mappings: (input.groupMappings ?? current.groupMappings).map((m) => ({
          idpGroup: m.idpGroup,
          groupId: m.groupId,
        })),
        updated_at: now,
      };
      await q.upsertSettings(tx, next);
      await recordAudit(tx, origin, {
        action: 'sso.settings',
        workspaceId: workspaceId,
        target: workspaceId,
        details: {
          jitEnabled: next.jit_enabled,
          roleClaims: next.role_claims,
          rolePrefix: next.role_prefix,
        },
        at: now,
      });
    });
    return this.settings(workspaceId);
  }

  /**
   * GET /sso/:workspace/login: records a pending sign-in (state, nonce, PKCE verifier) and
   * returns where to send the browser, with the cookie that binds the attempt to it.
   */
  async beginLogin(
    workspaceId: string,
    issuerRef: string | null,
    returnTo: string | null,
    clientIp: string | null,
  ): Promise<{ location: string; cookie: string }> {
    const db = this.#d.db;
    const now = this.#d.clock.now();
    const client = clientAddressBucket(clientIp);
    if ((await q.pendingLoginsOf(db, client, now, PENDING_LOGINS_PER_CLIENT)) >= PENDING_LOGINS_PER_CLIENT)
      throw new AppError('RATE_LIMITED', 'Too many sign-ins started from this address; try again later', {
        extra: { retryAfterSeconds: LOGIN_ATTEMPT_SECONDS },
      });
    const issuers = await q.listIssuers(db, workspaceId);
    const issuer = issuerRef
      ? issuers.find((i) => i.id === issuerRef || i.name.toLowerCase() === issuerRef.toLowerCase())
      : issuers.length === 1
        ? issuers[0]
        : undefined;
    if (!issuer)
      throw ssoError(
        'SSO_ISSUER_NOT_FOUND',
        issuerRef ? 'No such SSO issuer in this workspace' : 'Name the issuer: ?issuer=<name>',
      );
    const config = await this.#clients.configuration(this.#client(issuer));
    const state = random();
    const nonce = random();
    const browser = random();
    const verifier = oidc.randomPKCECodeVerifier();
    await q.insertLoginAttempt(db, {
      state_hash: hash(state),
      issuer_id: issuer.id,
      browser_hash: hash(browser),
      nonce,
      code_verifier: verifier,
      return_to: safeReturnTo(returnTo),
      created_at: now,
      expires_at: new Date(now.getTime() + LOGIN_ATTEMPT_SECONDS * 1000),
      client_bucket: client,
    });
    await q.pruneLoginAttempts(db, now).catch(() => undefined);
    const url = oidc.buildAuthorizationUrl(config, {
      redirect_uri: this.redirectUriOf(issuer),
      response_type: 'code',
      scope: issuer.scopes.join(' '),
      state,
      nonce,
      code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
    });
    return {
      location: url.href,
      cookie: setCookie(this.#d.webSessions.cookie, this.loginCookieName, browser, {
        maxAgeSeconds: LOGIN_ATTEMPT_SECONDS,
      }),
    };
  }

  /** The `Set-Cookie` value that removes the pending-sign-in cookie. */
  clearLoginCookie(): string {
    return setCookie(this.#d.webSessions.cookie, this.loginCookieName, '', { maxAgeSeconds: 0 });
  }

  /**
   * GET /sso/:workspace/callback/:issuer (docs/sso.md "How a sign-in is checked"): the state is
   * taken (it works once, only in the browser that started the sign-in, and only at the redirect
   * URI of the issuer it was started for), the code is exchanged with the PKCE
   * verifier, and openid-client checks the ID token (signature, issuer, audience, expiry, nonce).
   * Then, in one transaction: the identity is found or linked (or the user provisioned), the
   * claims are applied and a web session starts. Any failure leaves nothing written.
   */
  async completeLogin(
    request: Request,
    callback: { readonly workspaceId: string; readonly issuerName: string },
    origin: AuditOrigin,
  ): Promise<CompletedLogin> {
    const search = new URL(request.url).searchParams;
    const state = search.get('state');
    if (!state || state.length > 200)
      throw ssoError('SSO_STATE_INVALID', 'The sign-in state is missing', 'missing');
    const attempt = await q.takeLoginAttempt(this.#d.db, hash(state));
    const now = this.#d.clock.now();
    if (!attempt || attempt.expires_at <= now)
      throw ssoError(
        'SSO_STATE_INVALID',
        'The sign-in state is unknown, used or expired: start again',
        'unknown',
      );
    const browser = readCookie(request.headers.get('cookie'), this.loginCookieName);
    if (!browser || !hash(browser).equals(attempt.browser_hash))
      throw ssoError(
        'SSO_STATE_INVALID',
        'The sign-in was started in another browser: start again',
        'browser',
      );
    const issuer = await q.findIssuerById(this.#d.db, attempt.issuer_id);
    if (!issuer) throw ssoError('SSO_ISSUER_NOT_FOUND', 'The SSO issuer of this sign-in was removed');
    const workspaceId = issuer.workspace_id;
    // A response that arrives at another issuer's redirect URI came from that issuer's provider:
    // its code is never sent to this one (issuer mix-up).
    if (
      callback.workspaceId !== workspaceId ||
      callback.issuerName.toLowerCase() !== issuer.name.toLowerCase()
    )
      throw ssoError(
        'SSO_STATE_INVALID',
        'The sign-in came back from another identity provider than it was started with: start again',
        'issuer',
      );
    let claims: Claims;
    try {
      const config = await this.#clients.configuration(this.#client(issuer));
      const tokens = await oidc.authorizationCodeGrant(
        config,
        new URL(`${this.redirectUriOf(issuer)}?${search}`),
        {
          pkceCodeVerifier: attempt.code_verifier,
          expectedState: state,
          expectedNonce: attempt.nonce,
          idTokenExpected: true,
        },
      );
      const idClaims = tokens.claims()!;
      // openid-client checks that `iat` is not too old, not that it is not ahead: a token issued in
      // the future (a provider's clock gone wrong, or a token minted in advance) is refused too.
      if (idClaims.iat > this.#d.clock.now().getTime() / 1000 + ID_TOKEN_CLOCK_TOLERANCE_SECONDS)
        throw ssoError('SSO_ID_TOKEN_INVALID', 'The ID token was issued in the future', 'iat');
      // Refused before it reaches the identities' key (which no database indexes past a few KB).
      if (idClaims.sub.length > MAX_SUBJECT_LENGTH || idClaims.sub.includes('\u0000'))
        throw ssoError(
          'SSO_ID_TOKEN_INVALID',
          `The ID token's "sub" is not an identifier of at most ${MAX_SUBJECT_LENGTH} characters`,
          'sub',
        );
      let userinfo: Claims = {};
      if (config.serverMetadata().userinfo_endpoint) {
        userinfo = (await oidc.fetchUserInfo(config, tokens.access_token, idClaims.sub)) as Claims;
      }
      // The ID token's own claims win: they are the ones its checks covered.
      claims = { ...userinfo, ...idClaims };
    } catch (err) {
      const error = exchangeError(err);
      await this.#auditFailure(origin, workspaceId, issuer.id, error);
      throw error;
    }
    try {
      return await this.#d.db
        .transaction()
        .execute((tx) => this.#apply(tx, { issuer, claims, returnTo: attempt.return_to, request }, origin));
    } catch (err) {
      if (err instanceof AppError) await this.#auditFailure(origin, workspaceId, issuer.id, err);
      throw err;
    }
  }

  async #apply(
    tx: Executor,
    login: {
      readonly issuer: q.IssuerRow;
      readonly claims: Claims;
      readonly returnTo: string;
      readonly request: Request;
    },
    origin: AuditOrigin,
  ): Promise<CompletedLogin> {
    const { issuer, claims, returnTo, request } = login;
    const workspaceId = issuer.workspace_id;
    const settings = await this.settings(workspaceId, tx);
    const sub = String(claims.sub);
    const email = typeof claims.email === 'string' ? claims.email : null;
    const verified = claims.email_verified === true || claims.email_verified === 'true';
    // An email no user can have (none is longer, no database stores NUL) fails before any lookup.
    if (email !== null && (email.length > MAX_EMAIL_LENGTH || email.includes('\u0000')))
      throw claimsInvalid('The email claim is not a valid email address', [
        { code: 'BAD_USER_INPUT', field: 'claims.email', message: 'is not a valid email address' },
      ]);
    const now = this.#d.clock.now();
    const users = this.#d.users;
    const identity = await q.findIdentity(tx, issuer.id, sub);
    let user = identity ? await users.find(workspaceId, identity.user_id, tx) : undefined;
    let via: 'identity' | 'email' | 'jit' = 'identity';
    if (!user) {
      // First sign-in of this (issuer, sub): linked by a verified email only, never by a claim
      // the user could set at the provider without proving it.
      if (!email || !verified)
        throw ssoError(
          'SSO_EMAIL_NOT_VERIFIED',
          'The identity provider did not vouch for the email address of this account',
        );
      user = await users.findByEmail(workspaceId, email, tx);
      via = 'email';
      if (user && (await q.identityOfUser(tx, issuer.id, user.id)))
        throw ssoError(
          'SSO_IDENTITY_CONFLICT',
          'This email belongs to a user already linked to another account of this identity provider',
        );
      if (!user) {
        if (!settings.jitEnabled)
          throw ssoError(
            'SSO_USER_NOT_PROVISIONED',
            'There is no user with this email in the workspace, and just-in-time provisioning is off',
          );
        const [created] = await users
          .createUsers(
            workspaceId,
            {
              emails: [email],
              roleAssignments: settings.defaultRoleAssignments,
              userGroupIds: settings.defaultGroupIds,
              sendWelcomeEmail: false,
            },
            origin,
            tx,
          )
          .catch((err: unknown) => {
            // The provider's email is not one Tessera accepts for a user: the claim is at fault.
            // (A problem elsewhere, such as a default group deleted since, stays what it is.)
            if (
              err instanceof AppError &&
              err.code === 'BAD_USER_INPUT' &&
              err.problems.length > 0 &&
              err.problems.every((p) => p.field?.startsWith('emails'))
            )
              throw claimsInvalid('The email claim is not a valid user email', err.problems);
            throw err;
          });
        user = await users.find(workspaceId, created!.userId, tx);
        via = 'jit';
      }
      const linked = await q.insertIdentity(tx, {
        issuer_id: issuer.id,
        subject: sub,
        user_id: user!.id,
        email,
        created_at: now,
        last_login_at: now,
      });
      if (!linked)
        throw ssoError(
          'SSO_IDENTITY_CONFLICT',
          'This account was linked by a sign-in at the same moment: sign in again',
        );
    }
    if (!user || SIGNED_OUT_STATUSES.has(user.status))
      throw ssoError('SSO_USER_BLOCKED', 'This user may not sign in');

    const attributes = mappedAttributes(claims, issuer.attribute_mappings);
    const attributeIssues = attributeProblems(attributes, 'claims');
    if (attributeIssues.length > 0)
      throw new AppError('SSO_CLAIMS_INVALID', 'The mapped claims are not valid attributes', {
        problems: attributeIssues,
      });
    const strings = claimStrings(claims, settings.roleClaims);
    if (strings.length > MAX_CLAIM_STRINGS)
      throw claimsInvalid('The role claims hold too many strings', [
        {
          code: 'BAD_USER_INPUT',
          field: 'claims',
          item: echo(settings.roleClaims.join(',')),
          message: `at most ${MAX_CLAIM_STRINGS} distinct strings`,
        },
      ]);
    const roles = rolesFromClaims(strings, settings.rolePrefix, workspaceId);
    const claimRoles = await this.#knownDomainsOnly(tx, workspaceId, roles.assignments);
    await users.applySignIn(
      tx,
      { workspaceId, userId: user.id, attributes, claimRoles, signedInAt: now },
      origin,
    );
    const groups = await this.#d.groups.syncMappedMemberships(tx, {
      workspaceId,
      userId: user.id,
      managed: settings.groupMappings.map((m) => m.groupId),
      granted: groupsFromClaims(strings, settings.groupMappings),
    });
    if (identity)
      await q.touchIdentity(
        tx,
        { issuerId: issuer.id, subject: sub },
        { email: email ?? identity.email, at: now },
      );
    const session = await this.#d.webSessions.start(tx, user, 'sso', request);
    await recordAudit(
      tx,
      { ...origin, actorUserId: user.id },
      {
        action: 'sso.login',
        workspaceId: workspaceId,
        target: user.id,
        details: {
          issuerId: issuer.id,
          via,
          sessionId: session.id,
          claimRoleIds: claimRoles.map((r) => r.roleId),
          ignoredRoleClaims: roles.ignored,
          groupsAdded: groups.added,
          groupsRemoved: groups.removed,
        },
        at: now,
      },
    );
    return { session, returnTo, userId: user.id };
  }

  /** Claim roles scoped to domains that exist; a role left with no domain is dropped (ADMIN [] is the workspace). */
  async #knownDomainsOnly(tx: Executor, workspaceId: string, assignments: readonly RoleAssignmentInput[]) {
    const unknown = new Set(
      await this.#d.domains().unknownDomains(
        tx,
        workspaceId,
        assignments.flatMap((a) => a.scopes),
      ),
    );
    return (
      assignments
        .map((a) => ({ roleId: a.roleId, scopes: a.scopes.filter((s) => !unknown.has(s)) }))
        // rolesFromClaims gives [] only to ADMIN (the whole workspace); [] after filtering means none known.
        .filter(
          (a, i) =>
            a.scopes.length > 0 || (a.roleId === ROLE_IDS.ADMIN && assignments[i]!.scopes.length === 0),
        )
    );
  }

  async #auditFailure(
    origin: AuditOrigin,
    workspaceId: string,
    issuerId: string,
    error: AppError,
  ): Promise<void> {
    await recordAudit(this.#d.db, origin, {
      action: 'sso.login.refused',
      workspaceId: workspaceId,
      target: issuerId,
      details: {
        code: error.code,
        reason: error.extra.reason ?? null,
      },
      outcome: 'FAILURE',
      at: this.#d.clock.now(),
    }).catch(() => undefined);
  }

  #client(row: q.IssuerRow): IssuerClient {
    const open = (sealed: string | null) => (sealed ? this.#d.secrets.open(sealed, SECRET_CONTEXT) : null);
    const keyText = open(row.private_key_sealed);
    const jwk = keyText ? (parsePrivateJwk(keyText) as JWK) : null;
    return {
      id: row.id,
      discoveryUrl: row.discovery_url,
      clientId: row.client_id,
      clientAuth: row.client_auth,
      clientSecret: open(row.client_secret_sealed),
      privateKeyJwk: jwk,
    };
  }

  #view(row: q.IssuerRow): IssuerView {
    return {
      id: row.id,
      workspaceId: row.workspace_id,
      name: row.name,
      discoveryUrl: row.discovery_url,
      clientId: row.client_id,
      clientAuthMethod: methodOf(row.client_auth),
      hasClientSecret: row.client_secret_sealed !== null,
      hasPrivateKey: row.private_key_sealed !== null,
      scopes: row.scopes,
      attributeMappings: row.attribute_mappings,
      loginUrl: `${this.#d.publicUrl}/sso/${encodeURIComponent(row.workspace_id)}/login?issuer=${encodeURIComponent(row.name)}`,
      redirectUri: this.redirectUriOf(row),
    };
  }
}

const methodOf = (stored: string): ClientAuthMethod =>
  (Object.keys(CLIENT_AUTH_METHODS) as ClientAuthMethod[]).find((k) => CLIENT_AUTH_METHODS[k] === stored)!;

/** Only a path of Tessera itself: `/x`, never `//host` or a full URL (no open redirect). */
export function safeReturnTo(value: string | null): string {
  if (
    !value ||
    value.length > 2000 ||
    !value.startsWith('/') ||
    value.startsWith('//') ||
    value.includes('\\')
  )
    return '/';
  return /^[\x21-\x7e]+$/.test(value) ? value : '/';
}
