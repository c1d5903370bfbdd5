import { createRequire } from 'node:module';

/** One file of the GraphiQL bundle, served by Tessera itself. */
export interface GraphiqlAsset {
  /** Encoded once, so each request only copies bytes (the GraphiQL script is 5 MB). */
  readonly body: Uint8Array<ArrayBuffer>;
  readonly contentType: string;
}

/** GraphiQL's files by URL name, under `/graphiql/`. */
export type GraphiqlAssets = ReadonlyMap<string, GraphiqlAsset>;

const JS = 'text/javascript; charset=utf-8';

/**
 * The version in every asset URL (`?v=`): the assets change only with the package, so versioned
 * URLs can be cached for good.
 */
export const GRAPHIQL_VERSION: string = (
  createRequire(import.meta.url)('@graphql-yoga/render-graphiql/package.json') as { version: string }
).version;

/**
 * Starts GraphiQL from a file of our own rather than inline code, so the page's CSP allows
 * scripts from Tessera only. Monaco's workers load from the same origin (its default would be
 * blob: URLs made from a CDN download). The options come from a JSON element of the page.
 */
const START_SCRIPT = `'use strict';
const options = JSON.parse(document.getElementById('graphiql-options').textContent);
self.MonacoEnvironment = {
  globalAPI: false,
  getWorkerUrl: (_moduleId, label) => options.workers[label] ?? options.workers.editorWorkerService,
};
YogaGraphiQL.renderYogaGraphiQL(document.getElementById('root'), options.graphiql);
`;

let loading: Promise<GraphiqlAssets> | undefined;

/**
 * The bundle from `@graphql-yoga/render-graphiql`, which ships GraphiQL, its CSS and Monaco's
 * workers as strings (no CDN: the page works offline). Loaded on first use only: it is 9 MB that
 * a server nobody opens GraphiQL on never needs.
 */
export function graphiqlAssets(): Promise<GraphiqlAssets> {
  loading ??= import('@graphql-yoga/render-graphiql/graphiql').then(
    (bundle) =>
      new Map<string, GraphiqlAsset>([
        ['graphiql.js', { body: utf8(bundle.js), contentType: JS }],
        ['graphiql.css', { body: utf8(bundle.css), contentType: 'text/css; charset=utf-8' }],
        ['start.js', { body: utf8(START_SCRIPT), contentType: JS }],
        ['editor.worker.js', { body: utf8(bundle.editorWorkerService), contentType: JS }],
        ['json.worker.js', { body: utf8(bundle.jsonWorker), contentType: JS }],
        ['graphql.worker.js', { body: utf8(bundle.graphqlWorker), contentType: JS }],
        ['favicon.ico', dataUrlAsset(bundle.favicon)],
      ]),
  );
  return loading;
}

const utf8 = (text: string) => new TextEncoder().encode(text);

function dataUrlAsset(dataUrl: string): GraphiqlAsset {
  const match = /^data:([^;,]+);base64,(.*)$/s.exec(dataUrl);
  if (!match) return { body: new Uint8Array(), contentType: 'image/x-icon' };
  return { body: new Uint8Array(Buffer.from(match[2]!, 'base64')), contentType: match[1]! };
}
