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

/** What graphql-jit compiles a document into: its query function (loaded on first use). */
type CompiledQuery = { query(root: unknown, context: unknown, variables: unknown): unknown };
type Compile = (
  schema: GraphQLSchema,
  document: DocumentNode,
  operationName?: string,
) => CompiledQuery | null;

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
  // One compiled query per parsed document and operation. Yoga's parser cache hands out the same
  // document object for the same text, so this lives as long as the document does.
  const compiled = new WeakMap<DocumentNode, Map<string, CompiledQuery | null>>();
  let compile: Compile | undefined;
  const load = async (): Promise<Compile> => {
    if (compile) return compile;
    const jit = await import('graphql-jit');
    compile = (s, document, operationName) => {
      const result = jit.compileQuery(s, document, operationName);
      return jit.isCompiledQuery(result) ? (result as CompiledQuery) : null;
    };
    return compile;
  };

  return {
    onExecute({ args, executeFn, setExecuteFn }) {
      if (args.schema !== schema) return;
      const document = args.document as DocumentNode;
      const operation = getOperationAST(document, args.operationName);
      if (!operation || !onlyReads(operation, readOnly)) {
        metrics.observeExecution('graphql_js');
        return;
      }
      const key = args.operationName ?? '';
      setExecuteFn(async (execution: ExecutionArgs) => {
        const byName = compiled.get(document) ?? new Map<string, CompiledQuery | null>();
        compiled.set(document, byName);
        if (!byName.has(key))
          byName.set(key, (await load())(schema, document, args.operationName ?? undefined));
        const query = byName.get(key);
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
