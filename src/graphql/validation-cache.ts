import type { DocumentNode, GraphQLError, GraphQLSchema, ValidationRule } from 'graphql';
import type { Plugin } from 'graphql-yoga';

/** Rule sets remembered (a set is the plugins' rules: the same on every request of a server). */
const MAX_RULE_SETS = 8;

/**
 * Validation results by document, for each set of rules, as Yoga's own validation cache keeps
 * them, at less cost per request: Yoga names the rule set by joining the ~35 rule names into one
 * string and looking that string up in an LRU cache on every request; this compares the names
 * with the sets already seen, one by one, without building anything. Like Yoga's, a set is told
 * apart by its rules' names (the plugins make new rule functions on every request) and a result
 * is kept as long as its document, which Yoga's parser cache hands out again for the same text.
 *
 * Must come after every plugin that adds a validation rule, so the rules it sees are all of them.
 */
export function validationCache(schema: GraphQLSchema): Plugin {
  // `names` null: no rules given, so graphql-js's own (specifiedRules).
  const sets: {
    readonly names: readonly string[] | null;
    readonly results: WeakMap<DocumentNode, readonly GraphQLError[]>;
  }[] = [];
  const resultsFor = (rules: readonly ValidationRule[] | undefined) => {
    for (const set of sets) if (sameNames(set.names, rules)) return set.results;
    if (sets.length >= MAX_RULE_SETS) return undefined;
    const set = { names: rules ? rules.map((r) => r.name) : null, results: new WeakMap() };
    sets.push(set);
    return set.results;
  };
  return {
    onValidate({ params: { schema: validated, documentAST, rules }, setResult }) {
      if (validated !== schema) return;
      const results = resultsFor(rules);
      if (!results) return;
      const cached = results.get(documentAST);
      if (cached) {
        setResult(cached);
        return;
      }
      return ({ result }) => {
        if (result != null) results.set(documentAST, result);
      };
    },
  };
}

function sameNames(names: readonly string[] | null, rules: readonly ValidationRule[] | undefined): boolean {
  if (names === null || rules === undefined) return names === null && rules === undefined;
  if (names.length !== rules.length) return false;
  for (let i = 0; i < names.length; i++) if (names[i] !== rules[i]!.name) return false;
  return true;
}
