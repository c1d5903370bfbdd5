import {
  type DocumentNode,
  type FieldNode,
  type GraphQLField,
  type GraphQLInputType,
  type GraphQLSchema,
  getArgumentValues,
  getNullableType,
  isInputObjectType,
  isListType,
  Kind,
  type OperationDefinitionNode,
  TypeInfo,
  visit,
  visitWithTypeInfo,
} from 'graphql';

/**
 * How many items a list argument may carry, by `InputType.field` or `Type.field(argument)`;
 * every list not named here gets `defaultItems`. These are request limits, checked on the values
 * that would reach the resolvers (literals and variables alike) before anything runs, so no
 * request can build a statement past PostgreSQL's 65,535 bind parameters or hand a service an
 * unbounded batch (docs/limits.md).
 */
export interface ListLimits {
  readonly defaultItems: number;
  readonly items: Readonly<Record<string, number>>;
}

export interface ListLimitViolation {
  readonly path: string;
  readonly limit: number;
  readonly items: number;
}

/** A field with arguments, found by walking the operation once: what the check reads per request. */
interface ArgumentSite {
  readonly node: FieldNode;
  readonly field: GraphQLField<unknown, unknown>;
  readonly parentName: string;
}

/**
 * The fields with arguments of each operation of a document, in walk order. Yoga hands every
 * request of the same text the same parsed document, so the schema walk runs once per document
 * and a request only coerces the arguments it already knows are there.
 */
const sitesBySchema = new WeakMap<
  GraphQLSchema,
  WeakMap<DocumentNode, Map<OperationDefinitionNode, readonly ArgumentSite[]>>
>();

function argumentSites(
  schema: GraphQLSchema,
  document: DocumentNode,
  operation: OperationDefinitionNode,
): readonly ArgumentSite[] {
  let byDocument = sitesBySchema.get(schema);
  if (!byDocument) {
    byDocument = new WeakMap();
    sitesBySchema.set(schema, byDocument);
  }
  let byOperation = byDocument.get(document);
  if (!byOperation) {
    byOperation = new Map();
    byDocument.set(document, byOperation);
  }
  let sites = byOperation.get(operation);
  if (sites) return sites;
  const found: ArgumentSite[] = [];
  const typeInfo = new TypeInfo(schema);
  // Fragments are walked where they are defined: every fragment of a valid document is used.
  const definitions = document.definitions.filter(
    (d) => d === operation || d.kind === Kind.FRAGMENT_DEFINITION,
  );
  visit(
    { kind: Kind.DOCUMENT, definitions },
    visitWithTypeInfo(typeInfo, {
      Field(node) {
        const field = typeInfo.getFieldDef();
        const parent = typeInfo.getParentType();
        if (!field || !parent || field.args.length === 0) return;
        found.push({ node, field, parentName: parent.name });
      },
    }),
  );
  sites = found;
  byOperation.set(operation, sites);
  return sites;
}

/** The first list in the operation's coerced arguments that is longer than its limit, if any. */
export function longList(
  request: {
    readonly schema: GraphQLSchema;
    readonly document: DocumentNode;
    readonly operation: OperationDefinitionNode;
    readonly variables: Readonly<Record<string, unknown>>;
  },
  limits: ListLimits,
): ListLimitViolation | null {
  const { schema, document, operation, variables } = request;
  const check = (
    value: unknown,
    type: GraphQLInputType,
    name: string,
    path: string,
  ): ListLimitViolation | null => {
    const nullable = getNullableType(type);
    if (value === null || value === undefined) return null;
    if (isListType(nullable) && Array.isArray(value)) {
      const limit = limits.items[name] ?? limits.defaultItems;
      if (value.length > limit) return { path, limit, items: value.length };
      for (const [i, item] of value.entries()) {
        const inner = check(item, nullable.ofType, name, `${path}[${i}]`);
        if (inner) return inner;
      }
      return null;
    }
    if (isInputObjectType(nullable) && typeof value === 'object') {
      const fields = nullable.getFields();
      for (const [key, item] of Object.entries(value)) {
        const field = fields[key];
        if (!field) continue;
        const inner = check(item, field.type, `${nullable.name}.${key}`, `${path}.${key}`);
        if (inner) return inner;
      }
    }
    return null;
  };
  for (const { node, field, parentName } of argumentSites(schema, document, operation)) {
    let args: Record<string, unknown>;
    try {
      args = getArgumentValues(field, node, variables);
    } catch {
      continue; // execution reports the coercion error itself
    }
    for (const arg of field.args) {
      const name = `${parentName}.${field.name}(${arg.name})`;
      const found = check(args[arg.name], arg.type, name, `${node.alias?.value ?? field.name}(${arg.name})`);
      if (found) return found;
    }
  }
  return null;
}
