import { type DocumentNode, GraphQLError, Kind, visit } from 'graphql';
import type { Plugin } from 'graphql-yoga';

/**
 * Fields that take an access key as an argument. Over GET the key would travel in the URL, where
 * proxies, access logs and browser history keep it, and impersonateUser starts a session (a
 * write), so a document naming one is served over POST only, like a mutation
 * (docs/api-contract.md §1). The WisdomAI docs send every call as a POST.
 */
const POST_ONLY_FIELDS = new Set(['impersonateUser', 'exchangeAccessToken']);

const namesPostOnlyField = (document: DocumentNode): boolean => {
  let found = false;
  visit(document, {
    [Kind.FIELD](node) {
      if (POST_ONLY_FIELDS.has(node.name.value)) found = true;
    },
  });
  return found;
};

/** Refuses, with 405 like a mutation over GET, a GET whose document names a POST-only field. */
export function postOnlyFields(): Plugin {
  const verdicts = new WeakMap<DocumentNode, boolean>();
  return {
    onParse() {
      return ({ result, context }) => {
        const request = (context as { request?: Request }).request;
        if (request?.method !== 'GET' || !result || result instanceof Error) return;
        const document = result as DocumentNode;
        let postOnly = verdicts.get(document);
        if (postOnly === undefined) {
          postOnly = namesPostOnlyField(document);
          verdicts.set(document, postOnly);
        }
        if (postOnly)
          throw new GraphQLError('impersonateUser and exchangeAccessToken are served over POST only.', {
            extensions: { code: 'BAD_REQUEST', http: { status: 405, headers: { Allow: 'POST' } } },
          });
      };
    },
  };
}
