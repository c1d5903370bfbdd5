import { after, before } from 'node:test';
import { type App, createApp } from '../../src/app.ts';
import { ManualClock } from '../../src/clock.ts';
import { type Config, loadConfig } from '../../src/config.ts';
import type { AnyModule } from '../../src/kernel/module.ts';
import { PERMISSIONS } from '../../src/modules/auth/permissions.ts';
import type { TestBackend } from './databases.ts';

export interface GraphQLResult<T = Record<string, any>> {
  status: number;
  body: {
    data?: T | null;
    errors?: { message: string; extensions?: Record<string, any>; path?: unknown[] }[];
  };
  headers: Headers;
}

export interface TestApp {
  readonly app: App;
  readonly clock: ManualClock;
  readonly workspaceId: string;
  /** An access key with every permission in the default workspace. */
  readonly rootKey: string;
  gql<T = Record<string, any>>(
    query: string,
    variables?: Record<string, unknown>,
    token?: string | null,
    headers?: Record<string, string>,
  ): Promise<GraphQLResult<T>>;
  /** Creates an access key in a workspace with the given permissions. */
  key(permissions: readonly string[], workspaceId?: string): Promise<string>;
  close(): Promise<void>;
}

export const testConfig = (overrides: Record<string, string> = {}): Config =>
  loadConfig({
    NODE_ENV: 'test',
    LOG_LEVEL: 'silent',
    TESSERA_PUBLIC_URL: 'http://tessera.test',
    ...overrides,
  });

/** Starts an app on a fresh database of `backend`. */
export async function startTestApp(
  backend: TestBackend,
  options: { env?: Record<string, string>; modules?: readonly AnyModule[]; clock?: ManualClock } = {},
): Promise<TestApp> {
  const { database, drop } = await backend.open();
  const clock = options.clock ?? new ManualClock(Date.now());
  const config = { ...testConfig(options.env), database } as Config;
  // Every module the real server runs, unless a test asks for another list.
  const app = await createApp(config, { clock, ...(options.modules ? { modules: options.modules } : {}) });
  const workspace = await app.services.workspaces.ensureDefault();
  const key = async (permissions: readonly string[], workspaceId = workspace.id) =>
    (await app.services.accessKeys.create({ workspaceId, name: 'test', permissions, expiresAt: null }, null))
      .token;
  const rootKey = await key(PERMISSIONS);
  return {
    app,
    clock,
    workspaceId: workspace.id,
    rootKey,
    key,
    gql: async (query, variables = {}, token = rootKey, headers = {}) => {
      const response = await app.fetch(
        new Request('http://tessera.test/graphql', {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            ...(token ? { authorization: `Bearer ${token}` } : {}),
            ...headers,
          },
          body: JSON.stringify({ query, variables }),
        }),
        { ip: '127.0.0.1' },
      );
      return { status: response.status, body: await response.json(), headers: response.headers };
    },
    close: async () => {
      await app.close();
      await drop();
    },
  };
}

/** Registers before/after hooks that start one app per suite. */
export function useTestApp(
  backend: TestBackend,
  options?: Parameters<typeof startTestApp>[1],
): () => TestApp {
  let t: TestApp | undefined;
  before(async () => {
    t = await startTestApp(backend, options);
  });
  after(async () => {
    await t?.close();
  });
  return () => t!;
}
