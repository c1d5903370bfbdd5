import {
  type DocumentNode,
  type FragmentDefinitionNode,
  GraphQLError,
  type GraphQLSchema,
  getOperationAST,
  getVariableValues,
  isEnumType,
  isScalarType,
  Kind,
  Lexer,
  type OperationDefinitionNode,
  Source,
  TokenKind,
} from 'graphql';
import type { Plugin } from 'graphql-yoga';
import { type CostModel, operationCost } from './cost.ts';
import { type ListLimits, longList } from './list-limits.ts';

/** The request limits of docs/limits.md; every refusal is HTTP 400 with code BAD_REQUEST. */
export interface RequestLimits {
  /** Deepest nesting of `{`, `[` and `(` in a document (selections, lists and objects alike). */
  readonly maxNesting: number;
  readonly lists: ListLimits;
  readonly cost: CostModel;
}

const refusal = (message: string, extra: Record<string, unknown> = {}) =>
  new GraphQLError(message, { extensions: { code: 'BAD_REQUEST', http: { status: 400 }, ...extra } });

/**
 * Enforces the limits before any resolver runs: nesting on the raw text before it is parsed
 * (the parser recurses once per level, and a few thousand `[` overflowed its stack), list lengths
 * and cost on the arguments that execution would use, once variables are known.
 */
export function requestLimits(limits: RequestLimits): Plugin {
  const shallow = new ShallowTexts();
  // The verdict of each variable-free operation already seen, by its node in a parsed document.
  const verdicts = new WeakMap<OperationDefinitionNode, Refusal | null>();
  // Operations with variables that passed, and whose variables cannot change the verdict.
  const passing = new WeakSet<OperationDefinitionNode>();
  const smallestList = Math.min(limits.lists.defaultItems, ...Object.values(limits.lists.items));
  return {
    onRequest({ request, url, endResponse }) {
      // Only GET and HEAD carry parameters in the query string; asking for `url` parses it.
      if (request.method !== 'GET' && request.method !== 'HEAD') return;
      const problem = malformedQueryString(url.searchParams);
      if (problem) endResponse(badRequestResponse(problem));
    },
    onParse({ params }) {
      const text = typeof params.source === 'string' ? params.source : params.source.body;
      if (shallow.has(text)) return;
      const depth = nestingDepth(params.source, limits.maxNesting);
      if (depth > limits.maxNesting)
        throw refusal(`The document nests deeper than ${limits.maxNesting} levels`);
      shallow.add(text);
    },
    onExecute({ args, setResultAndStopExecution }) {
      const document = args.document as DocumentNode;
      const operation = getOperationAST(document, args.operationName);
      if (!operation) return;
      let refusalOf: Refusal | null | undefined;
      if (operation.variableDefinitions?.length) {
        if (passing.has(operation)) return;
        refusalOf = judge(args, operation, limits);
        if (refusalOf === null && variablesCannotMatter(args.schema, operation, smallestList))
          passing.add(operation);
      } else {
        // Without variables the verdict is the same on every run of this operation: judged once
        // per parsed document, which Yoga's parser cache hands out again for the same text.
        refusalOf = verdicts.get(operation);
        if (refusalOf === undefined) {
          refusalOf = judge(args, operation, limits);
          verdicts.set(operation, refusalOf);
        }
      }
      if (refusalOf) setResultAndStopExecution({ errors: [refusalOf()] });
    },
  };
}

/** Texts a nesting check remembers: a client's few documents, each sent again and again. */
const MAX_SHALLOW_TEXTS = 500;
/** Longer texts are checked every time, so the memory stays small (at most ~2 MB of text). */
const MAX_SHALLOW_TEXT_LENGTH = 4000;

/**
 * Documents already found within the nesting limit, so the same text is not lexed again on every
 * request (the depth is a function of the text alone). Bounded, oldest first out.
 */
class ShallowTexts {
  readonly #texts = new Set<string>();

  has(text: string): boolean {
    return this.#texts.has(text);
  }

  add(text: string): void {
    if (text.length > MAX_SHALLOW_TEXT_LENGTH) return;
    if (this.#texts.size >= MAX_SHALLOW_TEXTS) this.#texts.delete(this.#texts.values().next().value!);
    this.#texts.add(text);
  }
}

/**
 * Whether no values of the operation's variables could change its verdict, so a pass holds for
 * every later run of it: each variable is a scalar or an enum other than Int, never a list or an
 * input object. The cost reads variables only through `first` (an Int), and a list argument can
 * get at most one item from such a variable (list input coercion), which no limit of one or more
 * refuses. A variable that fails coercion fails the execution either way. Only a pass is kept: a
 * refusal is judged again on every run, so its error stays the one a fresh check gives.
 */
function variablesCannotMatter(
  schema: GraphQLSchema,
  operation: OperationDefinitionNode,
  smallestList: number,
): boolean {
  if (smallestList < 1) return false;
  return (operation.variableDefinitions ?? []).every((definition) => {
    const type = definition.type.kind === Kind.NON_NULL_TYPE ? definition.type.type : definition.type;
    if (type.kind !== Kind.NAMED_TYPE || type.name.value === 'Int') return false;
    const named = schema.getType(type.name.value);
    return isScalarType(named) || isEnumType(named);
  });
}

/** Makes the error that refuses an operation (a new one each time: errors are per response). */
type Refusal = () => GraphQLError;

/** Why the operation is refused (a list too long, a cost too high), or null when it is not. */
function judge(
  args: { schema: GraphQLSchema; document: unknown; variableValues?: unknown },
  operation: OperationDefinitionNode,
  limits: RequestLimits,
): Refusal | null {
  const document = args.document as DocumentNode;
  const coerced = getVariableValues(
    args.schema,
    operation.variableDefinitions ?? [],
    (args.variableValues ?? {}) as Record<string, unknown>,
    { maxErrors: 1 },
  );
  if (coerced.errors) return null; // execution answers with the coercion error
  const variables = coerced.coerced;
  const long = longList({ schema: args.schema, document, operation, variables }, limits.lists);
  if (long)
    return () =>
      refusal(`${long.path} has ${long.items} items; at most ${long.limit} are accepted`, {
        limit: long.limit,
      });
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const d of document.definitions)
    if (d.kind === Kind.FRAGMENT_DEFINITION) fragments.set(d.name.value, d);
  const cost = operationCost({ schema: args.schema, operation, fragments, variables }, limits.cost);
  if (cost <= limits.cost.maxCost) return null;
  return () =>
    refusal(
      `The query costs ${cost}, over the limit of ${limits.cost.maxCost}: ask for fewer lists, smaller pages or fewer aliases`,
      { cost, maxCost: limits.cost.maxCost },
    );
}

/**
 * The deepest bracket nesting of `source`, counted on tokens (so brackets inside strings and
 * comments do not count), stopping as soon as it passes `stopAbove`. Lexing is iterative: it
 * cannot overflow. A lexing error is left to the parser to report.
 */
export function nestingDepth(source: string | Source, stopAbove: number): number {
  const lexer = new Lexer(typeof source === 'string' ? new Source(source) : source);
  let depth = 0;
  let deepest = 0;
  try {
    for (let token = lexer.advance(); token.kind !== TokenKind.EOF; token = lexer.advance()) {
      if (
        token.kind === TokenKind.BRACE_L ||
        token.kind === TokenKind.BRACKET_L ||
        token.kind === TokenKind.PAREN_L
      ) {
        depth += 1;
        if (depth > deepest) deepest = depth;
        if (deepest > stopAbove) return deepest;
      } else if (
        token.kind === TokenKind.BRACE_R ||
        token.kind === TokenKind.BRACKET_R ||
        token.kind === TokenKind.PAREN_R
      ) {
        depth -= 1;
      }
    }
  } catch {
    // a syntax error: the parser reports it
  }
  return deepest;
}

/**
 * A GET (or HEAD) request's `variables` and `extensions` must be JSON objects when present. Yoga
 * parses them with a bare JSON.parse, so a malformed one (`variables=%7Bbad`) was a 500.
 */
function malformedQueryString(params: URLSearchParams): string | null {
  for (const name of ['variables', 'extensions']) {
    const raw = params.get(name);
    if (raw === null || raw === '') continue;
    let parsed: unknown;
    try {
      parsed = JSON.parse(raw);
    } catch {
      return `The ${name} query parameter is not valid JSON`;
    }
    if (parsed !== null && (typeof parsed !== 'object' || Array.isArray(parsed)))
      return `The ${name} query parameter must be a JSON object`;
  }
  return null;
}

function badRequestResponse(message: string): Response {
  return new Response(JSON.stringify({ errors: [{ message, extensions: { code: 'BAD_REQUEST' } }] }), {
    status: 400,
    headers: { 'content-type': 'application/json; charset=utf-8' },
  });
}
