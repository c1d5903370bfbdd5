import { AppError, echo } from '../../../errors.ts';
import { queryRefused } from '../errors.ts';
import {
  type BoundValue,
  bindPolicyFunction,
  type PolicyBinder,
  type PolicyFunction,
} from '../policy-functions.ts';
import type { GateState } from '../state.ts';
import type { GateRequest, GateTable } from '../types.ts';
import { isObject, type PgNode } from './nodes.ts';
import { PgPolicyWalker } from './policy-walk.ts';

/** What compiling a PostgreSQL policy reads and where it writes. */
export interface PgPolicyCompilation {
  readonly request: Pick<GateRequest, 'defaultSchema' | 'user'>;
  /** Receives the policy's parameters and the attributes it reads. */
  readonly state: GateState;
  /** Schemas whose types a cast in the policy may name. */
  readonly domainSchemas: ReadonlySet<string>;
  /** Told each column of the policy's own table (the save-time check lists them). */
  readonly onColumn?: ((name: string) => void) | undefined;
  /** Binds each compat call; the user's own values unless set. */
  readonly binder?: PolicyBinder | undefined;
}

/** Walks a policy with the policy walker: its tables are qualified, its compat calls become parameters. */
export function compilePolicy(
  expression: PgNode,
  table: GateTable,
  compilation: PgPolicyCompilation,
): PgNode {
  const { request, state, domainSchemas, onColumn } = compilation;
  const binder = compilation.binder ?? ((fn, key) => bindPolicyFunction(fn, key, request.user));
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
  const walker = new PgPolicyWalker({
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
export function policyFunctionKey(call: PgNode, fn: PolicyFunction): string | null {
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

export function typeName(cast: string): PgNode {
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
export function qualifyPolicyColumn(ref: PgNode, table: GateTable, onColumn?: (name: string) => void): void {
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
