import { findRole, ROLE_IDS } from '../../roles/roles.ts';
import type { StoredAssignment } from '../../users/queries/users.ts';

/** What a user's roles allow in one domain (docs/data-access.md "Domains"). */
export interface DomainAccess {
  /** EXPLORER, BASIC_EXPLORER, DATA_ADMIN or ADMIN on the domain (directly or via a group). */
  readonly canQuery: boolean;
  /** ADMIN on the domain or on the whole workspace (`[]` scopes): bypasses row policies by default. */
  readonly isAdmin: boolean;
  /** Names of the roles that reach the domain, for explanations. */
  readonly roles: readonly string[];
}

/** Pure: the caller reads the user's direct and group assignments fresh (direct ones first). */
export function domainAccess(assignments: readonly StoredAssignment[], domainId: string): DomainAccess {
  const reaching = assignments.filter(
    (a) => a.scopes.includes(domainId) || (a.roleId === ROLE_IDS.ADMIN && a.scopes.length === 0),
  );
  const roles = [...new Set(reaching.map((a) => findRole(a.roleId)).filter((r) => r !== undefined))];
  return {
    canQuery: roles.some((r) => r.adHocQueries),
    isAdmin: roles.some((r) => r.id === ROLE_IDS.ADMIN),
    roles: roles.map((r) => r.name),
  };
}
