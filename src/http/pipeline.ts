import { isUtf8 } from 'node:buffer';
import { randomUUID } from 'node:crypto';
import { runInDbScope } from '../db/scope.ts';
import { laneOf } from '../graphql/lane.ts';
import type { GraphQLServer } from '../graphql/yoga.ts';
import type { Logger } from '../logger.ts';
import type { Metrics } from '../metrics.ts';
import type { Principal } from '../modules/auth/principal.ts';
import { HttpRefusal, refusalResponse, refuse } from './refusals.ts';
import { failureRefusal, logRequest } from './request-log.ts';
import { newRequestReport, type RequestReport } from './request-report.ts';
import type { HttpContext, RefusalRenderer, Router } from './router.ts';

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,64}$/;
const JSON_MEDIA_TYPE = /^application\/(json|graphql-response\+json)\s*(;.*)?$/i;

/** The request id a client sent, when it is a sane one; otherwise a fresh one. */
export function requestIdOf(given: string | null | undefined): string {
  return given && REQUEST_ID.test(given) ? given : randomUUID();
}

/** A request as the transport saw it, for one the transport answered itself. */
export interface TransportRequest {
  readonly method: string;
  readonly url: string;
  readonly requestId: string;
}

/**
 * Tessera's one HTTP layer, in front of the router and Yoga. Every request, whichever way it
 * ends, passes here once: it gets its request id, its refusal or failure body, its common headers
 * and its one log line (a 5xx at error level, with its cause and request id).
 */
export interface HttpPipeline {
  fetch(request: Request, info?: { ip?: string | null; requestId?: string }): Promise<Response>;
  /**
   * A request the transport answered without `fetch`: refused before it became a fetch `Request`
   * (an `HttpRefusal`: 413, 405, 400) or failed outside it (anything else: the 500 body, logged).
   */
  answer(request: TransportRequest, outcome: unknown, ms?: number): Response;
  /**
   * A request for `fetch`, built in the class it reads fastest (the GraphQL server's own): a
   * transport that builds its requests here spares every request a copy of its headers and body.
   */
  request(url: string, init: RequestInit): Request;
}

export interface PipelineParts {
  readonly router: Router;
  readonly graphql: GraphQLServer;
  readonly log: Logger;
  readonly metrics: Metrics;
  /** The largest request body accepted (TESSERA_MAX_BODY_BYTES), on every transport. */
  readonly maxBodyBytes: number;
  /** The request's principal (null: anonymous); throws the 401 refusal for a bad credential. */
  authenticate(request: Request, ctx: HttpContext): Promise<Principal | null>;
}

export function createHttpPipeline(parts: PipelineParts): HttpPipeline {
  const finish = (
    request: { method: string; path: string },
    ctx: HttpContext,
    outcome: { report: RequestReport; response: Response; ms: number; clientGone: boolean },
  ): Response => {
    const { report, response, ms, clientGone } = outcome;
    logRequest(parts, { request, requestId: ctx.requestId, report, status: response.status, ms, clientGone });
    // Headers are set on the response itself: re-wrapping it would pipe every body through a
    // second stream. Only a response with immutable headers (e.g. Response.redirect) is copied.
    try {
      setCommonHeaders(response.headers, ctx);
      return response;
    } catch {
      const headers = new Headers(response.headers);
      setCommonHeaders(headers, ctx);
      return new Response(response.body, {
        status: response.status,
        statusText: response.statusText,
        headers,
      });
    }
  };
  return {
    async fetch(request, info = {}) {
      const started = performance.now();
      const ctx: HttpContext = {
        ip: info.ip ?? null,
        requestId: info.requestId ?? requestIdOf(request.headers.get('x-request-id')),
      };
      const report = newRequestReport();
      // Parsed once: routing and the log line both read it.
      let path = '/';
      let response: Response;
      try {
        const url = new URL(request.url);
        path = url.pathname;
        response = await runInDbScope({ lane: 'main', signal: request.signal }, () =>
          route(parts, { request, url, ctx, report }),
        );
      } catch (err) {
        response = answerError(err, report, parts.router.refusalRendererFor(path));
      }
      return finish({ method: request.method, path }, ctx, {
        report,
        response,
        ms: performance.now() - started,
        clientGone: request.signal.aborted,
      });
    },
    answer(request, outcome, ms = 0) {
      const report = newRequestReport();
      const ctx: HttpContext = { ip: null, requestId: request.requestId };
      const target = { method: request.method, path: new URL(request.url).pathname };
      const response = answerError(outcome, report, parts.router.refusalRendererFor(target.path));
      return finish(target, ctx, { report, response, ms, clientGone: false });
    },
    request: (url, init) => parts.graphql.request(url, init),
  };
}

/** The one place a thrown error becomes a response: a refusal's body (the path's protocol's, if it has one), or the masked 503/500. */
function answerError(err: unknown, report: RequestReport, render?: RefusalRenderer): Response {
  let refusal: HttpRefusal;
  if (err instanceof HttpRefusal) {
    if (!report.codes.includes(err.code)) report.codes.push(err.code);
    refusal = err;
  } else refusal = failureRefusal(err, report);
  return render ? render(refusal) : refusalResponse(refusal);
}

function setCommonHeaders(headers: Headers, ctx: HttpContext): void {
  headers.set('x-request-id', ctx.requestId);
  headers.set('x-content-type-options', 'nosniff');
  // Yoga's event streams say `Connection: keep-alive` and `Content-Encoding: none`. Whether a
  // connection stays open is the HTTP server's decision (the client's `Connection: close`, a
  // shutdown), not the handler's: with the header copied through, a client that asked to close
  // was held open until the keep-alive timeout. `none` is no content coding at all.
  headers.delete('connection');
  if (headers.get('content-encoding') === 'none') headers.delete('content-encoding');
}

async function route(
  parts: PipelineParts,
  { request, url, ctx, report }: { request: Request; url: URL; ctx: HttpContext; report: RequestReport },
): Promise<Response> {
  if (url.pathname === '/graphql') return graphqlRequest(parts, { incoming: request, url, ctx, report });
  const match = parts.router.match(request.method, url.pathname);
  if (match === null) throw refuse.notFound();
  if (match === 'method-not-allowed') throw refuse.methodNotAllowed();
  if (match === 'malformed-path') throw refuse.malformedPath();
  return match.handler(request, { ...ctx, params: match.params });
}

async function graphqlRequest(
  parts: PipelineParts,
  { incoming, url, ctx, report }: { incoming: Request; url: URL; ctx: HttpContext; report: RequestReport },
): Promise<Response> {
  // Only JSON bodies: a form, multipart or text/plain POST is what a cross-site form would send (CSRF).
  if (incoming.method === 'POST' && !JSON_MEDIA_TYPE.test(incoming.headers.get('content-type') ?? '')) {
    throw refuse.notJson();
  }
  // The lane is chosen before authentication, whose own statements must not queue behind slow work.
  const bytes = incoming.method === 'POST' ? await incoming.arrayBuffer() : null;
  // The node:http bridge refused a larger body before reading it; this holds for in-process callers.
  if (bytes !== null && bytes.byteLength > parts.maxBodyBytes) throw refuse.tooLarge();
  // Invalid UTF-8 would be decoded with U+FFFD and stored altered; it is refused, but only after
  // authentication, so a bad credential still gets the one 401 first. The checked bytes are handed
  // on as they are.
  // See docs/limits.md "Malformed HTTP requests".
  const bodyIsUtf8 = bytes === null || isUtf8(bytes);
  const body = bytes !== null && bodyIsUtf8 ? utf8Text(bytes) : null;
  const request = bytes === null ? incoming : parts.graphql.withBody(incoming, body ?? bytes);
  const lane = laneOf(body, url.searchParams);
  return runInDbScope({ lane, signal: incoming.signal }, async () => {
    const principal = await parts.authenticate(request, ctx);
    if (!bodyIsUtf8) throw refuse.notUtf8();
    const response = await parts.graphql.fetch(request, {
      requestId: ctx.requestId,
      ip: ctx.ip,
      principal,
      report,
    });
    // Whatever format the client negotiated (JSON, SSE, multipart), an authentication failure is
    // the one 401 body (docs/api-contract.md §1): no second shape to tell failures apart by.
    // Drained rather than cancelled: Yoga's SSE stream throws on cancel. It holds one small result.
    if (response.status === 401) {
      await response.arrayBuffer().catch(() => undefined);
      throw refuse.unauthenticated();
    }
    // Yoga's 406 has no body; a client that cannot say what it accepts still gets a reason and a
    // code, with the media types it could ask for (docs/limits.md, "Transports").
    if (response.status === 406) {
      await response.arrayBuffer().catch(() => undefined);
      throw refuse.notAcceptable(response.headers.get('accept') ?? 'application/json');
    }
    return response;
  });
}

/** Checked UTF-8 as text; the node:http bridge hands a Buffer, decoded without a copy. */
function utf8Text(bytes: ArrayBuffer | Uint8Array): string {
  return Buffer.isBuffer(bytes) ? bytes.toString('utf8') : new TextDecoder().decode(bytes);
}
