import type { RequestContext } from '../../graphql/context.ts';
import { defineModule } from '../../graphql/module.ts';
import { withStatus } from '../../graphql/status.ts';
import { existingWorkspace, requirePermission } from '../auth/guards.ts';
import type { SettingsInput } from './service.ts';
import type { IssuerInput } from './validation.ts';

/** The workspace an SSO operation acts on; it must exist. */
async function workspaceOf(
  ctx: RequestContext,
  permission: 'iam:read' | 'iam:write',
  requested?: string | null,
) {
  const principal = requirePermission(ctx.principal, permission);
  return existingWorkspace(ctx.services.workspaces, principal, requested);
}

/**
 * SSO configuration over GraphQL (docs/sso.md "Configuring an issuer"). Reading needs iam:read;
 * changing it needs iam:write, the permission that can already grant any role directly: role
 * claims and group mappings grant nothing more than it can.
 */
export const ssoGraphql = defineModule(new URL('./schema.graphql', import.meta.url), {
  Query: {
    ssoIssuers: async (_: unknown, args: { workspaceId?: string | null }, ctx: RequestContext) =>
      ctx.services.sso.listIssuers(await workspaceOf(ctx, 'iam:read', args.workspaceId)),
    ssoSettings: async (_: unknown, args: { workspaceId?: string | null }, ctx: RequestContext) =>
      ctx.services.sso.settings(await workspaceOf(ctx, 'iam:read', args.workspaceId)),
  },
  Mutation: {
    configureSsoIssuer: async (
      _: unknown,
      args: { input: IssuerInput & { workspaceId?: string | null } },
      ctx: RequestContext,
    ) => {
      const workspaceId = await workspaceOf(ctx, 'iam:write', args.input.workspaceId);
      return withStatus('SSO issuer saved', { issuer: null }, async () => ({
        issuer: await ctx.services.sso.configureIssuer(workspaceId, args.input, ctx.origin),
      }));
    },
    deleteSsoIssuer: async (
      _: unknown,
      args: { input: { id: string; workspaceId?: string | null } },
      ctx: RequestContext,
    ) => {
      const workspaceId = await workspaceOf(ctx, 'iam:write', args.input.workspaceId);
      return withStatus('SSO issuer deleted', {}, async () => {
        await ctx.services.sso.deleteIssuer(workspaceId, args.input.id, ctx.origin);
        return {};
      });
    },
    setSsoSettings: async (
      _: unknown,
      args: { input: SettingsInput & { workspaceId?: string | null } },
      ctx: RequestContext,
    ) => {
      const workspaceId = await workspaceOf(ctx, 'iam:write', args.input.workspaceId);
      return withStatus('SSO settings saved', { settings: null }, async () => ({
        settings: await ctx.services.sso.setSettings(workspaceId, args.input, ctx.origin),
      }));
    },
  },
});
