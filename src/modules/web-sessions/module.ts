import { defineModule } from '../../kernel/module.ts';
import { webSessionsGraphql } from './resolvers.ts';
import { webSessionRoutes } from './routes.ts';
import { SIGN_IN_LINK_LIMITS, WebSessionService } from './service.ts';

declare module '../../kernel/services.ts' {
  interface Services {
    /** Browser sessions after a sign-in, and email sign-in links (docs/sso.md "Web sessions"). */
    readonly webSessions: WebSessionService;
  }
}

/**
 * Web sessions: the session cookie the Authenticator accepts, logout, and email sign-in links
 * (the welcome email carries one).
 */
export const webSessionsModule = defineModule({
  name: 'web-sessions',
  needs: ['users', 'workspaces', 'authenticator'],
  provides: ['webSessions'],
  create: (s) => ({
    webSessions: new WebSessionService({
      db: s.db,
      clock: s.clock,
      users: s.users,
      workspaces: s.workspaces,
      publicUrl: s.config.publicUrl,
    }),
  }),
  graphql: webSessionsGraphql(),
  routes: webSessionRoutes,
  async start(s) {
    s.authenticator.useCookieVerifier(s.webSessions);
    s.users.useWelcomeLinks((tx, user) =>
      s.webSessions.issueSignInLink(tx, user, SIGN_IN_LINK_LIMITS.welcomeTtlSeconds),
    );
  },
});
