import { deparseSync } from 'pgsql-deparser';
import { loadModule } from 'pgsql-parser';
import type { Problem } from '../../../errors.ts';
import { accessDenied, queryRefused } from '../errors.ts';
import { isListKind, listNotAllowed, type ParameterKind, parameterValue } from '../parameters.ts';
import { policyProblems, sampleBinding } from '../policy-functions.ts';
import { GateState } from '../state.ts';
import type { FenceProof, GateRequest, GateTable, RewrittenQuery, TableName } from '../types.ts';
import { needsFence, policyNeedsFence } from './fence.ts';
import { isObject, type PgNode } from './nodes.ts';
import { parseOneSelect, parsePolicyExpression, verifyRoundTrip } from './parse.ts';
import { substitutePostgresPlaceholders } from './placeholders.ts';
import { compilePolicy, typeName } from './policy.ts';
import { fenceProofSql, policyCheckSql } from './policy-check.ts';
import { PgQueryWalker } from './query-walk.ts';
import { instantiate, isWrapped, PolicyTemplates } from './templates.ts';
import { type InvariantPlan, type QuerySlot, tableKey, verifyInvariant } from './verify.ts';

/**
 * Postgres: parse with libpg-query (the server's own parser), walk and rewrite the tree, deparse.
 * Each domain-table reference becomes `(SELECT * FROM schema.table WHERE policy) AS alias`.
 */
export async function rewritePostgres(request: GateRequest): Promise<RewrittenQuery> {
  await loadModule();
  const placeholders = substitutePostgresPlaceholders(request.sql);
  const statement = parseOneSelect(placeholders.text, 'query');
  const state = new GateState();
  // `$1…$m` are the query's placeholders, in the order of the text; the policies' slots follow.
  const slots = querySlots(request, placeholders.uses);
  slots.forEach((slot, i) => {
    state.addQueryParam(slot.value, placeholders.uses[i]!, null);
  });
  const slotOf = (ref: PgNode): { slot: QuerySlot; name: string; number: number } => {
    const number = Number(ref.number);
    const slot = slots[number - 1];
    if (slot === undefined) throw queryRefused('Queries cannot contain parameter placeholders');
    return { slot, name: placeholders.uses[number - 1]!, number };
  };
  const domainSchemas = new Set(request.tables.map((t) => t.schema));
  const templates = new PolicyTemplates(request, domainSchemas);
  const checks = new Map<string, string>();
  const proofs = new Map<string, FenceProof>();
  // Decided on the user's query before the rewrite (it holds no wrappers yet); the invariant
  // check makes the same decision again on the SQL that runs.
  const fenceAll =
    request.fence === 'always' ||
    needsFence(statement, { isPolicyWrapper: () => false, isSlotCast: () => false });
  const walker = new PgQueryWalker({
    defaultSchema: request.defaultSchema,
    table: (rangeVar, schema) => {
      const relname = rangeVar.relname as string;
      const table = request.tables.find((t) => t.schema === schema && t.name === relname);
      if (table === undefined) {
        throw accessDenied(`Table ${schema}.${relname} is not part of this domain`, {
          table: `${schema}.${relname}`,
        });
      }
      state.addTable(table);
      if (request.applyPolicies && table.policy === null && request.requirePolicies) {
        throw accessDenied(`Table ${schema}.${relname} has no row policy`, { table: `${schema}.${relname}` });
      }
      rangeVar.schemaname = schema;
      if (!isWrapped(table, request.applyPolicies)) return null;
      if (table.policy !== null) state.addPolicy(table, table.policy);
      state.addMasks(table);
      const template = templates.of(table);
      const key = tableKey(schema, relname);
      if (!checks.has(key)) checks.set(key, policyCheckSql(table, template));
      const { where, targetList } = instantiate(template, state);
      const fenced = fenceAll || policyNeedsFence(template);
      if (!fenced && !proofs.has(key))
        proofs.set(key, { schema, name: relname, check: fenceProofSql(table) });
      return {
        RangeSubselect: {
          subquery: {
            SelectStmt: {
              targetList: targetList ?? [{ ResTarget: { val: { ColumnRef: { fields: [{ A_Star: {} }] } } } }],
              fromClause: [
                // `inh` absent means ONLY, as the parser writes it (the deparser ignores `inh: false`).
                {
                  RangeVar: {
                    schemaname: schema,
                    relname,
                    ...(rangeVar.inh === true ? { inh: true } : {}),
                    relpersistence: 'p',
                  },
                },
              ],
              ...(where === null ? {} : { whereClause: where }),
              // `OFFSET 0` is an optimization fence: the planner neither pulls this sub-select
              // up nor pushes the user's conditions into it, so no expression of the user's
              // query is evaluated on a row before the policy has let it through (otherwise
              // `WHERE secret::int = 0` could fail on another tenant's row and print its value
              // in the error, or serve as a yes/no oracle over rows the policy hides). It is
              // left out only where the query has no expression that could fail or run code
              // (docs/query-gate.md, "When the fence is dropped"), so the planner can use the
              // table's indexes for the user's ORDER BY as it does under native RLS.
              ...(fenced
                ? { limitOffset: { A_Const: { ival: {} } }, limitOption: 'LIMIT_OPTION_COUNT' }
                : { limitOption: 'LIMIT_OPTION_DEFAULT' }),
              op: 'SETOP_NONE',
            },
          },
          alias: rangeVar.alias ?? { aliasname: relname },
        },
      };
    },
    queryParameter: (ref) => {
      const { slot, name, number } = slotOf(ref);
      if (isListKind(slot.kind)) throw listNotAllowed(name);
      return castParam(number, slot.cast);
    },
    // `x IN ({{list}})` is `x = ANY($k::text[])`, `NOT IN` is `<> ALL(…)`: one parameter, one array.
    queryInList: (expr) => {
      const list = isObject(expr.rexpr) && isObject(expr.rexpr.List) ? expr.rexpr.List : null;
      const items = list !== null && Array.isArray(list.items) ? list.items : [];
      const only = items.length === 1 && isObject(items[0]) ? items[0].ParamRef : undefined;
      if (!isObject(only)) return null;
      const { slot, number } = slotOf(only);
      if (!isListKind(slot.kind)) return null;
      const negated = JSON.stringify(expr.name) === JSON.stringify([{ String: { sval: '<>' } }]);
      return {
        A_Expr: {
          kind: negated ? 'AEXPR_OP_ALL' : 'AEXPR_OP_ANY',
          name: [{ String: { sval: negated ? '<>' : '=' } }],
          lexpr: expr.lexpr,
          rexpr: castParam(number, slot.cast),
        },
      };
    },
  });
  const rewritten = walker.node(statement, null);
  let sql: string;
  try {
    sql = deparseSync({ version: 0, stmts: [{ stmt: rewritten }] } as never, { pretty: false });
  } catch {
    // The deparser recurses; a tree it cannot print is refused like any unaccountable query.
    throw queryRefused('The query cannot be rewritten faithfully');
  }
  const reparsed = verifyRoundTrip(sql, rewritten, state.params.length);
  verifyInvariant(reparsed, invariantPlan(request, state.params, templates, slots));
  const fenceProofs = [...proofs.values()];
  return {
    ...state.result(sql),
    policyChecks: [...checks.values(), ...fenceProofs.map((p) => p.check)],
    ...(fenceProofs.length === 0 ? {} : { fenceProofs }),
  };
}

/** Each placeholder's value, checked, and the cast its parameter gets. */
function querySlots(request: GateRequest, uses: readonly string[]): QuerySlot[] {
  return uses.map((name) => {
    const { kind, value } = parameterValue(request.parameters, name, 'postgres');
    return { kind, value, cast: CASTS[kind] };
  });
}

/** Typed parameters, so a value compares as itself (`'1'` is text, not a number); NULL is left untyped. */
const CASTS: Readonly<Record<ParameterKind, string | null>> = {
  text: 'text',
  int: 'int8',
  numeric: 'numeric',
  bool: 'bool',
  null: null,
  text_list: 'text[]',
  int_list: 'int8[]',
  numeric_list: 'numeric[]',
};

function castParam(number: number, cast: string | null): PgNode {
  const ref: PgNode = { ParamRef: { number } };
  return cast === null ? ref : { TypeCast: { arg: ref, typeName: typeName(cast) } };
}

/**
 * What the invariant check expects, from the request alone: which domain tables may be read
 * bare, and the policy template (compiled from the policy's text) each wrapped table must carry.
 */
export function invariantPlan(
  request: GateRequest,
  params: readonly unknown[],
  templates: PolicyTemplates,
  querySlots: readonly QuerySlot[] = [],
): InvariantPlan {
  const bare = new Set(
    request.tables
      .filter((t) => !request.applyPolicies || (!isWrapped(t, true) && !request.requirePolicies))
      .map((t) => tableKey(t.schema, t.name)),
  );
  return {
    bare,
    params,
    querySlots,
    policyOf(schema, name) {
      const table = request.tables.find((t) => t.schema === schema && t.name === name);
      if (table === undefined || !isWrapped(table, request.applyPolicies)) return null;
      return templates.of(table);
    },
  };
}

/** Save-time check of a Postgres row policy (see `validatePolicy`). Column names compare exactly. */
export async function validatePostgresPolicy(
  policy: string,
  columns: readonly string[] | null,
  table: TableName | undefined,
): Promise<Problem[]> {
  await loadModule();
  const target: GateTable = { schema: table?.schema ?? '', name: table?.name ?? '', policy };
  const user = { email: 'validation@tessera.invalid', attributes: new Map<string, string>() };
  return policyProblems(
    policy,
    columns,
    (a, b) => a === b,
    (noteColumn) =>
      compilePolicy(parsePolicyExpression(policy), target, {
        request: { defaultSchema: table?.schema ?? 'public', user },
        state: new GateState(),
        // Casts to the table's own schema's types (enums, domains) are allowed, as at rewrite time.
        domainSchemas: new Set(table === undefined ? [] : [table.schema]),
        onColumn: noteColumn,
        binder: sampleBinding,
      }),
  );
}
