import { AsyncLocalStorage } from 'node:async_hooks';
import { EnvelopArmorPlugin } from '@escape.tech/graphql-armor';
import {
  type DefinitionNode,
  type DocumentNode,
  type FieldNode,
  GraphQLError,
  type GraphQLSchema,
  Kind,
  parse,
  type SelectionNode,
  type ValidationContext,
  visit,
} from 'graphql';
import { createSchema, createYoga, type Plugin, type YogaServerInstance } from 'graphql-yoga';
import type { Config } from '../config.ts';
import type { RequestReport } from '../http/request-report.ts';
import type { Services } from '../kernel/services.ts';
import type { Logger } from '../logger.ts';
import { FIELD_ACCESS, guardFieldAccess, withModuleAccess } from '../modules/auth/field-access.ts';
import { actorKeyId, type Principal } from '../modules/auth/principal.ts';
import { graphiqlPage } from '../modules/graphiql/page.ts';
import { compiledReadQueries } from './compiled-reads.ts';
import type { GraphQLModule, RequestContext } from './context.ts';
import { maskError } from './errors.ts';
import { requestLimitsFor } from './limits.ts';
import { createLoaders } from './loaders.ts';
import { postOnlyFields } from './post-only-fields.ts';
import { requestLimits } from './request-limits.ts';
import { refuseUnstorableText } from './storable-text.ts';
import { validationCache } from './validation-cache.ts';

/** Error codes that make a response 5xx: their cause is logged with the request. */
const SERVER_FAILURE_CODES = new Set(['INTERNAL_SERVER_ERROR', 'SERVICE_UNAVAILABLE', 'QUERY_TIMEOUT']);

/** What the HTTP layer hands Yoga for each request. */
export interface ServerContext {
  readonly requestId: string;
  readonly ip: string | null;
  readonly principal: Principal | null;
  readonly report: RequestReport;
}

/** The GraphQL endpoint: one request in, one response out. */
export interface GraphQLServer {
  fetch(request: Request, context: ServerContext): Promise<Response>;
  /**
   * `request` with `body`, already read and checked by the HTTP layer, as the request this server
   * reads fastest: Yoga's own `Request` class keeps a string body as it is (no stream to drain).
   */
  withBody(request: Request, body: string | ArrayBuffer | Uint8Array): Request;
  /**
   * A new request in the class this server reads fastest (Yoga's own): its headers stay the object
   * they were given until asked for, and a string or Buffer body is kept as it is, never streamed.
   */
  request(url: string, init: RequestInit): Request;
}

export function createGraphQLServer(
  config: Config,
  services: Services,
  modules: readonly GraphQLModule[],
  log: Logger,
): GraphQLServer {
  const schema = createSchema<RequestContext>({
    typeDefs: modules.map((m) => m.typeDefs),
    resolvers: mergeResolvers(modules),
  });
  refuseUnstorableText(schema);
  // Who may call each field, declared in one table; a root field without a row stops the start.
  guardFieldAccess(schema, withModuleAccess(FIELD_ACCESS, modules));
  const readOnlyQueries = readOnlyQueriesOf(schema, modules);
  // What the HTTP layer handed over for this request: the context factory builds on it, and an
  // error finds its log line and report in it. Per async call chain, so concurrent requests never
  // log under each other's id. Carried here rather than as Yoga's server context, which Yoga copies
  // property by property (descriptors and all) on every request.
  const requestScope = new AsyncLocalStorage<ServerContext>();
  const yoga: YogaServerInstance<object, RequestContext> = createYoga<object, RequestContext>({
    schema,
    graphqlEndpoint: '/graphql',
    graphiql: false,
    landingPage: false,
    batching: false,
    // The HTTP layer refuses every POST that is not JSON (src/http/pipeline.ts), so Yoga's multipart
    // parser could never match: without it, one request-parser hook fewer runs on every request.
    multipart: false,
    // The HTTP layer reads the whole body, up to TESSERA_MAX_BODY_BYTES, before Yoga sees it
    // (src/http/pipeline.ts): a second limit here would pipe every body through one more stream.
    maxRequestBodySize: false,
    // Parsed documents stay in Yoga's cache; validation results in validationCache (the last plugin).
    parserAndValidationCache: { validationCache: false },
    cors: config.corsOrigins.length > 0 ? { origin: [...config.corsOrigins], credentials: false } : false,
    logging: false,
    maskedErrors: {
      maskError: (error) => {
        const scope = requestScope.getStore();
        const masked = maskError(error, log, () => scope?.requestId);
        const code = String(masked.extensions.code);
        scope?.report.codes.push(code);
        // The cause of a 5xx goes into the request's error line.
        if (scope && SERVER_FAILURE_CODES.has(code))
          scope.report.cause ??= (error instanceof GraphQLError ? error.originalError : error) ?? error;
        return masked;
      },
    },
    context: ({ params }): RequestContext => {
      const server = requestScope.getStore();
      if (!server) throw new Error('a GraphQL request outside GraphQLServer.fetch');
      const { requestId, ip, principal, report } = server;
      let requestLog: Logger | undefined;
      return {
        requestId,
        ip,
        principal,
        services,
        clock: services.clock,
        logger: () => {
          requestLog ??= log.child({ requestId });
          return requestLog;
        },
        loaders: createLoaders(services.users, services.groups),
        origin: {
          requestId,
          ip,
          actorKeyId: actorKeyId(principal),
          actorUserId: principal?.kind === 'session' ? principal.userId : null,
        },
        fieldCount: lazyFieldCounter(params.query),
        report,
      };
    },
    plugins: [
      // First: the nesting check must see the text before any parser recurses into it.
      requestLimits(requestLimitsFor(config)),
      postOnlyFields(),
      ...(config.graphiql ? [graphiqlPage('/graphql')] : []),
      EnvelopArmorPlugin({
        maxDepth: { n: 12 },
        maxAliases: { n: 30 },
        maxDirectives: { n: 20 },
        maxTokens: { n: 20_000 },
        // Replaced by requestLimits' cost, which multiplies by list sizes (docs/limits.md).
        costLimit: { enabled: false },
        blockFieldSuggestion: { enabled: config.env === 'production' },
      }),
      ...(config.introspection ? [] : [disableIntrospection()]),
      reportOperation(),
      unauthenticatedAs401(),
      requestErrorsAs400(),
      compiledReadQueries(schema, readOnlyQueries, services.metrics),
      // Last: it must see every validation rule the plugins above add.
      validationCache(schema),
    ],
  });
  return {
    // Not `yoga.fetch`: it rejects the moment the request's signal aborts, so a client that went
    // away was answered and logged as a 500 while its work ran on. The signal still cancels that
    // work's statements (its database scope), and the request is answered with what became of it.
    fetch: (request, context) => requestScope.run(context, async () => yoga.handleRequest(request, {})),
    withBody: (request, body) =>
      new yoga.fetchAPI.Request(request.url, {
        method: request.method,
        headers: withLowercaseMediaType(request.headers),
        signal: request.signal,
        body: body as BodyInit,
      }),
    request: (url, init) => new yoga.fetchAPI.Request(url, init),
  };
}

/**
 * Yoga matches the Content-Type case-sensitively, so `Application/JSON` was refused with 415
 * although media types are case-insensitive (RFC 9110 §8.3.1) and the pipeline accepted it
 * (docs/api-contract.md §1). Yoga is handed the media type in lower case; parameters stay.
 */
function withLowercaseMediaType(headers: Headers): Headers {
  const type = headers.get('content-type');
  if (type === null) return headers;
  const cut = type.indexOf(';');
  const media = cut === -1 ? type : type.slice(0, cut);
  const lower = media.trim().toLowerCase();
  if (lower === media) return headers;
  const copy = new Headers(headers);
  copy.set('content-type', cut === -1 ? lower : lower + type.slice(cut));
  return copy;
}

/** Names the request's operation in its report: its root field (`multiple` when it has several). */
function reportOperation(): Plugin<RequestContext> {
  // The label is a function of the document and the operation name alone, and Yoga's parser cache
  // hands out the same document object for the same text: worked out once per document.
  const labels = new WeakMap<DocumentNode, Map<string, string | null>>();
  return {
    onExecute({ args }) {
      const document = args.document as DocumentNode;
      const key = args.operationName ?? '';
      let byName = labels.get(document);
      if (!byName) {
        byName = new Map();
        labels.set(document, byName);
      }
      let label = byName.get(key);
      if (label === undefined) {
        label = operationLabel(document, args.operationName);
        byName.set(key, label);
      }
      if (label !== null) args.contextValue.report.operation = label;
    },
  };
}

/** The operation's root field, `multiple` for several, or null when the document has no such operation. */
function operationLabel(document: DocumentNode, operationName: string | null | undefined): string | null {
  const operation = document.definitions.find(
    (d: DefinitionNode) =>
      d.kind === Kind.OPERATION_DEFINITION && (operationName == null || d.name?.value === operationName),
  );
  if (operation?.kind !== Kind.OPERATION_DEFINITION) return null;
  const fields = operation.selectionSet.selections.map((s: SelectionNode) =>
    s.kind === Kind.FIELD ? s.name.value : 'fragment',
  );
  // Metric labels must come from a small, fixed set: a schema field name, never a client-chosen
  // operation name or a combination of fields (which a client could vary without end).
  const distinct = [...new Set(fields)];
  return distinct.length === 1 ? distinct[0]! : 'multiple';
}

/**
 * A resolver that finds no credential throws UNAUTHENTICATED; the whole response then becomes a
 * 401 with no data. The HTTP layer (src/http/pipeline.ts) answers every 401 with the one body,
 * exactly as for a bad token (docs/api-contract.md §1); this only sets the status, for every
 * transport alike.
 */
function unauthenticatedAs401(): Plugin {
  return {
    onExecutionResult({ result, setResult }) {
      if (!result || !('errors' in result) || !result.errors) return;
      if (result.errors.some((e) => e.extensions?.code === 'UNAUTHENTICATED')) {
        setResult({
          errors: [
            new GraphQLError('Unauthorized', {
              extensions: {
                code: 'UNAUTHENTICATED',
                http: { status: 401, headers: { 'WWW-Authenticate': 'Bearer' } },
              },
            }),
          ],
          data: null,
        });
      }
    },
  };
}

/** Parse and validation failures are 400 with code BAD_REQUEST, whatever the Accept header (docs/api-contract.md §1). */
function requestErrorsAs400(): Plugin {
  const requestErrorCodes = new Set(['GRAPHQL_PARSE_FAILED', 'GRAPHQL_VALIDATION_FAILED', 'BAD_REQUEST']);
  return {
    onResultProcess({ result, setResult }) {
      if (
        Array.isArray(result) ||
        !result ||
        typeof result !== 'object' ||
        !('errors' in result) ||
        !result.errors
      )
        return;
      if ('data' in result && result.data !== undefined) return; // execution errors keep their own status
      const errors = result.errors as readonly GraphQLError[];
      if (!errors.every((e) => requestErrorCodes.has(String(e.extensions?.code)))) return;
      setResult({
        errors: errors.map((e) => {
          // The parser's own error (e.g. a JSON SyntaxError echoing the body) stays in the log.
          const { originalError: _cause, ...extensions } = e.extensions ?? {};
          return new GraphQLError(e.message, {
            nodes: e.nodes,
            source: e.source,
            positions: e.positions,
            extensions: { ...extensions, code: 'BAD_REQUEST', http: requestErrorHttp(e) },
          });
        }),
      });
    },
  };
}

/** 400, unless Yoga already chose a more specific 4xx (405 for a mutation over GET, with its Allow header). */
function requestErrorHttp(error: GraphQLError): { status: number; headers?: Record<string, string> } {
  const http = error.extensions?.http as { status?: number; headers?: Record<string, string> } | undefined;
  const status = http?.status && http.status > 400 ? http.status : 400;
  return http?.headers ? { status, headers: http.headers } : { status };
}

/** Refuses `__schema` and `__type`; one rule for every request (it keeps no state of its own). */
function introspectionDisabled(context: ValidationContext) {
  return {
    Field(node: FieldNode) {
      if (node.name.value === '__schema' || node.name.value === '__type') {
        context.reportError(
          new GraphQLError('Introspection is disabled', {
            nodes: [node],
            extensions: { code: 'BAD_REQUEST' },
          }),
        );
      }
    },
  };
}

function disableIntrospection(): Plugin {
  return {
    onValidate({ addValidationRule }) {
      addValidationRule(introspectionDisabled);
    },
  };
}

/**
 * How often a field name appears in the operation, so rate limits count each aliased repeat as
 * its own attempt. Parsed on first use only: most requests never ask.
 */
function lazyFieldCounter(query: string | undefined): (field: string) => number {
  let counts: Map<string, number> | undefined;
  return (field) => {
    if (!counts) {
      counts = new Map();
      try {
        visit(parse(query ?? ''), {
          [Kind.FIELD](node) {
            counts!.set(node.name.value, (counts!.get(node.name.value) ?? 0) + 1);
          },
        });
      } catch {
        // An unparsable document never reaches a resolver.
      }
    }
    return counts.get(field) ?? 0;
  };
}

/** The root Query fields the modules declare read-only; a name the schema lacks is a bug, found at start. */
function readOnlyQueriesOf(schema: GraphQLSchema, modules: readonly GraphQLModule[]): ReadonlySet<string> {
  const fields = schema.getQueryType()?.getFields() ?? {};
  const names = new Set(modules.flatMap((m) => m.readOnlyQueries ?? []));
  for (const name of names)
    if (!fields[name]) throw new Error(`readOnlyQueries names ${name}, not a Query field`);
  return names;
}

function mergeResolvers(modules: readonly GraphQLModule[]) {
  const merged: Record<string, Record<string, unknown>> = {};
  for (const m of modules) {
    for (const [type, fields] of Object.entries(m.resolvers)) {
      merged[type] = { ...(merged[type] ?? {}), ...fields };
    }
  }
  return merged;
}
