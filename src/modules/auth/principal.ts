import type { Permission } from './permissions.ts';

/**
 * Who is calling. Three kinds of credential (docs/api-contract.md §1), never accepted in place of one
 * another: an access key, an API JWT exchanged from one, and a user's session JWT.
 */
export type Principal = KeyPrincipal | SessionPrincipal;

export interface KeyPrincipal {
  readonly kind: 'accessKey' | 'apiToken';
  readonly keyId: string;
  readonly workspaceId: string;
  readonly permissions: ReadonlySet<Permission>;
}

export interface SessionPrincipal {
  readonly kind: 'session';
  readonly userId: string;
  readonly email: string;
  readonly workspaceId: string;
  /** The access key that started the session (the token's `act.sub`). */
  readonly actorKeyId: string | null;
  /** Transient attributes carried in the token; they win over stored ones (docs/data-access.md "Effective attributes"). */
  readonly transientAttributes: ReadonlyMap<string, string>;
  readonly tokenId: string;
  readonly issuedAt: Date;
  readonly expiresAt: Date;
  /**
   * `webSession`: a browser's session cookie (docs/sso.md "Web sessions"), whose `tokenId` is the
   * web session's id; absent for a session JWT.
   */
  readonly credential?: 'webSession';
  /**
   * The workspace's data snapshot version, read in the same statement as the session check
   * (docs/data-access.md "The snapshot cache"); absent where a credential is checked otherwise.
   */
  readonly snapshotVersion?: string;
}

/** The id audit events record as the actor's key. */
export const actorKeyId = (p: Principal | null): string | null =>
  p === null ? null : p.kind === 'session' ? p.actorKeyId : p.keyId;
