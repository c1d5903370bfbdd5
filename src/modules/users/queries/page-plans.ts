import type { CompiledQuery } from 'kysely';
import { bindStandIns, compileWithStandIns, type StandInQuery, standIn } from '../../../db/fixed-query.ts';
import type { Executor } from '../../../db/index.ts';
import type { AttributeFilter, UserFilter } from './search.ts';
import type { UserRow } from './users.ts';

/** What `userPageQuery` is asked for. */
export interface PageRequest {
  readonly filter?: UserFilter | null;
  readonly limit: number;
  readonly cursor: readonly [string, string] | null;
}

/** How search.ts builds the page query, and which attribute values change its SQL (long ones). */
export interface PageBuilder {
  build(db: Executor, workspaceId: string, request: PageRequest): { compile(): CompiledQuery<UserRow> };
  isLongValue(value: string): boolean;
}

/** The filter fields the stand-ins cover; a filter with any other is built every time. */
const FILTER_FIELDS = new Set(['emailPrefix', 'status', 'roleId', 'groupId', 'attribute', 'attributes']);
const ATTRIBUTE_FIELDS = new Set(['key', 'value', 'anyOf']);
const onlyFields = (value: object, fields: ReadonlySet<string>) =>
  Object.keys(value).every((k) => fields.has(k));

/**
 * Filter shapes whose page query is kept. Shapes are the client's choice (which fields, how many
 * values), so the number kept is bounded; a shape past it is built on every call, as before.
 */
const MAX_PLANS = 256;

/**
 * The most filter values (keys included) a kept shape may have, so 256 kept shapes hold about
 * 35 MB at most (measured). A plan holds its SQL, its key and a slot per value, and the request
 * limits allow 20 conditions of 1000 values each (docs/limits.md): 256 such shapes, kept, held
 * about 1 GB for the life of the process, from requests any `iam:read` client may send. A shape
 * with more values is built on every call, as before plans. (bench/attribute-filter's
 * 20-condition shape has 274.)
 */
const MAX_PLAN_VALUES = 300;

/** One compiled page query per filter shape, or null for a shape that cannot take stand-ins. */
const plans = new Map<string, StandInQuery<UserRow> | null>();

/**
 * The page query, compiled once per filter shape (which filters are given, how many values
 * each, whether a value is empty) and bound to this request's values. Building and compiling
 * the page query with Kysely was Node CPU on every `users` page; the SQL text depends only on the
 * shape, since every value is a bound parameter. A filter whose SQL depends on a value itself
 * (an email prefix, escaped into a LIKE pattern; a value too long for the page index) is built
 * every time, and so is a filter of more values than a kept plan may hold.
 */
export function compiledPageQuery(
  db: Executor,
  workspaceId: string,
  request: PageRequest,
  page: PageBuilder,
): CompiledQuery<UserRow> {
  const shape = standInsOf(workspaceId, request, page.isLongValue);
  if (!shape) return page.build(db, workspaceId, request).compile();
  let plan = plans.get(shape.key);
  if (plan === undefined) {
    plan = compileWithStandIns(page.build(db, shape.workspaceId, shape.request));
    if (plans.size < MAX_PLANS) plans.set(shape.key, plan);
  }
  return plan ? bindStandIns(plan, shape.values) : page.build(db, workspaceId, request).compile();
}

/**
 * The request with every value replaced by a stand-in named by its place, those values by name,
 * and the shape as a key; null when the SQL would depend on a value, or when the shape has too
 * many values to keep. An empty string stays itself: the filter treats it as absent
 * (`groupId: ""`), so it is part of the shape.
 */
function standInsOf(
  workspaceId: string,
  request: PageRequest,
  isLongValue: (value: string) => boolean,
): { key: string; workspaceId: string; request: PageRequest; values: Record<string, unknown> } | null {
  const values: Record<string, unknown> = {};
  let dependsOnValue = false;
  // Every filter value counts towards the bound, empty ones too: one kept in the shape instead
  // of a slot still costs the plan its parameter and its place in the SQL and the key.
  let filterValues = 0;
  const slot = <T>(name: string, value: T): T => {
    values[name] = value;
    return standIn(name) as T;
  };
  const text = (name: string, value: string) => {
    filterValues++;
    return value === '' ? '' : slot(name, value);
  };
  const attributeValue = (name: string, value: string) => {
    // The long-value index and the md5 probe are chosen by the value's length (search.ts).
    if (isLongValue(value)) dependsOnValue = true;
    return text(name, value);
  };
  const attribute = (name: string, a: AttributeFilter): AttributeFilter => {
    if (!onlyFields(a, ATTRIBUTE_FIELDS)) dependsOnValue = true;
    return {
      key: text(`${name}.key`, a.key),
      value: a.value == null ? a.value : attributeValue(`${name}.value`, a.value),
      anyOf: a.anyOf == null ? a.anyOf : a.anyOf.map((v, i) => attributeValue(`${name}.anyOf.${i}`, v)),
    };
  };
  const f = request.filter;
  if (f?.emailPrefix || (f && !onlyFields(f, FILTER_FIELDS))) dependsOnValue = true;
  const filter: UserFilter | null | undefined =
    f == null
      ? f
      : {
          emailPrefix: f.emailPrefix,
          status: f.status == null ? f.status : f.status.map((s, i) => text(`status.${i}`, s)),
          roleId: f.roleId == null ? f.roleId : text('roleId', f.roleId),
          groupId: f.groupId == null ? f.groupId : text('groupId', f.groupId),
          attribute: f.attribute == null ? f.attribute : attribute('attribute', f.attribute),
          attributes:
            f.attributes == null ? f.attributes : f.attributes.map((a, i) => attribute(`attributes.${i}`, a)),
        };
  if (dependsOnValue || filterValues > MAX_PLAN_VALUES) return null;
  const cursor = request.cursor
    ? ([slot('cursor.0', request.cursor[0]), slot('cursor.1', request.cursor[1])] as const)
    : null;
  const standIns = { filter, limit: slot('limit', request.limit), cursor };
  return {
    key: JSON.stringify(standIns),
    workspaceId: slot('workspaceId', workspaceId),
    request: standIns,
    values,
  };
}
