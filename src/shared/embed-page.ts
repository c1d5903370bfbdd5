// What the server tells the embed page about itself: a JSON blob in
// <meta name="tessera-embed">, written by src/modules/embed and read by web/embed.
// Browser-safe: no Node APIs.

/** The `name` of the meta element that carries the page config. */
export const EMBED_CONFIG_META = 'tessera-embed';

/** Dashboard ids in embed URLs and the SDK: safe in a path segment and in a CSS/HTML attribute. */
export const DASHBOARD_ID_PATTERN = /^[A-Za-z0-9_-]{1,128}$/;

/** What the embed app needs to know about its page. */
export interface EmbedPageConfig {
  readonly dashboardId: string;
  /** The workspace the page was framed for; null when no valid token or workspace hint came with it. */
  readonly workspaceId: string | null;
  /** That workspace's allowed embed origins (null: none configured or no workspace). */
  readonly allowedOrigins: readonly string[] | null;
  /** The `iss` session tokens must carry. */
  readonly issuer: string;
}
