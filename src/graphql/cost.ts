import {
  type FieldNode,
  type FragmentDefinitionNode,
  type GraphQLCompositeType,
  type GraphQLSchema,
  getArgumentValues,
  getNamedType,
  getNullableType,
  isCompositeType,
  isListType,
  Kind,
  type OperationDefinitionNode,
  type SelectionSetNode,
  typeFromAST,
} from 'graphql';

/**
 * What a query may cost. Every field counts 1 each time it is resolved, so a list multiplies the
 * cost of what is selected under it by its size: its `first` argument when it has one (a
 * connection's `edges` take their parent's `first`), else the estimate in `listSizes` by
 * `Type.field`, else `defaultListSize`. Thirty aliased `listUsers` cost thirty times one, which
 * is what their response weighs (docs/limits.md).
 */
export interface CostModel {
  readonly maxCost: number;
  readonly defaultListSize: number;
  readonly listSizes: Readonly<Record<string, number>>;
  /** The largest `first` any field honours (larger values are clamped, so they cost no more). */
  readonly maxPageSize: number;
}

/** The operation's cost under `model`; fragments are priced once per page size, not per spread. */
export function operationCost(
  request: {
    readonly schema: GraphQLSchema;
    readonly operation: OperationDefinitionNode;
    readonly fragments: ReadonlyMap<string, FragmentDefinitionNode>;
    readonly variables: Readonly<Record<string, unknown>>;
  },
  model: CostModel,
): number {
  const { schema, operation, fragments, variables } = request;
  const root = schema.getRootType(operation.operation);
  if (!root) return 0;
  const fragmentCosts = new Map<string, number>();

  const selectionCost = (
    set: SelectionSetNode,
    type: GraphQLCompositeType,
    pageSize: number | null,
  ): number => {
    let total = 0;
    for (const selection of set.selections) {
      if (selection.kind === Kind.FIELD) {
        total += fieldCost(selection, type, pageSize);
      } else if (selection.kind === Kind.INLINE_FRAGMENT) {
        const on = selection.typeCondition ? typeFromAST(schema, selection.typeCondition) : type;
        if (on && isCompositeType(on)) total += selectionCost(selection.selectionSet, on, pageSize);
      } else {
        const fragment = fragments.get(selection.name.value);
        const on = fragment && typeFromAST(schema, fragment.typeCondition);
        if (!fragment || !on || !isCompositeType(on)) continue;
        const key = `${fragment.name.value}:${pageSize}`;
        let cost = fragmentCosts.get(key);
        if (cost === undefined) {
          // Marked before it is computed: a (invalid) cyclic spread then adds nothing instead of looping.
          fragmentCosts.set(key, 0);
          cost = selectionCost(fragment.selectionSet, on, pageSize);
          fragmentCosts.set(key, cost);
        }
        total += cost;
      }
    }
    return total;
  };

  const fieldCost = (node: FieldNode, parent: GraphQLCompositeType, pageSize: number | null): number => {
    // Unions have no fields of their own (only `__typename`); meta fields cost 1.
    const field = 'getFields' in parent ? parent.getFields()[node.name.value] : undefined;
    if (!field) return 1;
    const first = firstArgument(field, node, variables, model.maxPageSize);
    const named = getNamedType(field.type);
    const children =
      node.selectionSet && isCompositeType(named) ? selectionCost(node.selectionSet, named, first) : 0;
    if (!isListType(getNullableType(field.type))) return 1 + children;
    const size =
      first ??
      (node.name.value === 'edges' ? pageSize : null) ??
      model.listSizes[`${parent.name}.${field.name}`] ??
      model.defaultListSize;
    return size * (1 + children);
  };

  return selectionCost(operation.selectionSet, root, null);
}

function firstArgument(
  field: Parameters<typeof getArgumentValues>[0],
  node: FieldNode,
  variables: Readonly<Record<string, unknown>>,
  maxPageSize: number,
): number | null {
  if (!field.args.some((a) => a.name === 'first')) return null;
  try {
    const first = getArgumentValues(field, node, variables).first;
    return typeof first === 'number' && first >= 0 ? Math.min(first, maxPageSize) : maxPageSize;
  } catch {
    return maxPageSize;
  }
}
