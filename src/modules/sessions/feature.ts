import type { Feature } from '../../app.ts';
import { json } from '../../http/router.ts';
import { sessionsModule } from './resolvers.ts';

/**
 * Embedded sessions (issue 3): impersonation and API tokens over GraphQL, the JWKS endpoint,
 * and the verifier for Tessera's JWTs, installed into the Authenticator at start.
 */
export function sessionsFeature(): Feature {
  let stop: (() => Promise<void>) | null = null;
  return {
    name: 'sessions',
    modules: [sessionsModule()],
    routes(router, app) {
      router.add('GET', '/.well-known/jwks.json', async () =>
        json(await app.services.sessions.jwks(), 200, {
          // Short: a rotated-in key signs at once, so outside verifiers must see it soon.
          'cache-control': 'public, max-age=60, must-revalidate',
          'access-control-allow-origin': '*',
        }),
      );
    },
    async start(app) {
      await app.services.sessions.install(app.services.authenticator);
      stop = () => app.services.sessions.close();
    },
    async stop() {
      await stop?.();
    },
  };
}
