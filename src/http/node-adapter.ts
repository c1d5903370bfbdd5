import { once } from 'node:events';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from '../logger.ts';
import { errorResponse } from './router.ts';

export type FetchHandler = (request: Request, info: { ip: string | null }) => Promise<Response>;

/**
 * Bridges node:http to a fetch-style handler. The body is read here, up to `maxBodyBytes`
 * (413 past that, before the rest is read), so no handler ever sees an oversized request.
 */
export function nodeHandler(
  handle: FetchHandler,
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
    try {
      const declared = Number(req.headers['content-length'] ?? 0);
      if (declared > options.maxBodyBytes) {
        await send(res, errorResponse(413, 'PAYLOAD_TOO_LARGE', 'Request body too large'), true);
        return;
      }
      const body =
        req.method === 'GET' || req.method === 'HEAD' ? undefined : await readBody(req, options.maxBodyBytes);
      if (body === 'too-large') {
        await send(res, errorResponse(413, 'PAYLOAD_TOO_LARGE', 'Request body too large'), true);
        return;
      }
      const request = fetchRequest(req, body, options.publicOrigin, abandoned.signal);
      if (!(request instanceof Request)) {
        await send(res, request, true);
        return;
      }
      const response = await handle(request, { ip: req.socket.remoteAddress ?? null });
      await send(res, response, draining());
    } catch (err) {
      // The handler answers its own failures; what lands here broke outside it (reading the body,
      // building the request, writing the response).
      if (!abandoned.signal.aborted)
        options.log.error({ err, url: req.url?.slice(0, 200) }, 'request failed');
      if (!res.headersSent)
        await send(res, errorResponse(500, 'INTERNAL_SERVER_ERROR', 'Unexpected error.'), true).catch(
          () => {},
        );
      else res.destroy();
    }
  };
}

/** Methods the fetch `Request` refuses to represent (`TRACE` would echo credentials back). */
const UNSUPPORTED_METHODS = new Set(['CONNECT', 'TRACE', 'TRACK']);

/**
 * The fetch `Request` for a node:http request, or the 4xx response when there is none: a method
 * fetch forbids is 405, anything else the constructor refuses (a malformed target URL) is 400.
 */
function fetchRequest(
  req: IncomingMessage,
  body: Buffer | undefined,
  publicOrigin: string,
  signal: AbortSignal,
): Request | Response {
  const method = (req.method ?? 'GET').toUpperCase();
  if (UNSUPPORTED_METHODS.has(method)) {
    const response = errorResponse(405, 'BAD_REQUEST', 'Method not allowed');
    response.headers.set('allow', 'GET, HEAD, POST');
    return response;
  }
  try {
    const headers = new Headers();
    for (const [name, value] of Object.entries(req.headers)) {
      if (value === undefined) continue;
      for (const v of Array.isArray(value) ? value : [value]) headers.append(name, v);
    }
    return new Request(new URL(req.url ?? '/', publicOrigin), {
      method,
      headers,
      signal,
      ...(body
        ? { body: body.buffer.slice(body.byteOffset, body.byteOffset + body.byteLength) as ArrayBuffer }
        : {}),
    });
  } catch {
    return errorResponse(400, 'BAD_REQUEST', 'Malformed request');
  }
}

async function readBody(req: IncomingMessage, limit: number): Promise<Buffer | 'too-large'> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) return 'too-large';
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

/** Media types whose bodies arrive over time (SSE, incremental delivery): streamed, never buffered. */
const INCREMENTAL_MEDIA_TYPE = /^\s*(text\/event-stream|multipart\/mixed)\b/i;

async function send(res: ServerResponse, response: Response, close: boolean): Promise<void> {
  const headers: Record<string, string | string[]> = {};
  response.headers.forEach((value, name) => {
    headers[name] = name === 'set-cookie' ? response.headers.getSetCookie() : value;
  });
  if (close) headers.connection = 'close';
  if (!response.body) {
    res.writeHead(response.status, headers).end();
    return;
  }
  if (INCREMENTAL_MEDIA_TYPE.test(response.headers.get('content-type') ?? '')) {
    res.writeHead(response.status, headers);
    await streamBody(res, response.body);
    return;
  }
  // Every other body is complete when the handler returns (JSON, HTML, assets): read it at once and
  // send headers and body in one write, instead of piping it chunk by chunk through two streams.
  const body = Buffer.from(await response.arrayBuffer());
  headers['content-length'] ??= String(body.byteLength);
  res.writeHead(response.status, headers).end(body);
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
