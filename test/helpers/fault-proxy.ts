import { createConnection, createServer, type Server, type Socket } from 'node:net';

/**
 * A TCP proxy on 127.0.0.1 in front of one server (PostgreSQL, MariaDB, Redis, SMTP), which a
 * test can make fail on demand, the way networks and restarts do:
 * - `cut()` resets every open connection (a crash, a killed backend, a dropped link);
 * - `refuse(true)` stops listening, so new connections get ECONNREFUSED (server down);
 * - `stall(true)` keeps connections open but forwards nothing, either way (a hung network).
 */
export interface FaultProxy {
  readonly port: number;
  /** `url` with its host and port replaced by the proxy's. */
  urlFor(url: string): string;
  cut(): void;
  refuse(on: boolean): Promise<void>;
  stall(on: boolean): void;
  /** Connections open through the proxy right now. */
  readonly open: number;
  close(): Promise<void>;
}

export async function startFaultProxy(target: { host: string; port: number }): Promise<FaultProxy> {
  const pairs = new Set<[Socket, Socket]>();
  let stalled = false;
  let server: Server | null = null;
  let port = 0;

  const onConnection = (client: Socket) => {
    const upstream = createConnection({ host: target.host, port: target.port });
    const pair: [Socket, Socket] = [client, upstream];
    pairs.add(pair);
    const forward = (from: Socket, to: Socket) =>
      from.on('data', (chunk: Buffer) => {
        if (!stalled) to.write(chunk);
      });
    forward(client, upstream);
    forward(upstream, client);
    const end = () => {
      pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    for (const s of pair) {
      s.on('error', end);
      s.on('close', end);
    }
  };

  const listen = () =>
    new Promise<void>((resolve, reject) => {
      const s = createServer(onConnection);
      s.once('error', reject);
      s.listen(port, '127.0.0.1', () => {
        port = (s.address() as { port: number }).port;
        server = s;
        resolve();
      });
    });

  const cut = () => {
    for (const [client, upstream] of pairs) {
      client.resetAndDestroy();
      upstream.destroy();
    }
    pairs.clear();
  };

  await listen();
  return {
    get port() {
      return port;
    },
    get open() {
      return pairs.size;
    },
    urlFor(url) {
      const u = new URL(url);
      u.hostname = '127.0.0.1';
      u.port = String(port);
      return u.toString();
    },
    cut,
    async refuse(on) {
      if (on && server) {
        // Stops listening at once; close's callback would wait for the open connections to end.
        server.close();
        server = null;
      } else if (!on && !server) {
        await listen(); // the same port: clients configured with it reconnect
      }
    },
    stall(on) {
      stalled = on;
    },
    async close() {
      cut();
      const s = server;
      server = null;
      if (s) await new Promise<void>((resolve) => s.close(() => resolve()));
    },
  };
}

/** The host and port of a database or Redis URL. */
export function targetOf(url: string, defaultPort: number): { host: string; port: number } {
  const u = new URL(url);
  return { host: u.hostname, port: Number(u.port || defaultPort) };
}
