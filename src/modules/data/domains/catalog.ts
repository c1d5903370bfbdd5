import type { DomainCatalog } from '../../domains/catalog.ts';
import { BUILT_IN_DOMAIN_ID } from '../../domains/catalog.ts';
import { sharedDomainIds } from './queries.ts';

/**
 * Role scopes validated against real domains (docs/api-contract.md §4). The built-in `default` domain
 * always exists, so scopes written before domains existed keep working. The rows are read
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
