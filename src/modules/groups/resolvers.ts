import type { RequestContext } from '../../graphql/context.ts';
import { isoRequired } from '../../graphql/format.ts';
import { defineModule } from '../../graphql/module.ts';
import { withStatus } from '../../graphql/status.ts';
import { requirePermission, targetWorkspace } from '../auth/guards.ts';
import type { RoleAssignmentInput } from '../roles/validation.ts';
import type { GroupView } from './service.ts';

interface GroupArgs {
  workspaceId?: string | null;
  name?: string | null;
  description?: string | null;
  roleAssignments?: RoleAssignmentInput[] | null;
}

export const groupsModule = defineModule(new URL('./schema.graphql', import.meta.url), {
  UserGroup: {
    roleAssignments: async (g: GroupView, _: unknown, ctx: RequestContext) =>
      (await ctx.loaders.groupAssignments.load(g.id)).map((a) => ({ ...a, inheritedFromGroupId: null })),
    members: async (g: GroupView, _: unknown, ctx: RequestContext) => {
      const ids = await ctx.loaders.groupMembers.load(g.id);
      return (await Promise.all(ids.map((id) => ctx.loaders.users.load(id)))).filter((u) => u !== null);
    },
    creationTimestamp: (g: GroupView) => isoRequired(g.createdAt),
  },
  Query: {
    userGroups: (_: unknown, args: { workspaceId?: string | null }, ctx: RequestContext) => {
      const principal = requirePermission(ctx.principal, 'iam:read');
      return ctx.services.groups.list(targetWorkspace(principal, args.workspaceId));
    },
    userGroup: (_: unknown, args: { id: string }, ctx: RequestContext) => {
      const principal = requirePermission(ctx.principal, 'iam:read');
      return ctx.services.groups.find(principal.workspaceId, args.id);
    },
  },
  Mutation: {
    createUserGroup: (_: unknown, args: { input: GroupArgs & { name: string } }, ctx: RequestContext) => {
      const principal = requirePermission(ctx.principal, 'iam:write');
      const ws = targetWorkspace(principal, args.input.workspaceId);
      return withStatus('Group created successfully', { userGroup: null }, async () => ({
        userGroup: await ctx.services.groups.create(ws, args.input, ctx.origin),
      }));
    },
    updateUserGroup: (_: unknown, args: { input: GroupArgs & { id: string } }, ctx: RequestContext) => {
      const principal = requirePermission(ctx.principal, 'iam:write');
      return withStatus('Group updated successfully', { userGroup: null }, async () => ({
        userGroup: await ctx.services.groups.update(
          principal.workspaceId,
          args.input.id,
          args.input,
          ctx.origin,
        ),
      }));
    },
    deleteUserGroup: (_: unknown, args: { input: { id: string } }, ctx: RequestContext) => {
      const principal = requirePermission(ctx.principal, 'iam:write');
      return withStatus('Group deleted successfully', {}, async () => {
        await ctx.services.groups.delete(principal.workspaceId, args.input.id, ctx.origin);
        return {};
      });
    },
    addUsersToGroup: (
      _: unknown,
      args: { input: { groupId: string; userIds: string[] } },
      ctx: RequestContext,
    ) => {
      const principal = requirePermission(ctx.principal, 'iam:write');
      return withStatus('Users added to group', {}, async () => {
        await ctx.services.groups.changeMembers(
          principal.workspaceId,
          args.input.groupId,
          args.input.userIds,
          'add',
          ctx.origin,
        );
        return {};
      });
    },
    removeUsersFromGroup: (
      _: unknown,
      args: { input: { groupId: string; userIds: string[] } },
      ctx: RequestContext,
    ) => {
      const principal = requirePermission(ctx.principal, 'iam:write');
      return withStatus('Users removed from group', {}, async () => {
        await ctx.services.groups.changeMembers(
          principal.workspaceId,
          args.input.groupId,
          args.input.userIds,
          'remove',
          ctx.origin,
        );
        return {};
      });
    },
  },
});
