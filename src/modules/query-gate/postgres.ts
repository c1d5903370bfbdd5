import { deparseSync } from 'pgsql-deparser';
import { loadModule, parseSync } from 'pgsql-parser';
import { AppError, echo, type Problem } from '../../errors.ts';
import { accessDenied, queryRefused } from './errors.ts';
import {
  type BoundValue,
  bindPolicyFunction,
  type PolicyFunction,
  sampleBinding,
} from './policy-functions.ts';
import { isObject, type PgNode, PgWalker } from './postgres-walk.ts';
import { GateState } from './state.ts';
import type { GateRequest, GateTable, RewrittenQuery, TableName } from './types.ts';

/**
 * Postgres: parse with libpg-query (the server's own parser), walk and rewrite the tree, deparse.
 * Each domain-table reference becomes `(SELECT * FROM schema.table WHERE policy) AS alias`.
 */
/** Save-time check of a Postgres row policy (see `validatePolicy`). */
export async function validatePostgresPolicy(
  policy: string,
  columns: readonly string[] | null,
  table: TableName | undefined,
): Promise<Problem[]> {
  await loadModule();
  const seen = new Set<string>();
  const target: GateTable = { schema: table?.schema ?? '', name: table?.name ?? '', policy };
  try {
    const expression = parsePolicyExpression(policy);
    const user = { email: 'validation@tessera.invalid', attributes: new Map<string, string>() };
    compilePolicy(
      expression,
      target,
      { defaultSchema: 'public', user },
      new GateState(),
      new Set(),
      (c) => seen.add(c),
      sampleBinding,
    );
  } catch (error) {
    if (!(error instanceof AppError)) throw error;
    return [{ code: 'BAD_USER_INPUT', field: 'policy', item: echo(policy), message: error.message }];
  }
  if (columns === null) return [];
  return [...seen]
    .filter((c) => !columns.includes(c))
    .map((c) => ({
      code: 'BAD_USER_INPUT',
      field: 'policy',
      item: c,
      message: `Unknown column "${echo(c)}"`,
    }));
}

export async function rewritePostgres(request: GateRequest): Promise<RewrittenQuery> {
  await loadModule();
  const statement = parseOneSelect(request.sql, 'query');
  const state = new GateState();
  const policies = new Map<string, PgNode>();
  const domainSchemas = new Set(request.tables.map((t) => t.schema));
  const walker = new PgWalker({
    mode: 'query',
    defaultSchema: request.defaultSchema,
    domainSchemas,
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
      if (!request.applyPolicies || table.policy === null) return null;
      state.addPolicy(table, table.policy);
      let parsed = policies.get(table.policy);
      if (parsed === undefined) {
        parsed = parsePolicyExpression(table.policy);
        policies.set(table.policy, parsed);
      }
      const where = compilePolicy(structuredClone(parsed), table, request, state, domainSchemas);
      return {
        RangeSubselect: {
          subquery: {
            SelectStmt: {
              targetList: [{ ResTarget: { val: { ColumnRef: { fields: [{ A_Star: {} }] } } } }],
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
              whereClause: where,
              limitOption: 'LIMIT_OPTION_DEFAULT',
              op: 'SETOP_NONE',
            },
          },
          alias: rangeVar.alias ?? { aliasname: relname },
        },
      };
    },
    policyFunction: () => {
      throw new Error('unreachable: policy functions are refused in query mode');
    },
    expandListFunction: () => {
      throw new Error('unreachable: policy functions are refused in query mode');
    },
  });
  const rewritten = walker.node(statement, null);
  const sql = deparseSync({ version: 0, stmts: [{ stmt: rewritten }] } as never, { pretty: false });
  verifyRoundTrip(sql, rewritten, state.params.length);
  return state.result(sql);
}

/** Parses SQL that must be exactly one SELECT (VALUES, set operations and WITH included). */
export function parseOneSelect(sql: string, what: 'query' | 'policy'): PgNode {
  let result: { stmts?: { stmt?: unknown }[] };
  try {
    result = parseSync(sql) as typeof result;
  } catch (error) {
    throw queryRefused(
      `The ${what} is not valid SQL: ${echo(error instanceof Error ? error.message : String(error), 200)}`,
    );
  }
  const stmts = result.stmts ?? [];
  if (stmts.length !== 1) throw queryRefused(`Exactly one statement is allowed (found ${stmts.length})`);
  const stmt = stmts[0]!.stmt;
  if (!isObject(stmt) || !isObject(stmt.SelectStmt)) {
    const kind = isObject(stmt) ? Object.keys(stmt)[0] : 'unknown';
    throw queryRefused(`Only read-only SELECT statements are allowed (found ${kind})`, { statement: kind });
  }
  return stmt;
}

/**
 * A policy is an expression; it is parsed as the WHERE of `SELECT 1 WHERE (…)` and the result
 * must have exactly that shape, so a policy cannot smuggle in a second clause or statement.
 */
export function parsePolicyExpression(policy: string): PgNode {
  const stmt = parseOneSelect(`SELECT 1 WHERE (\n${policy}\n)`, 'policy');
  const select = stmt.SelectStmt as PgNode;
  const keys = Object.keys(select).sort().join(',');
  if (keys !== 'limitOption,op,targetList,whereClause' || select.op !== 'SETOP_NONE') {
    throw queryRefused('A row policy must be one boolean expression');
  }
  return select.whereClause as PgNode;
}

/** Walks a policy in policy mode: its tables are qualified, its compat calls become parameters. */
export function compilePolicy(
  expression: PgNode,
  table: GateTable,
  request: Pick<GateRequest, 'defaultSchema' | 'user'>,
  state: GateState,
  domainSchemas: ReadonlySet<string>,
  onColumn?: (name: string) => void,
  binder: (fn: PolicyFunction, key: string | null) => BoundValue = (fn, key) =>
    bindPolicyFunction(fn, key, request.user),
): PgNode {
  const bind = (call: PgNode, fn: PolicyFunction): BoundValue => {
    const key = policyFunctionKey(call, fn);
    if (key !== null) state.useAttribute(key);
    return binder(fn, key);
  };
  const param = (value: unknown, cast: string | null, what: string): PgNode => {
    for (const text of Array.isArray(value) ? value : [value]) {
      if (typeof text === 'string' && text.includes('\u0000')) {
        // PostgreSQL text cannot hold NUL; refusing here beats a driver error mid-query.
        throw new AppError(
          'ATTRIBUTE_TYPE_MISMATCH',
          `${echo(what)} contains a NUL character, which PostgreSQL text cannot hold`,
          {
            extra: { attribute: what },
          },
        );
      }
    }
    const ref: PgNode = { ParamRef: { number: state.addParam(value) } };
    return cast === null ? ref : { TypeCast: { arg: ref, typeName: typeName(cast) } };
  };
  const walker = new PgWalker({
    mode: 'policy',
    defaultSchema: request.defaultSchema,
    domainSchemas,
    // Tables inside a policy are trusted admin SQL, but always schema-qualified so neither the
    // search_path nor a CTE of the user's query can stand in for them.
    table: (rangeVar, schema) => {
      rangeVar.schemaname = schema;
      return null;
    },
    policyFunction: (call, name) => {
      const fn = name as PolicyFunction;
      const bound = bind(call, fn);
      const what = fn === 'user_email' ? 'USER_EMAIL()' : String(policyFunctionKey(call, fn));
      switch (bound.kind) {
        case 'untyped':
          return param(bound.value, null, what);
        case 'text':
          return param(bound.value, 'text', what);
        case 'int':
          return param(bound.value, 'int8', what);
        case 'text_list':
          return param([...bound.values], 'text[]', what);
        case 'int_list':
          return param([...bound.values], 'int8[]', what);
      }
    },
    expandListFunction: (call, name) => {
      const bound = bind(call, name as PolicyFunction);
      const what = String(policyFunctionKey(call, name as PolicyFunction));
      if (bound.kind === 'text_list') return bound.values.map((v) => param(v, 'text', what));
      if (bound.kind === 'int_list') return bound.values.map((v) => param(v, 'int8', what));
      throw new Error('not a list function');
    },
    topLevelColumn: (columnRef) => qualifyPolicyColumn(columnRef, table, onColumn),
  });
  return walker.node(expression, null);
}

/** The attribute key of a compat call: one string literal (none for USER_EMAIL). */
function policyFunctionKey(call: PgNode, fn: PolicyFunction): string | null {
  for (const key of Object.keys(call)) {
    if (!['funcname', 'args', 'funcformat', 'location'].includes(key)) {
      throw queryRefused(`${fn.toUpperCase()}() cannot be used as an aggregate or window function`);
    }
  }
  const args = Array.isArray(call.args) ? call.args : [];
  if (fn === 'user_email') {
    if (args.length !== 0) throw queryRefused('USER_EMAIL() takes no argument');
    return null;
  }
  const only = args.length === 1 ? args[0] : undefined;
  const value =
    isObject(only) && isObject(only.A_Const) && isObject(only.A_Const.sval)
      ? only.A_Const.sval.sval
      : undefined;
  if (typeof value !== 'string' || value === '') {
    throw queryRefused(`${fn.toUpperCase()}() takes one string literal: the attribute name`);
  }
  return value;
}

function typeName(cast: string): PgNode {
  const array = cast.endsWith('[]');
  const base = array ? cast.slice(0, -2) : cast;
  return {
    names: [{ String: { sval: 'pg_catalog' } }, { String: { sval: base } }],
    typemod: -1,
    ...(array ? { arrayBounds: [{ Integer: { ival: -1 } }] } : {}),
  };
}

/**
 * A policy's own columns are qualified with the table's name, so a column the table lacks is an
 * error instead of silently binding to a same-named column of the user's enclosing query.
 */
function qualifyPolicyColumn(ref: PgNode, table: GateTable, onColumn?: (name: string) => void): void {
  const fields = Array.isArray(ref.fields) ? ref.fields : [];
  const name = (f: unknown) => (isObject(f) && isObject(f.String) ? (f.String.sval as string) : null);
  const qualifier = { String: { sval: table.name } };
  // Validation without a known table name accepts any single qualifier.
  const sameTable = (f: unknown) => table.name === '' || name(f) === table.name;
  if (fields.length === 1) {
    const column = name(fields[0]);
    if (column !== null) onColumn?.(column);
    ref.fields = [qualifier, ...fields];
  } else if (fields.length === 2 && sameTable(fields[0])) {
    const column = name(fields[1]);
    if (column !== null) onColumn?.(column);
  } else if (
    fields.length === 3 &&
    (table.name === '' || name(fields[0]) === table.schema) &&
    sameTable(fields[1])
  ) {
    const column = name(fields[2]);
    if (column !== null) onColumn?.(column);
    ref.fields = fields.slice(1);
  } else {
    throw queryRefused(
      `A row policy on ${table.name} can only reference that table's columns outside sub-selects`,
    );
  }
}

/**
 * Defence in depth: the deparsed SQL must parse back to exactly the tree the gate built, so the
 * database runs what was checked (a deparser quirk cannot turn into a different query).
 */
function verifyRoundTrip(sql: string, rewritten: PgNode, paramCount: number): void {
  const reparsed = parseOneSelect(sql, 'query');
  if (JSON.stringify(normalize(reparsed)) !== JSON.stringify(normalize(rewritten))) {
    throw queryRefused('The query cannot be rewritten faithfully');
  }
  let max = 0;
  JSON.stringify(reparsed, (key, value) => {
    if (key === 'ParamRef' && isObject(value)) max = Math.max(max, Number(value.number ?? 0));
    return value;
  });
  if (max !== paramCount) throw queryRefused('The query cannot be rewritten faithfully');
}

/** Drops positions and default values (the parser omits false, 0 and empty), sorting keys. */
function normalize(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(normalize);
  if (!isObject(value)) return value;
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(value).sort()) {
    const v = value[key];
    if (key === 'location' || key.endsWith('list_start') || key.endsWith('list_end')) continue;
    if (v === false || v === 0 || v === '' || v === undefined) continue;
    out[key] = normalize(v);
  }
  return out;
}
