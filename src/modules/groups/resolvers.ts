import { isoRequired } from '../../graphql/format.ts';
import { defineModule } from '../../graphql/module.ts';
import { withStatus } from '../../graphql/status.ts';
import { existingWorkspace, requirePermission, targetWorkspace, workspaceMustExist } from '../auth/guards.ts';

export const groupsModule = defineModule(new URL('./schema.graphql', import.meta.url), {
  UserGroup: {
    roleAssignments: async (g, _, ctx) =>
      (await ctx.loaders.groupAssignments.load(g.id)).map((a) => ({ ...a, inheritedFromGroupId: null })),
    members: async (g, _, ctx) => {
      const ids = await ctx.loaders.groupMembers.load(g.id);
      return (await Promise.all(ids.map((id) => ctx.loaders.users.load(id)))).filter((u) => u !== null);
    },
    creationTimestamp: (g) => isoRequired(g.createdAt),
  },
  Query: {
    userGroups: async (_, args, ctx) => {
      const principal = requirePermission(ctx.principal, 'iam:read');
      return ctx.services.groups.list(
        await existingWorkspace(ctx.services.workspaces, principal, args.workspaceId),
      );
    },
    userGroup: (_, args, ctx) => {
      const principal = requirePermission(ctx.principal, 'iam:read');
      return ctx.services.groups.find(principal.workspaceId, args.id);
    },
  },
  Mutation: {
    createUserGroup: (_, args, ctx) => {
      const principal = requirePermission(ctx.principal, 'iam:write');
      const ws = targetWorkspace(principal, args.input.workspaceId);
      return withStatus('Group created successfully', { userGroup: null }, async () => {
        await workspaceMustExist(ctx.services.workspaces, principal, ws);
        return { userGroup: await ctx.services.groups.create(ws, args.input, ctx.origin) };
      });
    },
    updateUserGroup: (_, args, ctx) => {
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
    deleteUserGroup: (_, args, ctx) => {
      const principal = requirePermission(ctx.principal, 'iam:write');
      return withStatus('Group deleted successfully', {}, async () => {
        await ctx.services.groups.delete(principal.workspaceId, args.input.id, ctx.origin);
        return {};
      });
    },
    addUsersToGroup: (_, args, ctx) => {
      const principal = requirePermission(ctx.principal, 'iam:write');
      return withStatus('Users added to group', {}, async () => {
        await ctx.services.groups.changeMembers(
          principal.workspaceId,
          { groupId: args.input.groupId, userIds: args.input.userIds, change: 'add' },
          ctx.origin,
        );
        return {};
      });
    },
    removeUsersFromGroup: (_, args, ctx) => {
      const principal = requirePermission(ctx.principal, 'iam:write');
      return withStatus('Users removed from group', {}, async () => {
        await ctx.services.groups.changeMembers(
          principal.workspaceId,
          { groupId: args.input.groupId, userIds: args.input.userIds, change: 'remove' },
          ctx.origin,
        );
        return {};
      });
    },
  },
});
