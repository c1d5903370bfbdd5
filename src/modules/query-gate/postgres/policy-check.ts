import { deparseSync } from 'pgsql-deparser';
import type { GateTable, TableName } from '../types.ts';
import type { PgNode } from './nodes.ts';
import type { PolicyTemplate } from './templates.ts';

/**
 * A policy's stand-alone form, `SELECT 1 FROM schema.table WHERE <policy>` with its own slots
 * `$1…$k`, which the executor prepares (parses and resolves, never runs) before the query.
 *
 * In the query, a policy wrapper may sit inside a sub-select, where PostgreSQL resolves a column
 * name that no table of the policy has against the user's enclosing query: a policy sub-select
 * naming a column its tables lack (a typo, a column renamed since) would then compare the
 * user's own value, e.g. `FROM (SELECT 'alice@a.test' AS user_email) u` satisfying
 * `… WHERE user_email = USER_EMAIL()` for every row. Prepared alone there is no enclosing query,
 * so every name of the policy must resolve inside it, by the server's own rules, on the schema
 * the query runs against (docs/query-gate.md, "PostgreSQL: the structural invariant").
 */
export function policyCheckSql(table: GateTable, template: PolicyTemplate): string {
  // The printout depends on the compiled tree only (slot values are not in it); printing costs
  // more than a lookup, and the same few policies recur on every query.
  const key = JSON.stringify([table.schema, table.name, template.where, template.targetList]);
  const known = printed.get(key);
  if (known !== undefined) return known;
  const sql = print(table, template);
  if (printed.size >= MAX_CACHED) printed.delete(printed.keys().next().value!);
  printed.set(key, sql);
  return sql;
}

const MAX_CACHED = 500;
const printed = new Map<string, string>();

function print(table: GateTable, template: PolicyTemplate): string {
  const select: PgNode = {
    SelectStmt: {
      // The masked projection too: its conditions' names must resolve inside the table alone.
      targetList: structuredClone(template.targetList) ?? [
        { ResTarget: { val: { A_Const: { ival: { ival: 1 } } } } },
      ],
      fromClause: [
        { RangeVar: { schemaname: table.schema, relname: table.name, inh: true, relpersistence: 'p' } },
      ],
      ...(template.where === null ? {} : { whereClause: structuredClone(template.where) }),
      limitOption: 'LIMIT_OPTION_DEFAULT',
      op: 'SETOP_NONE',
    },
  };
  return deparseSync({ version: 0, stmts: [{ stmt: select }] } as never, { pretty: false });
}

/**
 * The kind proof of a wrapper left without its fence: `TABLESAMPLE` passes PostgreSQL's parse
 * analysis only on a table (plain or partitioned) or a materialized view, relations whose
 * column reads return stored values. A view (whose columns are expressions), a foreign table
 * (whose scan runs the wrapper's code) or anything else fails it, and the executor then runs the
 * query with every wrapper fenced (docs/query-gate.md, "When the fence is dropped").
 */
export function fenceProofSql(table: TableName): string {
  return `SELECT 1 FROM ONLY ${quote(table.schema)}.${quote(table.name)} TABLESAMPLE system (0)`;
}

const quote = (name: string) => `"${name.replaceAll('"', '""')}"`;
