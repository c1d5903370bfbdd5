import type { IncomingMessage, ServerResponse } from 'node:http';
import { Readable } from 'node:stream';
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
      const url = new URL(req.url ?? '/', options.publicOrigin);
      const headers = new Headers();
      for (const [name, value] of Object.entries(req.headers)) {
        if (value === undefined) continue;
        for (const v of Array.isArray(value) ? value : [value]) headers.append(name, v);
      }
      const request = new Request(url, {
        method: req.method ?? 'GET',
        headers,
        signal: abandoned.signal,
        ...(body
          ? { body: body.buffer.slice(body.byteOffset, body.byteOffset + body.byteLength) as ArrayBuffer }
          : {}),
      });
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
    await new Promise<void>((resolve, reject) => {
      Readable.fromWeb(response.body as import('node:stream/web').ReadableStream)
        .pipe(res)
        .on('finish', resolve)
        .on('error', reject);
    });
    return;
  }
  // Every other body is complete when the handler returns (JSON, HTML, assets): read it at once and
  // send headers and body in one write, instead of piping it chunk by chunk through two streams.
  const body = Buffer.from(await response.arrayBuffer());
  headers['content-length'] ??= String(body.byteLength);
  res.writeHead(response.status, headers).end(body);
}
