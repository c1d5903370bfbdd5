import { unauthenticated } from '../../errors.ts';
import type { RequestContext } from '../../graphql/context.ts';
import { isoRequired } from '../../graphql/format.ts';
import { defineModule } from '../../graphql/module.ts';
import { withStatus } from '../../graphql/status.ts';
import { requirePermission, targetWorkspace } from '../auth/guards.ts';
import type { WorkspaceView } from './service.ts';

export const workspacesModule = defineModule(new URL('./schema.graphql', import.meta.url), {
  Workspace: {
    creationTimestamp: (w: WorkspaceView) => isoRequired(w.createdAt),
  },
  Query: {
    workspaces: (_: unknown, __: unknown, ctx: RequestContext) => {
      requirePermission(ctx.principal, 'site:admin');
      return ctx.services.workspaces.list();
    },
    workspace: (_: unknown, args: { id?: string | null }, ctx: RequestContext) => {
      if (!ctx.principal) throw unauthenticated();
      return ctx.services.workspaces.find(targetWorkspace(ctx.principal, args.id));
    },
  },
  Mutation: {
    createWorkspace: (_: unknown, args: { input: { name: string } }, ctx: RequestContext) => {
      requirePermission(ctx.principal, 'site:admin');
      return withStatus('Workspace created', { workspace: null }, async () => ({
        workspace: await ctx.services.workspaces.create(args.input.name, ctx.origin),
      }));
    },
  },
});
