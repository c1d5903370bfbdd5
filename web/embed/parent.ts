// The postMessage channel to the host page (docs/embedding.md "The postMessage protocol").
//
// Who we trust: only messages whose `source` is `window.parent`, and whose origin is one of the
// workspace's allowed embed origins when it lists any, otherwise the parent's own origin (from
// `location.ancestorOrigins`, or the referrer the SDK sends as origin-only).
//
// Where we post: to the parent's origin when we know it and it is allowed; when we do not know
// it but the workspace lists origins, once to each exact one (the browser drops the copies whose
// target does not match, so only the real parent gets one; a `*.` wildcard is no valid target).
// Only when neither is known do we use "*": our outgoing messages carry no secrets (a request, a
// version, an error code). Allowed origins match as in CSP: `https://*.example.com` covers its
// subdomains (web/embed/origins.ts).

import {
  type HostMessage,
  type PageMessage,
  sanitizeFilters,
  sanitizeTheme,
} from '../../src/shared/embed-protocol.ts';
import { MAX_TOKEN_LENGTH } from '../../src/shared/limits.ts';
import { exactOrigins, originAllowed } from './origins.ts';

export type OutgoingMessage = PageMessage;

export class ParentChannel {
  readonly #allowedOrigins: readonly string[];
  readonly #parentOrigin: string | null;

  constructor(allowedOrigins: readonly string[] | null) {
    this.#allowedOrigins = allowedOrigins ?? [];
    this.#parentOrigin = this.framed ? detectParentOrigin() : null;
  }

  /** True when the page runs inside a frame (there is a host to talk to). */
  get framed(): boolean {
    return window.parent !== window;
  }

  post(message: OutgoingMessage): void {
    if (!this.framed) return;
    for (const target of this.#targets()) window.parent.postMessage(message, target);
  }

  /** Calls `onToken` for every well-formed `JWT_TOKEN_RESPONSE` from a trusted sender; everything else is ignored. */
  onTokenResponse(onToken: (token: string) => void): void {
    this.onHostMessage((m) => {
      if (m.type === 'JWT_TOKEN_RESPONSE') onToken(m.token);
    });
  }

  /** Every well-formed host message from a trusted sender, its payload sanitized; everything else is ignored. */
  onHostMessage(handler: (message: HostMessage) => void): void {
    window.addEventListener('message', (event: MessageEvent) => {
      if (!this.framed || event.source !== window.parent || !this.#trusted(event.origin)) return;
      const message = parseHostMessage(event.data);
      if (message) handler(message);
      // A token response the host got wrong (no token, not a string, too long) must not vanish
      // silently: the host would only learn of it when the session expires.
      else if (isTokenResponse(event.data))
        this.post({ type: 'TESSERA_ERROR', code: 'INVALID_TOKEN', message: MALFORMED_TOKEN_RESPONSE });
    });
  }

  #trusted(origin: string): boolean {
    if (this.#allowedOrigins.length > 0) return originAllowed(origin, this.#allowedOrigins);
    return this.#parentOrigin === null || origin === this.#parentOrigin;
  }

  #targets(): readonly string[] {
    const parent = this.#parentOrigin;
    if (this.#allowedOrigins.length > 0) {
      return parent !== null && originAllowed(parent, this.#allowedOrigins)
        ? [parent]
        : exactOrigins(this.#allowedOrigins);
    }
    return [parent ?? '*'];
  }
}

function detectParentOrigin(): string | null {
  const ancestors = (location as Location & { ancestorOrigins?: DOMStringList }).ancestorOrigins;
  const candidate = ancestors && ancestors.length > 0 ? ancestors[0] : originOf(document.referrer);
  return candidate && candidate !== 'null' ? candidate : null;
}

function originOf(url: string): string | null {
  try {
    return url ? new URL(url).origin : null;
  } catch {
    return null;
  }
}

const MALFORMED_TOKEN_RESPONSE = `JWT_TOKEN_RESPONSE needs a token string of 1 to ${MAX_TOKEN_LENGTH} characters`;

function isTokenResponse(data: unknown): boolean {
  return (
    typeof data === 'object' && data !== null && (data as { type?: unknown }).type === 'JWT_TOKEN_RESPONSE'
  );
}

function parseHostMessage(data: unknown): HostMessage | null {
  if (typeof data !== 'object' || data === null) return null;
  const m = data as { type?: unknown; token?: unknown; filters?: unknown; theme?: unknown };
  switch (m.type) {
    case 'JWT_TOKEN_RESPONSE':
      return typeof m.token === 'string' && m.token.length > 0 && m.token.length <= MAX_TOKEN_LENGTH
        ? { type: m.type, token: m.token }
        : null;
    case 'TESSERA_SET_FILTERS':
      return { type: m.type, filters: sanitizeFilters(m.filters) };
    case 'TESSERA_SET_THEME':
      return { type: m.type, theme: sanitizeTheme(m.theme) };
    default:
      return null;
  }
}
