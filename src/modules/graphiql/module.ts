import { errorResponse } from '../../http/router.ts';
import { defineModule } from '../../kernel/module.ts';
import { GRAPHIQL_VERSION, graphiqlAssets } from './assets.ts';

/**
 * GraphiQL's files at `GET /graphiql/<name>`, served only where GraphiQL is on
 * (`TESSERA_GRAPHIQL`, on outside production). The page itself is `GET /graphql` from a
 * browser (`graphiqlPage`).
 */
export const graphiqlModule = defineModule({
  name: 'graphiql',
  needs: [],
  provides: [],
  routes(router, { config }) {
    if (!config.graphiql) return;
    router.add('GET', '/graphiql/:name', async (request, ctx) => {
      const file = (await graphiqlAssets()).get(ctx.params.name ?? '');
      if (!file) return errorResponse(404, 'NOT_FOUND', 'Not found');
      const versioned = new URL(request.url).searchParams.get('v') === GRAPHIQL_VERSION;
      return new Response(file.body, {
        status: 200,
        headers: {
          'content-type': file.contentType,
          'cache-control': versioned ? 'public, max-age=31536000, immutable' : 'no-cache',
          // A worker runs under its own response's policy: it needs no network of its own.
          'content-security-policy': "default-src 'none'",
        },
      });
    });
  },
});
