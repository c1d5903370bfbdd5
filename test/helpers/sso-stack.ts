import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  type AccountClaims,
  startTestProvider,
  type TestProvider,
} from '../../examples/sso/test-provider.ts';
import { type RunningServer, startServer } from '../../src/server.ts';
import { STATUS } from './api.ts';
import { startTestApp, type TestApp } from './app.ts';
import type { TestBackend } from './databases.ts';

/**
 * Tessera served over real HTTP on loopback (its public URL is a name; requests to that name go
 * to the socket), with a real OpenID Provider (node-oidc-provider) beside it.
 */
export interface SsoStack {
  readonly t: TestApp;
  readonly server: RunningServer;
  readonly publicUrl: string;
  readonly idp: TestProvider;
  /** The issuer configured in the default workspace against `idp`. */
  readonly issuerId: string;
  readonly loginPath: string;
  /** The path of the issuer's redirect URI. */
  readonly callbackPath: string;
  readonly clientId: string;
  readonly clientSecret: string;
  close(): Promise<void>;
}

export const SCOPES = ['openid', 'email', 'profile', 'tessera'];

export async function configureIssuer(
  t: TestApp,
  input: Record<string, unknown>,
  token = t.rootKey,
): Promise<{ id: string; loginUrl: string; redirectUri: string }> {
  const r = await t.gql(
    `mutation($input: SsoIssuerInput!) { configureSsoIssuer(input: $input) { ${STATUS} issuer { id loginUrl redirectUri } } }`,
    { input },
    token,
  );
  const out = r.body.data?.configureSsoIssuer;
  if (out?.status.code !== 'OK') throw new Error(`configureSsoIssuer: ${JSON.stringify(r.body)}`);
  return out.issuer;
}

export async function setSsoSettings(t: TestApp, input: Record<string, unknown>, token = t.rootKey) {
  const r = await t.gql(
    `mutation($input: SsoSettingsInput!) { setSsoSettings(input: $input) { ${STATUS} } }`,
    { input },
    token,
  );
  if (r.body.data?.setSsoSettings.status.code !== 'OK') throw new Error(JSON.stringify(r.body));
}

/**
 * Starts the stack. The provider is registered with the redirect URI Tessera shows for the
 * issuer, whatever it is (the issuer is configured first, then pointed at the provider).
 */
export async function startSsoStack(
  backend: TestBackend,
  options: { publicUrl?: string; mappings?: { claim: string; attribute: string }[] } = {},
): Promise<SsoStack> {
  const publicUrl = options.publicUrl ?? 'http://tessera.test';
  const t = await startTestApp(backend, { env: { TESSERA_PUBLIC_URL: publicUrl } });
  const server = await startServer(t.app, { host: '127.0.0.1', port: 0 });
  const clientId = 'tessera-client';
  const clientSecret = 'a-client-secret-of-enough-length-0123456789';
  const placeholder = await configureIssuer(t, {
    name: 'corp',
    discoveryUrl: 'http://127.0.0.1:9/',
    clientId,
    clientSecret,
    scopes: SCOPES,
    attributeMappings: options.mappings ?? [],
  });
  const idp = await startTestProvider([{ clientId, clientSecret, redirectUri: placeholder.redirectUri }]);
  await configureIssuer(t, { id: placeholder.id, discoveryUrl: idp.issuer });
  return {
    t,
    server,
    publicUrl,
    idp,
    issuerId: placeholder.id,
    loginPath: new URL(placeholder.loginUrl).pathname + new URL(placeholder.loginUrl).search,
    callbackPath: new URL(placeholder.redirectUri).pathname,
    clientId,
    clientSecret,
    close: async () => {
      await idp.close();
      await new Promise<void>((resolve) => {
        server.server.close(() => resolve());
        server.server.closeAllConnections();
      });
      await t.close();
    },
  };
}

export interface Cookie {
  readonly value: string;
  readonly raw: string;
}

/**
 * A browser over real HTTP: a cookie jar per host, redirects followed by hand. Requests to
 * Tessera's public host go to its socket on loopback.
 */
export class Browser {
  readonly jar = new Map<string, Map<string, Cookie>>();
  readonly #public: URL;
  readonly #wire: URL;
  /** Every response Tessera sent, for checks on headers. */
  readonly tesseraResponses: Response[] = [];

  constructor(stack: { readonly publicUrl: string; readonly server: RunningServer }) {
    this.#public = new URL(stack.publicUrl);
    this.#wire = new URL(stack.server.url);
  }

  get origin(): string {
    return this.#public.origin;
  }

  cookie(name: string, host = this.#public.host): string | undefined {
    return this.jar.get(host)?.get(name)?.value;
  }

  setCookie(name: string, value: string, host = this.#public.host): void {
    const jar = this.jar.get(host) ?? new Map<string, Cookie>();
    jar.set(name, { value, raw: `${name}=${value}` });
    this.jar.set(host, jar);
  }

  async request(
    url: string,
    init: { method?: string; body?: string; headers?: Record<string, string> } = {},
  ): Promise<Response> {
    const target = new URL(url, this.#public);
    const toTessera = target.host === this.#public.host;
    const wire = toTessera ? new URL(target.pathname + target.search, this.#wire) : target;
    const headers: Record<string, string> = { ...init.headers };
    const cookies = [...(this.jar.get(target.host) ?? [])].map(([k, c]) => `${k}=${c.value}`).join('; ');
    if (cookies && headers.cookie === undefined) headers.cookie = cookies;
    const response = await fetch(wire, {
      method: init.method ?? 'GET',
      headers,
      body: init.body ?? null,
      redirect: 'manual',
    });
    if (toTessera) this.tesseraResponses.push(response);
    const jar = this.jar.get(target.host) ?? new Map<string, Cookie>();
    for (const line of response.headers.getSetCookie()) {
      const [pair, ...attrs] = line.split(';');
      const eq = pair!.indexOf('=');
      const name = pair!.slice(0, eq).trim();
      const value = pair!.slice(eq + 1).trim();
      if (attrs.some((a) => /^\s*max-age=0\s*$/i.test(a)) || value === '') jar.delete(name);
      else jar.set(name, { value, raw: line });
    }
    this.jar.set(target.host, jar);
    return response;
  }

  /**
   * Follows redirects and the provider's login and consent forms as `account`, and stops at the
   * first redirect back to Tessera's callback, which it returns unfollowed.
   */
  async toCallback(start: string, account: string): Promise<string> {
    let location = start;
    for (let hops = 0; hops < 30; hops++) {
      const url = new URL(location, this.#public).href;
      const at = new URL(url);
      if (at.origin === this.#public.origin && /^\/sso\/[^/]+\/callback\//.test(at.pathname)) return url;
      const response = await this.request(url);
      if (response.status >= 300 && response.status < 400) {
        location = new URL(response.headers.get('location')!, url).href;
        continue;
      }
      const html = await response.text();
      const action = /<form[^>]*action="([^"]+)"/.exec(html)?.[1];
      const prompt = /name="prompt" value="([^"]+)"/.exec(html)?.[1];
      if (!action || !prompt) throw new Error(`unexpected page (${response.status}): ${html.slice(0, 500)}`);
      const posted = await this.request(new URL(action, url).href, {
        method: 'POST',
        body: new URLSearchParams({ prompt, login: account, password: 'any' }).toString(),
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
      });
      location = new URL(posted.headers.get('location')!, url).href;
    }
    throw new Error('too many redirects');
  }

  async signIn(loginPath: string, account: string): Promise<Response> {
    return this.request(await this.toCallback(loginPath, account));
  }

  /** A GraphQL POST with the browser's cookies and, by default, Tessera's own Origin. */
  async gql(query: string, variables: Record<string, unknown> = {}, headers: Record<string, string> = {}) {
    const response = await this.request('/graphql', {
      method: 'POST',
      body: JSON.stringify({ query, variables }),
      headers: { 'content-type': 'application/json', origin: this.origin, ...headers },
    });
    const text = await response.text();
    let body: { data?: any; errors?: any[] } = {};
    try {
      body = JSON.parse(text);
    } catch {
      body = { errors: [{ message: text }] };
    }
    return { status: response.status, body };
  }
}

/** The error code of a failed sign-in's JSON body. */
export async function errorOf(
  response: Response,
): Promise<{ status: number; code?: string; reason?: string }> {
  const text = await response.text();
  try {
    const body = JSON.parse(text) as { errors?: { extensions?: { code?: string; reason?: string } }[] };
    return {
      status: response.status,
      code: body.errors?.[0]?.extensions?.code,
      reason: body.errors?.[0]?.extensions?.reason,
    };
  } catch {
    return { status: response.status, code: `not JSON: ${text.slice(0, 200)}` };
  }
}

/** A minimal HTTP server on loopback with one handler, for rogue identity providers. */
export async function startHttp(
  handler: (req: IncomingMessage, res: ServerResponse, base: string) => void | Promise<void>,
): Promise<{ url: string; close(): Promise<void> }> {
  let base = '';
  const server: Server = createServer((req, res) => {
    Promise.resolve(handler(req, res, base)).catch((err) => {
      res.statusCode = 500;
      res.end(String(err));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url: base,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

export type { AccountClaims };
