import { ROLE_IDS } from '../roles/roles.ts';
import type { DashboardAccess } from './types.ts';
import { SHARE_ROLE_IDS } from './types.ts';

/** Domain roles that edit a domain's dashboards; every other role reaching the domain views them. */
const EDITING_ROLES = new Set<string>([ROLE_IDS.ADMIN, ROLE_IDS.DATA_ADMIN, ROLE_IDS.EXPLORER]);

/**
 * What a user may do with a dashboard of `domainId` (docs/dashboards.md "Who may do what"): the
 * stronger of what their roles on the domain give (ADMIN over the whole workspace reaches every
 * domain) and what the dashboard's sharing roles give them. Pure: the caller reads both fresh.
 */
export function userAccess(
  assignments: readonly { roleId: string; scopes: readonly string[] }[],
  shareRoles: readonly string[],
  domainId: string,
): DashboardAccess | null {
  let access: DashboardAccess | null = null;
  for (const a of assignments) {
    const reaches = a.scopes.includes(domainId) || (a.roleId === ROLE_IDS.ADMIN && a.scopes.length === 0);
    if (!reaches) continue;
    if (EDITING_ROLES.has(a.roleId)) return 'EDIT';
    if (a.roleId !== SHARE_ROLE_IDS.VIEWER && a.roleId !== SHARE_ROLE_IDS.EDITOR) access = 'VIEW';
  }
  if (shareRoles.includes(SHARE_ROLE_IDS.EDITOR)) return 'EDIT';
  if (shareRoles.includes(SHARE_ROLE_IDS.VIEWER)) return 'VIEW';
  return access;
}

/** Whether a user's domain roles let them create dashboards in the domain. */
export function canCreateIn(
  assignments: readonly { roleId: string; scopes: readonly string[] }[],
  domainId: string,
): boolean {
  return userAccess(assignments, [], domainId) === 'EDIT';
}
