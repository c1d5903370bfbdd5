import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { nodeHandler } from './http/node-adapter.ts';
import type { RunningApp } from './kernel/command.ts';

export interface RunningServer {
  readonly server: Server;
  readonly url: string;
  /**
   * Graceful stop: stops accepting, closes idle keep-alive connections at once, answers every
   * request in flight (with `Connection: close`, so its connection ends after the response), then
   * closes the app. Connections still busy after `deadlineMs` are cut. Resolves to whether
   * everything finished before the deadline.
   */
  stop(deadlineMs?: number): Promise<boolean>;
}

/** Serves the app over node:http on HOST:PORT (port 0 = any free port). */
export async function startServer(
  app: RunningApp,
  options: { host?: string; port?: number } = {},
): Promise<RunningServer> {
  let draining = false;
  const server = createServer(
    nodeHandler(app.http, {
      maxBodyBytes: app.config.maxBodyBytes,
      publicOrigin: app.config.publicUrl,
      log: app.services.log,
      draining: () => draining,
    }),
  );
  server.keepAliveTimeout = 5_000;
  server.headersTimeout = 10_000;
  server.requestTimeout = 60_000;
  const host = options.host ?? app.config.host;
  const wanted = options.port ?? app.config.port;
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err) => reject(listenError(err, host, wanted)));
    server.listen(wanted, host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  let stopping: Promise<boolean> | undefined;
  return {
    server,
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    stop: (deadlineMs = app.config.shutdownTimeoutMs) => {
      stopping ??= (async () => {
        draining = true;
        let timer: NodeJS.Timeout | undefined;
        const closed = new Promise<boolean>((resolve) => server.close(() => resolve(true)));
        server.closeIdleConnections();
        const deadline = new Promise<boolean>((resolve) => {
          timer = setTimeout(() => resolve(false), deadlineMs);
        });
        const inTime = await Promise.race([closed, deadline]);
        clearTimeout(timer);
        if (!inTime) {
          server.closeAllConnections();
          await closed;
        }
        await app.close();
        return inTime;
      })();
      return stopping;
    },
  };
}

/**
 * HOST and PORT name an address this process cannot listen on: an operator's configuration
 * problem (exit code 2, README "Exit codes"), not a failure of Tessera's.
 */
export class ListenError extends Error {}

const LISTEN_REASONS: Record<string, string> = {
  EADDRINUSE: 'the address is already in use (another process listens there)',
  EACCES: 'permission denied (a port below 1024 needs privileges)',
  EADDRNOTAVAIL: 'no network interface of this machine has that address',
  ENOTFOUND: 'HOST does not resolve',
  EAI_AGAIN: 'HOST could not be resolved (DNS did not answer)',
};

function listenError(err: Error, host: string, port: number): Error {
  const code = (err as { code?: unknown }).code;
  const reason = typeof code === 'string' ? LISTEN_REASONS[code] : undefined;
  if (!reason) return err;
  return new ListenError(`Cannot listen on HOST:PORT ${host}:${port}: ${reason} (${code})`, { cause: err });
}
