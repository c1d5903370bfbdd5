import type { TestApp } from './app.ts';

/**
 * A small browser for sign-in flows: a cookie jar per host, redirects followed by hand. Requests
 * to Tessera's public host go to the app in process; everything else (the identity provider on
 * loopback) goes over real HTTP.
 */
export class FlowClient {
  readonly #t: TestApp;
  readonly #tessera: URL;
  readonly jar = new Map<string, Map<string, string>>();

  constructor(t: TestApp) {
    this.#t = t;
    this.#tessera = new URL(t.app.config.publicUrl);
  }

  cookie(host: string, name: string): string | undefined {
    return this.jar.get(host)?.get(name);
  }

  cookieHeader(host: string): string {
    return [...(this.jar.get(host) ?? [])].map(([k, v]) => `${k}=${v}`).join('; ');
  }

  async request(
    url: string,
    init: { method?: string; body?: string; headers?: Record<string, string> } = {},
  ) {
    const target = new URL(url);
    const headers: Record<string, string> = { ...init.headers };
    const cookies = this.cookieHeader(target.host);
    if (cookies) headers.cookie = cookies;
    const request = {
      method: init.method ?? 'GET',
      headers,
      body: init.body ?? null,
      redirect: 'manual' as const,
    };
    const response =
      target.host === this.#tessera.host
        ? await this.#t.app.fetch(new Request(url, request), { ip: '127.0.0.1' })
        : await fetch(url, request);
    const jar = this.jar.get(target.host) ?? new Map<string, string>();
    for (const line of response.headers.getSetCookie()) {
      const [pair, ...attrs] = line.split(';');
      const eq = pair!.indexOf('=');
      const name = pair!.slice(0, eq).trim();
      const value = pair!.slice(eq + 1).trim();
      if (attrs.some((a) => /^\s*max-age=0\s*$/i.test(a)) || value === '') jar.delete(name);
      else jar.set(name, value);
    }
    this.jar.set(target.host, jar);
    return response;
  }

  /**
   * Starts a sign-in at Tessera and goes through the provider's login (and consent) pages as
   * `account`, stopping at the redirect back to Tessera's callback, which it returns unfollowed.
   */
  async toCallback(loginPath: string, account: string): Promise<string> {
    let response = await this.request(new URL(loginPath, this.#tessera).href);
    let location = response.headers.get('location');
    if (response.status !== 302 || !location)
      throw new Error(`login did not redirect: ${response.status} ${await response.text()}`);
    for (let hops = 0; hops < 20; hops++) {
      const url: string = new URL(location).href;
      const at = new URL(url);
      // Each issuer's redirect URI: /sso/<workspace>/callback/<issuer>.
      if (at.origin === this.#tessera.origin && /^\/sso\/[^/]+\/callback\//.test(at.pathname)) return url;
      response = await this.request(url);
      if (response.status >= 300 && response.status < 400) {
        location = new URL(response.headers.get('location')!, url).href;
        continue;
      }
      const html = await response.text();
      const action = /<form[^>]*action="([^"]+)"/.exec(html)?.[1];
      const prompt = /name="prompt" value="([^"]+)"/.exec(html)?.[1];
      if (!action || !prompt)
        throw new Error(`unexpected provider page (${response.status}): ${html.slice(0, 500)}`);
      const form = new URLSearchParams({ prompt, login: account, password: 'any' });
      response = await this.request(new URL(action, url).href, {
        method: 'POST',
        body: form.toString(),
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
      });
      location = new URL(response.headers.get('location')!, url).href;
    }
    throw new Error('too many redirects');
  }

  /** A whole sign-in: the callback's response (303 with the session cookie, or an error). */
  async signIn(loginPath: string, account: string): Promise<Response> {
    return this.request(await this.toCallback(loginPath, account));
  }

  /** A GraphQL request as the signed-in browser (its cookies, Tessera's own Origin). */
  async gql(query: string, variables: Record<string, unknown> = {}, headers: Record<string, string> = {}) {
    const response = await this.request(`${this.#tessera.origin}/graphql`, {
      method: 'POST',
      body: JSON.stringify({ query, variables }),
      headers: { 'content-type': 'application/json', origin: this.#tessera.origin, ...headers },
    });
    return { status: response.status, body: (await response.json()) as { data?: any; errors?: any[] } };
  }
}
