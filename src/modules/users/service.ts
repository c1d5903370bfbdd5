import type { Clock } from '../../clock.ts';
import { isRetryableTransactionError } from '../../db/errors.ts';
import type { Db, Executor } from '../../db/index.ts';
import { AppError, assertNoProblems, badInput, echo, notFound, type Problem } from '../../errors.ts';
import { newId } from '../../ids.ts';
import { type AttributeInput, attributeProblems } from '../attributes/validation.ts';
import { type AuditOrigin, recordAudit } from '../audit/service.ts';
import type { DomainCatalog } from '../data/domains/catalog.ts';
import { analyzeMemberships } from '../groups/queries.ts';
import {
  normalizeAssignments,
  type RoleAssignmentInput,
  roleAssignmentProblems,
} from '../roles/validation.ts';
import type { WorkspaceService } from '../workspaces/service.ts';
import { emailProblems, normalizeEmail } from './email.ts';
import { type ListedUser, type ListingParts, listWorkspaceUsers } from './listing.ts';
import { analyzeUserTables } from './queries/import.ts';
import { searchUsers, type UserFilter, type UserPage } from './queries/search.ts';
import * as q from './queries/users.ts';
import {
  type CreateUserResult,
  type CreateUsersInput,
  inputProblems,
  storedProblems,
  upsertUsers,
} from './upsert.ts';
import { upsertUsersBulk } from './upsert-bulk.ts';

export type { CreateOutcome, CreateUserResult, CreateUsersInput } from './upsert.ts';

/** Mints a sign-in link for a new user inside the transaction that creates it. */
export type WelcomeLinkIssuer = (
  tx: Executor,
  user: { readonly id: string; readonly workspace_id: string },
) => Promise<string>;

/** What one SCIM write makes of a user (docs/scim.md "Users"). */
export interface ScimUserWrite {
  readonly email: string;
  readonly active: boolean;
  readonly attributes: readonly AttributeInput[];
}

export const USER_STATUSES = ['ACTIVE', 'INACTIVE', 'SUSPENDED', 'PENDING', 'DELETED'] as const;
export type UserStatus = (typeof USER_STATUSES)[number];

export interface UserServiceOptions {
  readonly maxEmailsPerCall: number;
  readonly publicUrl: string;
  /**
   * The workspace's attribute definitions, which every attribute write is checked against
   * (docs/attribute-definitions.md "Writes"); null when the app runs without them.
   */
  readonly attributeRules: () => AttributeWriteRules | null;
}

/** What the users module asks of attribute definitions: the type problems of a write. */
export interface AttributeWriteRules {
  writeProblems(
    db: Executor,
    workspaceId: string,
    attributes: readonly AttributeInput[],
    field: string,
  ): Promise<Problem[]>;
  /** `writeProblems` of many lists against one reading of the definitions. */
  writeProblemsEach(
    db: Executor,
    workspaceId: string,
    lists: readonly (readonly AttributeInput[])[],
    field: string,
  ): Promise<Problem[][]>;
}

/** Provisioning: every use case is one transaction, validated in full before anything is written. */
export class UserService {
  readonly #db: Db;
  readonly #clock: Clock;
  readonly #domains: () => DomainCatalog;
  readonly #workspaces: WorkspaceService;
  readonly #options: UserServiceOptions;
  #welcomeLink: WelcomeLinkIssuer | null = null;

  constructor(deps: {
    readonly db: Db;
    readonly clock: Clock;
    readonly domains: () => DomainCatalog;
    readonly workspaces: WorkspaceService;
    readonly options: UserServiceOptions;
  }) {
    this.#db = deps.db;
    this.#clock = deps.clock;
    this.#domains = deps.domains;
    this.#workspaces = deps.workspaces;
    this.#options = deps.options;
  }

  /** One page of the workspace's users matching `filter`, in email order (keyset-paginated). */
  search(
    workspaceId: string,
    filter: UserFilter | null | undefined,
    first: number,
    after: string | null | undefined,
  ): Promise<UserPage> {
    return searchUsers(this.#db, workspaceId, { filter, first, after });
  }

  /**
   * createUsers (docs/api-contract.md §5): creates new emails and re-applies the given fields to existing
   * ones, atomically. Any bad item fails the whole call, naming every bad item.
   */
  async createUsers(
    workspaceId: string,
    input: CreateUsersInput,
    origin: AuditOrigin,
    /** The caller's open transaction (e.g. a sign-in that provisions its user); else one of its own. */
    within?: Executor,
  ): Promise<CreateUserResult[]> {
    const staticProblems = inputProblems(input, this.#options.maxEmailsPerCall);
    if (input.emails.length > this.#options.maxEmailsPerCall)
      assertNoProblems(staticProblems, 'createUsers input');
    const run = within
      ? <T>(work: (tx: Executor) => Promise<T>) => work(within)
      : this.#inTransaction.bind(this);
    return run(async (tx) => {
      const workspace = await this.#workspaces.get(workspaceId, tx);
      assertNoProblems(
        [...staticProblems, ...(await storedProblems(tx, this.#domains(), workspaceId, input))],
        'createUsers input',
      );
      assertTypes(await this.#typeProblems(tx, workspaceId, input.userAttributes, 'userAttributes'));
      await this.#refuseScimManagedAttributes(tx, workspaceId, [input]);
      return upsertUsers(tx, workspace, input, this.#upsertContext(origin, 'createUsers'));
    });
  }

  /**
   * Checks many createUsers inputs (e.g. the rows of an import file) by exactly the rules of
   * createUsers, without writing. Returns the problems of each bad input by its index.
   * Inputs that differ only in their emails share one database check.
   */
  async checkCreateUsersInputs(
    workspaceId: string,
    inputs: readonly CreateUsersInput[],
  ): Promise<{ index: number; problems: Problem[] }[]> {
    await this.#workspaces.get(workspaceId, this.#db);
    const stored = await this.#storedProblemsEach(this.#db, workspaceId, inputs);
    const types = await this.#typeProblemsEach(this.#db, workspaceId, inputs);
    const out: { index: number; problems: Problem[] }[] = [];
    for (const [index, input] of inputs.entries()) {
      const problems = [
        ...inputProblems(input, this.#options.maxEmailsPerCall),
        ...stored[index]!,
        ...types[index]!,
      ];
      if (problems.length > 0) out.push({ index, problems });
    }
    return out;
  }

  /**
   * storedProblems of each input, read in `db`; inputs that differ only in their emails (an
   * import's rows with the same roles and groups) share one database check.
   */
  async #storedProblemsEach(
    db: Executor,
    workspaceId: string,
    inputs: readonly CreateUsersInput[],
  ): Promise<Problem[][]> {
    const bySignature = new Map<string, Problem[]>();
    const out: Problem[][] = [];
    // One check at a time: `db` may be a transaction, whose statements run in order anyway.
    for (const input of inputs) {
      const signature = JSON.stringify([input.roleAssignments ?? null, input.userGroupIds ?? null]);
      let stored = bySignature.get(signature);
      if (!stored) {
        stored = await storedProblems(db, this.#domains(), workspaceId, input);
        bySignature.set(signature, stored);
      }
      out.push(stored);
    }
    return out;
  }

  /** ATTRIBUTE_TYPE_MISMATCH problems of each input's attributes, against one reading of the definitions. */
  async #typeProblemsEach(
    db: Executor,
    workspaceId: string,
    inputs: readonly CreateUsersInput[],
  ): Promise<Problem[][]> {
    const rules = this.#options.attributeRules();
    if (!rules) return inputs.map(() => []);
    return rules.writeProblemsEach(
      db,
      workspaceId,
      inputs.map((input) => input.userAttributes ?? []),
      'userAttributes',
    );
  }

  /**
   * Brings the planner's statistics of the users, their attributes, roles and memberships up to
   * date after a bulk write (`tessera users import`). Statements other processes prepared while
   * the tables were small keep their plans until the tables' statistics change: a server started
   * on an empty database would otherwise check every session with a scan of the whole users
   * table until autovacuum analyzes it, up to a minute after the import. ANALYZE makes every
   * session replan at once (README "Importing users from CSV").
   */
  async refreshPlannerStatistics(): Promise<void> {
    await analyzeUserTables(this.#db);
    await analyzeMemberships(this.#db);
  }

  /**
   * Applies several createUsers inputs in ONE transaction: all of them or none (a bad input
   * fails the batch, naming it as `inputs[i]`). With `dryRun`, the batch is rolled back after
   * running, so the outcomes are exactly what a real run would report.
   */
  async createUsersBatch(
    workspaceId: string,
    inputs: readonly CreateUsersInput[],
    origin: AuditOrigin,
    options: {
      readonly dryRun?: boolean;
      readonly via?: string;
      /**
       * Awaited after the writes, just before the commit (or the dry run's rollback): lets a caller
       * that writes several batches at once commit them in order. A throw rolls the batch back.
       */
      readonly beforeCommit?: () => Promise<void>;
    } = {},
  ): Promise<CreateUserResult[][]> {
    const run = async (tx: Executor) => {
      const workspace = await this.#workspaces.get(workspaceId, tx);
      const problems: Problem[] = [];
      const stored = await this.#storedProblemsEach(tx, workspaceId, inputs);
      for (const [i, input] of inputs.entries()) {
        const own = [...inputProblems(input, this.#options.maxEmailsPerCall), ...stored[i]!];
        problems.push(...own.map((p) => ({ ...p, field: `inputs[${i}].${p.field}` })));
      }
      assertNoProblems(problems, 'createUsers inputs');
      const types = await this.#typeProblemsEach(tx, workspaceId, inputs);
      assertTypes(types.flatMap((own, i) => own.map((p) => ({ ...p, field: `inputs[${i}].${p.field}` }))));
      await this.#refuseScimManagedAttributes(tx, workspaceId, inputs);
      const results = await upsertUsersBulk(
        tx,
        workspace,
        inputs.flatMap(({ emails, ...fields }) => emails.map((email) => ({ email, fields }))),
        this.#upsertContext(origin, options.via ?? 'createUsers'),
      );
      await options.beforeCommit?.();
      const byEmail = new Map(results.map((r) => [normalizeEmail(r.email), r]));
      return inputs.map((input) => input.emails.map((e) => byEmail.get(normalizeEmail(e))!));
    };
    if (!options.dryRun) return this.#inTransaction(run);
    let results: CreateUserResult[][] = [];
    try {
      await this.#inTransaction(async (tx) => {
        results = await run(tx);
        throw ROLLBACK;
      });
    } catch (err) {
      if (err !== ROLLBACK) throw err;
    }
    return results;
  }

  /** ATTRIBUTE_TYPE_MISMATCH problems of writing `attributes` in the workspace, read in `db`. */
  async #typeProblems(
    db: Executor,
    workspaceId: string,
    attributes: readonly AttributeInput[] | null | undefined,
    field: string,
  ): Promise<Problem[]> {
    const rules = this.#options.attributeRules();
    if (!rules || !attributes?.length) return [];
    return rules.writeProblems(db, workspaceId, attributes, field);
  }

  /**
   * The IdP owns a SCIM-provisioned user's DATABASE attributes: createUsers may re-apply roles
   * and add groups, but not replace its attributes.
   * docs/scim.md "Users the IdP manages"
   */
  async #refuseScimManagedAttributes(
    tx: Executor,
    workspaceId: string,
    inputs: readonly CreateUsersInput[],
  ): Promise<void> {
    const emails = inputs.filter((i) => i.userAttributes).flatMap((i) => i.emails.map(normalizeEmail));
    if (emails.length === 0) return;
    const managed = await q.scimManagedByEmail(tx, workspaceId, emails);
    if (managed.length === 0) return;
    throw new AppError('CONFLICT', 'Attributes of SCIM-managed users are written by the identity provider', {
      problems: managed.map((email) => ({
        code: 'CONFLICT',
        field: 'userAttributes',
        item: email,
        message: 'the user is managed by SCIM; its attributes come from the identity provider',
      })),
    });
  }

  /**
   * Lets welcome emails carry a one-time sign-in link (docs/sso.md "Email sign-in links"),
   * minted by the web-sessions module in the transaction that creates the user.
   */
  useWelcomeLinks(issuer: WelcomeLinkIssuer): void {
    this.#welcomeLink = issuer;
  }

  #upsertContext(origin: AuditOrigin, via: string) {
    return {
      origin,
      now: this.#clock.now(),
      publicUrl: this.#options.publicUrl,
      via,
      welcomeLink: this.#welcomeLink,
    };
  }

  /** setUserAttributes: replaces all DATABASE attributes atomically; JWT ones are untouched. */
  async setAttributes(
    workspaceId: string,
    userId: string,
    attributes: readonly AttributeInput[],
    origin: AuditOrigin,
  ): Promise<void> {
    assertNoProblems(attributeProblems(attributes), 'userAttributes');
    await this.#inTransaction(async (tx) => {
      const [user] = await q.lockUsers(tx, workspaceId, [userId]);
      if (!user) throw notFound('User not found');
      assertTypes(await this.#typeProblems(tx, workspaceId, attributes, 'userAttributes'));
      if (user.is_scim_managed) {
        throw new AppError(
          'CONFLICT',
          'Attributes of SCIM-managed users are written by the identity provider',
          {
            problems: [
              { code: 'CONFLICT', field: 'userId', item: userId, message: 'the user is managed by SCIM' },
            ],
          },
        );
      }
      const now = this.#clock.now();
      await q.replaceDatabaseAttributes(tx, [userId], attributes);
      await q.touchUsers(tx, [userId], now);
      await recordAudit(tx, origin, {
        action: 'user.setAttributes',
        workspaceId,
        target: userId,
        details: { keys: attributes.map((a) => a.key) },
        at: now,
      });
    });
  }

  /**
   * Stores attributes that came from an identity provider (source JWT); DATABASE ones are
   * untouched (docs/sso.md "JWT-sourced attributes").
   */
  async setJwtAttributes(
    workspaceId: string,
    userId: string,
    attributes: readonly AttributeInput[],
    origin: AuditOrigin,
  ): Promise<void> {
    await this.#inTransaction((tx) =>
      this.applySignIn(tx, { workspaceId, userId, attributes, claimRoles: null }, origin),
    );
  }

  /**
   * The user's writes of one SSO sign-in, in the caller's transaction:
   * docs/sso.md "What a sign-in changes".
   * JWT attributes replaced by `attributes`, claim-granted role assignments
   * (source CLAIM) by `claimRoles` when given, the sign-in recorded as the last session. DATABASE
   * attributes and DIRECT roles are never touched. Checked in full before anything is written.
   */
  async applySignIn(
    tx: Executor,
    changes: {
      readonly workspaceId: string;
      readonly userId: string;
      readonly attributes: readonly AttributeInput[];
      readonly claimRoles: readonly RoleAssignmentInput[] | null;
      readonly signedInAt?: Date;
    },
    origin: AuditOrigin,
  ): Promise<q.UserRow> {
    const { workspaceId, userId } = changes;
    assertNoProblems(attributeProblems(changes.attributes, 'attributes'), 'attributes');
    if (changes.claimRoles)
      assertNoProblems(
        await roleAssignmentProblems(tx, this.#domains(), workspaceId, changes.claimRoles),
        'claimRoles',
      );
    const [user] = await q.lockUsers(tx, workspaceId, [userId]);
    if (!user) throw notFound('User not found');
    const now = this.#clock.now();
    await q.replaceJwtAttributes(tx, userId, changes.attributes);
    if (changes.claimRoles)
      await q.replaceClaimAssignments(tx, userId, normalizeAssignments(changes.claimRoles));
    if (changes.signedInAt) await q.touchLastActiveSession(tx, userId, changes.signedInAt);
    await recordAudit(tx, origin, {
      action: 'user.setJwtAttributes',
      workspaceId,
      target: userId,
      details: {
        keys: changes.attributes.map((a) => a.key),
        ...(changes.claimRoles ? { claimRoleIds: changes.claimRoles.map((a) => a.roleId) } : {}),
      },
      at: now,
    });
    return user;
  }

  /** Replaces a user's direct role assignments (inherited ones come from groups). */
  async setRoleAssignments(
    workspaceId: string,
    userId: string,
    assignments: readonly RoleAssignmentInput[],
    origin: AuditOrigin,
  ): Promise<void> {
    await this.#inTransaction(async (tx) => {
      assertNoProblems(
        await roleAssignmentProblems(tx, this.#domains(), workspaceId, assignments),
        'roleAssignments',
      );
      const [user] = await q.lockUsers(tx, workspaceId, [userId]);
      if (!user) throw notFound('User not found');
      const now = this.#clock.now();
      await q.replaceDirectAssignments(tx, [userId], normalizeAssignments(assignments));
      await q.touchUsers(tx, [userId], now);
      await recordAudit(tx, origin, {
        action: 'user.setRoleAssignments',
        workspaceId,
        target: userId,
        details: { roleIds: assignments.map((a) => a.roleId) },
        at: now,
      });
    });
  }

  /** Suspending (or deactivating) a user ends their sessions on the next request. */
  async setStatus(workspaceId: string, userId: string, status: string, origin: AuditOrigin): Promise<void> {
    if (!(USER_STATUSES as readonly string[]).includes(status) || status === 'DELETED') {
      throw badInput(`Invalid status: ${echo(status)}`, [
        { code: 'BAD_USER_INPUT', field: 'status', item: echo(status), message: 'unknown or not settable' },
      ]);
    }
    await this.#inTransaction(async (tx) => {
      const [user] = await q.lockUsers(tx, workspaceId, [userId]);
      if (!user) throw notFound('User not found');
      const now = this.#clock.now();
      await q.setUserStatus(tx, userId, status, now);
      await recordAudit(tx, origin, {
        action: 'user.setStatus',
        workspaceId,
        target: userId,
        details: { from: user.status, to: status },
        at: now,
      });
    });
  }

  /**
   * deleteUsersFromWorkspace: all or nothing. An id that is unknown (or of another workspace,
   * which looks the same) fails the call and deletes nobody.
   */
  async deleteUsers(workspaceId: string, userIds: readonly string[], origin: AuditOrigin): Promise<number> {
    const unique = [...new Set(userIds)];
    if (unique.length === 0)
      throw badInput('userIds must not be empty', [
        { code: 'BAD_USER_INPUT', field: 'userIds', message: 'needs at least one id' },
      ]);
    if (unique.length > this.#options.maxEmailsPerCall)
      throw badInput(`at most ${this.#options.maxEmailsPerCall} users per call`);
    return this.#inTransaction(async (tx) => {
      const found = await q.lockUsers(tx, workspaceId, unique);
      const foundIds = new Set(found.map((u) => u.id));
      const missing = unique.filter((id) => !foundIds.has(id));
      if (missing.length > 0) {
        throw new AppError('NOT_FOUND', `User not found: ${missing.map((m) => echo(m)).join(', ')}`, {
          problems: missing.map((m) => ({
            code: 'NOT_FOUND',
            field: 'userIds',
            item: echo(m),
            message: 'User not found',
          })),
        });
      }
      const now = this.#clock.now();
      await q.deleteWorkspaceUsers(tx, workspaceId, unique);
      await recordAudit(
        tx,
        origin,
        found.map((u) => ({
          action: 'user.delete',
          workspaceId,
          target: u.id,
          details: { email: u.email },
          at: now,
        })),
      );
      return unique.length;
    });
  }

  /** The given users of the workspace, by id (others' and unknown ids are left out). */
  /** `db`: the caller's open transaction, when it reads inside one. */
  async findMany(
    workspaceId: string,
    userIds: readonly string[],
    db: Executor = this.#db,
  ): Promise<Map<string, q.UserRow>> {
    const rows = await q.usersByIds(db, userIds);
    return new Map([...rows].filter(([, u]) => u.workspace_id === workspaceId));
  }

  /** `db`: the caller's open transaction, when it reads inside one. */
  find(workspaceId: string, userId: string, db: Executor = this.#db): Promise<q.UserRow | undefined> {
    return q.findUser(db, workspaceId, userId);
  }

  findByEmail(workspaceId: string, email: string, db: Executor = this.#db): Promise<q.UserRow | undefined> {
    return q.findUserByEmail(db, workspaceId, normalizeEmail(email));
  }

  /**
   * SCIM's write of one user (docs/scim.md "Users the IdP manages"): creates it (`userId` null) or
   * replaces its email, status and DATABASE attributes, and marks it SCIM-managed, in one
   * transaction with `alongside` (the SCIM module's own rows). `next` computes the write from the
   * user as it is once locked (null for a new one), inside the transaction: a PATCH reads what it
   * patches under the same lock as its write, so two at once cannot overwrite each other. Everything
   * is checked before the first write, so a bad item leaves nothing written: BAD_USER_INPUT,
   * ATTRIBUTE_TYPE_MISMATCH, NOT_FOUND, or CONFLICT when the email belongs to another user of the
   * workspace.
   */
  async writeScimUser(
    workspaceId: string,
    target: {
      readonly userId: string | null;
      readonly next: (tx: Executor, current: q.UserRow | null) => Promise<ScimUserWrite>;
    },
    origin: AuditOrigin,
    alongside: (tx: Executor, user: q.UserRow) => Promise<void>,
  ): Promise<q.UserRow> {
    return this.#inTransaction(async (tx) => {
      await this.#workspaces.get(workspaceId, tx);
      let current: q.UserRow | null = null;
      if (target.userId !== null) {
        [current = null] = await q.lockUsers(tx, workspaceId, [target.userId]);
        if (!current) throw notFound('User not found');
      }
      const input = await target.next(tx, current);
      assertNoProblems(
        [...emailProblems([input.email], 'userName'), ...attributeProblems(input.attributes, 'attributes')],
        'SCIM user',
      );
      const email = input.email.trim();
      const normalized = normalizeEmail(email);
      // A SCIM write carries every attribute back, changed or not. A value stored before its key
      // was declared is not rewritten by being carried (docs/attribute-definitions.md "Writes"):
      // only the values the write changes are checked, so such a value cannot block a deactivation.
      const kept = await this.#unchangedDatabaseKeys(tx, current, input.attributes);
      assertTypes(
        (await this.#typeProblems(tx, workspaceId, input.attributes, 'attributes')).filter(
          (p) => !kept.has(p.item ?? ''),
        ),
      );
      const now = this.#clock.now();
      const holder = await q.findUserByEmail(tx, workspaceId, normalized);
      if (holder && holder.id !== target.userId) {
        throw new AppError('CONFLICT', `A user with userName ${echo(email)} already exists`, {
          problems: [{ code: 'CONFLICT', field: 'userName', item: echo(email), message: 'already exists' }],
          extra: { userId: holder.id },
        });
      }
      let userId = target.userId;
      if (userId === null) {
        userId = newId('usr');
        const created = await q.insertMissingUsers(tx, [
          {
            id: userId,
            workspace_id: workspaceId,
            email,
            email_normalized: normalized,
            created_at: now,
            updated_at: now,
          },
        ]);
        // Another request created the email between the check and the insert.
        if (!created.has(userId))
          throw new AppError('CONFLICT', `A user with userName ${echo(email)} already exists`);
      }
      const status = scimStatus(current, input.active);
      await q.updateScimUser(tx, userId, { email, email_normalized: normalized, status, updated_at: now });
      await q.replaceDatabaseAttributes(tx, [userId], input.attributes);
      const [user] = await q.lockUsers(tx, workspaceId, [userId]);
      await alongside(tx, user!);
      await recordAudit(tx, origin, {
        action: target.userId === null ? 'user.create' : 'user.update',
        workspaceId,
        target: userId,
        details: { email, via: 'scim', status, keys: input.attributes.map((a) => a.key) },
        at: now,
      });
      return user!;
    });
  }

  /** The keys of `attributes` whose value is the user's stored DATABASE value already. */
  async #unchangedDatabaseKeys(
    tx: Executor,
    user: q.UserRow | null,
    attributes: readonly AttributeInput[],
  ): Promise<Set<string>> {
    if (user === null || attributes.length === 0) return new Set();
    const stored = new Map(
      ((await q.attributesOf(tx, [user.id])).get(user.id) ?? [])
        .filter((a) => a.source === 'DATABASE')
        .map((a) => [a.key, a.value]),
    );
    return new Set(attributes.filter((a) => stored.get(a.key) === a.value).map((a) => a.key));
  }

  /** The stored attributes (DATABASE and JWT) of each user, by user id. */
  storedAttributes(
    userIds: readonly string[],
    db: Executor = this.#db,
  ): Promise<Map<string, q.StoredAttribute[]>> {
    return q.attributesOf(db, userIds);
  }

  /** Each user's role assignments (direct ones first, then those from groups), by user id. */
  storedRoleAssignments(userIds: readonly string[]): Promise<Map<string, q.StoredAssignment[]>> {
    return q.roleAssignmentsOf(this.#db, userIds);
  }

  /** The groups each user is a member of, by user id. */
  groupIdsOf(userIds: readonly string[]): Promise<Map<string, string[]>> {
    return q.groupIdsOf(this.#db, userIds);
  }

  /**
   * The users with these ids, whatever their workspace: for batch loading references that were
   * already scoped (a group's members, an event's actor); `findMany` filters by workspace.
   */
  byIds(userIds: readonly string[]): Promise<Map<string, q.UserRow>> {
    return q.usersByIds(this.#db, userIds);
  }

  /** The user's role assignments, direct ones first, then those inherited from groups (read fresh). */
  async roleAssignments(userId: string): Promise<q.StoredAssignment[]> {
    return (await q.roleAssignmentsOf(this.#db, [userId])).get(userId) ?? [];
  }

  list(workspaceId: string): Promise<q.UserRow[]> {
    return q.listUsersOrdered(this.#db, workspaceId);
  }

  /** Every user of the workspace in email order, shaped for a response, with the related rows `parts` names. */
  listForResponse(workspaceId: string, parts: ListingParts): Promise<ListedUser[]> {
    return listWorkspaceUsers(this.#db, workspaceId, parts);
  }

  /** Runs a use case in one transaction, retrying it whole on a serialization failure or deadlock. */
  async #inTransaction<T>(work: (tx: Executor) => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.#db.transaction().execute(work);
      } catch (err) {
        if (attempt >= 5 || !isRetryableTransactionError(err)) throw err;
      }
    }
  }
}

/**
 * The status a SCIM write leaves: `active` moves a user between ACTIVE and INACTIVE, but a
 * suspension is the API's (setUserStatus) and only the API lifts it. Every SCIM write carries
 * `active` (a PATCH of the title renders it back as false), so without this an IdP's next profile
 * push turned SUSPENDED, which ends sessions, into INACTIVE, which does not, or into ACTIVE.
 * docs/scim.md "Users"
 */
function scimStatus(current: q.UserRow | null, active: boolean): string {
  if (current?.status === 'SUSPENDED' || current?.status === 'DELETED') return current.status;
  return active ? 'ACTIVE' : 'INACTIVE';
}

/** Fails with ATTRIBUTE_TYPE_MISMATCH naming every bad item (docs/attribute-definitions.md "Writes"). */
function assertTypes(problems: readonly Problem[]): void {
  if (problems.length === 0) return;
  const list = problems.map((p) => `${p.field} (${p.item}): ${p.message}`);
  throw new AppError('ATTRIBUTE_TYPE_MISMATCH', `Attribute values of the wrong type: ${list.join('; ')}`, {
    problems,
  });
}

/** Thrown inside a dry run's transaction to roll it back after computing the outcomes. */
const ROLLBACK = Symbol('rollback');
