import { POSTGRES_FUNCTIONS, POSTGRES_TYPES } from './allowlist.ts';
import { ONE_ARGUMENT_CATALOG_FUNCTIONS } from './catalog-functions.ts';
import { CATALOG_TYPES } from './catalog-types.ts';
import { fieldNames, isObject, type PgNode } from './nodes.ts';

/**
 * When a policy wrapper may go without its `OFFSET 0` fence
 * (docs/query-gate.md, "When the fence is dropped"). Without the fence PostgreSQL flattens the
 * wrapper into the user's query and may evaluate the user's expressions on a row before the
 * policy's condition has rejected it. That
 * is harmless only for expressions that can neither raise an error nor run code: PostgreSQL lets
 * only leakproof quals below a security barrier, and since the gate does not know operand types,
 * it is stricter still and allows no operator and no function at all.
 *
 * The rule is on the whole statement, not on where a planner might move an expression: if any
 * part of the statement (outside the policy wrappers themselves) holds anything but column
 * references, constants, parameters, AND/OR/NOT, IS [NOT] NULL, IS [NOT] TRUE/FALSE/UNKNOWN and
 * the five plain aggregates of a bare column (see `plainAggregate`), every protected table keeps
 * its fence. The same function decides in the rewrite and in the
 * invariant check on the re-parsed SQL that runs, so the guarantee holds on what runs.
 */

/** Node types a fence-free statement may contain (each with the field checks in `plainNode`). */
// biome-ignore format: a compact word list reads better than one name a line
const PLAIN = new Set([
  'SelectStmt', 'ResTarget', 'ColumnRef', 'A_Star', 'String', 'Integer', 'Float', 'Boolean', 'A_Const',
  'ParamRef', 'TypeCast', 'BoolExpr', 'NullTest', 'BooleanTest', 'SortBy', 'RangeVar',
  'RangeSubselect', 'JoinExpr', 'Alias', 'WithClause', 'CommonTableExpr', 'TypeName', 'FuncCall',
]);

/**
 * The aggregates a fence-free statement may call, each on one bare column or (count) on `*`.
 * An aggregate's transition runs only in the aggregation above the scans, on rows their quals
 * (the policy's among them) have let through; with nothing but a column as its argument there is
 * no expression a planner could compute earlier, below the policy. Their pg_catalog versions are
 * what these names resolve to on the pinned `search_path`, and none runs code a warehouse user
 * wrote; an error one raises (an interval sum overflowing) comes from rows the user may see.
 */
const PLAIN_AGGREGATES = new Set(['count', 'sum', 'avg', 'min', 'max']);
/** A plain aggregate call's fields: any other (agg_filter, agg_order, over, …) keeps the fence. */
const AGGREGATE_KEYS = new Set(['funcname', 'args', 'agg_star', 'agg_distinct', 'funcformat', 'location']);

/** Structs the parser stores without their type wrapper, under these keys. */
const UNWRAPPED: Readonly<Record<string, string>> = {
  alias: 'Alias',
  typeName: 'TypeName',
  withClause: 'WithClause',
  larg: 'SelectStmt',
  rarg: 'SelectStmt',
  ival: 'Integer',
  fval: 'Float',
  sval: 'String',
  boolval: 'Boolean',
};

// biome-ignore format: a compact word list reads better than one name a line
const SELECT_KEYS = new Set([
  'distinctClause', 'targetList', 'fromClause', 'whereClause', 'groupClause', 'groupDistinct',
  'havingClause', 'valuesLists', 'sortClause', 'limitOffset', 'limitCount', 'limitOption',
  'withClause', 'op',
]);

/** What the statement is: the user's query before the rewrite, or the parse of the printed SQL. */
export interface FenceContext {
  /**
   * Which sub-selects are the gate's own policy wrappers (skipped: the policy is trusted admin
   * SQL, evaluated on every row with or without the fence); the user's query has none.
   */
  readonly isPolicyWrapper: (subselect: PgNode) => boolean;
  /**
   * Whether a cast (a `TypeCast` body) is the gate's typing of a `{{name}}` slot, `$k` with
   * exactly the cast its kind gets, rather than a cast the user wrote, which keeps the fence:
   * under a generic plan it runs per row, and its error would tell whether the table has any
   * rows. The user's query has no such casts yet; the printed SQL has one per typed slot.
   */
  readonly isSlotCast: (cast: PgNode) => boolean;
}

/** Whether every protected table of `statement` must keep its fence. */
export function needsFence(statement: PgNode, context: FenceContext): boolean {
  return !plain(statement, context, 0);
}

/**
 * Whether a policy's own wrapper must be fenced whatever the statement: a column policy (the
 * wrapper's projection hides stored values the user's query must never see) or a policy with a
 * sub-select (then the policy is a join, not a condition of the table's scan, and the scan could
 * compute the user's expressions on rows the join would reject).
 */
export function policyNeedsFence(policy: { where: PgNode | null; targetList: PgNode[] | null }): boolean {
  return policy.targetList !== null || holdsSubLink(policy.where);
}

/**
 * Whether `t.name` could be attribute notation rather than a column: the call `name(t)`, or,
 * when no such function takes `t` (a scalar, such as a function's alias in FROM), the cast of
 * `t` to the built-in type `name`, which can fail on the value it reads.
 */
function callableName(name: string): boolean {
  return (
    ONE_ARGUMENT_CATALOG_FUNCTIONS.has(name) ||
    POSTGRES_FUNCTIONS.has(name) ||
    POSTGRES_TYPES.has(name) ||
    CATALOG_TYPES.has(name)
  );
}

function holdsSubLink(value: unknown): boolean {
  if (Array.isArray(value)) return value.some(holdsSubLink);
  if (!isObject(value)) return false;
  return Object.entries(value).some(([key, v]) => key === 'SubLink' || holdsSubLink(v));
}

function plain(node: unknown, context: FenceContext, depth: number): boolean {
  if (!isObject(node) || depth > 2000) return false;
  const keys = Object.keys(node);
  if (keys.length === 0) return true; // DISTINCT's `[{}]`
  if (keys.length !== 1 || !PLAIN.has(keys[0]!)) return false;
  const type = keys[0]!;
  const body = node[type];
  if (!isObject(body) || !plainNode(type, body, context)) return false;
  if (type === 'RangeSubselect' && context.isPolicyWrapper(body)) return true;
  return Object.entries(body).every(([key, value]) => {
    if (value === null || typeof value !== 'object') return true;
    const items = Array.isArray(value) ? value : [value];
    return items.every((item) => {
      if (!isObject(item)) return false;
      const wrapped = Object.keys(item).length === 1 && /^[A-Z]/.test(Object.keys(item)[0]!);
      if (wrapped || (Array.isArray(value) && Object.keys(item).length === 0)) {
        return plain(item, context, depth + 1);
      }
      const struct = UNWRAPPED[key];
      return struct !== undefined && plain({ [struct]: item }, context, depth + 1);
    });
  });
}

/** The field checks of a plain node: what would add an operator or a function call is refused. */
function plainNode(type: string, body: PgNode, context: FenceContext): boolean {
  switch (type) {
    // A set operation casts each arm's columns to a common type (`numeric` to `float8` can
    // overflow). PostgreSQL pushes no condition into arms whose types differ from the result's,
    // but that is the planner's rule, not one the gate can check: set operations keep the fence.
    case 'SelectStmt':
      return (
        Object.keys(body).every((key) => SELECT_KEYS.has(key)) && (body.op ?? 'SETOP_NONE') === 'SETOP_NONE'
      );
    // The gate's typing of a `{{name}}` slot depends on no row; any other cast could fail on one.
    case 'TypeCast':
      return context.isSlotCast(body);
    // `t.f` is the call `f(t)` when `t` has no column `f` (attribute notation): a qualified
    // name that is also a function's or a type's keeps the fence. A bare name is never a call.
    case 'ColumnRef': {
      const names = fieldNames(body.fields, 1);
      return names.every((name) => !callableName(name));
    }
    case 'FuncCall':
      return plainAggregate(body);
    // `ORDER BY x USING <op>` names an operator.
    case 'SortBy':
      return body.useOp === undefined;
    // USING and NATURAL compare columns with `=`, an operator of types the gate does not know.
    case 'JoinExpr':
      return body.usingClause === undefined && body.isNatural !== true;
    // SEARCH/CYCLE clauses compare rows.
    case 'CommonTableExpr':
      return body.search_clause === undefined && body.cycle_clause === undefined;
    default:
      return true;
  }
}

/**
 * `count(*)`, or count, sum, avg, min or max (optionally DISTINCT) of one column reference, named
 * bare or as `pg_catalog.<name>` (the printed SQL's spelling): no FILTER, no ORDER BY or WITHIN
 * GROUP inside, no OVER (a window reads rows in an order and frame of its own), no VARIADIC.
 * The column reference itself is then held to the rule like any other.
 */
function plainAggregate(call: PgNode): boolean {
  if (!Object.keys(call).every((key) => AGGREGATE_KEYS.has(key))) return false;
  if (call.funcformat !== 'COERCE_EXPLICIT_CALL') return false;
  const names = fieldNames(call.funcname, 0);
  if (!Array.isArray(call.funcname) || names.length !== call.funcname.length) return false;
  const [schema, name] = names.length === 1 ? ['pg_catalog', names[0]!] : names;
  if (names.length > 2 || schema !== 'pg_catalog' || !PLAIN_AGGREGATES.has(name ?? '')) return false;
  const args: unknown[] = Array.isArray(call.args) ? call.args : [];
  if (call.agg_star === true) return name === 'count' && args.length === 0 && call.agg_distinct !== true;
  return args.length === 1 && isObject(args[0]) && Object.keys(args[0]).join() === 'ColumnRef';
}
