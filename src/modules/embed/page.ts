import { EMBED_CONFIG_META, type EmbedPageConfig } from '../../shared/embed-page.ts';

export type { EmbedPageConfig };

/** The embed page's HTML: an empty shell that loads the bundled app from Tessera itself. */
export function embedPageHtml(config: EmbedPageConfig, assets: { script: string; style: string }): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<meta name="${EMBED_CONFIG_META}" content="${escapeHtml(JSON.stringify(config))}">
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
