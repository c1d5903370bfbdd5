import type { RequestContext } from '../../graphql/context.ts';
import { isoRequired } from '../../graphql/format.ts';
import { defineModule } from '../../graphql/module.ts';
import { withStatus } from '../../graphql/status.ts';
import { existingWorkspace, requirePermission, targetWorkspace, workspaceMustExist } from '../auth/guards.ts';
import type { AttributeDefinitionView, DefineAttributeInput } from './service.ts';

export const attributeDefinitionsGraphql = defineModule(new URL('./schema.graphql', import.meta.url), {
  AttributeDefinition: {
    creationTimestamp: (d: AttributeDefinitionView) => isoRequired(d.createdAt),
    updateTimestamp: (d: AttributeDefinitionView) => isoRequired(d.updatedAt),
  },
  Query: {
    attributeDefinitions: async (_: unknown, args: { workspaceId?: string | null }, ctx: RequestContext) => {
      const principal = requirePermission(ctx.principal, 'iam:read');
      return ctx.services.attributeDefinitions.list(
        await existingWorkspace(ctx.services.workspaces, principal, args.workspaceId),
      );
    },
  },
  Mutation: {
    defineAttribute: (
      _: unknown,
      args: { input: DefineAttributeInput & { workspaceId?: string | null } },
      ctx: RequestContext,
    ) => {
      const principal = requirePermission(ctx.principal, 'iam:write');
      const workspaceId = targetWorkspace(principal, args.input.workspaceId);
      return withStatus('Attribute defined', { attributeDefinition: null }, async () => {
        await workspaceMustExist(ctx.services.workspaces, principal, workspaceId);
        return {
          attributeDefinition: await ctx.services.attributeDefinitions.define(
            workspaceId,
            args.input,
            ctx.origin,
          ),
        };
      });
    },
    deleteAttributeDefinition: (
      _: unknown,
      args: { input: { workspaceId?: string | null; key: string } },
      ctx: RequestContext,
    ) => {
      const principal = requirePermission(ctx.principal, 'iam:write');
      const workspaceId = targetWorkspace(principal, args.input.workspaceId);
      return withStatus('Attribute definition deleted', {}, async () => {
        await workspaceMustExist(ctx.services.workspaces, principal, workspaceId);
        await ctx.services.attributeDefinitions.delete(workspaceId, args.input.key, ctx.origin);
        return {};
      });
    },
  },
});
