import { readFileSync } from 'node:fs';
import type { GraphQLModule, ModuleResolvers } from './context.ts';

/** A module's schema lives in `schema.graphql` beside its resolvers. */
export function defineModule(schemaUrl: URL, resolvers: ModuleResolvers): () => GraphQLModule {
  return () => ({ typeDefs: readFileSync(schemaUrl, 'utf8'), resolvers });
}
