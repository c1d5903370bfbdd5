// Tessera host SDK: mounts an embedded Tessera page in an iframe and keeps its session alive by
// answering the page's token requests (docs/embedding.md "The postMessage protocol", "The host SDK"). Dependency-free; served by Tessera at
// GET /sdk/embed.js as an ES module.

import { DASHBOARD_ID_PATTERN } from '../../src/shared/embed-page.ts';
import type * as Shared from '../../src/shared/embed-protocol.ts';

type HostMessage = Shared.HostMessage;

/** A filter's value: a string, a list of strings (multi select), a date range, or null (unset). */
export type FilterValue = string | readonly string[] | { readonly from: string; readonly to: string } | null;
export type FilterValues = Readonly<Record<string, FilterValue>>;
// Spelt here so the published embed.d.ts stands alone; this line fails to compile if it drifts
// from the shared contract.
const sameFilterValues: [FilterValues, Shared.FilterValues] = [{} as Shared.FilterValues, {} as FilterValues];
void sameFilterValues;

/** What the host's backend returns: a session JWT from Tessera's `impersonateUser`. */
export type TokenProvider = () => Promise<string> | string;

export interface EmbedEventMap {
  /** The embedded page loaded and speaks protocol `version`. */
  ready: { type: 'ready'; version: number };
  /** The session token expired and no renewal arrived; the page recovers on the next valid token. */
  expired: { type: 'expired' };
  /**
   * A typed failure: reported by the page (`TESSERA_ERROR`) or by this SDK: `TOKEN_PROVIDER_FAILED`
   * (getToken threw) or `EMBED_NOT_READY` (the page loaded but never started, e.g. refused by
   * frame-ancestors).
   */
  error: { type: 'error'; code: string; message: string };
  /** The page asked for a fresh token and this SDK answered it. */
  renewed: { type: 'renewed' };
  /** The user changed a filter in the page (or `setFilters` did): every filter's value now. */
  filtersChanged: { type: 'filtersChanged'; filters: FilterValues };
}

export type EmbedEventName = keyof EmbedEventMap;
export type EmbedEvent = EmbedEventMap[EmbedEventName];

export interface MountOptions {
  /** Where the iframe goes; it fills the element. */
  element: HTMLElement;
  /** Tessera's public base URL, e.g. `https://tessera.example.com`. */
  baseUrl: string;
  dashboardId: string;
  /** Fetches a fresh session token from your backend; called once to mount and on every renewal. */
  getToken: TokenProvider;
  /** Receives every event (same as subscribing to each with `on`). */
  onEvent?: (event: EmbedEvent) => void;
  /** Seconds before expiry at which the page asks for a new token (default 10). */
  renewLeadSeconds?: number;
  /** Accessible title of the iframe. */
  title?: string;
  /**
   * Initial filter values by filter id (they go into the page URL as `filter.<id>`): a string,
   * a list of strings (multi select), `{ from, to }` (date range, YYYY-MM-DD) or null (unset).
   */
  filters?: FilterValues;
  /** CSS variables of the page, e.g. `{ '--tessera-accent': '#0f766e' }` (docs/embedding.md "Theming"). */
  theme?: Readonly<Record<string, string>>;
}

export interface EmbeddedDashboard {
  readonly iframe: HTMLIFrameElement;
  /** Resolves on the page's `TESSERA_READY`. */
  readonly ready: Promise<void>;
  /** Subscribes to one event; returns the unsubscribe function. */
  on<K extends EmbedEventName>(event: K, listener: (event: EmbedEventMap[K]) => void): () => void;
  /** Sets filter values (merged into the current ones); tiles that use a changed filter reload. */
  setFilters(filters: FilterValues): void;
  /** Sets theme variables (CSS custom properties of the page); unknown names and unsafe values are ignored. */
  setTheme(theme: Readonly<Record<string, string>>): void;
  /** Removes the iframe and stops answering token requests. */
  destroy(): void;
}

/** How long after the iframe's load event the page may take to report TESSERA_READY. */
const NOT_READY_AFTER_LOAD_MS = 5000;

/**
 * Creates the iframe with the first token from `getToken()` and answers the page's
 * `REQUEST_JWT_TOKEN` messages with fresh ones. Only messages whose source is this iframe and
 * whose origin is `baseUrl`'s origin are trusted, and tokens are posted to that origin only.
 */
export async function mountDashboard(options: MountOptions): Promise<EmbeddedDashboard> {
  const { element, dashboardId, getToken } = options;
  if (!(element instanceof HTMLElement))
    throw new TypeError('mountDashboard: element must be an HTMLElement');
  if (!DASHBOARD_ID_PATTERN.test(dashboardId)) throw new TypeError('mountDashboard: invalid dashboardId');
  const base = new URL(options.baseUrl);
  const tesseraOrigin = base.origin;
  const firstToken = await getToken();
  if (typeof firstToken !== 'string' || firstToken.length === 0) {
    throw new TypeError('mountDashboard: getToken() must return a session token string');
  }

  const listeners = new Map<EmbedEventName, Set<(event: EmbedEvent) => void>>();
  const emit = (event: EmbedEvent): void => {
    options.onEvent?.(event);
    for (const listener of listeners.get(event.type) ?? []) listener(event);
  };

  const src = new URL(`embed/dashboards/${encodeURIComponent(dashboardId)}`, withTrailingSlash(base));
  src.searchParams.set('token', firstToken);
  if (options.renewLeadSeconds !== undefined)
    src.searchParams.set('renewLead', String(options.renewLeadSeconds));
  for (const [id, value] of Object.entries(options.filters ?? {})) {
    const key = `filter.${id}`;
    if (value === null) src.searchParams.set(key, '');
    else if (typeof value === 'string') src.searchParams.set(key, value);
    else if (Array.isArray(value)) for (const v of value) src.searchParams.append(key, v);
    else {
      const range = value as { from: string; to: string };
      src.searchParams.set(key, `${range.from}..${range.to}`);
    }
  }
  const iframe = document.createElement('iframe');
  iframe.title = options.title ?? 'Tessera dashboard';
  // The page learns our origin (not our path) from the referrer, to address its messages to us.
  iframe.referrerPolicy = 'origin';
  iframe.style.border = '0';
  iframe.style.width = '100%';
  iframe.style.height = '100%';
  iframe.src = src.toString();

  let isReady = false;
  let markReady: () => void = () => {};
  const ready = new Promise<void>((resolve) => {
    markReady = resolve;
  });
  // One getToken() at a time: the page retries every 10 s, a slow backend must not pile up calls.
  let answering = false;

  const answer = async (): Promise<void> => {
    if (answering) return;
    answering = true;
    try {
      const token = await getToken();
      if (typeof token !== 'string' || token.length === 0)
        throw new TypeError('getToken() returned no token');
      send({ type: 'JWT_TOKEN_RESPONSE', token });
      emit({ type: 'renewed' });
    } catch (err) {
      emit({
        type: 'error',
        code: 'TOKEN_PROVIDER_FAILED',
        message: err instanceof Error ? err.message : String(err),
      });
    } finally {
      answering = false;
    }
  };

  const send = (message: HostMessage): void => iframe.contentWindow?.postMessage(message, tesseraOrigin);

  const onMessage = (event: MessageEvent): void => {
    if (event.source !== iframe.contentWindow || event.origin !== tesseraOrigin) return;
    const data: unknown = event.data;
    if (typeof data !== 'object' || data === null) return;
    const message = data as { type?: unknown; version?: unknown; code?: unknown; message?: unknown };
    switch (message.type) {
      case 'REQUEST_JWT_TOKEN':
        void answer();
        break;
      case 'TESSERA_READY':
        isReady = true;
        if (options.theme) send({ type: 'TESSERA_SET_THEME', theme: options.theme });
        markReady();
        emit({ type: 'ready', version: typeof message.version === 'number' ? message.version : 1 });
        break;
      case 'TESSERA_SESSION_EXPIRED':
        emit({ type: 'expired' });
        break;
      case 'TESSERA_FILTERS_CHANGED': {
        const filters = (data as { filters?: unknown }).filters;
        if (typeof filters === 'object' && filters !== null)
          emit({ type: 'filtersChanged', filters: filters as FilterValues });
        break;
      }
      case 'TESSERA_ERROR':
        emit({
          type: 'error',
          code: String(message.code ?? 'UNKNOWN'),
          message: String(message.message ?? ''),
        });
        break;
    }
  };
  window.addEventListener('message', onMessage);
  // A page refused by frame-ancestors (or that failed to load) still fires `load`, but never says
  // TESSERA_READY: report it rather than leave the host staring at a blank frame.
  let notReadyTimer: ReturnType<typeof setTimeout> | undefined;
  iframe.addEventListener('load', () => {
    clearTimeout(notReadyTimer);
    notReadyTimer = setTimeout(() => {
      if (isReady) return;
      emit({
        type: 'error',
        code: 'EMBED_NOT_READY',
        message: `the embedded page did not start: is ${location.origin} in the workspace's allowedEmbedOrigins, and is the token valid?`,
      });
    }, NOT_READY_AFTER_LOAD_MS);
  });
  element.appendChild(iframe);

  return {
    iframe,
    ready,
    on(event, listener) {
      const set = listeners.get(event) ?? new Set();
      listeners.set(event, set);
      const wrapped = listener as (event: EmbedEvent) => void;
      set.add(wrapped);
      return () => set.delete(wrapped);
    },
    setFilters(filters) {
      send({ type: 'TESSERA_SET_FILTERS', filters });
    },
    setTheme(theme) {
      send({ type: 'TESSERA_SET_THEME', theme });
    },
    destroy() {
      window.removeEventListener('message', onMessage);
      clearTimeout(notReadyTimer);
      listeners.clear();
      iframe.remove();
    },
  };
}

function withTrailingSlash(url: URL): URL {
  const copy = new URL(url.toString());
  if (!copy.pathname.endsWith('/')) copy.pathname += '/';
  copy.search = '';
  copy.hash = '';
  return copy;
}
