import { createHash, randomBytes } from 'node:crypto';
import { AppError, echo } from '../../../errors.ts';
import type {
  BoundValue,
  GateRequest,
  GateUser,
  PolicyFunction,
  RewrittenQuery,
  SqlDialect,
} from '../../query-gate/index.ts';
import type { loadGate } from '../gate.ts';

type Gate = Awaited<ReturnType<typeof loadGate>>;

/** One compat call of the policies a query reads, e.g. `USER_ATTRIBUTE_INT('tenant')`. */
interface PolicyCall {
  readonly fn: PolicyFunction;
  readonly key: string | null;
}

/**
 * Which call fills a parameter: its whole value (a scalar, or a list bound as one array) or one
 * element; or which `{{name}}` of the request's query parameters (docs/query-gate.md "Query parameters").
 */
type ParamSlot =
  | { readonly call: number; readonly element: number | null }
  | { readonly parameter: string; readonly element: number | null };

type CallSlot = Extract<ParamSlot, { call: number }>;

/** A rewrite without its values: the checked SQL, the calls in the gate's order, and where each value goes. */
interface CachedRewrite {
  readonly sql: string;
  readonly calls: readonly PolicyCall[];
  readonly slots: readonly ParamSlot[];
  readonly tables: RewrittenQuery['tables'];
  readonly policies: RewrittenQuery['policies'];
  readonly attributesUsed: RewrittenQuery['attributesUsed'];
  readonly maskedColumns: RewrittenQuery['maskedColumns'];
  /** The standalone policy proofs the executor must run before the query (no values in them). */
  readonly policyChecks: RewrittenQuery['policyChecks'];
  readonly fenceProofs: RewrittenQuery['fenceProofs'];
}

const MAX_ENTRIES = 500;
/** Printed SQL held at most, in characters, so long queries cannot pin much memory. */
const MAX_CHARS = 8_000_000;

/**
 * The gate's rewrite, remembered (docs/query-gate.md, "The rewrite cache"). The gate's output is a
 * function of its request alone, and attribute values only ever reach it as bound parameters,
 * so the printed SQL is the same for every user of a domain. The key is everything the gate
 * reads except the user's values: dialect, default schema, the domain's tables with their
 * row and column policies (and the column lists those project), whether policies apply, requireRowPolicies, whether every wrapper keeps its fence, and the SQL text. Those come from the
 * request's snapshot, current on every request (docs/data-access.md "The snapshot cache"), so a
 * policy, table, mapping, connection or settings change on any instance is a different key on the
 * next request.
 * A miss runs the full rewrite, invariant check included, once per distinct printed SQL.
 */
export class RewriteCache {
  readonly #entries = new Map<string, CachedRewrite>();
  #chars = 0;
  #hits = 0;
  #misses = 0;

  /** The rewrite of `request`: from the cache (a lookup and a bind) or from the gate. */
  async rewrite(
    gate: Gate,
    request: GateRequest,
    domain: { workspaceId: string; id: string },
  ): Promise<RewrittenQuery> {
    const key = cacheKey(gate, request, domain);
    const known = this.#entries.get(key);
    if (known !== undefined) {
      // Most recently used last: the first key is the one to evict.
      this.#entries.delete(key);
      this.#entries.set(key, known);
      this.#hits++;
      return bindRewrite(gate, known, request);
    }
    this.#misses++;
    const probe = new SlotProbe(gate, request.user, request.dialect);
    const rewritten = await gate.rewriteQuery({ ...request, user: { ...request.user, binder: probe.bind } });
    const entry = probe.entry(rewritten);
    if (entry === null) return gate.rewriteQuery(request);
    if (entry.cacheable) this.#store(key, entry.rewrite);
    return bindRewrite(gate, entry.rewrite, request);
  }

  /** Entries, the SQL characters they hold, hits and misses since start (for tests and benchmarks). */
  stats(): { entries: number; chars: number; hits: number; misses: number } {
    return { entries: this.#entries.size, chars: this.#chars, hits: this.#hits, misses: this.#misses };
  }

  #store(key: string, entry: CachedRewrite): void {
    if (entry.sql.length > MAX_CHARS / 4) return;
    // Concurrent misses of one key each store it: the entry replaced no longer counts, so the
    // count stays the sum of what is held and never keeps the cache emptier than its bounds.
    const replaced = this.#entries.get(key);
    if (replaced !== undefined) {
      this.#entries.delete(key);
      this.#chars -= replaced.sql.length;
    }
    this.#entries.set(key, entry);
    this.#chars += entry.sql.length;
    while (this.#entries.size > MAX_ENTRIES || this.#chars > MAX_CHARS) {
      const [oldest, evicted] = this.#entries.entries().next().value!;
      this.#entries.delete(oldest);
      this.#chars -= evicted.sql.length;
    }
  }
}

function cacheKey(gate: Gate, request: GateRequest, domain: { workspaceId: string; id: string }): string {
  const inputs = [
    domain.workspaceId,
    domain.id,
    request.dialect,
    request.defaultSchema,
    request.applyPolicies,
    request.requirePolicies,
    request.tables.map((t) => [t.schema, t.name, t.policy, t.columns ?? null, t.columnPolicies ?? null]),
    request.sql,
    request.fence ?? null,
    // The kinds of the query-parameter values (and, on MySQL, list lengths), never the values.
    gate.parameterShape(request.parameters, request.dialect),
  ];
  return createHash('sha256').update(JSON.stringify(inputs), 'utf8').digest('base64');
}

/** The user's values for an entry: each call bound in the gate's order, so errors are the gate's own. */
function bindRewrite(gate: Gate, entry: CachedRewrite, request: GateRequest): RewrittenQuery {
  const values = entry.calls.map((call) => bindChecked(gate, call, request.user, request.dialect));
  const queryParameters: NonNullable<RewrittenQuery['queryParameters']>[number][] = [];
  return {
    sql: entry.sql,
    params: entry.slots.map((slot, index) => {
      const { element } = slot;
      if ('parameter' in slot) {
        queryParameters.push({ index, name: slot.parameter, element });
        // Checked as the gate checks it; the key guarantees the same kind (and list length).
        const { value } = gate.parameterValue(request.parameters, slot.parameter, request.dialect);
        return element === null || !Array.isArray(value) ? value : value[element];
      }
      const bound = values[slot.call]!;
      if ('value' in bound) return bound.value;
      return element === null ? [...bound.values] : bound.values[element];
    }),
    tables: entry.tables,
    policies: entry.policies,
    attributesUsed: entry.attributesUsed,
    ...(entry.maskedColumns ? { maskedColumns: entry.maskedColumns } : {}),
    ...(entry.policyChecks ? { policyChecks: entry.policyChecks } : {}),
    ...(entry.fenceProofs ? { fenceProofs: entry.fenceProofs } : {}),
    ...(queryParameters.length > 0 ? { queryParameters } : {}),
  };
}

/**
 * `bindPolicyFunction` plus the check the PostgreSQL rewrite makes on each parameter it adds
 * (text cannot hold NUL), with the same code and message, so a hit refuses what a miss refuses.
 */
function bindChecked(gate: Gate, call: PolicyCall, user: GateUser, dialect: SqlDialect): BoundValue {
  const bound = gate.bindForUser(call.fn, call.key, user);
  if (dialect !== 'postgres') return bound;
  const texts = 'value' in bound ? [bound.value] : bound.values;
  if (texts.some((v) => typeof v === 'string' && v.includes('\u0000'))) {
    const what = call.fn === 'user_email' ? 'USER_EMAIL()' : String(call.key);
    throw new AppError(
      'ATTRIBUTE_TYPE_MISMATCH',
      `${echo(what)} contains a NUL character, which PostgreSQL text cannot hold`,
      { extra: { attribute: what } },
    );
  }
  return bound;
}

/**
 * Finds the slots of one rewrite: each compat call is bound for the real user first (so a miss
 * raises exactly the gate's errors), then handed to the gate as stand-in values of the same kind
 * and length, unique to the call and element. Every parameter of the rewrite comes from a call,
 * so each one names its slot. Lists expanded into `IN (…)` make the SQL depend on their length:
 * those rewrites are bound but not kept.
 */
class SlotProbe {
  readonly #gate: Gate;
  readonly #user: GateUser;
  readonly #dialect: SqlDialect;
  readonly #nonce = randomBytes(9).toString('base64url');
  readonly #calls: PolicyCall[] = [];
  readonly #standIns: BoundValue[] = [];
  readonly #byValue = new Map<string | number, CallSlot>();
  #nextNumber = 4_000_000_000_000_000;
  #emptyList = false;

  constructor(gate: Gate, user: GateUser, dialect: SqlDialect) {
    this.#gate = gate;
    this.#user = user;
    this.#dialect = dialect;
  }

  readonly bind = (fn: PolicyFunction, key: string | null): BoundValue => {
    const known = this.#calls.findIndex((c) => c.fn === fn && c.key === key);
    if (known >= 0) return this.#standIns[known]!;
    const call = { fn, key };
    const real = bindChecked(this.#gate, call, this.#user, this.#dialect);
    const index = this.#calls.push(call) - 1;
    const standIn = this.#standIn(real, index);
    this.#standIns.push(standIn);
    return standIn;
  };

  #standIn(real: BoundValue, call: number): BoundValue {
    const text = (element: number | null): string => {
      const value = `tessera-slot:${this.#nonce}:${call}:${element ?? '-'}`;
      this.#byValue.set(value, { call, element });
      return value;
    };
    const number = (element: number | null): number => {
      const value = this.#nextNumber++;
      this.#byValue.set(value, { call, element });
      return value;
    };
    switch (real.kind) {
      case 'text':
      case 'untyped':
        return { kind: real.kind, value: text(null) };
      case 'int':
        return { kind: 'int', value: number(null) };
      case 'text_list':
        if (real.values.length === 0) this.#emptyList = true;
        return { kind: 'text_list', values: real.values.map((_, i) => text(i)) };
      case 'int_list':
        if (real.values.length === 0) this.#emptyList = true;
        return { kind: 'int_list', values: real.values.map((_, i) => number(i)) };
    }
  }

  /** The rewrite as slots, or null when a parameter cannot be traced to one call. */
  entry(rewritten: RewrittenQuery): { rewrite: CachedRewrite; cacheable: boolean } | null {
    // An empty list bound as one array leaves nothing to trace it by.
    if (this.#emptyList) return null;
    const slots: ParamSlot[] = [];
    let expanded = false;
    const fromQuery = new Map((rewritten.queryParameters ?? []).map((q) => [q.index, q]));
    for (const [index, param] of rewritten.params.entries()) {
      const query = fromQuery.get(index);
      if (query !== undefined) {
        // A `{{name}}` value: the key holds its kind and list length, so the SQL depends on nothing else.
        slots.push({ parameter: query.name, element: query.element });
        continue;
      }
      const slot = this.#slotOf(param);
      if (slot === null) return null;
      if (slot.element !== null) expanded = true;
      slots.push(slot);
    }
    return {
      rewrite: {
        sql: rewritten.sql,
        calls: [...this.#calls],
        slots,
        tables: rewritten.tables,
        policies: rewritten.policies,
        attributesUsed: rewritten.attributesUsed,
        maskedColumns: rewritten.maskedColumns,
        policyChecks: rewritten.policyChecks,
        fenceProofs: rewritten.fenceProofs,
      },
      cacheable: !expanded,
    };
  }

  #slotOf(param: unknown): CallSlot | null {
    if (typeof param === 'string' || typeof param === 'number') return this.#byValue.get(param) ?? null;
    if (!Array.isArray(param) || param.length === 0) return null;
    // A list bound as one array: exactly the stand-in list of one call.
    const first = this.#byValue.get(param[0]);
    if (first === undefined || first.element !== 0) return null;
    const standIn = this.#standIns[first.call]!;
    if ('value' in standIn) return null;
    const same = standIn.values.length === param.length && standIn.values.every((v, i) => v === param[i]);
    return same ? { call: first.call, element: null } : null;
  }
}
