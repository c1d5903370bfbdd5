import { EnvelopArmor } from '@escape.tech/graphql-armor';
import { type FieldNode, GraphQLError, type ValidationContext, type ValidationRule } from 'graphql';
import type { Plugin } from 'graphql-yoga';

/** Which of the document checks of docs/limits.md apply besides the fixed limits. */
export interface DocumentRulesOptions {
  /** False: `__schema` and `__type` are refused. */
  readonly introspection: boolean;
  /** True: "Did you mean …?" is masked in validation errors (production). */
  readonly hideFieldSuggestions: boolean;
}

type ValidateEnd = (payload: unknown) => void;
type ValidateHook = (payload: { addValidationRule(rule: ValidationRule): void }) => ValidateEnd | undefined;

/**
 * GraphQL Armor's document limits (depth, aliases, directives, tokens) and the introspection rule
 * as two hooks: the token limit keeps its parse hook, and every validation rule is added by one
 * validate hook. Armor installs one plugin per limit, each building its rule again on every
 * request; the rules keep no state between validations (each makes its visitor per validation
 * context), so they are built once here, in armor's order, and the introspection rule after them.
 */
export function documentRules(options: DocumentRulesOptions): Plugin[] {
  const armor = new EnvelopArmor({
    maxDepth: { n: 12 },
    maxAliases: { n: 30 },
    maxDirectives: { n: 20 },
    maxTokens: { n: 20_000 },
    // Replaced by requestLimits' cost, which multiplies by list sizes (docs/limits.md).
    costLimit: { enabled: false },
    blockFieldSuggestion: { enabled: options.hideFieldSuggestions },
  }).protect().plugins;
  const rules: ValidationRule[] = [];
  const afterValidation: ValidateEnd[] = [];
  const parsePlugins: Plugin[] = [];
  for (const plugin of armor) {
    if (plugin.onParse) parsePlugins.push({ onParse: plugin.onParse });
    const onValidate = plugin.onValidate as ValidateHook | undefined;
    // Asked once: each adds its rule, or (the suggestion mask) returns its after-validation step.
    const end = onValidate?.({ addValidationRule: (rule) => rules.push(rule) });
    if (end) afterValidation.push(end);
  }
  if (!options.introspection) rules.push(introspectionDisabled);
  const onValidateEnd = afterValidation.length === 0 ? undefined : afterValidation[0];
  if (afterValidation.length > 1) throw new Error('one after-validation step was expected of armor');
  return [
    ...parsePlugins,
    {
      onValidate({ addValidationRule }) {
        for (const rule of rules) addValidationRule(rule);
        return onValidateEnd;
      },
    },
  ];
}

/** Refuses `__schema` and `__type`; one rule for every request (it keeps no state of its own). */
function introspectionDisabled(context: ValidationContext) {
  return {
    Field(node: FieldNode) {
      if (node.name.value === '__schema' || node.name.value === '__type') {
        context.reportError(
          new GraphQLError('Introspection is disabled', {
            nodes: [node],
            extensions: { code: 'BAD_REQUEST' },
          }),
        );
      }
    },
  };
}
