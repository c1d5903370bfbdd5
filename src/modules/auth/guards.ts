import { AppError, forbidden, notFound, unauthenticated } from '../../errors.ts';
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

/** What `existingWorkspace` needs of the workspaces service. */
export interface WorkspaceLookup {
  find(id: string): Promise<unknown>;
}

/**
 * `targetWorkspace`, and that it exists: a `site:admin` credential naming a workspace that does
 * not exist gets `NOT_FOUND "Workspace not found"` (docs/api-contract.md §3), never an empty list
 * or a write that fails deeper down. Inside `withStatus` it becomes the status.
 */
export async function existingWorkspace(
  workspaces: WorkspaceLookup,
  principal: Principal,
  requested: string | null | undefined,
): Promise<string> {
  const id = targetWorkspace(principal, requested);
  await workspaceMustExist(workspaces, principal, id);
  return id;
}

/** The second half of `existingWorkspace`, for a mutation that checks it inside its status. */
export async function workspaceMustExist(
  workspaces: WorkspaceLookup,
  principal: Principal,
  workspaceId: string,
): Promise<void> {
  // An access key's own workspace exists: the key was just read, and keys are deleted with their
  // workspace (ON DELETE CASCADE). That saves a query on every request.
  if (principal.kind === 'accessKey' && workspaceId === principal.workspaceId) return;
  if (!(await workspaces.find(workspaceId))) throw notFound('Workspace not found');
}
