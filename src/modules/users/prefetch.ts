import { type FieldNode, type GraphQLResolveInfo, Kind, type SelectionSetNode } from 'graphql';
import type { RequestContext } from '../../graphql/context.ts';
import type { ListingParts } from './listing.ts';
import type { UserRow } from './queries/users.ts';

/**
 * Before a resolver returns a list of users, fetches the related data its User selection asks
 * for (attributes, role assignments, groups) in one query each, so that the User field resolvers
 * answer synchronously. On 10,000 users this turns 40,000 pending promises into plain values.
 *
 * `path` leads from the resolver's field to the User objects: `[]` for `listUsers`,
 * `['edges', 'node']` for the `users` connection, `['users']` for `createUsers`. (A listing of
 * every user of a workspace attaches its related rows itself: listing.ts.)
 */
export async function prefetchUserFields(
  ctx: RequestContext,
  info: GraphQLResolveInfo,
  { path, users }: { path: readonly string[]; users: readonly UserRow[] },
): Promise<void> {
  if (users.length === 0) return;
  const fields = selectedAt(info, path);
  if (fields.size === 0) return;
  const ids = users.map((u) => u.id);
  const { loaders } = ctx;
  await Promise.all([
    fields.has('userAttributes') || fields.has('name') ? loaders.attributes.prefetch(ids) : undefined,
    fields.has('roleAssignments') ? loaders.roleAssignments.prefetch(ids) : undefined,
    fields.has('userGroups')
      ? (async () => {
          await loaders.groupIds.prefetch(ids);
          await loaders.groups.prefetch(ids.flatMap((id) => loaders.groupIds.peek(id) ?? []));
        })()
      : undefined,
  ]);
}

/** Whether the resolver's field selects `name` (directly or through fragments). */
export function selectsField(info: GraphQLResolveInfo, name: string): boolean {
  return subselections(
    info,
    info.fieldNodes.flatMap((n) => (n.selectionSet ? [n.selectionSet] : [])),
  ).has(name);
}

/** The related rows a listing attaches to its users for the resolver's User selection (listing.ts). */
export function listingParts(info: GraphQLResolveInfo): ListingParts {
  const fields = subselections(
    info,
    info.fieldNodes.flatMap((n) => (n.selectionSet ? [n.selectionSet] : [])),
  );
  return {
    attributes: fields.has('userAttributes') || fields.has('name'),
    roleAssignments: fields.has('roleAssignments'),
    groupIds: fields.has('userGroups'),
  };
}

/**
 * The field names selected at `path` below the resolver's field. They depend only on the field's
 * nodes (and the document's fragments, which come with them): the compiled executor hands the same
 * `fieldNodes` array to every run of a document, so they are worked out once per document and
 * path, not on every page. graphql-js makes a new array per run; its runs simply miss.
 */
function selectedAt(info: GraphQLResolveInfo, path: readonly string[]): ReadonlySet<string> {
  const key = path.join('.');
  let byPath = selectedByNodes.get(info.fieldNodes);
  let fields = byPath?.get(key);
  if (fields) return fields;
  let sets = info.fieldNodes.flatMap((n) => (n.selectionSet ? [n.selectionSet] : []));
  for (const name of path) sets = subselections(info, sets).get(name) ?? [];
  fields = new Set(subselections(info, sets).keys());
  if (!byPath) {
    byPath = new Map();
    selectedByNodes.set(info.fieldNodes, byPath);
  }
  byPath.set(key, fields);
  return fields;
}

const selectedByNodes = new WeakMap<readonly FieldNode[], Map<string, ReadonlySet<string>>>();

/**
 * The fields selected directly in `sets` (through fragments too), each with its own selection
 * sets. Directives (@skip, @include) are ignored: at worst a skipped field is fetched for nothing.
 */
function subselections(
  info: GraphQLResolveInfo,
  sets: readonly SelectionSetNode[],
): Map<string, SelectionSetNode[]> {
  const out = new Map<string, SelectionSetNode[]>();
  const visit = (set: SelectionSetNode, seenFragments: Set<string>) => {
    for (const selection of set.selections) {
      if (selection.kind === Kind.FIELD) {
        const list = out.get(selection.name.value) ?? [];
        if (selection.selectionSet) list.push(selection.selectionSet);
        out.set(selection.name.value, list);
      } else if (selection.kind === Kind.INLINE_FRAGMENT) {
        visit(selection.selectionSet, seenFragments);
      } else {
        const name = selection.name.value;
        const fragment = info.fragments[name];
        if (fragment && !seenFragments.has(name))
          visit(fragment.selectionSet, new Set([...seenFragments, name]));
      }
    }
  };
  for (const set of sets) visit(set, new Set());
  return out;
}
