import { AppError, unauthenticated } from '../../errors.ts';
import type { ModuleResolvers, RequestContext } from '../../graphql/context.ts';
import { iso, isoRequired } from '../../graphql/format.ts';
import type { PageInfo } from '../../graphql/generated/resolvers.ts';
import { defineModule } from '../../graphql/module.ts';
import { withStatus } from '../../graphql/status.ts';
import { existingWorkspace, requirePermission, targetWorkspace } from '../auth/guards.ts';
import type { Principal } from '../auth/principal.ts';
import type { GroupView } from '../groups/service.ts';
import { encodeCursor } from './cursor.ts';
import { listingParts, prefetchUserFields, selectsField } from './prefetch.ts';
import type { UserPage } from './queries/search.ts';
import type { UserRow } from './queries/users.ts';

/** The workspace a user-id argument is looked up in: the credential's, or any for site:admin (BOLA). */
async function userWorkspace(ctx: RequestContext, principal: Principal, userId: string): Promise<string> {
  if (principal.kind !== 'session' && principal.permissions.has('site:admin')) {
    const row = await ctx.loaders.users.load(userId);
    if (row) return row.workspace_id;
  }
  return principal.workspaceId;
}

/**
 * docs/api-contract.md §3: the compat mutations report a workspace that does not exist as status
 * ERROR "Workspace not found", naming the argument (createUsers' `workspaceID`, with its capital).
 */
function workspaceNotFound(field: string, workspaceId: string): AppError {
  return new AppError('BAD_USER_INPUT', 'Workspace not found', {
    problems: [{ code: 'NOT_FOUND', field, item: workspaceId, message: 'Workspace not found' }],
  });
}

/** What `users` returns: the page, with its total counted only when the field is asked for. */
export interface UserConnectionValue {
  readonly edges: readonly { readonly node: UserRow; readonly cursor: string }[];
  readonly pageInfo: PageInfo;
  readonly totalCount: UserPage['totalCount'];
}

const resolvers: ModuleResolvers = {
  User: {
    // These answer synchronously when a listing attached the rows (listing.ts) or a list resolver
    // prefetched them (prefetch.ts).
    name: (u, _, ctx) =>
      then(u.attributes ?? ctx.loaders.attributes.get(u.id), (attrs) => {
        const display =
          attrs.find((a) => a.key === 'display_name' && a.source === 'DATABASE') ??
          attrs.find((a) => a.key === 'display_name');
        return display?.value || u.email;
      }),
    profilePicture: (u) => u.profile_picture,
    creationTimestamp: (u) => isoRequired(u.created_at),
    lastActiveSessionTimestamp: (u) => iso(u.last_active_session_at),
    roleAssignments: (u, _, ctx) => u.roleAssignments ?? ctx.loaders.roleAssignments.get(u.id),
    userAttributes: (u, _, ctx) => u.attributes ?? ctx.loaders.attributes.get(u.id),
    isScimManaged: (u) => u.is_scim_managed,
    workspaceId: (u) => u.workspace_id,
    userGroups: (u, _, ctx) =>
      then(u.groupIds ?? ctx.loaders.groupIds.get(u.id), (ids) => {
        if (ids.length === 0) return [];
        const groups = ids.map((id) => ctx.loaders.groups.get(id));
        const known = (list: (GroupView | null)[]) => list.filter((g) => g !== null);
        return groups.some((g) => g instanceof Promise)
          ? Promise.all(groups).then(known)
          : known(groups as (GroupView | null)[]);
      }),
  },
  Query: {
    listUsers: async (_, args, ctx, info) => {
      const principal = requirePermission(ctx.principal, 'iam:read');
      const workspaceId = await existingWorkspace(ctx.services.workspaces, principal, args.workspaceId);
      const users = await ctx.services.users.listForResponse(workspaceId, listingParts(info));
      // The groups themselves are few: read once for the whole list, through the request's loader.
      await ctx.loaders.groups.prefetch(users.flatMap((u) => u.groupIds ?? []));
      return users;
    },
    users: async (_, args, ctx, info) => {
      const principal = requirePermission(ctx.principal, 'iam:read');
      const workspaceId = await existingWorkspace(ctx.services.workspaces, principal, args.workspaceId);
      const page = await ctx.services.users.search(workspaceId, args.filter, args.first ?? 50, args.after);
      await prefetchUserFields(ctx, info, { path: ['edges', 'node'], users: page.rows });
      return {
        edges: page.rows.map((node) => ({ node, cursor: encodeCursor(node.email_normalized, node.id) })),
        pageInfo: { hasNextPage: page.hasNextPage, endCursor: page.endCursor },
        totalCount: page.totalCount,
      };
    },
    user: async (_, args, ctx) => {
      const principal = requirePermission(ctx.principal, 'iam:read');
      return (await ctx.services.users.find(await userWorkspace(ctx, principal, args.id), args.id)) ?? null;
    },
    currentUser: async (_, __, ctx) => {
      const principal = ctx.principal;
      if (!principal) throw unauthenticated();
      if (principal.kind !== 'session') return null;
      return (await ctx.services.users.find(principal.workspaceId, principal.userId)) ?? null;
    },
  },
  Mutation: {
    createUsers: async (_, args, ctx, info) => {
      const principal = requirePermission(ctx.principal, 'iam:write');
      const workspaceId = targetWorkspace(principal, args.input.workspaceID);
      return withStatus('Users created successfully', { users: [], results: [] }, async () => {
        if (!(await ctx.services.workspaces.find(workspaceId)))
          throw workspaceNotFound('workspaceID', workspaceId);
        const results = await ctx.services.users.createUsers(workspaceId, args.input, ctx.origin);
        // Reading back 1,000 users costs a query and a promise each: only when `users` is asked for.
        if (!selectsField(info, 'users')) return { users: [], results };
        const rows = await Promise.all(results.map((r) => ctx.loaders.users.load(r.userId)));
        const users = rows.filter((r) => r !== null);
        await prefetchUserFields(ctx, info, { path: ['users'], users });
        return { users, results };
      });
    },
    setUserAttributes: async (_, args, ctx) => {
      const principal = requirePermission(ctx.principal, 'iam:write');
      return withStatus('User attributes updated successfully', {}, async () => {
        const ws = await userWorkspace(ctx, principal, args.input.userId);
        await ctx.services.users.setAttributes(ws, args.input.userId, args.input.userAttributes, ctx.origin);
        return {};
      });
    },
    deleteUsersFromWorkspace: async (_, args, ctx) => {
      const principal = requirePermission(ctx.principal, 'iam:write');
      const workspaceId = targetWorkspace(principal, args.input.workspaceId);
      return withStatus('Users deleted successfully', {}, async () => {
        if (!(await ctx.services.workspaces.find(workspaceId)))
          throw workspaceNotFound('workspaceId', workspaceId);
        await ctx.services.users.deleteUsers(workspaceId, args.input.userIds, ctx.origin);
        return {};
      });
    },
    setUserRoleAssignments: async (_, args, ctx) => {
      const principal = requirePermission(ctx.principal, 'iam:write');
      return withStatus('Role assignments updated successfully', {}, async () => {
        const ws = await userWorkspace(ctx, principal, args.input.userId);
        await ctx.services.users.setRoleAssignments(
          ws,
          args.input.userId,
          args.input.roleAssignments,
          ctx.origin,
        );
        return {};
      });
    },
    setUserStatus: async (_, args, ctx) => {
      const principal = requirePermission(ctx.principal, 'iam:write');
      return withStatus('User status updated successfully', {}, async () => {
        const ws = await userWorkspace(ctx, principal, args.input.userId);
        await ctx.services.users.setStatus(ws, args.input.userId, args.input.status, ctx.origin);
        return {};
      });
    },
  },
  RoleAssignment: {
    source: (a) => a.source ?? (a.inheritedFromGroupId ? 'GROUP' : 'DIRECT'),
  },
  UserConnection: {
    totalCount: (c) => c.totalCount(),
  },
};

export const usersModule = defineModule(new URL('./schema.graphql', import.meta.url), resolvers, {
  // Each only reads: the compiled executor may run them (src/graphql/compiled-reads.ts).
  readOnlyQueries: ['listUsers', 'users', 'user', 'currentUser'],
});

/** Applies `f` now to a value, or later to a promise of one. */
const then = <T, R>(value: T | Promise<T>, f: (v: T) => R): R | Promise<Awaited<R>> =>
  value instanceof Promise ? (value.then(f) as Promise<Awaited<R>>) : f(value);
