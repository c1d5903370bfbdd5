import { json } from '../../http/router.ts';
import { defineModule } from '../../kernel/module.ts';
import { sessionsModule as sessionsGraphql } from './resolvers.ts';
import { SessionService } from './service.ts';

declare module '../../kernel/services.ts' {
  interface Services {
    /** Embedded sessions: signing keys, impersonation, API tokens, embed origins (docs/sessions.md). */
    readonly sessions: SessionService;
  }
}

/**
 * Embedded sessions (tables `signing_keys`, `auth_failure_counters`): impersonation and API
 * tokens over GraphQL, the JWKS endpoint, and the verifier for Tessera's JWTs, which it provides
 * as `jwtVerifier` for the authenticator.
 */
export const sessionsModule = defineModule({
  name: 'sessions',
  needs: ['accessKeys', 'workspaces'],
  // Impersonation checks transient attributes against the workspace's definitions and the user's
  // stored values (docs/attribute-definitions.md "Transient overrides"), once every module is built.
  uses: ['attributeDefinitions', 'users'],
  provides: ['sessions', 'jwtVerifier'],
  create: (services) => {
    const { config, db, clock, secrets, accessKeys } = services;
    const sessions = new SessionService({
      config,
      db,
      clock,
      secrets,
      accessKeys,
      checkTransientAttributes: ({ workspaceId, userId, transient, definitions }) =>
        services.attributeDefinitions.checkTransient({
          workspaceId,
          transient,
          definitions,
          stored: async () => (await services.users.storedAttributes([userId])).get(userId) ?? [],
        }),
    });
    return { sessions, jwtVerifier: sessions.verifier };
  },
  graphql: sessionsGraphql(),
  routes(router, { sessions }) {
    router.add('GET', '/.well-known/jwks.json', async () =>
      json(await sessions.jwks(), 200, {
        // Short: a rotated-in key signs at once, so outside verifiers must see it soon.
        'cache-control': 'public, max-age=60, must-revalidate',
        'access-control-allow-origin': '*',
      }),
    );
  },
  async start({ sessions }) {
    await sessions.start();
  },
  async stop({ sessions }) {
    await sessions.close();
  },
});
