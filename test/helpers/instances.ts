import { randomBytes } from 'node:crypto';
import { type App, createApp } from '../../src/app.ts';
import { ManualClock } from '../../src/clock.ts';
import type { Config } from '../../src/config.ts';
import { PERMISSIONS } from '../../src/modules/auth/permissions.ts';
import { testConfig } from './app.ts';
import { createScratchPostgresDatabase } from './databases.ts';

/** Several Tessera instances on one scratch PostgreSQL database, started at the same time. */
export interface Instances {
  readonly apps: App[];
  readonly clock: ManualClock;
  readonly workspaceId: string;
  readonly rootKey: string;
  key(permissions: readonly string[]): Promise<string>;
  /** POST /graphql to one instance, from a chosen IP, with an optional bearer. */
  gql(
    instance: number,
    query: string,
    variables?: Record<string, unknown>,
    options?: { ip?: string; token?: string | null },
  ): Promise<{ status: number; text: string; body: any }>;
  close(): Promise<void>;
}

export async function startInstances(
  adminUrl: string,
  count: number,
  env: Record<string, string> = {},
): Promise<Instances> {
  const scratch = await createScratchPostgresDatabase(adminUrl);
  const clock = new ManualClock(Date.now());
  // One master key for all: each must open the signing keys another one sealed.
  const masterKey = randomBytes(32).toString('base64');
  const config = {
    ...testConfig({ TESSERA_MASTER_KEY: masterKey, ...env }),
    database: { kind: 'postgres', url: scratch.url, poolSize: 5 },
  } as Config;
  const apps = await Promise.all(Array.from({ length: count }, () => createApp(config, { clock })));
  const workspace = await apps[0]!.services.workspaces.ensureDefault();
  const key = async (permissions: readonly string[]) =>
    (
      await apps[0]!.services.accessKeys.create(
        { workspaceId: workspace.id, name: 'test', permissions, expiresAt: null },
        null,
      )
    ).token;
  const rootKey = await key(PERMISSIONS);
  return {
    apps,
    clock,
    workspaceId: workspace.id,
    rootKey,
    key,
    gql: async (instance, query, variables = {}, options = {}) => {
      const token = options.token === undefined ? rootKey : options.token;
      const response = await apps[instance]!.fetch(
        new Request('http://tessera.test/graphql', {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            ...(token ? { authorization: `Bearer ${token}` } : {}),
          },
          body: JSON.stringify({ query, variables }),
        }),
        { ip: options.ip ?? '127.0.0.1' },
      );
      const text = await response.text();
      return { status: response.status, text, body: JSON.parse(text) };
    },
    close: async () => {
      for (const app of apps) await app.close();
      await scratch.drop();
    },
  };
}
