import mysqlGrammar from 'node-sql-parser/build/mysql.js';
import type { Problem } from '../../errors.ts';
import { accessDenied } from './errors.ts';
import { lexMysql } from './mysql-lex.ts';
import {
  compileMysqlPolicy,
  type Placeholder,
  parseOne,
  parsePolicy,
  policySelect,
  quoteRaw,
} from './mysql-policy.ts';
import { type ExpectedWrapper, expectedWrapper, print, verifyMysqlOutput } from './mysql-verify.ts';
import { type MyNode, MyWalker } from './mysql-walk.ts';
import { policyProblems, sampleBinding } from './policy-functions.ts';
import { GateState } from './state.ts';
import type { GateRequest, GateTable, RewrittenQuery, TableName } from './types.ts';

/**
 * MySQL and MariaDB: parse with node-sql-parser's MySQL grammar, walk and rewrite the tree,
 * print it back. Database and table names are compared case-insensitively (as MySQL does with
 * lower_case_table_names=1, and as Windows/macOS servers do); the printed query always uses the
 * domain's own spelling. CTE names must match exactly: a name that differs only by case is
 * refused, because whether the server takes it for the CTE depends on its settings.
 */

export async function rewriteMysql(request: GateRequest): Promise<RewrittenQuery> {
  // One lexical truth: text the parser and the server could split differently never gets parsed.
  lexMysql(request.sql, 'input');
  const parser = new mysqlGrammar.Parser();
  const ast = parseOne(parser, request.sql, 'query');
  const state = new GateState();
  const placeholders: Placeholder[] = [];
  // Each distinct policy is parsed once a request; every reference walks its own copy.
  const parsedPolicies = new Map<string, MyNode>();
  const parsePolicyOnce = (policy: string): MyNode => {
    let parsed = parsedPolicies.get(policy);
    if (parsed === undefined) {
      parsed = parsePolicy(parser, policy);
      parsedPolicies.set(policy, parsed);
    }
    return structuredClone(parsed);
  };
  const walker = new MyWalker({
    mode: 'query',
    defaultSchema: request.defaultSchema,
    table: (item, schema, name) => {
      const table = request.tables.find(
        (t) => t.schema.toLowerCase() === schema.toLowerCase() && t.name.toLowerCase() === name.toLowerCase(),
      );
      if (table === undefined) {
        throw accessDenied(`Table ${schema}.${name} is not part of this domain`, {
          table: `${schema}.${name}`,
        });
      }
      state.addTable(table);
      if (request.applyPolicies && table.policy === null && request.requirePolicies) {
        throw accessDenied(`Table ${table.schema}.${table.name} has no row policy`, {
          table: `${table.schema}.${table.name}`,
        });
      }
      // Keep the name as written as the alias, so `ORDERS.id` still finds `orders`.
      const alias = item.as ?? (name === table.name ? null : quoteRaw(name));
      if (!request.applyPolicies || table.policy === null) {
        return { ...item, db: quoteRaw(table.schema), table: quoteRaw(table.name), as: alias };
      }
      state.addPolicy(table, table.policy);
      const where = compileMysqlPolicy(parsePolicyOnce, table, request, state, placeholders, new Set());
      const { db: _db, table: _table, as: _as, ...rest } = item;
      return {
        expr: { ast: policySelect(table, where), parentheses: true },
        as: alias ?? quoteRaw(table.name),
        ...rest,
      };
    },
    policyFunction: unreachable,
    expandListFunction: unreachable,
  });
  walker.statement(ast, null);
  const sql = print(parser, ast);
  // The check below builds each expected wrapper from the policy text again, apart from the
  // wrappers in the rewritten tree, and reads the printed text afresh.
  const expected = new Map<GateTable, ExpectedWrapper>();
  const wrapperFor = (table: GateTable): ExpectedWrapper => {
    let wrapper = expected.get(table);
    if (wrapper === undefined) {
      const own: Placeholder[] = [];
      const where = compileMysqlPolicy(
        (policy) => parsePolicy(parser, policy),
        table,
        request,
        new GateState(),
        own,
        new Set(),
      );
      wrapper = expectedWrapper(parser, policySelect(table, where), own);
      expected.set(table, wrapper);
    }
    return wrapper;
  };
  state.params.push(...verifyMysqlOutput(parser, sql, request, wrapperFor));
  return state.result(sql);

  function unreachable(): never {
    throw new Error('unreachable: policy functions are refused in query mode');
  }
}

/** Save-time check of a MySQL row policy (see `validatePolicy`). Column names compare case-insensitively. */
export async function validateMysqlPolicy(
  policy: string,
  columns: readonly string[] | null,
  table: TableName | undefined,
): Promise<Problem[]> {
  const target: GateTable = { schema: table?.schema ?? '', name: table?.name ?? '', policy };
  const user = { email: 'validation@tessera.invalid', attributes: new Map<string, string>() };
  const parser = new mysqlGrammar.Parser();
  return policyProblems(
    policy,
    columns,
    (a, b) => a.toLowerCase() === b.toLowerCase(),
    (noteColumn) =>
      compileMysqlPolicy(
        (text) => parsePolicy(parser, text),
        target,
        { defaultSchema: 'tessera_validation', user },
        new GateState(),
        [],
        new Set(),
        noteColumn,
        sampleBinding,
      ),
  );
}
