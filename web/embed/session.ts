// The embedded session's lifecycle (docs/embedding.md "The postMessage protocol"): adopt a token, ask the host for a fresh one
// shortly before it expires, accept only a verified token for the same user and workspace, and
// on hard expiry stop calling the API until a valid token arrives. Nothing here reloads the page.

import { TOKEN_STORAGE_KEY } from '../../src/shared/embed-protocol.ts';
import { TOKEN_REQUEST_RETRY_MS } from '../../src/shared/limits.ts';
import type { ServerClock, SessionView, TesseraApi } from './api.ts';
import type { SessionClaims, SessionTokenVerifier } from './jwt.ts';
import type { ParentChannel } from './parent.ts';

export const STORAGE_KEY = TOKEN_STORAGE_KEY;
const RETRY_MS = TOKEN_REQUEST_RETRY_MS;

export type SessionState =
  | { readonly kind: 'loading' }
  | { readonly kind: 'active'; readonly claims: SessionClaims; readonly view: SessionView }
  | {
      readonly kind: 'expired';
      readonly claims: SessionClaims | null;
      readonly view: SessionView | null;
      readonly reason: string;
    };

export interface SessionOptions {
  readonly api: TesseraApi;
  readonly verifier: SessionTokenVerifier;
  readonly channel: ParentChannel;
  readonly clock: ServerClock;
  /** The workspace the server framed this page for; tokens of any other workspace are refused. */
  readonly workspaceId: string | null;
  readonly renewLeadMs: number;
  readonly onChange: (state: SessionState) => void;
}

export class EmbeddedSession {
  readonly #o: SessionOptions;
  #state: SessionState = { kind: 'loading' };
  #token: string | null = null;
  #claims: SessionClaims | null = null;
  #view: SessionView | null = null;
  #renewTimer: ReturnType<typeof setTimeout> | undefined;
  #expiryTimer: ReturnType<typeof setTimeout> | undefined;
  #retryTimer: ReturnType<typeof setTimeout> | undefined;
  #requestInFlight = false;
  /** Offered tokens are checked one at a time, in arrival order. */
  #checking: Promise<void> = Promise.resolve();

  constructor(options: SessionOptions) {
    this.#o = options;
  }

  get state(): SessionState {
    return this.#state;
  }

  /** The current token while the session is active; null when expired (no API calls then). */
  get activeToken(): string | null {
    return this.#state.kind === 'active' ? this.#token : null;
  }

  /** An API call answered 401 with the current token: the server ended the session. */
  unauthorized(token: string): void {
    if (token === this.#token && this.#state.kind === 'active') this.#expire('TOKEN_REJECTED', true);
  }

  get expiresAtMs(): number | null {
    return this.#claims ? this.#claims.exp * 1000 : null;
  }

  /** Starts with the token from the URL or storage (or none) and loads the session view. */
  async start(token: string | null): Promise<void> {
    if (token === null) {
      this.#expire('NO_TOKEN', false);
      return;
    }
    const checked = await this.#check(token, { confirm: false });
    if (!checked.ok) {
      this.#expire(checked.code, false);
      return;
    }
    this.#adopt(token, checked.claims);
    await this.#load();
  }

  /** A `JWT_TOKEN_RESPONSE` from a trusted sender (parent.ts filtered the origin). */
  offer(token: string): void {
    // A failure must not break the chain: the next offered token still gets checked.
    this.#checking = this.#checking
      .then(() => this.#consider(token))
      .catch(() => this.#report('INTERNAL_ERROR', 'the token could not be checked'));
  }

  async #consider(token: string): Promise<void> {
    if (token === this.#token) return this.#report('STALE_TOKEN', 'the same token was sent again');
    const checked = await this.#check(token, { confirm: true });
    if (!checked.ok) return this.#report(checked.code, checked.message);
    const current = this.#claims;
    if (current && this.#state.kind === 'active' && checked.claims.exp <= current.exp) {
      return this.#report('STALE_TOKEN', 'the new token does not outlive the current one');
    }
    const wasExpired = this.#state.kind !== 'active';
    this.#adopt(token, checked.claims);
    this.#stopRequesting();
    if (wasExpired) await this.#load();
  }

  /**
   * Verifies signature and claims, then binds the token to this session: the same user and
   * workspace as the current token, and the workspace the page was served for. `confirm` adds
   * one API call so the server itself vouches for the token (revocation, suspended users).
   */
  async #check(
    token: string,
    options: { confirm: boolean },
  ): Promise<{ ok: true; claims: SessionClaims } | { ok: false; code: string; message: string }> {
    let result: Awaited<ReturnType<SessionTokenVerifier['verify']>>;
    try {
      result = await this.#o.verifier.verify(token);
    } catch {
      return { ok: false, code: 'NETWORK_ERROR', message: 'could not load the signing keys' };
    }
    if (!result.ok) return { ok: false, code: result.code, message: result.reason };
    const claims = result.claims;
    const bound = this.#claims;
    if (bound && (claims.sub !== bound.sub || claims.wid !== bound.wid)) {
      return { ok: false, code: 'TOKEN_MISMATCH', message: 'the token is for another user or workspace' };
    }
    if (this.#o.workspaceId !== null && claims.wid !== this.#o.workspaceId) {
      return { ok: false, code: 'TOKEN_MISMATCH', message: 'the token is for another workspace' };
    }
    if (options.confirm) {
      const who = await this.#o.api.currentUserId(token);
      if (!who.ok)
        return { ok: false, code: 'TOKEN_REJECTED', message: `the server refused the token (${who.code})` };
      if (who.data !== claims.sub)
        return { ok: false, code: 'TOKEN_MISMATCH', message: 'the token is for another user' };
    }
    return { ok: true, claims };
  }

  #adopt(token: string, claims: SessionClaims): void {
    this.#token = token;
    this.#claims = claims;
    try {
      localStorage.setItem(STORAGE_KEY, token);
    } catch {
      // Storage can be blocked in third-party frames; the session still works for this page.
    }
    const now = this.#o.clock.now();
    const expiresAt = claims.exp * 1000;
    clearTimeout(this.#renewTimer);
    clearTimeout(this.#expiryTimer);
    this.#renewTimer = setTimeout(
      () => this.#requestToken(),
      Math.max(0, expiresAt - this.#o.renewLeadMs - now),
    );
    this.#expiryTimer = setTimeout(() => this.#expire('TOKEN_EXPIRED', true), Math.max(0, expiresAt - now));
    if (this.#state.kind === 'active') this.#set({ kind: 'active', claims, view: this.#state.view });
  }

  async #load(): Promise<void> {
    const token = this.#token;
    if (token === null) return;
    const result = await this.#o.api.session(token);
    if (token !== this.#token) return; // A newer token arrived meanwhile; it loads its own view.
    if (result.ok) {
      this.#view = result.data;
      this.#set({ kind: 'active', claims: this.#claims!, view: result.data });
    } else if (result.status === 401) {
      this.#expire('TOKEN_REJECTED', true);
    } else {
      // A failure that is not the token's (network, server): say so, and try again shortly.
      this.#report(result.code, result.message);
      this.#set({ kind: 'expired', claims: this.#claims, view: this.#view, reason: result.code });
      setTimeout(() => {
        if (token === this.#token && this.#state.kind === 'expired' && this.#state.reason === result.code)
          void this.#load();
      }, RETRY_MS);
    }
  }

  /** Hard expiry (or a token the server refuses): no more API calls until a valid token arrives. */
  #expire(reason: string, notify: boolean): void {
    clearTimeout(this.#renewTimer);
    clearTimeout(this.#expiryTimer);
    this.#set({ kind: 'expired', claims: this.#claims, view: this.#view, reason });
    if (notify) this.#o.channel.post({ type: 'TESSERA_SESSION_EXPIRED' });
    this.#requestToken();
  }

  /** One request in flight; unanswered for 10 s, it is asked again (compat). */
  #requestToken(): void {
    if (this.#requestInFlight || !this.#o.channel.framed) return;
    this.#requestInFlight = true;
    this.#o.channel.post({ type: 'REQUEST_JWT_TOKEN' });
    this.#retryTimer = setTimeout(() => {
      this.#requestInFlight = false;
      this.#requestToken();
    }, RETRY_MS);
  }

  #stopRequesting(): void {
    clearTimeout(this.#retryTimer);
    this.#requestInFlight = false;
  }

  #report(code: string, message: string): void {
    this.#o.channel.post({ type: 'TESSERA_ERROR', code, message });
  }

  #set(state: SessionState): void {
    this.#state = state;
    this.#o.onChange(state);
  }
}
