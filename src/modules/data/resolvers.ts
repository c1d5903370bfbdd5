import { forbidden, unauthenticated } from '../../errors.ts';
import type { RequestContext, ResolverMap } from '../../graphql/context.ts';
import { isoRequired } from '../../graphql/format.ts';
import { withStatus } from '../../graphql/status.ts';
import { requirePermission, targetWorkspace } from '../auth/guards.ts';
import type { Principal } from '../auth/principal.ts';
import type { WorkspaceView } from '../workspaces/service.ts';
import type { ConnectionInput } from './connections/service.ts';
import type { ConnectionView } from './connections/types.ts';
import type { DomainView } from './domains/queries.ts';
import type { DomainInput, TableRefInput } from './domains/service.ts';
import type { StoredColumnPolicy } from './policies/queries.ts';
import type { ColumnPolicyInput } from './policies/service.ts';
import { readDataSettings, updateDataSettings } from './policies/settings.ts';

type Args<T> = { input: T };

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
export function adminResolvers(): ResolverMap {
  return {
    DataConnection: {
      creationTimestamp: (c: ConnectionView) => isoRequired(c.createdAt),
      updatedTimestamp: (c: ConnectionView) => isoRequired(c.updatedAt),
    },
    DataDomain: {
      connection: (d: DomainView, _: unknown, ctx: RequestContext) =>
        d.connectionId ? ctx.services.data.connections.find(d.workspaceId, d.connectionId) : null,
      // Shown to whoever may read the domain, as its row policies are.
      columnPolicies: (d: DomainView, _: unknown, ctx: RequestContext) =>
        ctx.services.data.policies.columnPolicies(d.workspaceId, d),
    },
    ColumnPolicy: {
      table: (p: StoredColumnPolicy) => ({ schema: p.schema, name: p.table }),
      updatedTimestamp: (p: StoredColumnPolicy) => isoRequired(p.updatedAt),
    },
    Workspace: {
      rowPoliciesApplyToAdmins: async (w: WorkspaceView, _: unknown, ctx: RequestContext) =>
        (await readDataSettings(ctx.services.db, w.id)).rowPoliciesApplyToAdmins,
      requireRowPolicies: async (w: WorkspaceView, _: unknown, ctx: RequestContext) =>
        (await readDataSettings(ctx.services.db, w.id)).requireRowPolicies,
    },
    Query: {
      connections: (_: unknown, args: { workspaceId?: string | null }, ctx: RequestContext) =>
        ctx.services.data.connections.list(targetWorkspace(admin(ctx), args.workspaceId)),
      connection: (_: unknown, args: { id: string }, ctx: RequestContext) =>
        ctx.services.data.connections.find(admin(ctx).workspaceId, args.id),
      discoverTables: (_: unknown, args: { connectionId: string }, ctx: RequestContext) =>
        ctx.services.data.connections.discover(admin(ctx).workspaceId, args.connectionId),
      checkConnection: async (_: unknown, args: { connectionId: string }, ctx: RequestContext) => {
        const ws = admin(ctx).workspaceId;
        const tables = (await ctx.services.data.domains.list(ws))
          .filter((d) => d.connectionId === args.connectionId)
          .flatMap((d) => d.tables);
        return ctx.services.data.connections.checkPrivileges(ws, args.connectionId, tables);
      },
      domains: (_: unknown, args: { workspaceId?: string | null }, ctx: RequestContext) =>
        ctx.services.data.domains.list(targetWorkspace(domainReader(ctx.principal), args.workspaceId)),
      domain: (_: unknown, args: { id: string }, ctx: RequestContext) =>
        ctx.services.data.domains.find(domainReader(ctx.principal).workspaceId, args.id),
      unprotectedTables: (_: unknown, args: { domainId: string }, ctx: RequestContext) =>
        ctx.services.data.policies.unprotectedTables(admin(ctx).workspaceId, args.domainId),
    },
    Mutation: {
      createConnection: (
        _: unknown,
        { input }: Args<ConnectionInput & { workspaceId?: string | null }>,
        ctx: RequestContext,
      ) => {
        const ws = targetWorkspace(admin(ctx), input.workspaceId);
        return withStatus('Connection created', { connection: null }, async () => ({
          connection: await ctx.services.data.connections.create(ws, input, ctx.origin),
        }));
      },
      updateConnection: (
        _: unknown,
        { input }: Args<ConnectionInput & { id: string }>,
        ctx: RequestContext,
      ) => {
        const ws = admin(ctx).workspaceId;
        const { id, ...changes } = input;
        return withStatus('Connection updated', { connection: null }, async () => ({
          connection: await ctx.services.data.connections.update(ws, id, changes, ctx.origin),
        }));
      },
      deleteConnection: (_: unknown, { input }: Args<{ id: string }>, ctx: RequestContext) => {
        const ws = admin(ctx).workspaceId;
        return withStatus('Connection deleted', {}, async () => {
          await ctx.services.data.connections.delete(ws, input.id, ctx.origin);
          return {};
        });
      },
      testConnection: (
        _: unknown,
        args: { id: string; attributes?: { key: string; value: string }[] | null },
        ctx: RequestContext,
      ) =>
        ctx.services.data.connections.test(
          admin(ctx).workspaceId,
          args.id,
          args.attributes ? new Map(args.attributes.map((a) => [a.key, a.value])) : null,
        ),
      createDomain: (
        _: unknown,
        { input }: Args<DomainInput & { workspaceId?: string | null }>,
        ctx: RequestContext,
      ) => {
        const ws = targetWorkspace(admin(ctx), input.workspaceId);
        return withStatus('Domain created', { domain: null }, async () => ({
          domain: await ctx.services.data.domains.create(ws, input, ctx.origin),
        }));
      },
      updateDomain: (_: unknown, { input }: Args<DomainInput & { id: string }>, ctx: RequestContext) => {
        const ws = admin(ctx).workspaceId;
        const { id, ...changes } = input;
        return withStatus('Domain updated', { domain: null }, async () => ({
          domain: await ctx.services.data.domains.update(ws, id, changes, ctx.origin),
        }));
      },
      deleteDomain: (_: unknown, { input }: Args<{ id: string }>, ctx: RequestContext) => {
        const ws = admin(ctx).workspaceId;
        return withStatus('Domain deleted', {}, async () => {
          await ctx.services.data.domains.delete(ws, input.id, ctx.origin);
          return {};
        });
      },
      setRowPolicy: (
        _: unknown,
        { input }: Args<{ domainId: string; table: TableRefInput; policy: string }>,
        ctx: RequestContext,
      ) => {
        const ws = admin(ctx).workspaceId;
        return withStatus('Row policy set', { table: null }, async () => ({
          table: await ctx.services.data.policies.set(
            ws,
            input.domainId,
            input.table,
            input.policy,
            ctx.origin,
          ),
        }));
      },
      removeRowPolicy: (
        _: unknown,
        { input }: Args<{ domainId: string; table: TableRefInput }>,
        ctx: RequestContext,
      ) => {
        const ws = admin(ctx).workspaceId;
        return withStatus('Row policy removed', { table: null }, async () => ({
          table: await ctx.services.data.policies.remove(ws, input.domainId, input.table, ctx.origin),
        }));
      },
      setColumnPolicy: (
        _: unknown,
        { input }: Args<ColumnPolicyInput & { domainId: string; table: TableRefInput }>,
        ctx: RequestContext,
      ) => {
        const ws = admin(ctx).workspaceId;
        const { domainId, table, ...policy } = input;
        return withStatus('Column policy set', { columnPolicy: null }, async () => ({
          columnPolicy: await ctx.services.data.policies.setColumn(ws, domainId, table, policy, ctx.origin),
        }));
      },
      deleteColumnPolicy: (
        _: unknown,
        { input }: Args<{ domainId: string; table: TableRefInput; column: string }>,
        ctx: RequestContext,
      ) => {
        const ws = admin(ctx).workspaceId;
        return withStatus('Column policy deleted', { columnPolicy: null }, async () => {
          await ctx.services.data.policies.removeColumn(
            ws,
            input.domainId,
            input.table,
            input.column,
            ctx.origin,
          );
          return { columnPolicy: null };
        });
      },
      updateWorkspaceDataSettings: (
        _: unknown,
        {
          input,
        }: Args<{
          workspaceId?: string | null;
          rowPoliciesApplyToAdmins?: boolean | null;
          requireRowPolicies?: boolean | null;
        }>,
        ctx: RequestContext,
      ) => {
        const ws = targetWorkspace(admin(ctx), input.workspaceId);
        return withStatus('Workspace data settings updated', { workspace: null }, async () => {
          const workspace = await ctx.services.workspaces.get(ws);
          await updateDataSettings(ctx.services.db, ctx.clock, ws, input, ctx.origin);
          return { workspace };
        });
      },
    },
  };
}
