import { isDeepStrictEqual } from 'node:util';
import { echo } from '../../../errors.ts';
import { type CteNames, WithNames } from '../cte-names.ts';
import { queryRefused } from '../errors.ts';
import type { ParameterKind } from '../parameters.ts';
import { POSTGRES_FUNCTIONS, POSTGRES_TYPES, POSTGRES_VALUE_FUNCTIONS } from './allowlist.ts';
import { needsFence, policyNeedsFence } from './fence.ts';
import { checkFieldName } from './fields.ts';
import { CTE_KEYS, fieldNames, isObject, type PgNode, SELECT_KEYS, stringList, UNWRAPPED } from './nodes.ts';

/**
 * The structural invariant of the Postgres gate, proved on the parse of the SQL that will run
 * (the printed text parsed again), never on the tree the rewrite built (docs/query-gate.md,
 * "PostgreSQL: the structural invariant"):
 *
 * - one SELECT, no INTO, no locking clause, every WITH query a SELECT;
 * - every base-table reference is the inside of a policy wrapper for that table (the policy's
 *   own compiled form, its parameters fresh slots holding the policy's values), or a domain table
 *   read without policy (`bare`), or an unqualified name of a CTE in scope;
 * - every call, cast, operator and field selection outside a policy body is one the allow-lists
 *   permit, with built-in calls pinned to `pg_catalog`;
 * - every parameter `$1…$n` is a slot of exactly one wrapper, or one of the query's own
 *   `{{name}}` slots (`$1…$m`, each with its declared cast and value), and nothing else.
 */
export interface InvariantPlan {
  /** `schema.table` keys (JSON) of domain tables read without a policy. */
  readonly bare: ReadonlySet<string>;
  /** The policy a wrapped table must carry: its compiled tree and the values of its slots. */
  policyOf(
    schema: string,
    name: string,
  ): { where: PgNode | null; targetList: PgNode[] | null; params: readonly unknown[] } | null;
  /** The parameters the query runs with. */
  readonly params: readonly unknown[];
  /** The query's `{{name}}` slots: `$1…$m`, in the order of the text. */
  readonly querySlots?: readonly QuerySlot[];
}

/** One `{{name}}` of the query: what it binds as, its value, and the cast it must carry (null: none). */
export interface QuerySlot {
  readonly kind: ParameterKind;
  readonly value: unknown;
  readonly cast: string | null;
}

export const tableKey = (schema: string, name: string) => JSON.stringify([schema, name]);

// biome-ignore format: a compact word list reads better than one name a line
const PLAIN = new Set([
  'ResTarget', 'String', 'Integer', 'Boolean', 'BitString', 'A_Const', 'A_Star', 'BoolExpr', 'NullTest',
  'BooleanTest', 'JoinExpr', 'Alias', 'CaseExpr', 'CaseWhen', 'CoalesceExpr', 'MinMaxExpr',
  'A_ArrayExpr', 'A_Indices', 'RowExpr', 'List', 'GroupingSet', 'GroupingFunc', 'WindowDef',
  'CollateClause', 'RangeFunction', 'ColumnDef', 'NamedArgExpr', 'CTESearchClause', 'CTECycleClause',
  'TypeCast', 'RangeSubselect',
]);
/** What the server's lexer reads as one number in every version (no `0x…`, no `1_000`). */
const DECIMAL = /^(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

const broken = (what: string) =>
  queryRefused(`The rewritten query breaks the gate's invariant (${echo(what, 100)})`, {
    invariant: echo(what, 100),
  });

export function verifyInvariant(statement: PgNode, plan: InvariantPlan): void {
  const claimed = new Set<number>();
  // Decided on the SQL that runs, with the same rule as the rewrite: a wrapper may lack its
  // fence only if nothing outside the wrappers could fail or run code on a row.
  const fenceFree = !needsFence(statement, {
    isPolicyWrapper: (sub) => protectedTableOf(sub, plan) !== null,
    isSlotCast: (cast) => isDeclaredSlotCast(cast, plan),
  });
  new Verifier(plan, claimed, fenceFree).node(statement, []);
  for (let n = 1; n <= plan.params.length; n++) if (!claimed.has(n)) throw broken(`parameter $${n}`);
  if (claimed.size !== plan.params.length) throw broken('parameters');
}

type Scope = readonly CteNames[];

class Verifier {
  private depth = 0;
  private readonly plan: InvariantPlan;
  private readonly claimed: Set<number>;
  private readonly fenceFree: boolean;

  constructor(plan: InvariantPlan, claimed: Set<number>, fenceFree: boolean) {
    this.plan = plan;
    this.claimed = claimed;
    this.fenceFree = fenceFree;
  }

  node(node: unknown, scope: Scope): void {
    if (!isObject(node)) throw broken('node');
    const keys = Object.keys(node);
    if (keys.length === 0) return; // DISTINCT's `[{}]`
    if (keys.length !== 1) throw broken('node');
    const type = keys[0]!;
    const body = node[type];
    if (!isObject(body)) throw broken(type);
    if (++this.depth > 2000) throw broken('depth');
    try {
      this.typed(type, body, scope);
    } finally {
      this.depth--;
    }
  }

  private typed(type: string, body: PgNode, scope: Scope): void {
    switch (type) {
      case 'SelectStmt':
        this.select(body, scope);
        return;
      case 'RangeSubselect':
        if (this.wrapper(body)) {
          this.fields(body, scope, ['subquery']);
          return;
        }
        this.fields(body, scope);
        return;
      case 'RangeVar':
        this.rangeVar(body, scope);
        return;
      case 'FuncCall': {
        const names = stringList(body.funcname);
        if (names.length !== 2 || names[0] !== 'pg_catalog' || !POSTGRES_FUNCTIONS.has(names[1]!)) {
          throw broken(`function ${names.join('.')}`);
        }
        this.fields(body, scope, ['funcname']);
        return;
      }
      case 'TypeName': {
        if (body.setof === true || body.pct_type !== undefined) throw broken('type');
        const names = stringList(body.names);
        const builtin = names.length === 1 || (names.length === 2 && names[0] === 'pg_catalog');
        if (!builtin || !POSTGRES_TYPES.has(names.at(-1)!)) throw broken(`type ${names.join('.')}`);
        this.fields(body, scope, ['names']);
        return;
      }
      case 'A_Expr':
        operator(body.name);
        this.fields(body, scope, ['name']);
        return;
      case 'SubLink':
        if (body.operName !== undefined) operator(body.operName);
        this.fields(body, scope, ['operName']);
        return;
      case 'SortBy':
        if (body.useOp !== undefined) operator(body.useOp);
        this.fields(body, scope, ['useOp']);
        return;
      case 'ColumnRef':
        fieldNames(body.fields, 1).forEach(checkFieldName);
        this.fields(body, scope);
        return;
      case 'A_Indirection':
        fieldNames(body.indirection, 0).forEach(checkFieldName);
        this.fields(body, scope);
        return;
      case 'SQLValueFunction':
        if (!POSTGRES_VALUE_FUNCTIONS.has(String(body.op))) throw broken(String(body.op));
        return;
      case 'TypeCast':
        if (this.querySlot(body.arg, body.typeName)) return;
        this.fields(body, scope);
        return;
      case 'ParamRef':
        if (!this.querySlot({ ParamRef: body }, null)) throw broken(`parameter $${String(body.number)}`);
        return;
      case 'Float':
        if (typeof body.fval !== 'string' || !DECIMAL.test(body.fval)) throw broken('number literal');
        return;
      default:
        // ParamRef lands here: a parameter outside a policy wrapper is no slot of the gate's.
        if (!PLAIN.has(type)) throw broken(type);
        this.fields(body, scope);
        return;
    }
  }

  private fields(body: PgNode, scope: Scope, skip: readonly string[] = []): void {
    for (const [key, value] of Object.entries(body)) {
      if (skip.includes(key) || value === null || typeof value !== 'object') continue;
      if (Array.isArray(value)) {
        for (const item of value) this.node(item, scope);
      } else if (Object.keys(value).length === 1 && /^[A-Z]/.test(Object.keys(value)[0]!)) {
        this.node(value, scope);
      } else {
        const type = UNWRAPPED[key];
        if (type === undefined || type === 'IntoClause' || type === 'WithClause') throw broken(key);
        this.node({ [type]: value }, scope);
      }
    }
  }

  private select(body: PgNode, scope: Scope): void {
    for (const key of Object.keys(body)) if (!SELECT_KEYS.has(key)) throw broken(`SELECT ${key}`);
    if (body.withClause === undefined) {
      this.fields(body, scope);
      return;
    }
    const clause = body.withClause;
    if (!isObject(clause) || !Array.isArray(clause.ctes)) throw broken('WITH');
    const ctes = clause.ctes.map((cte) => {
      if (!isObject(cte) || !isObject(cte.CommonTableExpr)) throw broken('WITH');
      const c = cte.CommonTableExpr;
      for (const key of Object.keys(c)) if (!CTE_KEYS.has(key)) throw broken(`WITH ${key}`);
      if (typeof c.ctename !== 'string' || !isObject(c.ctequery) || !isObject(c.ctequery.SelectStmt)) {
        throw broken('WITH query');
      }
      return c;
    });
    const names = new WithNames();
    for (const c of ctes) names.add(c.ctename as string);
    // A CTE sees the earlier ones (itself too under RECURSIVE): never more than PostgreSQL lets it.
    ctes.forEach((c, i) => {
      const visible = names.visible(clause.recursive === true ? i + 1 : i);
      this.fields(c, [...scope, visible], ['ctename', 'aliascolnames']);
    });
    this.fields(body, [...scope, names.visible()], ['withClause']);
  }

  /**
   * Whether `node` is a query slot `$k` (k ≤ m) with exactly its declared cast (`type`; null for an
   * untyped slot), holding its declared value, not claimed before; claims it.
   */
  private querySlot(node: unknown, type: unknown): boolean {
    if (!isObject(node) || !isObject(node.ParamRef)) return false;
    const keys = Object.keys(node.ParamRef).filter((k) => k !== 'location');
    const number = Number(node.ParamRef.number);
    const slot = this.plan.querySlots?.[number - 1];
    if (keys.join() !== 'number' || slot === undefined || this.claimed.has(number)) return false;
    const cast = slot.cast === null ? null : typeNameOf(slot.cast);
    if (type === null ? cast !== null : cast === null || !sameShape(type, cast)) return false;
    if (!isDeepStrictEqual(this.plan.params[number - 1], slot.value)) return false;
    this.claimed.add(number);
    return true;
  }

  private rangeVar(body: PgNode, scope: Scope): void {
    for (const key of Object.keys(body)) {
      if (!['schemaname', 'relname', 'inh', 'relpersistence', 'alias', 'location'].includes(key)) {
        throw broken(`table reference ${key}`);
      }
    }
    const { schemaname, relname } = body;
    if (typeof relname !== 'string') throw broken('table reference');
    const ok =
      typeof schemaname === 'string'
        ? this.plan.bare.has(tableKey(schemaname, relname))
        : schemaname === undefined && scope.some((names) => names.has(relname));
    if (!ok) throw broken(`table ${typeof schemaname === 'string' ? `${schemaname}.` : ''}${relname}`);
    this.fields(body, scope, ['schemaname', 'relname']);
  }

  /**
   * Whether a sub-select is a policy wrapper, `(SELECT <projection> FROM s.t WHERE <policy> OFFSET 0)`
   * (without `OFFSET 0` only where `needsFence` and `policyNeedsFence` allow it), with exactly the row policy (if any) and projection (`*`, or the masked columns) of `s.t` and
   * fresh slots holding their values. A sub-select over a protected
   * table in any other shape is not one, and its table reference is then refused.
   */
  private wrapper(body: PgNode): boolean {
    const sub = isObject(body.subquery) ? body.subquery.SelectStmt : undefined;
    if (!isObject(sub)) return false;
    const keys = Object.keys(sub).sort().join(',');
    const shapes = [
      'fromClause,limitOffset,limitOption,op,targetList,whereClause',
      'fromClause,limitOffset,limitOption,op,targetList',
      'fromClause,limitOption,op,targetList,whereClause',
      'fromClause,limitOption,op,targetList',
    ];
    if (!shapes.includes(keys)) return false;
    const from = Array.isArray(sub.fromClause) && sub.fromClause.length === 1 ? sub.fromClause[0] : null;
    const table = isObject(from) && isObject(from.RangeVar) ? from.RangeVar : null;
    if (table === null || typeof table.schemaname !== 'string' || typeof table.relname !== 'string')
      return false;
    const extra = Object.keys(table).filter(
      (k) => !['schemaname', 'relname', 'inh', 'relpersistence', 'location'].includes(k),
    );
    const policy = this.plan.policyOf(table.schemaname, table.relname);
    if (extra.length > 0 || table.relpersistence !== 'p' || policy === null) return false;
    // The projection: `*` without column policies; else exactly the template's, column by
    // column, each masked column with its own condition and mask, so no shape of the user's
    // query can reach a masked column's stored value (docs/query-gate.md "Column masks in the wrapper").
    const star = [{ ResTarget: { val: { ColumnRef: { fields: [{ A_Star: {} }] } } } }];
    const offset = { A_Const: { ival: {} } };
    const fenced = sameShape(sub.limitOffset, offset) && sub.limitOption === 'LIMIT_OPTION_COUNT';
    const unfenced =
      sub.limitOffset === undefined &&
      sub.limitOption === 'LIMIT_OPTION_DEFAULT' &&
      this.fenceFree &&
      !policyNeedsFence(policy);
    if ((!fenced && !unfenced) || sub.op !== 'SETOP_NONE') return false;
    if ((policy.where === null) !== (sub.whereClause === undefined)) return false;
    const slots = new Map<number, number>();
    if (
      policy.targetList === null
        ? !sameShape(sub.targetList, star)
        : !matchPolicy(sub.targetList, policy.targetList, slots)
    )
      return false;
    if (policy.where !== null && !matchPolicy(sub.whereClause, policy.where, slots)) return false;
    for (const [slot, templateSlot] of slots) {
      if (this.claimed.has(slot) || slot < 1 || slot > this.plan.params.length) return false;
      if (!isDeepStrictEqual(this.plan.params[slot - 1], policy.params[templateSlot - 1])) return false;
    }
    if (slots.size !== policy.params.length) return false;
    for (const slot of slots.keys()) this.claimed.add(slot);
    return true;
  }
}

/** The protected table a sub-select reads, if it has a wrapper's `FROM s.t` (its shape is checked by `wrapper`). */
function protectedTableOf(body: PgNode, plan: InvariantPlan): PgNode | null {
  const sub = isObject(body.subquery) ? body.subquery.SelectStmt : undefined;
  if (!isObject(sub) || !Array.isArray(sub.fromClause) || sub.fromClause.length !== 1) return null;
  const from = sub.fromClause[0];
  const table = isObject(from) && isObject(from.RangeVar) ? from.RangeVar : null;
  if (table === null || typeof table.schemaname !== 'string' || typeof table.relname !== 'string')
    return null;
  return plan.policyOf(table.schemaname, table.relname) === null ? null : table;
}

/**
 * Whether a cast is `$k` (a query slot) with exactly the cast its kind gets. The fence rule then
 * reads it as the gate's typing of a bound value; any other cast on a slot (the user's, on an
 * untyped `null` slot) keeps the fence, as it does in the rewrite.
 */
function isDeclaredSlotCast(cast: PgNode, plan: InvariantPlan): boolean {
  const arg = cast.arg;
  if (!isObject(arg) || Object.keys(arg).join() !== 'ParamRef' || !isObject(arg.ParamRef)) return false;
  const slot = plan.querySlots?.[Number(arg.ParamRef.number) - 1];
  return slot !== undefined && slot.cast !== null && sameShape(cast.typeName, typeNameOf(slot.cast));
}

/** `pg_catalog.t` or `pg_catalog.t[]` as the printer's parse gives it back. */
function typeNameOf(cast: string): PgNode {
  const array = cast.endsWith('[]');
  return {
    names: [{ String: { sval: 'pg_catalog' } }, { String: { sval: array ? cast.slice(0, -2) : cast } }],
    typemod: -1,
    ...(array ? { arrayBounds: [{ Integer: { ival: -1 } }] } : {}),
  };
}

function operator(name: unknown): void {
  const op = stringList(name);
  if (op.length > 1 && !(op.length === 2 && op[0] === 'pg_catalog')) throw broken(`operator ${op.join('.')}`);
}

/** Structural equality, positions and parser defaults (false, 0, '') aside. */
function sameShape(a: unknown, b: unknown): boolean {
  return matchPolicy(a, b, null);
}

/**
 * `a` (the query's) against `b` (the template's); with `slots`, a template parameter matches any
 * parameter of the query, one to one, and the pairs are collected.
 */
function matchPolicy(a: unknown, b: unknown, slots: Map<number, number> | null): boolean {
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
    return a.every((item, i) => matchPolicy(item, b[i], slots));
  }
  if (!isObject(a) || !isObject(b)) return a === b;
  if (slots !== null && isObject(a.ParamRef) && isObject(b.ParamRef)) {
    const slot = Number(a.ParamRef.number);
    const templateSlot = Number(b.ParamRef.number);
    if (slots.has(slot) || [...slots.values()].includes(templateSlot)) return false;
    slots.set(slot, templateSlot);
    return true;
  }
  const keysA = meaningful(a);
  const keysB = meaningful(b);
  if (keysA.length !== keysB.length) return false;
  return keysA.every((key) => keysB.includes(key) && matchPolicy(a[key], b[key], slots));
}

function meaningful(node: PgNode): string[] {
  return Object.keys(node).filter((key) => {
    const v = node[key];
    if (key === 'location' || key.endsWith('list_start') || key.endsWith('list_end')) return false;
    return !(v === false || v === 0 || v === '' || v === undefined);
  });
}
