import { createConnection, createServer, type Server, type Socket } from 'node:net';

/**
 * A TCP proxy on 127.0.0.1 in front of one server (PostgreSQL, MariaDB, Redis, SMTP), which a
 * test can make fail on demand, the way networks and restarts do:
 * - `cut()` resets every open connection (a crash, a killed backend, a dropped link);
 * - `refuse(true)` stops listening, so new connections get ECONNREFUSED (server down);
 * - `stall(true)` keeps connections open but forwards nothing, either way (a hung network);
 * - `reportServerVersion('18.0')` (PostgreSQL) makes connections opened from then on announce
 *   that `server_version` at their start, as a server upgraded behind the same address would.
 */
export interface FaultProxy {
  readonly port: number;
  /** `url` with its host and port replaced by the proxy's. */
  urlFor(url: string): string;
  cut(): void;
  refuse(on: boolean): Promise<void>;
  stall(on: boolean): void;
  reportServerVersion(version: string | null): void;
  /** Connections open through the proxy right now. */
  readonly open: number;
  close(): Promise<void>;
}

export async function startFaultProxy(target: { host: string; port: number }): Promise<FaultProxy> {
  const pairs = new Set<[Socket, Socket]>();
  let stalled = false;
  let reportedVersion: string | null = null;
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
    if (reportedVersion === null) forward(upstream, client);
    else rewriteServerVersion(upstream, client, reportedVersion, () => stalled);
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
    reportServerVersion(version) {
      reportedVersion = version;
    },
    async close() {
      cut();
      const s = server;
      server = null;
      if (s) await new Promise<void>((resolve) => s.close(() => resolve()));
    },
  };
}

/**
 * Forwards a PostgreSQL server's messages (type byte, then a length that counts itself), with
 * the value of its `server_version` ParameterStatus replaced.
 */
function rewriteServerVersion(from: Socket, to: Socket, version: string, stalled: () => boolean): void {
  let pending = Buffer.alloc(0);
  from.on('data', (chunk: Buffer) => {
    if (stalled()) return;
    pending = Buffer.concat([pending, chunk]);
    const out: Buffer[] = [];
    while (pending.length >= 5 && pending.length >= 1 + pending.readUInt32BE(1)) {
      const size = 1 + pending.readUInt32BE(1);
      const message = pending.subarray(0, size);
      pending = pending.subarray(size);
      const [name] = message.subarray(5).toString('utf8').split('\0');
      if (message[0] === 0x53 && name === 'server_version') {
        const body = Buffer.from(`server_version\0${version}\0`, 'utf8');
        const header = Buffer.alloc(5);
        header[0] = 0x53;
        header.writeUInt32BE(4 + body.length, 1);
        out.push(header, body);
      } else out.push(message);
    }
    if (out.length > 0) to.write(Buffer.concat(out));
  });
}

/** The host and port of a database or Redis URL. */
export function targetOf(url: string, defaultPort: number): { host: string; port: number } {
  const u = new URL(url);
  return { host: u.hostname, port: Number(u.port || defaultPort) };
}
