// The postMessage protocol between the embed page and the page that frames it
// (docs/embedding.md "The postMessage protocol"). The SDK (web/sdk) and the page (web/embed) both
// import this file, so a message cannot be spelt two ways. Browser-safe: no Node APIs.

/** The protocol version the page announces in `TESSERA_READY`. */
export const EMBED_PROTOCOL_VERSION = 1;

/** Compat: where the page keeps its session token between reloads. */
export const TOKEN_STORAGE_KEY = 'tessera.jwt';

/** Filter values by filter name: a string, a list of strings (multi select), or a date range. */
export type FilterValue = string | readonly string[] | { readonly from: string; readonly to: string } | null;
export type FilterValues = Readonly<Record<string, FilterValue>>;

/** Messages the embed page posts to its parent. */
export type PageMessage =
  | { readonly type: 'REQUEST_JWT_TOKEN' }
  | { readonly type: 'TESSERA_READY'; readonly version: number }
  | { readonly type: 'TESSERA_SESSION_EXPIRED' }
  | { readonly type: 'TESSERA_ERROR'; readonly code: string; readonly message: string }
  | { readonly type: 'TESSERA_FILTERS_CHANGED'; readonly filters: FilterValues };

/** Messages the parent posts to the embed page. */
export type HostMessage =
  | { readonly type: 'JWT_TOKEN_RESPONSE'; readonly token: string }
  | { readonly type: 'TESSERA_SET_FILTERS'; readonly filters: FilterValues }
  | { readonly type: 'TESSERA_SET_THEME'; readonly theme: Readonly<Record<string, string>> };

export type PageMessageType = PageMessage['type'];
export type HostMessageType = HostMessage['type'];

/** `TESSERA_ERROR` codes the page itself produces (API error codes pass through as they are). */
export const EMBED_ERROR_CODES = [
  'INVALID_TOKEN',
  'TOKEN_EXPIRED',
  'TOKEN_MISMATCH',
  'STALE_TOKEN',
  'TOKEN_REJECTED',
  'NETWORK_ERROR',
  'INTERNAL_ERROR',
] as const;
export type EmbedErrorCode = (typeof EMBED_ERROR_CODES)[number];

/**
 * Theme variables a host may set (docs/embedding.md "Theming"): CSS custom properties of the
 * page, each value limited to characters that cannot end the declaration or load anything.
 */
export const THEME_VARIABLES = [
  '--tessera-bg',
  '--tessera-surface',
  '--tessera-text',
  '--tessera-muted',
  '--tessera-accent',
  '--tessera-border',
  '--tessera-danger',
  '--tessera-radius',
  '--tessera-font',
  '--tessera-chart-1',
  '--tessera-chart-2',
  '--tessera-chart-3',
  '--tessera-chart-4',
  '--tessera-chart-5',
  '--tessera-chart-6',
] as const;
export type ThemeVariable = (typeof THEME_VARIABLES)[number];
/** Colours, lengths and font names: no `;`, braces, quotes, backslashes or `url(`. */
export const THEME_VALUE = /^(?!.*url\()[#(),.%\w\s-]{1,100}$/i;

/** Only well-formed theme entries survive: known variable names, harmless values. */
export function sanitizeTheme(theme: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (typeof theme !== 'object' || theme === null) return out;
  for (const name of THEME_VARIABLES) {
    const value = (theme as Record<string, unknown>)[name];
    if (typeof value === 'string' && THEME_VALUE.test(value)) out[name] = value;
  }
  return out;
}

/** Filter values as a host sends them: known shapes only, short strings, at most 50 values. */
export function sanitizeFilters(filters: unknown): Record<string, FilterValue> {
  const out: Record<string, FilterValue> = {};
  if (typeof filters !== 'object' || filters === null || Array.isArray(filters)) return out;
  const short = (v: unknown): v is string => typeof v === 'string' && v.length <= 500;
  for (const [name, value] of Object.entries(filters as Record<string, unknown>).slice(0, 50)) {
    if (!/^[A-Za-z_][A-Za-z0-9_]{0,63}$/.test(name)) continue;
    if (value === null || short(value)) out[name] = value;
    else if (Array.isArray(value) && value.length <= 100 && value.every(short)) out[name] = [...value];
    else if (typeof value === 'object' && value !== null) {
      const { from, to } = value as { from?: unknown; to?: unknown };
      if (short(from) && short(to)) out[name] = { from, to };
    }
  }
  return out;
}
