/** What the embed app needs to know about its page (read by web/embed/main.ts). */
export interface EmbedPageConfig {
  readonly dashboardId: string;
  /** The workspace the page was framed for; null when no valid token or workspace hint came with it. */
  readonly workspaceId: string | null;
  /** That workspace's allowed embed origins (null: none configured or no workspace). */
  readonly allowedOrigins: readonly string[] | null;
  /** The `iss` session tokens must carry. */
  readonly issuer: string;
}

/** The embed page's HTML: an empty shell that loads the bundled app from Tessera itself. */
export function embedPageHtml(config: EmbedPageConfig, assets: { script: string; style: string }): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<meta name="tessera-embed" content="${escapeHtml(JSON.stringify(config))}">
<title>Tessera</title>
<link rel="stylesheet" href="${escapeHtml(assets.style)}">
<script type="module" src="${escapeHtml(assets.script)}"></script>
</head>
<body>
<main id="tessera-app" data-state="loading"><noscript>This page needs JavaScript.</noscript></main>
</body>
</html>
`;
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
