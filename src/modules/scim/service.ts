import { scimPatch } from 'scim-patch';
import { FilterArrayTargetNotFound, FilterOnEmptyArray } from 'scim-patch/lib/src/errors/scimErrors.js';
import type { Clock } from '../../clock.ts';
import { isUniqueViolation } from '../../db/errors.ts';
import type { Db, Executor } from '../../db/index.ts';
import { newId } from '../../ids.ts';
import type { AccessKeyService, RequestMeta } from '../access-keys/service.ts';
import type { AttributeDefinitionService } from '../attribute-definitions/service.ts';
import { type AuditOrigin, recordAuditEvents } from '../audit/service.ts';
import type { KeyPrincipal } from '../auth/principal.ts';
import type { GroupService, GroupView } from '../groups/service.ts';
import type { UserRow } from '../users/queries/users.ts';
import type { UserService } from '../users/service.ts';
import { notFoundError, ScimError, toScimError } from './errors.ts';
import {
  type CheckedFilter,
  GROUP_FILTER_SCHEMA,
  matches,
  parseFilter,
  simpleEquality,
  USER_FILTER_SCHEMA,
} from './filter.ts';
import * as q from './queries.ts';
import {
  type GroupWrite,
  keepOnePrimary,
  LIST_SCHEMA,
  type PatchOperation,
  parseGroup,
  parseUser,
  patchOperations,
  renderGroup,
  renderUser,
  type UserWrite,
} from './resources.ts';

export interface ListQuery {
  readonly filter: string | null;
  readonly startIndex: number;
  readonly count: number;
}

/** Page size when `count` is not given, and the most one page holds (ServiceProviderConfig). */
export const DEFAULT_COUNT = 100;
export const MAX_COUNT = 200;

type Resource = Record<string, unknown>;

/** One SCIM call: the calling key's workspace and audit origin, and the base URL resources live at. */
export interface ScimCall {
  readonly workspaceId: string;
  readonly origin: AuditOrigin;
  readonly baseUrl: string;
}

/** What a read needs of the call. */
export type ScimRead = Pick<ScimCall, 'workspaceId' | 'baseUrl'>;

/**
 * SCIM 2.0 Users and Groups over Tessera's users and groups (docs/scim.md). Each write is one
 * transaction of the owning module with this module's row alongside; every input is checked
 * before it, so an error leaves nothing written.
 */
export class ScimService {
  readonly #db: Db;
  readonly #clock: Clock;
  readonly #users: UserService;
  readonly #groups: GroupService;
  readonly #definitions: AttributeDefinitionService;
  readonly #accessKeys: AccessKeyService;

  constructor(deps: {
    db: Db;
    clock: Clock;
    users: UserService;
    groups: GroupService;
    attributeDefinitions: AttributeDefinitionService;
    accessKeys: AccessKeyService;
  }) {
    this.#db = deps.db;
    this.#clock = deps.clock;
    this.#users = deps.users;
    this.#groups = deps.groups;
    this.#definitions = deps.attributeDefinitions;
    this.#accessKeys = deps.accessKeys;
  }

  /**
   * The access key behind a SCIM bearer token, when it holds the `scim` permission; else null,
   * after recording the failure (`auth.failure`, as for GraphQL) with the key id it named, if any.
   */
  async authenticate(token: string | null, meta: RequestMeta): Promise<KeyPrincipal | null> {
    const key = token ? await this.#accessKeys.verify(token, meta) : null;
    if (key?.permissions.has('scim')) return key;
    await recordAuditEvents(this.#db, [
      {
        workspaceId: key?.workspaceId ?? null,
        action: 'auth.failure',
        outcome: 'FAILURE',
        actorKeyId: key?.keyId ?? null,
        requestId: meta.requestId ?? null,
        ip: meta.ip ?? null,
        details: {
          endpoint: 'scim',
          credential: key ? 'noScimPermission' : token ? 'accessKey' : 'missing',
          keyId: token ? this.#accessKeys.keyIdOf(token) : null,
        },
        at: this.#clock.now(),
      },
    ]);
    return null;
  }

  // Users

  /** One user as a SCIM resource; 404 when the workspace has no such user. */
  async getUser({ workspaceId, baseUrl }: ScimRead, id: string): Promise<Resource> {
    const user = await this.#users.find(workspaceId, id);
    if (!user) throw notFoundError(`User ${id.slice(0, 80)} not found`);
    return (await this.#renderUsers(workspaceId, [user], baseUrl))[0]!;
  }

  /** A page of users matching the filter (RFC 7644 §3.4.2). */
  async listUsers({ workspaceId, baseUrl }: ScimRead, query: ListQuery): Promise<Resource> {
    const filter = query.filter === null ? null : parseFilter(query.filter, USER_FILTER_SCHEMA);
    let candidates: UserRow[];
    const userName = filter && simpleEquality(filter, 'username');
    const externalId = filter && simpleEquality(filter, 'externalid');
    if (userName !== null && userName !== undefined) {
      const user = await this.#users.findByEmail(workspaceId, userName);
      candidates = user ? [user] : [];
    } else if (externalId !== null && externalId !== undefined) {
      const ids = await q.userIdsByExternalId(this.#db, workspaceId, externalId);
      candidates = [...(await this.#users.findMany(workspaceId, ids)).values()];
    } else {
      candidates = await this.#users.list(workspaceId);
    }
    const resources = await this.#renderUsers(workspaceId, candidates, baseUrl);
    return page(filterResources(resources, filter, USER_FILTER_SCHEMA), query);
  }

  /** Creates a user from a SCIM body (POST /Users). */
  async createUser({ workspaceId, origin, baseUrl }: ScimCall, body: unknown): Promise<Resource> {
    const user = await this.#writeUser(workspaceId, null, origin, async (tx) =>
      parseUser(body, await this.#definitions.definitions(workspaceId, tx)),
    );
    return (await this.#renderUsers(workspaceId, [user], baseUrl))[0]!;
  }

  /** Replaces a user with a SCIM body (PUT /Users/:id). */
  async replaceUser(
    { workspaceId, origin, baseUrl }: ScimCall,
    id: string,
    body: unknown,
  ): Promise<Resource> {
    const user = await this.#users.find(workspaceId, id);
    if (!user) throw notFoundError(`User ${id.slice(0, 80)} not found`);
    checkId(body, id);
    const written = await this.#writeUser(workspaceId, id, origin, async (tx, current) => {
      const [previous] = await this.#renderUsers(workspaceId, [current!], baseUrl, tx);
      return parseUser(body, await this.#definitions.definitions(workspaceId, tx), previous);
    });
    return (await this.#renderUsers(workspaceId, [written], baseUrl))[0]!;
  }

  /**
   * Applies SCIM patch operations to a user (PATCH /Users/:id), to the user as it is stored once
   * locked: two PATCHes at once apply one after the other, neither undoes the other's.
   */
  async patchUser({ workspaceId, origin, baseUrl }: ScimCall, id: string, body: unknown): Promise<Resource> {
    const ops = patchOperations(body, 'User');
    if (!(await this.#users.find(workspaceId, id))) throw notFoundError(`User ${id.slice(0, 80)} not found`);
    const written = await this.#writeUser(workspaceId, id, origin, async (tx, current) => {
      const definitions = await this.#definitions.definitions(workspaceId, tx);
      const [rendered] = await this.#renderUsers(workspaceId, [current!], baseUrl, tx);
      const { meta: _meta, ...resource } = rendered!;
      const patched = keepOnePrimary(resource, applyPatch(resource, ops));
      checkId(patched, id);
      return parseUser(patched, definitions, resource);
    });
    return (await this.#renderUsers(workspaceId, [written], baseUrl))[0]!;
  }

  /** Deletes a user (DELETE /Users/:id); 404 when there is none. */
  async deleteUser({ workspaceId, origin }: ScimCall, id: string): Promise<void> {
    try {
      await this.#users.deleteUsers(workspaceId, [id], origin);
    } catch (err) {
      throw toScimError(err).scimType === 'invalidValue'
        ? notFoundError(`User ${id.slice(0, 80)} not found`)
        : toScimError(err);
    }
  }

  /** One SCIM write of a user, `next` computing it inside the write's transaction (see writeScimUser). */
  async #writeUser(
    workspaceId: string,
    userId: string | null,
    origin: AuditOrigin,
    next: (tx: Executor, current: UserRow | null) => Promise<UserWrite>,
  ): Promise<UserRow> {
    let write: UserWrite | undefined;
    try {
      return await this.#users.writeScimUser(
        workspaceId,
        {
          userId,
          next: async (tx, current) => {
            write = await next(tx, current);
            return write;
          },
        },
        origin,
        (tx, user) =>
          q.saveScimUser(tx, {
            userId: user.id,
            workspaceId,
            externalId: write!.externalId,
            resource: write!.stored,
            at: this.#clock.now(),
          }),
      );
    } catch (err) {
      if (isUniqueViolation(err, 'users_workspace_email_unique'))
        throw new ScimError(409, 'uniqueness', 'A user with this userName already exists');
      throw toScimError(err);
    }
  }

  /** `db`: the write's transaction, when a PATCH renders the user it patches. */
  async #renderUsers(
    workspaceId: string,
    users: readonly UserRow[],
    baseUrl: string,
    db: Executor = this.#db,
  ): Promise<Resource[]> {
    const ids = users.map((u) => u.id);
    const [attributes, scim, definitions] = await Promise.all([
      this.#users.storedAttributes(ids, db),
      q.scimUsers(db, workspaceId, ids),
      this.#definitions.definitions(workspaceId, db),
    ]);
    return users.map((u) => {
      const row = scim.get(u.id);
      return renderUser(
        {
          id: u.id,
          email: u.email,
          status: u.status,
          createdAt: u.created_at,
          updatedAt: u.updated_at,
          attributes: attributes.get(u.id) ?? [],
          externalId: row?.external_id ?? null,
          stored: row?.resource ?? {},
        },
        baseUrl,
        definitions,
      );
    });
  }

  // Groups

  /** One group as a SCIM resource, its members left out when `withMembers` is false. */
  async getGroup({ workspaceId, baseUrl }: ScimRead, id: string, withMembers = true): Promise<Resource> {
    const group = await this.#groups.find(workspaceId, id);
    if (!group) throw notFoundError(`Group ${id.slice(0, 80)} not found`);
    return (await this.#renderGroups(workspaceId, [group], baseUrl, { withMembers }))[0]!;
  }

  /** A page of groups matching the filter (RFC 7644 §3.4.2). */
  async listGroups(
    { workspaceId, baseUrl }: ScimRead,
    query: ListQuery,
    withMembers = true,
  ): Promise<Resource> {
    const filter = query.filter === null ? null : parseFilter(query.filter, GROUP_FILTER_SCHEMA);
    const groups = await this.#groups.list(workspaceId);
    // Members are needed to filter on them, whatever the response shows.
    const resources = await this.#renderGroups(workspaceId, groups, baseUrl);
    const matching = filterResources(resources, filter, GROUP_FILTER_SCHEMA);
    return page(withMembers ? matching : matching.map(({ members: _m, ...g }) => g), query);
  }

  /** Creates a group from a SCIM body (POST /Groups). */
  async createGroup({ workspaceId, origin, baseUrl }: ScimCall, body: unknown): Promise<Resource> {
    const write = parseGroup(body);
    const group = await this.#writeGroup(workspaceId, null, origin, async () => write);
    return (await this.#renderGroups(workspaceId, [group], baseUrl))[0]!;
  }

  /** Replaces a group and its members with a SCIM body (PUT /Groups/:id). */
  async replaceGroup(
    { workspaceId, origin, baseUrl }: ScimCall,
    id: string,
    body: unknown,
  ): Promise<Resource> {
    if (!(await this.#groups.find(workspaceId, id)))
      throw notFoundError(`Group ${id.slice(0, 80)} not found`);
    checkId(body, id);
    const write = parseGroup(body);
    const group = await this.#writeGroup(workspaceId, id, origin, async () => write);
    return (await this.#renderGroups(workspaceId, [group], baseUrl))[0]!;
  }

  /**
   * Applies SCIM patch operations to a group (PATCH /Groups/:id), to its members as they are once
   * the group is locked: concurrent member adds and removes all land.
   */
  async patchGroup({ workspaceId, origin, baseUrl }: ScimCall, id: string, body: unknown): Promise<Resource> {
    const ops = patchOperations(body, 'Group').map(memberValuesOnly);
    if (!(await this.#groups.find(workspaceId, id)))
      throw notFoundError(`Group ${id.slice(0, 80)} not found`);
    const written = await this.#writeGroup(workspaceId, id, origin, async (tx, group) => {
      const [rendered] = await this.#renderGroups(workspaceId, [group!], baseUrl, { db: tx });
      const { meta: _meta, members, ...rest } = rendered!;
      // Members as bare `{value}` objects, so that a remove by value matches whatever else they show.
      const current = { ...rest, members: (members as { value: string }[]).map((m) => ({ value: m.value })) };
      const patched = applyPatch(current, ops);
      checkId(patched, id);
      return parseGroup(patched);
    });
    return (await this.#renderGroups(workspaceId, [written], baseUrl))[0]!;
  }

  /** Deletes a group (DELETE /Groups/:id). */
  async deleteGroup({ workspaceId, origin }: ScimCall, id: string): Promise<void> {
    try {
      await this.#groups.delete(workspaceId, id, origin);
    } catch (err) {
      throw toScimError(err);
    }
  }

  /** One SCIM write of a group, `next` computing it inside the write's transaction (see writeScimGroup). */
  async #writeGroup(
    workspaceId: string,
    groupId: string | null,
    origin: AuditOrigin,
    next: (tx: Executor, current: GroupView | null) => Promise<GroupWrite>,
  ): Promise<GroupView> {
    let write: GroupWrite | undefined;
    try {
      return await this.#groups.writeScimGroup(
        workspaceId,
        {
          groupId,
          newGroupId: newId('grp'),
          next: async (tx, current) => {
            write = await next(tx, current);
            return write;
          },
        },
        origin,
        (tx, group) =>
          q.saveScimGroup(tx, {
            groupId: group.id,
            workspaceId,
            externalId: write!.externalId,
            at: this.#clock.now(),
          }),
      );
    } catch (err) {
      throw toScimError(err);
    }
  }

  async #renderGroups(
    workspaceId: string,
    groups: readonly GroupView[],
    baseUrl: string,
    { withMembers = true, db = this.#db }: { withMembers?: boolean; db?: Executor } = {},
  ): Promise<Resource[]> {
    const ids = groups.map((g) => g.id);
    const [members, scim] = await Promise.all([
      this.#groups.memberIds(ids, db),
      q.scimGroups(db, workspaceId, ids),
    ]);
    const users = await this.#users.findMany(workspaceId, [...new Set([...members.values()].flat())], db);
    return groups.map((g) => {
      const row = scim.get(g.id);
      return renderGroup(
        {
          id: g.id,
          name: g.name,
          createdAt: g.createdAt,
          updatedAt: row?.updated_at ?? g.createdAt,
          externalId: row?.external_id ?? null,
          members: (members.get(g.id) ?? []).flatMap((id) => {
            const u = users.get(id);
            return u ? [{ id, email: u.email }] : [];
          }),
        },
        baseUrl,
        withMembers,
      );
    });
  }
}

function filterResources(
  resources: Resource[],
  filter: CheckedFilter | null,
  schema: typeof USER_FILTER_SCHEMA,
): Resource[] {
  return filter === null ? resources : resources.filter((r) => matches(filter, r, schema));
}

/** RFC 7644 §3.4.2.4: 1-based startIndex, count clamped to MAX_COUNT (0 = totals only). */
function page(resources: Resource[], query: ListQuery): Resource {
  const start = Math.max(1, query.startIndex);
  const count = Math.min(Math.max(0, query.count), MAX_COUNT);
  const slice = resources.slice(start - 1, start - 1 + count);
  return {
    schemas: [LIST_SCHEMA],
    totalResults: resources.length,
    startIndex: start,
    itemsPerPage: slice.length,
    Resources: slice,
  };
}

/** A body's `id` must be the resource's own (RFC 7643 §3.1: id is readOnly). */
function checkId(body: unknown, id: string): void {
  if (body !== null && typeof body === 'object' && 'id' in body) {
    const given = (body as { id: unknown }).id;
    if (given !== undefined && given !== id) throw new ScimError(400, 'mutability', 'id is read-only');
  }
}

/** Group member values are ids: `{value, display}` from Okta or `{value}` from Entra mean the same member. */
function memberValuesOnly(op: PatchOperation): PatchOperation {
  const bare = (v: unknown) =>
    Array.isArray(v)
      ? v.map((m) =>
          m && typeof m === 'object' && 'value' in m ? { value: (m as { value: unknown }).value } : m,
        )
      : v;
  if (op.path?.startsWith('members') && !op.path.includes('.')) return { ...op, value: bare(op.value) };
  if (op.path === undefined && op.value && typeof op.value === 'object' && 'members' in op.value)
    return {
      ...op,
      value: { ...(op.value as object), members: bare((op.value as { members: unknown }).members) },
    };
  return op;
}

/**
 * Applies the operations in order. A `remove` whose target is not there (an absent attribute, a
 * `[…]` filter that matches nothing, on an absent list too) changes nothing and succeeds: the
 * state the identity provider asks for already holds, and both Okta and Entra retry a refused
 * removal rather than skip it (docs/scim.md "PATCH").
 */
function applyPatch(resource: Resource, ops: PatchOperation[]): Resource {
  let patched = resource;
  for (const op of ops) {
    try {
      patched = scimPatch(patched as never, [op] as never, {
        mutateDocument: false,
        treatMissingAsAdd: true,
      }) as Resource;
    } catch (err) {
      if (
        op.op === 'remove' &&
        (err instanceof FilterOnEmptyArray || err instanceof FilterArrayTargetNotFound)
      )
        continue;
      throw patchError(err);
    }
  }
  return patched;
}

function patchError(err: unknown): ScimError {
  const scimType = (err as { scimCode?: string }).scimCode;
  const message = err instanceof Error ? err.message.slice(0, 300) : 'The patch cannot be applied';
  if (scimType === 'noTarget') return new ScimError(400, 'noTarget', message);
  if (err instanceof Error && /path|filter|query/i.test(err.message))
    return new ScimError(400, 'invalidPath', message);
  return new ScimError(400, 'invalidValue', message);
}
