/**
 * Content-Security-Policy for the embed page. Everything comes from Tessera itself (scripts,
 * styles, the API); who may frame the page is decided per request (see routes.ts).
 */
export function embedPageCsp(frameAncestors: readonly string[] | 'none'): string {
  return [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'none'",
    `frame-ancestors ${frameAncestors === 'none' || frameAncestors.length === 0 ? "'none'" : frameAncestors.join(' ')}`,
  ].join('; ');
}

/** scheme://host[:port], optionally with a leading `*.` wildcard label: what CSP accepts as a host source. */
const CSP_ORIGIN =
  /^https?:\/\/(\*\.)?([A-Za-z0-9-]+\.)*[A-Za-z0-9-]+(:[0-9]{1,5})?$|^https?:\/\/\[[0-9A-Fa-f:.]+\](:[0-9]{1,5})?$/;

/**
 * Keeps only well-formed origins, so a stored value can never inject another CSP directive
 * (`;`, quotes or spaces) into the header.
 */
export function cspOrigins(origins: readonly string[]): string[] {
  return [...new Set(origins.map((o) => o.trim().replace(/\/+$/, '')).filter((o) => CSP_ORIGIN.test(o)))];
}
