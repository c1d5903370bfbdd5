// Calls Tessera's GraphQL API with the session token, and keeps an estimate of the server's
// clock (from the Date header) so expiry is judged on the clock that signed the token.

export interface SessionView {
  readonly user: { readonly id: string; readonly email: string; readonly workspaceId: string };
  readonly attributes: readonly {
    readonly key: string;
    readonly value: string;
    readonly source: string;
    readonly overridden: readonly { readonly source: string; readonly value: string }[];
  }[];
}

export type ApiResult<T> =
  | { readonly ok: true; readonly data: T }
  | { readonly ok: false; readonly status: number; readonly code: string; readonly message: string };

const SESSION_QUERY = `query TesseraEmbedSession {
  currentUser { id email workspaceId }
  effectiveAttributes { key value source overridden { source value } }
}`;

/** How long a call may take before the page gives up on it (a tile shows its timeout state). */
const REQUEST_TIMEOUT_MS = 30_000;

export class ServerClock {
  #offsetMs = 0;

  now(): number {
    return Date.now() + this.#offsetMs;
  }

  /** The Date header has one-second resolution: only corrections above that are worth making. */
  observe(response: Response): void {
    const date = Date.parse(response.headers.get('date') ?? '');
    if (Number.isNaN(date)) return;
    const offset = date + 500 - Date.now();
    if (Math.abs(offset - this.#offsetMs) > 1500) this.#offsetMs = offset;
  }
}

export class TesseraApi {
  readonly #endpoint: string;
  readonly #clock: ServerClock;

  constructor(endpoint: string, clock: ServerClock) {
    this.#endpoint = endpoint;
    this.#clock = clock;
  }

  /** Who the token belongs to and their effective attributes. */
  session(token: string): Promise<ApiResult<SessionView>> {
    return this.#query(token, SESSION_QUERY, (data) => {
      const d = data as {
        currentUser?: SessionView['user'] | null;
        effectiveAttributes?: SessionView['attributes'];
      };
      if (!d.currentUser) return null;
      return { user: d.currentUser, attributes: d.effectiveAttributes ?? [] };
    });
  }

  /** The one call that confirms a renewed token is accepted by the server for the same user. */
  currentUserId(token: string): Promise<ApiResult<string>> {
    return this.#query(token, 'query TesseraEmbedWhoAmI { currentUser { id } }', (data) => {
      const d = data as { currentUser?: { id?: unknown } | null };
      return typeof d.currentUser?.id === 'string' ? d.currentUser.id : null;
    });
  }

  /**
   * One GraphQL operation; `pick` takes the wanted value out of `data` (null: unexpected shape).
   * A call still unanswered after `timeoutMs` is abandoned as `TIMEOUT`.
   */
  request<T>(
    token: string,
    query: string,
    variables: Record<string, unknown>,
    pick: (data: unknown) => T | null,
    timeoutMs = REQUEST_TIMEOUT_MS,
  ): Promise<ApiResult<T>> {
    return this.#query(token, query, pick, variables, timeoutMs);
  }

  async #query<T>(
    token: string,
    query: string,
    pick: (data: unknown) => T | null,
    variables: Record<string, unknown> = {},
    timeoutMs = REQUEST_TIMEOUT_MS,
  ): Promise<ApiResult<T>> {
    let response: Response;
    try {
      response = await fetch(this.#endpoint, {
        method: 'POST',
        credentials: 'omit',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify({ query, variables }),
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (err) {
      if (err instanceof DOMException && err.name === 'TimeoutError')
        return { ok: false, status: 0, code: 'TIMEOUT', message: 'no answer in time' };
      return {
        ok: false,
        status: 0,
        code: 'NETWORK_ERROR',
        message: err instanceof Error ? err.message : 'network error',
      };
    }
    this.#clock.observe(response);
    let body: { data?: unknown; errors?: { message?: string; extensions?: { code?: string } }[] } = {};
    try {
      body = await response.json();
    } catch {
      // Handled below as a failed call.
    }
    const error = body.errors?.[0];
    if (response.status === 401)
      return { ok: false, status: 401, code: 'UNAUTHENTICATED', message: 'Unauthorized' };
    if (!response.ok || error || !body.data) {
      return {
        ok: false,
        status: response.status,
        code: error?.extensions?.code ?? 'API_ERROR',
        message: error?.message ?? `HTTP ${response.status}`,
      };
    }
    const data = pick(body.data);
    return data === null
      ? { ok: false, status: response.status, code: 'API_ERROR', message: 'unexpected response' }
      : { ok: true, data };
  }
}
