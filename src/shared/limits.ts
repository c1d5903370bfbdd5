// Limits both sides of the embed contract must agree on: the server that issues and checks
// tokens, and the embed page that checks them again in the browser. Browser-safe: no Node APIs.

/**
 * Longest bearer token anyone looks at; anything longer is rejected unparsed. Also the longest
 * session token impersonateUser may issue, so every token Tessera mints can be used.
 */
export const MAX_TOKEN_LENGTH = 8192;

/** Allowed clock difference for `exp`, `nbf` and `iat` (docs/sessions.md "How every bearer JWT is checked": ≤ 60 s). */
export const CLOCK_SKEW_SECONDS = 60;

/** The longest lifetime any Tessera token can have (the TTL settings' maximum). */
export const MAX_TOKEN_LIFETIME_SECONDS = 86_400;

/** How long before `exp` the embed page asks its host for a fresh token, unless told otherwise (docs/embedding.md "The postMessage protocol"). */
export const DEFAULT_RENEW_LEAD_SECONDS = 10;

/** The bounds a host may set the renewal lead to (`renewLeadSeconds` in the SDK). */
export const RENEW_LEAD_BOUNDS_SECONDS = { min: 1, max: 3600 } as const;

/** Compat: with no answer to a token request within 10 s, the page asks again. */
export const TOKEN_REQUEST_RETRY_MS = 10_000;
