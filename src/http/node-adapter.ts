import { once } from 'node:events';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from '../logger.ts';
import { type HttpPipeline, requestIdOf, type TransportRequest } from './pipeline.ts';
import { HttpRefusal, refuse } from './refusals.ts';

/**
 * Bridges node:http to the HTTP pipeline. The body is read here, up to `maxBodyBytes` (413 past
 * that, before the rest is read), so no handler ever sees an oversized request. What this bridge
 * answers itself (those refusals, a failure outside the pipeline) is answered, logged and given
 * its request id by the pipeline, like every other request.
 */
export function nodeHandler(
  pipeline: HttpPipeline,
  options: {
    maxBodyBytes: number;
    publicOrigin: string;
    log: Logger;
    /** True once the server is shutting down: every response then closes its connection. */
    draining?: () => boolean;
  },
) {
  return async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const draining = () => options.draining?.() === true;
    // A client that goes away before its answer aborts the request, which cancels its statement.
    const abandoned = new AbortController();
    res.once('close', () => {
      if (!res.writableFinished) abandoned.abort();
    });
    const header = req.headers['x-request-id'];
    const target = parseTarget(req.url, options.publicOrigin);
    const transport: TransportRequest = {
      method: req.method ?? 'GET',
      // A target the URL parser refuses is logged as `/`, and answered 400 below.
      url: target?.href ?? new URL('/', options.publicOrigin).href,
      requestId: requestIdOf(typeof header === 'string' ? header : undefined),
    };
    const started = performance.now();
    const answer = (outcome: unknown) => pipeline.answer(transport, outcome, performance.now() - started);
    try {
      const declared = Number(req.headers['content-length'] ?? 0);
      if (declared > options.maxBodyBytes) {
        await send(res, answer(refuse.tooLarge()), true);
        return;
      }
      const body =
        req.method === 'GET' || req.method === 'HEAD' ? undefined : await readBody(req, options.maxBodyBytes);
      if (body === 'too-large') {
        await send(res, answer(refuse.tooLarge()), true);
        return;
      }
      const request = fetchRequest(pipeline, { req, target, body, signal: abandoned.signal });
      if (request instanceof HttpRefusal) {
        await send(res, answer(request), true);
        return;
      }
      const response = await pipeline.fetch(request, {
        ip: req.socket.remoteAddress ?? null,
        requestId: transport.requestId,
      });
      await send(res, response, draining());
    } catch (err) {
      // The pipeline answers its own failures; what lands here broke outside it (reading the
      // body, writing the response). A client that went away is no failure of ours.
      if (abandoned.signal.aborted) {
        res.destroy();
        return;
      }
      if (!res.headersSent) {
        // The documented 500 body, logged with its cause and request id by the pipeline.
        await send(res, answer(err), true).catch(() => res.destroy());
        return;
      }
      // Too late for a status: the response was cut short. Its cause still goes to the log.
      options.log.error(
        {
          err,
          requestId: transport.requestId,
          method: transport.method,
          path: new URL(transport.url).pathname,
        },
        'response failed after its headers were sent',
      );
      res.destroy();
    }
  };
}

/** Methods the fetch `Request` refuses to represent (`TRACE` would echo credentials back). */
const UNSUPPORTED_METHODS = new Set(['CONNECT', 'TRACE', 'TRACK']);

/** The request's target against the public origin; null when the URL parser refuses it. */
function parseTarget(target: string | undefined, publicOrigin: string): URL | null {
  try {
    return new URL(target ?? '/', publicOrigin);
  } catch {
    return null;
  }
}

/**
 * The fetch `Request` for a node:http request, or the refusal when there is none: a method fetch
 * forbids is 405, a target the URL parser or fetch refuses is 400. Built by the pipeline in the class it
 * reads fastest, from node's own header object and the body as read: neither is copied.
 */
function fetchRequest(
  pipeline: HttpPipeline,
  from: { req: IncomingMessage; target: URL | null; body: Buffer | undefined; signal: AbortSignal },
): Request | HttpRefusal {
  const { req, target, body, signal } = from;
  const method = (req.method ?? 'GET').toUpperCase();
  if (UNSUPPORTED_METHODS.has(method)) return refuse.methodNotAllowed('GET, HEAD, POST');
  // Credentials in the target (`//user:pass@host/`) are refused, as the fetch `Request` does.
  if (target === null || target.username !== '' || target.password !== '') return refuse.malformedRequest();
  try {
    return pipeline.request(target.href, {
      method,
      headers: requestHeaders(req),
      signal,
      // A Buffer read from a socket sits on a plain ArrayBuffer, never a shared one.
      ...(body ? { body: body as Uint8Array<ArrayBuffer> } : {}),
    });
  } catch {
    return refuse.malformedRequest();
  }
}

/**
 * node's header object as fetch headers. node joins repeated request headers into one value,
 * except `set-cookie`, which no request should carry but which is kept, one value per entry.
 */
function requestHeaders(req: IncomingMessage): HeadersInit {
  const headers = req.headers;
  if (headers['set-cookie'] === undefined) return headers as Record<string, string>;
  const pairs: [string, string][] = [];
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue;
    for (const v of Array.isArray(value) ? value : [value]) pairs.push([name, v]);
  }
  return pairs;
}

/**
 * The whole body, or 'too-large' as soon as it passes `limit`. Read with listeners rather than `for await`: a body
 * nearly always arrives in one chunk, and an async iterator per request cost more than the read.
 * A client that goes away mid-body rejects, like the stream's own error.
 */
function readBody(req: IncomingMessage, limit: number): Promise<Buffer | 'too-large'> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const settle = (outcome: () => void) => {
      req.off('data', onData).off('end', onEnd).off('error', onError).off('close', onClose);
      outcome();
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size <= limit) {
        chunks.push(chunk);
        return;
      }
      // The rest of the body is left unread: the 413 closes the connection.
      settle(() => resolve('too-large'));
    };
    const onEnd = () => settle(() => resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks)));
    const onError = (err: Error) => settle(() => reject(err));
    // 'close' before 'end': the client went away before its body was complete.
    const onClose = () => settle(() => reject(new Error('the request closed before its body ended')));
    req.on('data', onData).on('end', onEnd).on('error', onError).on('close', onClose);
  });
}

/** Media types whose bodies arrive over time (SSE, incremental delivery): streamed, never buffered. */
const INCREMENTAL_MEDIA_TYPE = /^\s*(text\/event-stream|multipart\/mixed)\b/i;

async function send(res: ServerResponse, response: Response, close: boolean): Promise<void> {
  const headers: Record<string, string | string[]> = {};
  response.headers.forEach((value, name) => {
    headers[name] = name === 'set-cookie' ? response.headers.getSetCookie() : value;
  });
  if (close) headers.connection = 'close';
  if (INCREMENTAL_MEDIA_TYPE.test(response.headers.get('content-type') ?? '')) {
    res.writeHead(response.status, headers);
    if (response.body) await streamBody(res, response.body);
    else res.end();
    return;
  }
  // Every other body is complete when the handler returns (JSON, HTML, assets): read it at once and
  // send headers and body in one write, instead of piping it chunk by chunk through two streams.
  // Read without asking for `response.body` first, which would build a stream around it.
  const body = asBuffer(await response.arrayBuffer());
  if (body.byteLength === 0) {
    // No body: node sets the length itself where the status allows one (never on a 204 or 304).
    res.writeHead(response.status, headers).end();
    return;
  }
  headers['content-length'] ??= String(body.byteLength);
  res.writeHead(response.status, headers).end(body);
}

/** The bytes as a Buffer over the same memory (Yoga's responses already hand one). */
function asBuffer(bytes: ArrayBuffer | Uint8Array): Buffer {
  if (Buffer.isBuffer(bytes)) return bytes;
  return ArrayBuffer.isView(bytes)
    ? Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
    : Buffer.from(bytes);
}

/**
 * Writes an incremental body chunk by chunk as it is produced. Read through the stream's own
 * reader: Yoga's bodies are not always Node's `ReadableStream` class, which `Readable.fromWeb`
 * insists on (it threw, and SSE and multipart clients got an empty reply). A client that goes
 * away cancels the stream, so the producer stops too.
 */
async function streamBody(res: ServerResponse, body: ReadableStream<Uint8Array>): Promise<void> {
  const reader = body.getReader();
  const cancel = () => {
    try {
      reader.cancel().catch(() => undefined);
    } catch {
      // a stream that refuses to be cancelled has nothing left to stop
    }
  };
  res.once('close', cancel);
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      if (res.destroyed) return;
      if (!res.write(value)) await Promise.race([once(res, 'drain'), once(res, 'close')]);
    }
    res.end();
  } finally {
    res.off('close', cancel);
  }
}
