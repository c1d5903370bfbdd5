import type { Executor } from '../../../db/index.ts';
import { BUILT_IN_DOMAIN_ID } from './built-in.ts';
import { sharedDomainIds } from './queries.ts';

export { BUILT_IN_DOMAIN_ID } from './built-in.ts';

/**
 * Which domain ids exist in a workspace, for validating role scopes. Every workspace has one
 * built-in domain whose id is `default` (docs/api-contract.md §4), so scopes written before a
 * workspace had real domains keep working.
 */
export interface DomainCatalog {
  /** The given ids that are not domains of the workspace (in input order, without repeats). */
  unknownDomains(db: Executor, workspaceId: string, ids: readonly string[]): Promise<string[]>;
}

/**
 * Role scopes validated against real domains (docs/api-contract.md §4). The rows are read
 * `for share`: a role write and a domain delete on the same domain serialize, so a deleted
 * domain cannot gain a new reference.
 */
export const databaseDomainCatalog: DomainCatalog = {
  async unknownDomains(db, workspaceId, ids) {
    const wanted = [...new Set(ids)].filter((id) => id !== BUILT_IN_DOMAIN_ID);
    if (wanted.length === 0) return [];
    const known = await sharedDomainIds(db, workspaceId, wanted);
    return wanted.filter((id) => !known.has(id));
  },
};
