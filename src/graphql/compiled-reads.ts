import type {
  DocumentNode,
  ExecutionArgs,
  ExecutionResult,
  GraphQLSchema,
  OperationDefinitionNode,
} from 'graphql';
import { getOperationAST, Kind } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import type { Metrics } from '../metrics.ts';

/** What graphql-jit compiles an operation into: its query function. */
type CompiledQuery = { query(root: unknown, context: unknown, variables: unknown): unknown };
/** How one operation of a document runs: in graphql-js, or compiled once it recurs. */
type Plan = { readonly compiled: boolean; runs: number; query?: Promise<CompiledQuery | null> };

/**
 * Runs of a read-only document before it is compiled. Compiling costs far more than one run, and
 * any caller (even one without a credential, who is answered 401) chooses the text: a document is
 * compiled only once it comes back, so a stream of distinct texts never makes Tessera compile.
 */
const RUNS_BEFORE_COMPILING = 1;

/**
 * Runs read-only queries through a compiled executor (graphql-jit), and every other operation
 * through graphql-js.
 *
 * graphql-js spends most of a large read on per-field bookkeeping (a resolve info and a path
 * object for each of the 300,000 fields of a 10,000-user `listUsers`); the compiled executor
 * turns each selection into straight-line code. Its data on success is graphql-js's, but its
 * errors are not (other messages, no `locations`, variable errors naming another path), and the
 * error shapes are part of the contract (docs/api-contract.md). So a compiled run counts only
 * when it succeeds: a run with any error is thrown away and the operation runs again in
 * graphql-js, which gives the response exactly as it would have been. That is only sound for
 * operations whose every root field merely reads, which is why each module names its own
 * (`GraphQLModule.readOnlyQueries`): running one twice changes nothing.
 */
export function compiledReadQueries(
  schema: GraphQLSchema,
  readOnly: ReadonlySet<string>,
  metrics: Metrics,
): Plugin {
  // One plan per parsed document and operation name. Yoga's parser cache hands out the same
  // document object for the same text, so a plan is made once and lives as long as its document.
  const plans = new WeakMap<DocumentNode, Map<string, Plan>>();
  let jit: Promise<typeof import('graphql-jit')> | undefined; // loaded on the first compiled read
  const compile = async (document: DocumentNode, operationName: string | undefined) => {
    jit ??= import('graphql-jit');
    const { compileQuery, isCompiledQuery } = await jit;
    const result = compileQuery(schema, document, operationName);
    return isCompiledQuery(result) ? (result as CompiledQuery) : null;
  };
  const planOf = (document: DocumentNode, operationName: string | undefined): Plan => {
    let byName = plans.get(document);
    if (!byName) {
      byName = new Map();
      plans.set(document, byName);
    }
    const key = operationName ?? '';
    let plan = byName.get(key);
    if (!plan) {
      const operation = getOperationAST(document, operationName);
      plan = { compiled: operation != null && onlyReads(operation, readOnly), runs: 0 };
      byName.set(key, plan);
    }
    return plan;
  };

  return {
    onExecute({ args, executeFn, setExecuteFn }) {
      if (args.schema !== schema) return;
      const document = args.document as DocumentNode;
      const operationName = args.operationName ?? undefined;
      const plan = planOf(document, operationName);
      if (!plan.compiled || (plan.query === undefined && plan.runs++ < RUNS_BEFORE_COMPILING)) {
        metrics.observeExecution('graphql_js');
        return;
      }
      setExecuteFn(async (execution: ExecutionArgs) => {
        plan.query ??= compile(document, operationName);
        const query = await plan.query;
        if (!query) {
          metrics.observeExecution('graphql_js'); // a document graphql-jit cannot compile
          return executeFn(execution);
        }
        const result = (await query.query(
          execution.rootValue,
          execution.contextValue,
          execution.variableValues ?? {},
        )) as ExecutionResult;
        if (!result.errors?.length) {
          metrics.observeExecution('compiled');
          return result;
        }
        metrics.observeExecution('compiled_rerun');
        return executeFn(execution);
      });
    },
  };
}

/** A query whose root selections are all plain fields that only read (or `__typename`). */
function onlyReads(operation: OperationDefinitionNode, readOnly: ReadonlySet<string>): boolean {
  if (operation.operation !== 'query') return false;
  return operation.selectionSet.selections.every(
    (s) => s.kind === Kind.FIELD && (s.name.value === '__typename' || readOnly.has(s.name.value)),
  );
}
