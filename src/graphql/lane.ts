import { Kind, parse } from 'graphql';
import type { DbScope } from '../db/scope.ts';

/** Root fields that may use the reserved connections (a Query and a Mutation, for compat). */
const RESERVED_FIELDS = new Set(['impersonateUser']);

/**
 * Which pool lane a GraphQL request's statements use. Only a document whose operation selects
 * nothing but reserved fields gets the reserve, decided on the parsed document that will run, so
 * a slow query cannot borrow it by mentioning `impersonateUser` in a comment or an alias.
 */
export function laneOf(body: string | null, search: URLSearchParams): DbScope['lane'] {
  let query: unknown = search.get('query');
  let operationName: unknown = search.get('operationName');
  if (body !== null) {
    // Most requests never mention a reserved field: no second parse for them.
    if (!body.includes('impersonateUser')) return 'main';
    try {
      const params = JSON.parse(body) as { query?: unknown; operationName?: unknown };
      query = params?.query;
      operationName = params?.operationName;
    } catch {
      return 'main';
    }
  }
  if (typeof query !== 'string' || !query.includes('impersonateUser')) return 'main';
  const name = typeof operationName === 'string' ? operationName : '';
  // A backend sends the same document over and over: it is parsed for its lane once.
  const cacheable = query.length <= MAX_CACHED_QUERY_LENGTH;
  const cached = cacheable ? decided.get(name)?.get(query) : undefined;
  if (cached) return cached;
  const lane = laneOfDocument(query, name);
  if (cacheable) {
    if (decidedCount >= MAX_CACHED_DECISIONS) {
      decided.clear();
      decidedCount = 0;
    }
    let byQuery = decided.get(name);
    if (!byQuery) {
      byQuery = new Map();
      decided.set(name, byQuery);
    }
    byQuery.set(query, lane);
    decidedCount++;
  }
  return lane;
}

/** The lanes already decided, by operation name and document text (bounded; cleared when full). */
const decided = new Map<string, Map<string, DbScope['lane']>>();
let decidedCount = 0;
const MAX_CACHED_DECISIONS = 500;
const MAX_CACHED_QUERY_LENGTH = 4096;

function laneOfDocument(query: string, operationName: string): DbScope['lane'] {
  try {
    const operations = parse(query).definitions.filter((d) => d.kind === Kind.OPERATION_DEFINITION);
    const operation =
      operationName !== ''
        ? operations.find((o) => o.name?.value === operationName)
        : operations.length === 1
          ? operations[0]
          : undefined;
    if (!operation || operation.operation === 'subscription') return 'main';
    const reserved = operation.selectionSet.selections.every(
      (s) => s.kind === Kind.FIELD && RESERVED_FIELDS.has(s.name.value),
    );
    return reserved ? 'reserved' : 'main';
  } catch {
    return 'main';
  }
}
