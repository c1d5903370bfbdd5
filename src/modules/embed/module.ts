import { errorResponse, type HttpContext } from '../../http/router.ts';
import { defineModule } from '../../kernel/module.ts';
import type { Services } from '../../kernel/services.ts';
import { DASHBOARD_ID_PATTERN } from '../../shared/embed-page.ts';
import { MAX_TOKEN_LENGTH } from '../../shared/limits.ts';
import { type WebAsset, WebAssets } from './assets.ts';
import { cspOrigins, embedPageCsp } from './csp.ts';
import { embedPageHtml } from './page.ts';

const WORKSPACE_ID = /^ws_[0-9a-z]{1,64}$/;
const IMMUTABLE = 'public, max-age=31536000, immutable';

/**
 * The embedded app (docs/embedding.md "What the embedded page guarantees") and the host SDK ("The host SDK"):
 * - `GET /embed/dashboards/:id?token=…` the embed page (compat URL shape);
 * - `GET /embed/assets/embed.js|embed.css` its bundle, from Tessera itself (CSP `'self'`);
 * - `GET /sdk/embed.js` (and `embed.d.ts`) the host SDK, a public ES module.
 */
export const embedModule = defineModule({
  name: 'embed',
  needs: ['authenticator', 'workspaces', 'sessions'],
  provides: [],
  routes(router, services) {
    // Per app, as every other state: the bundles are read on first use and kept.
    const assets = new WebAssets();
    const missing = (file: string) => {
      services.log.error(
        { file },
        'web bundle missing: run `npm run build:web` (npm install and npm start do it)',
      );
      return errorResponse(503, 'INTERNAL_SERVER_ERROR', 'Embed bundle not built');
    };

    router.add('GET', '/embed/dashboards/:id', async (request, ctx) => {
      if (!DASHBOARD_ID_PATTERN.test(ctx.params.id ?? ''))
        return errorResponse(404, 'NOT_FOUND', 'Not found');
      const script = assets.get('embed/embed.js');
      const style = assets.get('embed/embed.css');
      if (!script || !style) return missing('embed/embed.js');
      const workspaceId = await frameWorkspace(services, new URL(request.url), ctx);
      const origins = workspaceId
        ? cspOrigins((await services.sessions.allowedEmbedOrigins(workspaceId)) ?? [])
        : [];
      const html = embedPageHtml(
        {
          dashboardId: ctx.params.id!,
          workspaceId,
          allowedOrigins: origins.length > 0 ? origins : null,
          issuer: services.config.publicUrl,
        },
        {
          script: `/embed/assets/embed.js?v=${script.hash}`,
          style: `/embed/assets/embed.css?v=${style.hash}`,
        },
      );
      const headers: Record<string, string> = {
        'content-type': 'text/html; charset=utf-8',
        'content-security-policy': embedPageCsp(origins.length > 0 ? origins : 'none'),
        'referrer-policy': 'no-referrer',
        'cache-control': 'no-store',
        'cross-origin-opener-policy': 'same-origin',
      };
      // For browsers that predate frame-ancestors; with a list, CSP alone decides (XFO cannot list origins).
      if (origins.length === 0) headers['x-frame-options'] = 'DENY';
      return new Response(html, { status: 200, headers });
    });

    router.add('GET', '/embed/assets/:name', (request, ctx) => {
      const name = ctx.params.name;
      if (name !== 'embed.js' && name !== 'embed.css') return errorResponse(404, 'NOT_FOUND', 'Not found');
      const asset = assets.get(`embed/${name}`);
      if (!asset) return missing(`embed/${name}`);
      // Versioned URLs (the page adds ?v=<hash>) never change; any other URL must be revalidated.
      const versioned = new URL(request.url).searchParams.get('v') === asset.hash;
      return assetResponse(request, asset, versioned ? IMMUTABLE : 'no-cache', {});
    });

    for (const file of ['embed.js', 'embed.d.ts']) {
      router.add('GET', `/sdk/${file}`, (request) => {
        const asset = assets.get(`sdk/${file}`);
        if (!asset) return missing(`sdk/${file}`);
        // A public script any host page loads cross-origin (module scripts need CORS). A stable
        // URL, so caches keep it briefly and revalidate with the ETag.
        return assetResponse(request, asset, 'public, max-age=300, must-revalidate', {
          'access-control-allow-origin': '*',
          'cross-origin-resource-policy': 'cross-origin',
          ...(file.endsWith('.d.ts') ? { 'content-type': 'application/typescript; charset=utf-8' } : {}),
        });
      });
    }
  },
});

function assetResponse(
  request: Request,
  asset: WebAsset,
  cacheControl: string,
  extra: Record<string, string>,
): Response {
  const etag = `"${asset.hash}"`;
  const headers = {
    'content-type': asset.contentType,
    'cache-control': cacheControl,
    etag,
    'referrer-policy': 'no-referrer',
    ...extra,
  };
  if (request.headers.get('if-none-match') === etag) return new Response(null, { status: 304, headers });
  return new Response(request.method === 'HEAD' ? null : (asset.body as Uint8Array<ArrayBuffer>), {
    status: 200,
    headers,
  });
}

/**
 * Which workspace's allowed origins may frame this page. The server cannot see the app's
 * localStorage, so it decides from the URL alone:
 * - `?token=` present: the workspace of that token, when it verifies as a session token with the
 *   app's authenticator (signature, expiry, revocation); otherwise nobody may frame the page.
 * - no token, `?ws=` present: the app leaves this hint in place of the token it strips, so a
 *   reload inside the frame is framed for the same workspace; the app then only uses a stored
 *   token of that very workspace (web/embed/main.ts), so the hint cannot widen who sees what.
 * - neither: nobody may frame the page (`frame-ancestors 'none'`); it still works top-level.
 */
async function frameWorkspace(services: Services, url: URL, ctx: HttpContext): Promise<string | null> {
  const token = url.searchParams.get('token');
  if (token !== null) {
    // Only JWT-shaped values reach the authenticator: an access key pasted into a URL is not a session.
    if (token.length > MAX_TOKEN_LENGTH || token.split('.').length !== 3) return null;
    const principal = await services.authenticator.authenticate(token, {
      ip: ctx.ip,
      requestId: ctx.requestId,
    });
    return principal?.kind === 'session' ? principal.workspaceId : null;
  }
  const hint = url.searchParams.get('ws');
  if (hint === null || !WORKSPACE_ID.test(hint)) return null;
  return (await services.workspaces.find(hint)) ? hint : null;
}
