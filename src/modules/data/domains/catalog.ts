import type { Executor } from '../../../db/index.ts';

/**
 * Which domain ids exist in a workspace, for validating role scopes. Every workspace has one
 * built-in domain whose id is `default` (docs/api-contract.md §4), so scopes written before a
 * workspace had real domains keep working.
 */
export interface DomainCatalog {
  /** The given ids that are not domains of the workspace (in input order, without repeats). */
  unknownDomains(db: Executor, workspaceId: string, ids: readonly string[]): Promise<string[]>;
}

export const BUILT_IN_DOMAIN_ID = 'default';

/**
 * Role scopes validated against real domains (docs/api-contract.md §4). The rows are read
 * `for share`: a role write and a domain delete on the same domain serialize, so a deleted
 * domain cannot gain a new reference.
 */
export const databaseDomainCatalog: DomainCatalog = {
  async unknownDomains(db, workspaceId, ids) {
    const wanted = [...new Set(ids)].filter((id) => id !== BUILT_IN_DOMAIN_ID);
    if (wanted.length === 0) return [];
    const rows = await db
      .selectFrom('data_domains')
      .select('id')
      .where('workspace_id', '=', workspaceId)
      .where('id', 'in', wanted)
      .forShare()
      .execute();
    const known = new Set(rows.map((r) => r.id));
    return wanted.filter((id) => !known.has(id));
  },
};
