import { type ExpressionBuilder, sql } from 'kysely';
import type { Database, Executor } from '../../../db/index.ts';
import { badInput } from '../../../errors.ts';
import { holdsRoleThroughGroup, isGroupMember } from '../../groups/queries.ts';
import { decodeCursor, encodeCursor } from '../cursor.ts';
import { compiledPageQuery, type PageBuilder } from './page-plans.ts';
import type { UserRow } from './users.ts';

export interface AttributeFilter {
  readonly key: string;
  readonly value?: string | null;
  readonly anyOf?: readonly string[] | null;
}

export interface UserFilter {
  readonly emailPrefix?: string | null;
  readonly status?: readonly string[] | null;
  readonly roleId?: string | null;
  readonly groupId?: string | null;
  readonly attribute?: AttributeFilter | null;
  readonly attributes?: readonly AttributeFilter[] | null;
}

export const MAX_PAGE_SIZE = 500;

export interface UserPage {
  readonly rows: UserRow[];
  readonly hasNextPage: boolean;
  readonly endCursor: string | null;
  /** Counted only when asked for: a count over a million users is the expensive part. */
  readonly totalCount: () => Promise<number>;
}

/**
 * Keyset pagination over (email_normalized, id), the order of the workspace/email unique index,
 * so page N costs the same as page 1 however many users there are.
 */
export async function searchUsers(
  db: Executor,
  workspaceId: string,
  search: { readonly filter?: UserFilter | null; readonly first: number; readonly after?: string | null },
): Promise<UserPage> {
  const { filter, first, after } = search;
  if (!Number.isInteger(first) || first < 0) throw badInput('first must be a non-negative integer');
  const limit = Math.min(first, MAX_PAGE_SIZE);
  const cursor = after ? decodeCursor(after) : null;

  const page = compiledPageQuery(db, workspaceId, { filter, limit: limit + 1, cursor }, PAGE_BUILDER);
  const { rows } = await db.executeQuery(page);
  const hasNextPage = rows.length > limit;
  const pageRows = rows.slice(0, limit);
  const last = pageRows.at(-1);
  return {
    rows: pageRows,
    hasNextPage,
    endCursor: last ? encodeCursor(last.email_normalized, last.id) : null,
    // Built only when asked for: building the filter's conditions is Node work on every page.
    totalCount: async () =>
      Number(
        (
          await db
            .selectFrom('users as u')
            .where('u.workspace_id', '=', workspaceId)
            .where((eb) => eb.and(filterConditions(eb, workspaceId, filter)))
            .select(sql<number>`count(*)`.as('n'))
            .executeTakeFirstOrThrow()
        ).n,
      ),
  };
}

/**
 * The page query. With an attribute filter on one value, the page is read in order from
 * `user_attributes_filter_page` (workspace, key, value, email, user), which carries copies of
 * each user's workspace and email: Postgres stops after `limit` rows instead of collecting and
 * sorting every match (see migration 0005). Otherwise it walks the (workspace, email) index.
 */
export function userPageQuery(
  db: Executor,
  workspaceId: string,
  request: {
    readonly filter?: UserFilter | null;
    readonly limit: number;
    readonly cursor: readonly [string, string] | null;
  },
) {
  const { filter, limit, cursor } = request;
  const driver = orderedAttribute(filter);
  if (!driver) {
    let page = db
      .selectFrom('users as u')
      .where('u.workspace_id', '=', workspaceId)
      .where((eb) => eb.and(filterConditions(eb, workspaceId, filter)))
      .selectAll('u');
    if (cursor) page = page.where(sql<boolean>`(u.email_normalized, u.id) > (${cursor[0]}, ${cursor[1]})`);
    return page.orderBy('u.email_normalized').orderBy('u.id').limit(limit);
  }
  let page = db
    .selectFrom('user_attributes as pa')
    .innerJoin('users as u', 'u.id', 'pa.user_id')
    .where('pa.workspace_id', '=', workspaceId)
    .where('pa.key', '=', driver.key)
    .where('pa.value', '=', driver.value)
    .where(indexedValue('pa.value'))
    .where('u.workspace_id', '=', workspaceId)
    .where((eb) =>
      eb.and(filterConditions(eb as unknown as UserExpressionBuilder, workspaceId, filter, driver.filter)),
    )
    // A user may hold the key from both sources (DATABASE and JWT) with the same value.
    .distinctOn(['pa.email_normalized', 'pa.user_id'])
    .selectAll('u');
  if (cursor)
    page = page.where(sql<boolean>`(pa.email_normalized, pa.user_id) > (${cursor[0]}, ${cursor[1]})`);
  return page.orderBy('pa.email_normalized').orderBy('pa.user_id').limit(limit);
}

const PAGE_BUILDER: PageBuilder = { build: userPageQuery, isLongValue: (v) => isLongValue(v) };

/** The first attribute filter that matches exactly one value, if any: it can drive an ordered scan. */
function orderedAttribute(filter: UserFilter | null | undefined) {
  for (const a of [...(filter?.attribute ? [filter.attribute] : []), ...(filter?.attributes ?? [])]) {
    const values = a.anyOf ?? (a.value === null || a.value === undefined ? null : [a.value]);
    if (values?.length === 1 && !isLongValue(values[0]!)) return { filter: a, key: a.key, value: values[0]! };
  }
  return null;
}

/**
 * Values of up to this many bytes are in `user_attributes_filter_page`, longer ones (up to the
 * 4 KiB limit) only in `user_attributes_long_values` by their md5: a btree entry cannot hold a
 * 4 KiB value (migration 0006). The bound is a literal in the SQL, so the planner matches it to
 * each partial index's predicate.
 */
const INDEXED_VALUE_BYTES = 2048;
const isLongValue = (value: string) => Buffer.byteLength(value, 'utf8') > INDEXED_VALUE_BYTES;
const indexedValue = (column: 'pa.value' | 'ua.value') =>
  sql<boolean>`octet_length(${sql.ref(column)}) <= ${sql.lit(INDEXED_VALUE_BYTES)}`;
const longValue = (column: 'ua.value') =>
  sql<boolean>`octet_length(${sql.ref(column)}) > ${sql.lit(INDEXED_VALUE_BYTES)}`;

type UserExpressionBuilder = ExpressionBuilder<Database & { u: Database['users'] }, 'u'>;

/** The filter as conditions on `u`; `handled` is an attribute filter the query already applies. */
function filterConditions(
  eb: UserExpressionBuilder,
  workspaceId: string,
  filter: UserFilter | null | undefined,
  handled?: AttributeFilter,
) {
  const conditions = [];
  if (!filter) return [];
  if (filter.emailPrefix) {
    // email_normalized is COLLATE "C", so a LIKE prefix uses the btree index.
    const escaped = filter.emailPrefix
      .trim()
      .toLowerCase()
      .replace(/[\\%_]/g, (c) => `\\${c}`);
    conditions.push(eb('u.email_normalized', 'like', `${escaped}%`));
  }
  if (filter.status && filter.status.length > 0) conditions.push(eb('u.status', 'in', filter.status));
  if (filter.groupId) {
    conditions.push(isGroupMember(sql.ref<string>('u.id'), filter.groupId));
  }
  if (filter.roleId) {
    const roleId = filter.roleId;
    conditions.push(
      eb.or([
        eb.exists(
          eb
            .selectFrom('user_role_assignments as ra')
            .select(sql`1`.as('one'))
            .whereRef('ra.user_id', '=', 'u.id')
            .where('ra.role_id', '=', roleId),
        ),
        holdsRoleThroughGroup(sql.ref<string>('u.id'), roleId),
      ]),
    );
  }
  const attributes = [...(filter.attribute ? [filter.attribute] : []), ...(filter.attributes ?? [])].filter(
    (a) => a !== handled,
  );
  const attributeMatch = matchingAllAttributes(eb, workspaceId, attributes);
  if (attributeMatch) conditions.push(attributeMatch);
  return conditions;
}

/**
 * The users holding every one of `attributes`, as `u.id IN (probe₁ INTERSECT probe₂ …)`: each
 * condition is one scan of the (workspace, key, value) index, and the planner sees one set
 * operation instead of one semi-join per condition. The semi-join shape made it search join
 * orders over all of them: 0.5 s at 60 conditions, 28 s at 200 (docs/limits.md).
 */
function matchingAllAttributes(
  eb: UserExpressionBuilder,
  workspaceId: string,
  attributes: readonly AttributeFilter[],
) {
  if (attributes.length === 0) return null;
  const probes = [];
  for (const a of attributes) {
    const values = a.anyOf ?? (a.value === null || a.value === undefined ? null : [a.value]);
    if (values !== null && values.length === 0) return sql<boolean>`false`;
    probes.push(attributeProbe(eb, workspaceId, a.key, values));
  }
  const [first, ...rest] = probes;
  return eb(
    'u.id',
    'in',
    rest.reduce((all, probe) => all.intersect(probe), first!),
  );
}

/**
 * The users holding `key` (with one of `values`, when given): one scan of the partial index that
 * holds such values, or both indexes' scans when the values (or any value) may be long.
 */
function attributeProbe(
  eb: UserExpressionBuilder,
  workspaceId: string,
  key: string,
  values: readonly string[] | null,
) {
  const holders = () =>
    eb
      .selectFrom('user_attributes as ua')
      .select('ua.user_id')
      .where('ua.workspace_id', '=', workspaceId)
      .where('ua.key', '=', key);
  const short = values?.filter((v) => !isLongValue(v)) ?? null;
  const long = values?.filter(isLongValue) ?? null;
  const shortProbe = holders()
    .where(indexedValue('ua.value'))
    .$if(short !== null, (qb) => qb.where('ua.value', 'in', short!));
  const longProbe = holders()
    .where(longValue('ua.value'))
    .$if(long !== null, (qb) =>
      qb
        .where(
          sql`md5(ua.value)`,
          'in',
          long!.map((v) => sql<string>`md5(${v})`),
        )
        .where('ua.value', 'in', long!),
    );
  const probe =
    long !== null && long.length === 0
      ? shortProbe
      : short !== null && short.length === 0
        ? longProbe
        : shortProbe.unionAll(longProbe);
  // Always a subquery, so a union stays one operand of the caller's INTERSECT (PostgreSQL pulls a
  // plain one up: the plan is the scan itself).
  return eb.selectFrom(probe.as('held')).select('held.user_id');
}
