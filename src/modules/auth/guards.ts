import { AppError, forbidden, unauthenticated } from '../../errors.ts';
import type { Permission } from './permissions.ts';
import type { KeyPrincipal, Principal, SessionPrincipal } from './principal.ts';

/** The caller must hold an access key or API JWT with `permission`; sessions never do (no `iam:*`). */
export function requirePermission(principal: Principal | null, permission: Permission): KeyPrincipal {
  if (!principal) throw unauthenticated();
  if (principal.kind === 'session' || !principal.permissions.has(permission)) {
    throw forbidden(`This operation needs the ${permission} permission`);
  }
  return principal;
}

export function requireSession(principal: Principal | null): SessionPrincipal {
  if (!principal) throw unauthenticated();
  if (principal.kind !== 'session') throw forbidden('This operation needs a user session token');
  return principal;
}

/**
 * The workspace an operation acts on (docs/api-contract.md §3): omitted means the credential's own;
 * another one needs `site:admin`. Whether it exists is the caller's next check.
 */
export function targetWorkspace(principal: Principal, requested: string | null | undefined): string {
  if (requested === null || requested === undefined || requested === principal.workspaceId)
    return principal.workspaceId;
  if (principal.kind !== 'session' && principal.permissions.has('site:admin')) return requested;
  throw new AppError('FORBIDDEN', 'The credential does not belong to that workspace');
}
