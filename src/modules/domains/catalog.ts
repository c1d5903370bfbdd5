import type { Executor } from '../../db/index.ts';

/**
 * Which domain ids exist in a workspace, for validating role scopes. Until a workspace has real
 * domains, every workspace has one built-in domain whose id is `default` (docs/api-contract.md §4).
 */
export interface DomainCatalog {
  /** The given ids that are not domains of the workspace (in input order, without repeats). */
  unknownDomains(db: Executor, workspaceId: string, ids: readonly string[]): Promise<string[]>;
}

export const BUILT_IN_DOMAIN_ID = 'default';

export const builtInDomainCatalog: DomainCatalog = {
  async unknownDomains(_db, _workspaceId, ids) {
    return [...new Set(ids)].filter((id) => id !== BUILT_IN_DOMAIN_ID);
  },
};
