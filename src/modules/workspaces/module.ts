import { defineModule } from '../../kernel/module.ts';
import { workspacesModule as workspacesGraphql } from './resolvers.ts';
import { WorkspaceService } from './service.ts';

declare module '../../kernel/services.ts' {
  interface Services {
    readonly workspaces: WorkspaceService;
  }
}

/** Workspaces (table `workspaces`): the tenant every other record belongs to. */
export const workspacesModule = defineModule({
  name: 'workspaces',
  needs: [],
  provides: ['workspaces'],
  create: ({ db, clock }) => ({ workspaces: new WorkspaceService(db, clock) }),
  graphql: workspacesGraphql(),
  // The default workspace exists before anything serves (safe when several instances race).
  async start({ workspaces }) {
    await workspaces.ensureDefault();
  },
});
