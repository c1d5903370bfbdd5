import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import Provider, { type Configuration } from 'oidc-provider';

/** Claims of one account of the test provider (its login name is the `sub`). */
export type AccountClaims = Record<string, unknown>;

export interface TestClient {
  readonly clientId: string;
  readonly clientSecret: string;
  readonly redirectUri: string;
  /** ID token lifetime in seconds (default one hour). */
  readonly idTokenTtlSeconds?: number;
}

export interface TestProvider {
  /** The issuer URL, to configure as the discovery URL. */
  readonly issuer: string;
  readonly provider: Provider;
  /** Accounts by login name: set or change claims at any time (an email change, new roles). */
  readonly accounts: Map<string, AccountClaims>;
  close(): Promise<void>;
}

/**
 * A real OpenID Provider (node-oidc-provider) on loopback, for tests and the runnable example
 * (docs/sso.md "A provider to try it with"). Its built-in login page takes any login name that
 * is an account here, with any password. Claims beyond the standard ones (`roles`, `groups`,
 * `org`, `entitlements`) come with the `tessera` scope and are put in the ID token too.
 */
export async function startTestProvider(clients: readonly TestClient[], port = 0): Promise<TestProvider> {
  const accounts = new Map<string, AccountClaims>();
  const server: Server = createServer();
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const ttl = new Map(clients.map((c) => [c.clientId, c.idTokenTtlSeconds ?? 3600]));
  const configuration: Configuration = {
    clients: clients.map((c) => ({
      client_id: c.clientId,
      client_secret: c.clientSecret,
      redirect_uris: [c.redirectUri],
      grant_types: ['authorization_code'],
      response_types: ['code'],
      token_endpoint_auth_method: 'client_secret_basic',
    })),
    findAccount: (_ctx, id) =>
      accounts.has(id) ? { accountId: id, claims: () => ({ sub: id, ...accounts.get(id) }) } : undefined,
    claims: {
      openid: ['sub'],
      email: ['email', 'email_verified'],
      profile: ['name'],
      tessera: ['roles', 'groups', 'org', 'entitlements'],
    },
    scopes: ['openid', 'email', 'profile', 'tessera'],
    conformIdTokenClaims: false,
    features: { devInteractions: { enabled: true } },
    pkce: { required: () => true },
    cookies: { keys: ['tessera-test-provider'] },
    ttl: { IdToken: (_ctx, _token, client) => ttl.get(client.clientId) ?? 3600 },
  };
  const provider = new Provider(issuer, configuration);
  server.on('request', provider.callback());
  return {
    issuer,
    provider,
    accounts,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
