import type { Config } from '../config.ts';
import type { RequestLimits } from './request-limits.ts';

/** The largest `first` any paginated field honours (users, auditEvents, outboxMessages). */
export const MAX_PAGE_SIZE = 500;

/**
 * Tessera's request limits, in one place, as documented in docs/limits.md. Each is a ceiling on
 * what one request may ask for, checked before anything runs; the services keep their own,
 * tighter rules where the contract reports them in a compat `status` (e.g. emails per call).
 */
export function requestLimitsFor(config: Config): RequestLimits {
  return {
    maxNesting: 64,
    lists: {
      // Every list argument; an operator who raises the email batch raises the other batches too.
      defaultItems: Math.max(1000, config.maxEmailsPerCall),
      items: {
        // createUsers and deleteUsersFromWorkspace report more than TESSERA_MAX_EMAILS_PER_CALL
        // items in their status (the compat contract): only the setting's own ceiling is a
        // request limit.
        'CreateUsersInput.emails': 100_000,
        'DeleteUsersFromWorkspaceInput.userIds': 100_000,
        // Each condition is one indexed probe of the user's attributes: 20 keep the worst case fast.
        'UserFilter.attributes': 20,
        'AttributeFilter.anyOf': 1000,
      },
    },
    cost: {
      // A listUsers with every User field costs about 210,000 and a 500-user page of users about
      // 106,000: two of the one, four of the other fit; thirty aliased listUsers do not.
      maxCost: 500_000,
      maxPageSize: MAX_PAGE_SIZE,
      defaultListSize: 10,
      listSizes: {
        // listUsers is unpaginated (compat): priced as a workspace of 1000 users.
        'Query.listUsers': 1000,
        'UserGroup.members': 100,
        'Query.userGroups': 100,
        'Query.accessKeys': 100,
        'Query.connections': 100,
        'Query.domains': 100,
        'Query.workspaces': 100,
        'QueryResult.rows': config.data.maxRows,
        'DataDomain.tables': 100,
        'Query.unprotectedTables': 100,
        'Query.discoverTables': 100,
      },
    },
  };
}
