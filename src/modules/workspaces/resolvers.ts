import { unauthenticated } from '../../errors.ts';
import { isoRequired } from '../../graphql/format.ts';
import { defineModule } from '../../graphql/module.ts';
import { withStatus } from '../../graphql/status.ts';
import { requirePermission, targetWorkspace } from '../auth/guards.ts';

export const workspacesModule = defineModule(new URL('./schema.graphql', import.meta.url), {
  Workspace: {
    creationTimestamp: (w) => isoRequired(w.createdAt),
  },
  Query: {
    workspaces: (_, __, ctx) => {
      requirePermission(ctx.principal, 'site:admin');
      return ctx.services.workspaces.list();
    },
    workspace: (_, args, ctx) => {
      if (!ctx.principal) throw unauthenticated();
      return ctx.services.workspaces.find(targetWorkspace(ctx.principal, args.id));
    },
  },
  Mutation: {
    createWorkspace: (_, args, ctx) => {
      requirePermission(ctx.principal, 'site:admin');
      return withStatus('Workspace created', { workspace: null }, async () => ({
        workspace: await ctx.services.workspaces.create(args.input.name, ctx.origin),
      }));
    },
  },
});
