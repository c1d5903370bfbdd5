import { defineModule } from '../../kernel/module.ts';
import { ssoGraphql } from './resolvers.ts';
import { ssoRoutes } from './routes.ts';
import { SsoService } from './service.ts';

declare module '../../kernel/services.ts' {
  interface Services {
    /** OIDC sign-in per workspace: issuers, claim mapping, JIT provisioning (docs/sso.md). */
    readonly sso: SsoService;
  }
}

/** OIDC sign-in: issuer configuration over GraphQL, and the login and callback routes. */
export const ssoModule = defineModule({
  name: 'sso',
  needs: ['users', 'groups', 'workspaces', 'domains', 'webSessions'],
  provides: ['sso'],
  create: (s) => ({
    sso: new SsoService({
      db: s.db,
      clock: s.clock,
      secrets: s.secrets,
      users: s.users,
      groups: s.groups,
      // Read at each use: the data plane replaces the built-in catalog when it starts.
      domains: () => s.domains,
      webSessions: s.webSessions,
      publicUrl: s.config.publicUrl,
    }),
  }),
  graphql: ssoGraphql(),
  routes: ssoRoutes,
});
