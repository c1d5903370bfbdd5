import { type Plugin, shouldRenderGraphiQL } from 'graphql-yoga';
import { GRAPHIQL_VERSION } from './assets.ts';

/**
 * Everything the GraphiQL page needs and nothing more: its scripts, styles, favicon and Monaco's
 * workers from Tessera itself, API calls to Tessera itself. Styles also allow inline: Monaco and
 * GraphiQL's React components set `style` attributes and add `<style>` elements at run time.
 * No inline or eval'd script, no other origin, and no site may frame it.
 */
export const GRAPHIQL_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self'",
  'font-src data:',
  "connect-src 'self'",
  "worker-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

const asset = (name: string) => `/graphiql/${name}?v=${GRAPHIQL_VERSION}`;

/** The options the start script hands GraphiQL; JSON in a non-executable element, so no inline script. */
function pageOptions(endpoint: string) {
  return {
    workers: {
      editorWorkerService: asset('editor.worker.js'),
      json: asset('json.worker.js'),
      graphql: asset('graphql.worker.js'),
    },
    graphiql: {
      endpoint,
      title: 'Tessera GraphiQL',
      credentials: 'omit',
      defaultEditorToolsVisibility: 'headers',
      // The header editor starts empty: a placeholder credential would fail the schema's
      // introspection, which needs none.
      defaultQuery:
        '# Most operations need a credential. Add it under Headers:\n' +
        '#   {"Authorization": "Bearer tsk_..."}\n' +
        '# (an access key from `tessera init`, or a JWT)\n' +
        '{\n  health\n}\n',
    },
  };
}

export function graphiqlHtml(endpoint: string): string {
  // `<` escaped so no value can close the element early.
  const options = JSON.stringify(pageOptions(endpoint)).replace(/</g, '\\u003c');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Tessera GraphiQL</title>
<link rel="icon" href="${asset('favicon.ico')}">
<link rel="stylesheet" href="${asset('graphiql.css')}">
</head>
<body id="body" class="no-focus-outline">
<noscript>GraphiQL needs JavaScript.</noscript>
<div id="root"></div>
<script type="application/json" id="graphiql-options">${options}</script>
<script src="${asset('graphiql.js')}"></script>
<script src="${asset('start.js')}"></script>
</body>
</html>
`;
}

/**
 * `GET /graphql` from a browser (Accept: text/html) answers the GraphiQL page instead of a
 * GraphQL result; every other request goes on to GraphQL unchanged.
 */
export function graphiqlPage(endpoint: string): Plugin {
  return {
    onRequest({ request, url, endResponse }) {
      if (url.pathname !== endpoint || !shouldRenderGraphiQL(request)) return;
      endResponse(
        new Response(graphiqlHtml(endpoint), {
          status: 200,
          headers: {
            'content-type': 'text/html; charset=utf-8',
            'content-security-policy': GRAPHIQL_CSP,
            'x-frame-options': 'DENY',
            'referrer-policy': 'no-referrer',
            'cache-control': 'no-store',
          },
        }),
      );
    },
  };
}
