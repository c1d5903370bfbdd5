import { forbidden, unauthenticated } from '../../errors.ts';
import type { ModuleResolvers, RequestContext } from '../../graphql/context.ts';
import { isoRequired } from '../../graphql/format.ts';
import { withStatus } from '../../graphql/status.ts';
import { existingWorkspace, requirePermission, targetWorkspace, workspaceMustExist } from '../auth/guards.ts';
import type { Principal } from '../auth/principal.ts';

const admin = (ctx: RequestContext) => requirePermission(ctx.principal, 'data:admin');

/** Reading domains serves both data administrators and IAM tools that assign role scopes. */
function domainReader(principal: Principal | null) {
  if (!principal) throw unauthenticated();
  if (
    principal.kind === 'session' ||
    !(principal.permissions.has('data:admin') || principal.permissions.has('iam:read'))
  )
    throw forbidden('This operation needs the data:admin or iam:read permission');
  return principal;
}

/** Connections, domains, row policies and workspace data settings (all `data:admin`). */
export function adminResolvers(): ModuleResolvers {
  return {
    DataConnection: {
      creationTimestamp: (c) => isoRequired(c.createdAt),
      updatedTimestamp: (c) => isoRequired(c.updatedAt),
    },
    DataDomain: {
      connection: (d, _, ctx) =>
        d.connectionId ? ctx.services.data.connections.find(d.workspaceId, d.connectionId) : null,
      // Shown to whoever may read the domain, as its row policies are.
      columnPolicies: (d, _, ctx) => ctx.services.data.policies.columnPolicies(d.workspaceId, d),
    },
    ColumnPolicy: {
      table: (p) => ({ schema: p.schema, name: p.table }),
      updatedTimestamp: (p) => isoRequired(p.updatedAt),
    },
    Workspace: {
      rowPoliciesApplyToAdmins: async (w, _, ctx) =>
        (await ctx.services.data.settings.read(w.id)).rowPoliciesApplyToAdmins,
      requireRowPolicies: async (w, _, ctx) =>
        (await ctx.services.data.settings.read(w.id)).requireRowPolicies,
    },
    Query: {
      connections: async (_, args, ctx) =>
        ctx.services.data.connections.list(
          await existingWorkspace(ctx.services.workspaces, admin(ctx), args.workspaceId),
        ),
      connection: (_, args, ctx) => ctx.services.data.connections.find(admin(ctx).workspaceId, args.id),
      discoverTables: (_, args, ctx) =>
        ctx.services.data.connections.discover(admin(ctx).workspaceId, args.connectionId),
      checkConnection: async (_, args, ctx) => {
        const ws = admin(ctx).workspaceId;
        const tables = (await ctx.services.data.domains.list(ws))
          .filter((d) => d.connectionId === args.connectionId)
          .flatMap((d) => d.tables);
        return ctx.services.data.connections.checkPrivileges(ws, args.connectionId, tables);
      },
      domains: async (_, args, ctx) =>
        ctx.services.data.domains.list(
          await existingWorkspace(ctx.services.workspaces, domainReader(ctx.principal), args.workspaceId),
        ),
      domain: (_, args, ctx) =>
        ctx.services.data.domains.find(domainReader(ctx.principal).workspaceId, args.id),
      unprotectedTables: (_, args, ctx) =>
        ctx.services.data.policies.unprotectedTables(admin(ctx).workspaceId, args.domainId),
    },
    Mutation: {
      createConnection: (_, { input }, ctx) => {
        const principal = admin(ctx);
        const ws = targetWorkspace(principal, input.workspaceId);
        return withStatus('Connection created', { connection: null }, async () => {
          await workspaceMustExist(ctx.services.workspaces, principal, ws);
          return { connection: await ctx.services.data.connections.create(ws, input, ctx.origin) };
        });
      },
      updateConnection: (_, { input }, ctx) => {
        const ws = admin(ctx).workspaceId;
        const { id, ...changes } = input;
        return withStatus('Connection updated', { connection: null }, async () => ({
          connection: await ctx.services.data.connections.update(ws, id, changes, ctx.origin),
        }));
      },
      deleteConnection: (_, { input }, ctx) => {
        const ws = admin(ctx).workspaceId;
        return withStatus('Connection deleted', {}, async () => {
          await ctx.services.data.connections.delete(ws, input.id, ctx.origin);
          return {};
        });
      },
      testConnection: (_, args, ctx) =>
        ctx.services.data.connections.test(
          admin(ctx).workspaceId,
          args.id,
          args.attributes ? new Map(args.attributes.map((a) => [a.key, a.value])) : null,
        ),
      createDomain: (_, { input }, ctx) => {
        const principal = admin(ctx);
        const ws = targetWorkspace(principal, input.workspaceId);
        return withStatus('Domain created', { domain: null }, async () => {
          await workspaceMustExist(ctx.services.workspaces, principal, ws);
          return { domain: await ctx.services.data.domains.create(ws, input, ctx.origin) };
        });
      },
      updateDomain: (_, { input }, ctx) => {
        const ws = admin(ctx).workspaceId;
        const { id, ...changes } = input;
        return withStatus('Domain updated', { domain: null }, async () => ({
          domain: await ctx.services.data.domains.update(ws, id, changes, ctx.origin),
        }));
      },
      deleteDomain: (_, { input }, ctx) => {
        const ws = admin(ctx).workspaceId;
        return withStatus('Domain deleted', {}, async () => {
          await ctx.services.data.domains.delete(ws, input.id, ctx.origin);
          return {};
        });
      },
      setRowPolicy: (_, { input }, ctx) => {
        const ws = admin(ctx).workspaceId;
        return withStatus('Row policy set', { table: null }, async () => ({
          table: await ctx.services.data.policies.set(
            ws,
            { domainId: input.domainId, table: input.table, policy: input.policy },
            ctx.origin,
          ),
        }));
      },
      removeRowPolicy: (_, { input }, ctx) => {
        const ws = admin(ctx).workspaceId;
        return withStatus('Row policy removed', { table: null }, async () => ({
          table: await ctx.services.data.policies.remove(ws, input.domainId, input.table, ctx.origin),
        }));
      },
      setColumnPolicy: (_, { input }, ctx) => {
        const ws = admin(ctx).workspaceId;
        const { domainId, table, ...policy } = input;
        return withStatus('Column policy set', { columnPolicy: null }, async () => ({
          columnPolicy: await ctx.services.data.policies.setColumn(
            ws,
            { domainId, table, policy },
            ctx.origin,
          ),
        }));
      },
      deleteColumnPolicy: (_, { input }, ctx) => {
        const ws = admin(ctx).workspaceId;
        return withStatus('Column policy deleted', { columnPolicy: null }, async () => {
          const { domainId, table, column } = input;
          await ctx.services.data.policies.removeColumn(ws, { domainId, table, column }, ctx.origin);
          return { columnPolicy: null };
        });
      },
      updateWorkspaceDataSettings: (_, { input }, ctx) => {
        const ws = targetWorkspace(admin(ctx), input.workspaceId);
        return withStatus('Workspace data settings updated', { workspace: null }, async () => {
          const workspace = await ctx.services.workspaces.get(ws);
          await ctx.services.data.settings.update(ws, input, ctx.origin);
          return { workspace };
        });
      },
    },
  };
}
