import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { App } from './app.ts';
import { nodeHandler } from './http/node-adapter.ts';

export interface RunningServer {
  readonly server: Server;
  readonly url: string;
  /** Stops accepting, lets in-flight requests finish, then closes the app. */
  stop(): Promise<void>;
}

/** Serves the app over node:http on HOST:PORT (port 0 = any free port). */
export async function startServer(
  app: App,
  options: { host?: string; port?: number } = {},
): Promise<RunningServer> {
  const server = createServer(
    nodeHandler((request, info) => app.fetch(request, info), {
      maxBodyBytes: app.config.maxBodyBytes,
      publicOrigin: app.config.publicUrl,
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
  let stopping: Promise<void> | undefined;
  return {
    server,
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    stop: () => {
      stopping ??= (async () => {
        await new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeIdleConnections();
        });
        await app.close();
      })();
      return stopping;
    },
  };
}
