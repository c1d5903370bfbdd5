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
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? app.config.port, host, () => resolve());
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
