import { readFileSync } from 'node:fs';
import type { GraphQLModule, ModuleResolvers } from './context.ts';

/**
 * A module's schema lives in `schema.graphql` beside its resolvers. `readOnlyQueries` names its
 * root Query fields that only read, so running one twice changes nothing (src/graphql/compiled-reads.ts).
 */
export function defineModule(
  schemaUrl: URL,
  resolvers: ModuleResolvers,
  options: { readonly readOnlyQueries?: readonly string[] } = {},
): () => GraphQLModule {
  return () => ({ typeDefs: readFileSync(schemaUrl, 'utf8'), resolvers, ...options });
}
