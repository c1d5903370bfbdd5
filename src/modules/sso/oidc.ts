import { importJWK, type JWK } from 'jose';
import * as oidc from 'openid-client';
import type { Clock } from '../../clock.ts';
import { AppError } from '../../errors.ts';

/** What the client side of one issuer needs, with its secrets opened. */
export interface IssuerClient {
  readonly id: string;
  readonly discoveryUrl: string;
  readonly clientId: string;
  readonly clientAuth: 'client_secret_basic' | 'client_secret_post' | 'private_key_jwt';
  readonly clientSecret: string | null;
  readonly privateKeyJwk: JWK | null;
}

const METADATA_TTL_MS = 5 * 60_000;
const TIMEOUT_SECONDS = 10;

export const ssoError = (code: ConstructorParameters<typeof AppError>[0], message: string, reason?: string) =>
  new AppError(code, message, reason ? { extra: { reason } } : {});

/** The JWS algorithm for a private key JWK, from its `alg` or its kind. */
export function signingAlgOf(jwk: JWK): string {
  if (typeof jwk.alg === 'string') return jwk.alg;
  if (jwk.kty === 'RSA') return 'RS256';
  if (jwk.kty === 'EC') return jwk.crv === 'P-384' ? 'ES384' : jwk.crv === 'P-521' ? 'ES512' : 'ES256';
  return 'EdDSA';
}

/**
 * openid-client configurations per issuer (docs/sso.md "How a sign-in is checked"). The
 * discovered metadata is kept a few minutes; the Configuration is built per sign-in so that it
 * sees Tessera's clock (tests move it) as the client's clock.
 */
export class OidcClients {
  readonly #clock: Clock;
  readonly #metadata = new Map<string, { until: number; url: string; metadata: oidc.ServerMetadata }>();

  constructor(clock: Clock) {
    this.#clock = clock;
  }

  forget(issuerId: string): void {
    this.#metadata.delete(issuerId);
  }

  async configuration(issuer: IssuerClient): Promise<oidc.Configuration> {
    const insecure = new URL(issuer.discoveryUrl).protocol === 'http:';
    const now = Date.now();
    let cached = this.#metadata.get(issuer.id);
    if (!cached || cached.until < now || cached.url !== issuer.discoveryUrl) {
      let discovered: oidc.Configuration;
      try {
        discovered = await oidc.discovery(
          new URL(issuer.discoveryUrl),
          issuer.clientId,
          undefined,
          undefined,
          {
            timeout: TIMEOUT_SECONDS,
            ...(insecure ? { execute: [oidc.allowInsecureRequests] } : {}),
          },
        );
      } catch (err) {
        throw ssoError(
          'SSO_PROVIDER_UNAVAILABLE',
          'The identity provider could not be reached or its discovery document is not valid',
          codeOf(err) ?? 'discovery',
        );
      }
      cached = {
        until: now + METADATA_TTL_MS,
        url: issuer.discoveryUrl,
        metadata: discovered.serverMetadata(),
      };
      this.#metadata.set(issuer.id, cached);
    }
    const metadata: Partial<oidc.ClientMetadata> = {
      // Tessera's clock is the client's clock: positive when it runs ahead of the system's.
      [oidc.clockSkew]: Math.round((this.#clock.now().getTime() - Date.now()) / 1000),
    };
    const config = new oidc.Configuration(
      cached.metadata,
      issuer.clientId,
      metadata,
      await clientAuth(issuer),
    );
    config.timeout = TIMEOUT_SECONDS;
    if (insecure) oidc.allowInsecureRequests(config);
    // The ID token's signature is checked against the issuer's JWKS too, not only trusted
    // because it came over TLS from the token endpoint.
    oidc.enableNonRepudiationChecks(config);
    return config;
  }
}

async function clientAuth(issuer: IssuerClient): Promise<oidc.ClientAuth> {
  if (issuer.clientAuth === 'private_key_jwt') {
    const jwk = issuer.privateKeyJwk!;
    const key = (await importJWK(jwk, signingAlgOf(jwk))) as CryptoKey;
    return oidc.PrivateKeyJwt(typeof jwk.kid === 'string' ? { key, kid: jwk.kid } : key);
  }
  return issuer.clientAuth === 'client_secret_post'
    ? oidc.ClientSecretPost(issuer.clientSecret ?? '')
    : oidc.ClientSecretBasic(issuer.clientSecret ?? '');
}

const codeOf = (err: unknown): string | undefined =>
  err && typeof err === 'object' && typeof (err as { code?: unknown }).code === 'string'
    ? (err as { code: string }).code
    : undefined;

/**
 * An openid-client failure of the code exchange as one of our codes: the provider refused the
 * code (replayed, expired: SSO_CODE_REJECTED), the ID token failed a check (wrong nonce,
 * audience, issuer, expired, bad signature: SSO_ID_TOKEN_INVALID, `reason` naming the claim), the
 * provider sent an error (SSO_PROVIDER_ERROR), or it could not be reached.
 */
export function exchangeError(err: unknown): AppError {
  if (err instanceof AppError) return err;
  const code = codeOf(err);
  const e = err as { error?: unknown; cause?: { claim?: unknown } };
  if (err instanceof oidc.ResponseBodyError || code === 'OAUTH_RESPONSE_BODY_ERROR') {
    return ssoError(
      'SSO_CODE_REJECTED',
      'The identity provider refused the authorization code',
      String(e.error ?? 'refused'),
    );
  }
  if (err instanceof oidc.AuthorizationResponseError || code === 'OAUTH_AUTHORIZATION_RESPONSE_ERROR') {
    return ssoError(
      'SSO_PROVIDER_ERROR',
      'The identity provider reported an error',
      String(e.error ?? 'error'),
    );
  }
  if (code === 'OAUTH_JWT_CLAIM_COMPARISON_FAILED' || code === 'OAUTH_JWT_TIMESTAMP_CHECK_FAILED') {
    // openid-client wraps oauth4webapi's error, whose cause names the claim.
    const inner = (e.cause as { claim?: unknown; cause?: { claim?: unknown } } | undefined) ?? {};
    const named = inner.claim ?? inner.cause?.claim;
    const claim = typeof named === 'string' ? named : 'claims';
    return ssoError('SSO_ID_TOKEN_INVALID', `The ID token failed its "${claim}" check`, claim);
  }
  if (code === 'OAUTH_UNSUPPORTED_OPERATION') {
    // A JWS algorithm openid-client does not verify (`none`, HS256 with the client secret, …),
    // even when the provider's metadata lists it: the token is refused as unsigned.
    return ssoError('SSO_ID_TOKEN_INVALID', 'The ID token is not signed with a supported algorithm', 'alg');
  }
  if (
    code === 'OAUTH_KEY_SELECTION_FAILED' ||
    code === 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED' ||
    code === 'OAUTH_INVALID_RESPONSE' ||
    code === 'OAUTH_RESPONSE_IS_NOT_CONFORM'
  ) {
    return ssoError('SSO_ID_TOKEN_INVALID', 'The token response or its ID token is not valid', 'invalid');
  }
  if (
    err instanceof TypeError ||
    (err instanceof Error && (err.name === 'AbortError' || err.name === 'TimeoutError'))
  ) {
    return ssoError('SSO_PROVIDER_UNAVAILABLE', 'The identity provider could not be reached', 'network');
  }
  return ssoError('SSO_PROVIDER_ERROR', 'The sign-in with the identity provider failed', code ?? 'unknown');
}
