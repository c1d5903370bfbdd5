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
  // `names` null: no rules given, so graphql-js's own (specifiedRules). `rules`: the functions
  // first seen, so a rule that is the same function (graphql-js's own) needs no name compared.
  const sets: {
    readonly names: readonly string[] | null;
    readonly rules: readonly ValidationRule[];
    readonly results: WeakMap<DocumentNode, readonly GraphQLError[]>;
  }[] = [];
  const resultsFor = (rules: readonly ValidationRule[] | undefined) => {
    for (const set of sets) if (sameRules(set, rules)) return set.results;
    if (sets.length >= MAX_RULE_SETS) return undefined;
    const set = {
      names: rules ? rules.map((r) => r.name) : null,
      rules: rules ? [...rules] : [],
      results: new WeakMap(),
    };
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

/** Whether `rules` are the set's rules: the same functions, or functions of the same names. */
function sameRules(
  set: { readonly names: readonly string[] | null; readonly rules: readonly ValidationRule[] },
  rules: readonly ValidationRule[] | undefined,
): boolean {
  const { names } = set;
  if (names === null || rules === undefined) return names === null && rules === undefined;
  if (names.length !== rules.length) return false;
  for (let i = 0; i < names.length; i++) {
    const rule = rules[i]!;
    if (rule !== set.rules[i] && rule.name !== names[i]) return false;
  }
  return true;
}
