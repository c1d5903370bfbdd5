// The tokens Tessera issues (docs/sessions.md "What is in the token"), as the server signs them
// and as the embed page reads them. Browser-safe: no Node APIs.

/**
 * The two kinds of JWT Tessera issues (docs/api-contract.md §1). Distinct `typ` and `aud`, so neither is
 * ever accepted in place of the other (RFC 8725 §3.11–3.12), and neither looks like an access key.
 */
export const SESSION_TOKEN = { typ: 'session+jwt', aud: 'tessera-session' } as const;
export const API_TOKEN = { typ: 'at+jwt', aud: 'tessera-api' } as const;

/** Signature algorithms a verifier of session tokens accepts (docs/sessions.md "How every bearer JWT is checked": explicit allow-list). */
export const SESSION_TOKEN_ALGORITHMS = ['ES256', 'EdDSA'] as const;

/** The claims of a session token (`impersonateUser`). */
export interface SessionClaims {
  readonly iss: string;
  readonly aud: typeof SESSION_TOKEN.aud;
  readonly sub: string;
  readonly impersonated_user_id: string;
  readonly email: string;
  readonly wid: string;
  /** Transient attributes (docs/sessions.md "What is in the token"): only ever in the token. */
  readonly attrs: Record<string, string>;
  readonly act: { readonly sub: string };
  readonly iat: number;
  readonly exp: number;
  readonly jti: string;
}

/** The claims of an API token (`exchangeAccessToken`). `perms` are permission names. */
export interface ApiClaims<P extends string = string> {
  readonly iss: string;
  readonly aud: typeof API_TOKEN.aud;
  /** The access key id the token was exchanged from. */
  readonly sub: string;
  readonly wid: string;
  readonly perms: readonly P[];
  readonly iat: number;
  readonly exp: number;
  readonly jti: string;
}

/** What the embed page relies on from a verified session token. */
export type EmbedSessionClaims = Pick<
  SessionClaims,
  'sub' | 'email' | 'wid' | 'iss' | 'exp' | 'iat' | 'jti'
> & { readonly attrs: Readonly<Record<string, string>> };
