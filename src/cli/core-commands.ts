import { sql } from 'kysely';
import {
  type CliCommand,
  flag,
  jsonOption,
  type RunningApp,
  UsageError,
  workspaceOption,
} from '../kernel/command.ts';
import { PERMISSIONS } from '../modules/auth/permissions.ts';
import { startServer } from '../server.ts';
import { parseTimestamp } from '../time.ts';

/**
 * Signals that stop the server gracefully. SIGHUP too: a closing terminal sends it, and so do
 * supervisors asking for a reload, which Tessera has none of (it reads its configuration at
 * start); Node's default would end the process at once, cutting the requests in flight.
 */
const STOP_SIGNALS: readonly NodeJS.Signals[] = ['SIGTERM', 'SIGINT', 'SIGHUP'];

export const serveCommand: CliCommand = {
  name: 'serve',
  summary: 'Start the HTTP server (GraphQL at /graphql).',
  usage: 'tessera serve',
  async run(_args, env) {
    const app = await env.openApp({ background: true });
    let running: Awaited<ReturnType<typeof startServer>>;
    let firstKey: string | null;
    try {
      // Listening first: a key created by a start that then cannot listen would never be printed,
      // and the next start, finding a key, would print none.
      running = await startServer(app);
      firstKey = await createFirstKeyIfNone(app).catch(async (err: unknown) => {
        await running.server.close();
        throw err;
      });
    } catch (err) {
      // Not serving: close the pools and background loops, so the failure is the process's end.
      await app.close().catch(() => undefined);
      throw err;
    }
    if (firstKey) {
      env.io.err(
        `Created the first access key (every permission); it is shown only once:\n\n  ${firstKey}\n`,
      );
    }
    env.io.err(
      `Tessera listening on ${running.url} (GraphQL: ${running.url}/graphql, database: ${app.services.database.kind})`,
    );
    await new Promise<void>((resolve) => {
      const shutdown = (signal: NodeJS.Signals) => {
        for (const s of STOP_SIGNALS) {
          process.removeListener(s, shutdown);
          // Later signals are ignored: the deadline already bounds how long stopping takes.
          process.on(s, () => {});
        }
        const seconds = app.config.shutdownTimeoutMs / 1000;
        env.io.err(`Shutting down (${signal}): finishing in-flight requests, at most ${seconds} s…`);
        void running.stop().then((inTime) => {
          if (!inTime) env.io.err('Shutdown deadline passed: cut the connections still open.');
          resolve();
        });
      };
      for (const s of STOP_SIGNALS) process.on(s, shutdown);
    });
    // Everything is closed; a stray handle (a driver's reconnect timer) must not keep the process up.
    setTimeout(() => process.exit(0), 1000).unref();
    return 0;
  },
};

/** Any constant of Tessera's own: the advisory lock that makes "is there a key yet?" + create atomic. */
const FIRST_KEY_LOCK = 7_202_611_001;

/**
 * A fresh install must be callable: when no key exists anywhere, create one for the default
 * workspace. Check and create run under one advisory lock, so of several instances cold-starting
 * on one database exactly one creates (and prints) the key.
 */
async function createFirstKeyIfNone(app: RunningApp): Promise<string | null> {
  // Before taking the connection: PGlite has only one, and ensureDefault is race-safe on its own.
  const ws = await app.services.workspaces.ensureDefault();
  return app.services.db.connection().execute(async (conn) => {
    await sql`select pg_advisory_lock(${FIRST_KEY_LOCK})`.execute(conn);
    try {
      if (await app.services.accessKeys.anyExists(conn)) return null;
      const { token } = await app.services.accessKeys.create(
        { workspaceId: ws.id, name: 'first key', permissions: PERMISSIONS, expiresAt: null },
        null,
        conn,
      );
      return token;
    } finally {
      await sql`select pg_advisory_unlock(${FIRST_KEY_LOCK})`.execute(conn);
    }
  });
}

export const initCommand: CliCommand = {
  name: 'init',
  summary: 'Create the default workspace if needed and a new access key with every permission.',
  usage: 'tessera init [--json]',
  options: [jsonOption],
  async run(args, env) {
    const app = await env.openApp();
    try {
      const ws = await app.services.workspaces.ensureDefault();
      const { token } = await app.services.accessKeys.create(
        { workspaceId: ws.id, name: 'init', permissions: PERMISSIONS, expiresAt: null },
        null,
      );
      if (args.flags.has('json')) env.io.out(JSON.stringify({ workspaceId: ws.id, accessKey: token }));
      else env.io.out(`Workspace: ${ws.id}\nAccess key (shown only once): ${token}`);
      return 0;
    } finally {
      await app.close();
    }
  },
};

export const migrateCommand: CliCommand = {
  name: 'migrate',
  summary: 'Apply pending database migrations and exit.',
  usage: 'tessera migrate',
  async run(_args, env) {
    const app = await env.openApp(); // opening the app migrates under a lock
    await app.close();
    env.io.err('Database is up to date.');
    return 0;
  },
};

export const keysCommand: CliCommand = {
  name: 'keys',
  summary: 'Manage access keys (create, list, revoke) and rotate the JWT signing key.',
  usage:
    'tessera keys create --permissions iam:read,impersonate [--workspace ID] [--name N] [--expires ISO] [--json]\n' +
    '  tessera keys list [--workspace ID] [--json]\n  tessera keys revoke KEY_ID [--workspace ID]\n' +
    '  tessera keys rotate-signing [--json]',
  subcommands: [
    {
      name: 'create',
      summary: 'Create an access key; its token is printed once.',
      options: [
        {
          name: 'permissions',
          type: 'string',
          value: 'LIST',
          required: true,
          description: `comma-separated, from ${PERMISSIONS.join(', ')}`,
        },
        workspaceOption,
        { name: 'name', type: 'string', value: 'NAME', description: 'a label for the key' },
        { name: 'expires', type: 'string', value: 'ISO', description: 'expiry, an ISO 8601 timestamp' },
        jsonOption,
      ],
    },
    { name: 'list', summary: "List the workspace's access keys.", options: [workspaceOption, jsonOption] },
    { name: 'revoke', summary: 'Revoke an access key.', arguments: ['KEY_ID'], options: [workspaceOption] },
    {
      name: 'rotate-signing',
      summary: 'Make a new JWT signing key the signer; the old one verifies until its tokens expire.',
      options: [jsonOption],
    },
  ],
  async run(args, env) {
    const [sub, id] = args.positional;
    const app = await env.openApp();
    try {
      if (sub === 'rotate-signing') {
        // The new key signs from now on; the old one stays published until its tokens have expired.
        const r = await app.services.sessions.rotateSigningKey();
        if (args.flags.has('json')) env.io.out(JSON.stringify(r));
        else
          env.io.out(
            `Signing key ${r.kid} is now the signer.` +
              (r.retiredKid ? ` ${r.retiredKid} stays published until ${r.retireAfter.toISOString()}.` : ''),
          );
        return 0;
      }
      const workspaceId = flag(args, 'workspace') ?? (await app.services.workspaces.ensureDefault()).id;
      if (!(await app.services.workspaces.find(workspaceId)))
        throw new UsageError(`Workspace not found: ${workspaceId}`);
      if (sub === 'create') {
        const permissions = (flag(args, 'permissions') ?? '')
          .split(',')
          .map((p) => p.trim())
          .filter(Boolean);
        const expires = flag(args, 'expires');
        const expiresAt = expires ? parseTimestamp(expires) : null;
        if (expires && !expiresAt) throw new UsageError('--expires must be an ISO 8601 timestamp');
        const { key, token } = await app.services.accessKeys.create(
          { workspaceId, name: flag(args, 'name') ?? '', permissions, expiresAt },
          null,
        );
        if (args.flags.has('json')) env.io.out(JSON.stringify({ workspaceId, accessKey: token }));
        else env.io.out(`Key ${key.id} (${key.permissions.join(', ')}), shown only once:\n${token}`);
        return 0;
      }
      if (sub === 'list') {
        const keys = await app.services.accessKeys.list(workspaceId);
        if (args.flags.has('json')) env.io.out(JSON.stringify(keys));
        else
          for (const k of keys) {
            const state = k.revokedAt
              ? 'revoked'
              : k.expiresAt && k.expiresAt <= new Date()
                ? 'expired'
                : 'active';
            env.io.out(`${k.id}  ${state.padEnd(7)}  ${k.permissions.join(',').padEnd(40)}  ${k.name}`);
          }
        return 0;
      }
      if (sub === 'revoke' && id) {
        await app.services.accessKeys.revoke(workspaceId, id, {
          requestId: null,
          ip: null,
          actorKeyId: null,
          actorUserId: null,
        });
        env.io.err(`Revoked ${id}.`);
        return 0;
      }
      throw new UsageError(keysCommand.usage);
    } finally {
      await app.close();
    }
  },
};
