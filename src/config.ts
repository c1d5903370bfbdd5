import { join } from 'node:path';
import { z } from 'zod';
import { checkDatabaseUrl } from './db/connection-errors.ts';

/**
 * The one place that reads the environment. Everything else receives a frozen `Config`,
 * so tests build their own without touching `process.env`.
 */
const boolFromEnv = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'])
  .transform((v) => v === 'true' || v === '1' || v === 'yes');

const envSchema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  HOST: z.string().min(1).default('127.0.0.1'),
  PORT: z.coerce.number().int().min(0).max(65535).default(4000),
  TESSERA_PUBLIC_URL: z.url().optional(),
  TESSERA_DATA_DIR: z.string().min(1).default('./.tessera/data'),
  DATABASE_URL: z.string().min(1).optional(),
  DATABASE_POOL_SIZE: z.coerce.number().int().min(1).max(200).default(10),
  DATABASE_POOL_RESERVED: z.coerce.number().int().min(0).max(50).default(2),
  TESSERA_DB_STATEMENT_TIMEOUT_MS: z.coerce.number().int().min(0).max(3_600_000).default(5000),
  TESSERA_DB_ACQUIRE_TIMEOUT_MS: z.coerce.number().int().min(100).max(600_000).default(5000),
  TESSERA_SHUTDOWN_TIMEOUT_SECONDS: z.coerce.number().min(0).max(3600).default(10),
  TESSERA_MASTER_KEY: z.string().min(1).optional(),
  SMTP_URL: z
    .string()
    .regex(/^smtps?:\/\/[^/\s]+/, 'must be smtp://[user:pass@]host[:port] or smtps://…')
    .optional(),
  SMTP_FROM: z.string().min(3).default('Tessera <no-reply@tessera.local>'),
  TESSERA_OUTBOX_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(100).default(8),
  TESSERA_OUTBOX_RETRY_BASE_SECONDS: z.coerce.number().min(0).default(30),
  TESSERA_OUTBOX_RETRY_MAX_SECONDS: z.coerce.number().min(0).default(3600),
  TESSERA_OUTBOX_LEASE_SECONDS: z.coerce.number().int().min(10).default(300),
  TESSERA_OUTBOX_POLL_MS: z.coerce.number().int().min(10).default(2000),
  // Checked here, not by the Redis client: it would throw its parse error after the server listens.
  REDIS_URL: z
    .string()
    .refine(isRedisUrl, 'must be redis://[user:pass@]host[:port][/db] or rediss://…')
    .optional(),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  TESSERA_CORS_ORIGINS: z.string().default(''),
  TESSERA_INTROSPECTION: boolFromEnv.optional(),
  TESSERA_GRAPHIQL: boolFromEnv.optional(),
  TESSERA_MAX_BODY_BYTES: z.coerce
    .number()
    .int()
    .min(1024)
    .default(1024 * 1024),
  TESSERA_MAX_EMAILS_PER_CALL: z.coerce.number().int().min(1).max(100_000).default(1000),
  TESSERA_SESSION_TTL_SECONDS: z.coerce.number().int().min(30).max(86_400).default(3600),
  TESSERA_API_TOKEN_TTL_SECONDS: z.coerce.number().int().min(30).max(86_400).default(900),
  TESSERA_AUTH_FAILURES_PER_MINUTE: z.coerce.number().int().min(1).default(10),
  TESSERA_QUERY_TIMEOUT_MS: z.coerce.number().int().min(10).max(3_600_000).default(30_000),
  TESSERA_QUERY_MAX_ROWS: z.coerce.number().int().min(1).max(1_000_000).default(10_000),
  TESSERA_DATA_POOLS_MAX: z.coerce.number().int().min(1).max(100_000).default(100),
  TESSERA_DATA_POOL_IDLE_SECONDS: z.coerce.number().int().min(1).max(86_400).default(60),
  TESSERA_DATA_POOL_CONNECTIONS: z.coerce.number().int().min(1).max(100).default(4),
  TESSERA_WAREHOUSE_DIR: z.string().min(1).optional(),
});

function isRedisUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return (url.protocol === 'redis:' || url.protocol === 'rediss:') && url.hostname !== '';
  } catch {
    return false;
  }
}

export interface Config {
  readonly env: 'development' | 'production' | 'test';
  readonly host: string;
  readonly port: number;
  /** Base URL used as the JWT issuer and in links. */
  readonly publicUrl: string;
  readonly database:
    | { readonly kind: 'pglite'; readonly dataDir: string | null }
    | { readonly kind: 'postgres'; readonly url: string; readonly poolSize: number };
  /**
   * Tessera's own PostgreSQL pool: the per-statement timeout, how long a request waits for a
   * connection, and how many connections only `impersonateUser` may use (at most a quarter of the
   * pool). PGlite runs statements inside the process and can enforce none of these.
   */
  readonly databaseLimits: {
    readonly statementTimeoutMs: number;
    readonly acquireTimeoutMs: number;
    readonly reservedConnections: number;
  };
  /** After SIGTERM/SIGINT: how long in-flight requests may take before the process exits anyway. */
  readonly shutdownTimeoutMs: number;
  /** Where local secrets (the generated master key) live; null for in-memory test instances. */
  readonly dataDir: string | null;
  readonly masterKey: string | undefined;
  readonly smtp: { readonly url: string | undefined; readonly from: string };
  readonly outbox: {
    /** Deliveries tried before a message is FAILED. */
    readonly maxAttempts: number;
    /** Backoff after the first failure; doubles each attempt, capped, with jitter. */
    readonly retryBaseMs: number;
    readonly retryMaxMs: number;
    /** How long a claimed (SENDING) message belongs to its sender before another may retake it. */
    readonly leaseMs: number;
    /** How often the sender looks for due messages when the queue is idle. */
    readonly pollMs: number;
  };
  readonly redisUrl: string | undefined;
  readonly logLevel: string;
  readonly corsOrigins: readonly string[];
  readonly introspection: boolean;
  /** GraphiQL at `GET /graphql` for browsers (docs/api-contract.md §7). */
  readonly graphiql: boolean;
  readonly maxBodyBytes: number;
  readonly maxEmailsPerCall: number;
  readonly sessionTtlSeconds: number;
  readonly apiTokenTtlSeconds: number;
  readonly authFailuresPerMinute: number;
  /** The data plane: query limits, connection pools, and where `pglite` warehouses live. */
  readonly data: {
    readonly queryTimeoutMs: number;
    readonly maxRows: number;
    readonly maxPools: number;
    readonly poolIdleMs: number;
    readonly connectionsPerPool: number;
    /** Directory of the embedded `pglite` warehouses; null keeps them in memory. */
    readonly warehouseDir: string | null;
  };
}

export class ConfigError extends Error {}

/** Parses an environment (normally `process.env`) into a frozen `Config`, failing fast on bad values. */
export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    throw new ConfigError(`Invalid configuration: ${problems}`);
  }
  const e = parsed.data;
  // A URL that is no PostgreSQL URL fails here, by name, rather than as a driver error later.
  if (e.DATABASE_URL) checkDatabaseUrl(e.DATABASE_URL);
  const config: Config = {
    env: e.NODE_ENV,
    host: e.HOST,
    port: e.PORT,
    publicUrl: (e.TESSERA_PUBLIC_URL ?? `http://${e.HOST}:${e.PORT}`).replace(/\/+$/, ''),
    database: e.DATABASE_URL
      ? { kind: 'postgres', url: e.DATABASE_URL, poolSize: e.DATABASE_POOL_SIZE }
      : { kind: 'pglite', dataDir: e.TESSERA_DATA_DIR },
    databaseLimits: {
      statementTimeoutMs: e.TESSERA_DB_STATEMENT_TIMEOUT_MS,
      acquireTimeoutMs: e.TESSERA_DB_ACQUIRE_TIMEOUT_MS,
      reservedConnections: e.DATABASE_POOL_RESERVED,
    },
    shutdownTimeoutMs: e.TESSERA_SHUTDOWN_TIMEOUT_SECONDS * 1000,
    dataDir: e.TESSERA_DATA_DIR,
    masterKey: e.TESSERA_MASTER_KEY,
    smtp: { url: e.SMTP_URL, from: e.SMTP_FROM },
    outbox: {
      maxAttempts: e.TESSERA_OUTBOX_MAX_ATTEMPTS,
      retryBaseMs: e.TESSERA_OUTBOX_RETRY_BASE_SECONDS * 1000,
      retryMaxMs: e.TESSERA_OUTBOX_RETRY_MAX_SECONDS * 1000,
      leaseMs: e.TESSERA_OUTBOX_LEASE_SECONDS * 1000,
      pollMs: e.TESSERA_OUTBOX_POLL_MS,
    },
    redisUrl: e.REDIS_URL,
    logLevel: e.LOG_LEVEL,
    corsOrigins: e.TESSERA_CORS_ORIGINS.split(',')
      .map((s) => s.trim())
      .filter(Boolean),
    introspection: e.TESSERA_INTROSPECTION ?? e.NODE_ENV !== 'production',
    graphiql: e.TESSERA_GRAPHIQL ?? e.NODE_ENV !== 'production',
    maxBodyBytes: e.TESSERA_MAX_BODY_BYTES,
    maxEmailsPerCall: e.TESSERA_MAX_EMAILS_PER_CALL,
    sessionTtlSeconds: e.TESSERA_SESSION_TTL_SECONDS,
    apiTokenTtlSeconds: e.TESSERA_API_TOKEN_TTL_SECONDS,
    authFailuresPerMinute: e.TESSERA_AUTH_FAILURES_PER_MINUTE,
    data: {
      queryTimeoutMs: e.TESSERA_QUERY_TIMEOUT_MS,
      maxRows: e.TESSERA_QUERY_MAX_ROWS,
      maxPools: e.TESSERA_DATA_POOLS_MAX,
      poolIdleMs: e.TESSERA_DATA_POOL_IDLE_SECONDS * 1000,
      connectionsPerPool: e.TESSERA_DATA_POOL_CONNECTIONS,
      warehouseDir:
        e.TESSERA_WAREHOUSE_DIR === 'memory'
          ? null
          : (e.TESSERA_WAREHOUSE_DIR ?? join(e.TESSERA_DATA_DIR, 'warehouses')),
    },
  };
  return deepFreeze(config);
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object') {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}
