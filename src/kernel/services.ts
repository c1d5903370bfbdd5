import type { Clock } from '../clock.ts';
import type { Config } from '../config.ts';
import type { SecretBox } from '../crypto/secret-box.ts';
import type { DatabaseHandle, Db } from '../db/index.ts';
import type { Logger } from '../logger.ts';
import type { Metrics } from '../metrics.ts';

/**
 * Every service of a running Tessera, by name. The kernel's own are listed here; each module adds
 * the services it provides to this interface from its own `module.ts` (declaration merging:
 * `declare module '../../kernel/services.ts' { interface Services { users: UserService } }`), so a
 * new module never edits a central type and no module imports the composition root.
 */
export interface Services {
  readonly config: Config;
  readonly db: Db;
  /** The database itself, beyond its query builder: its kind, pool statistics, readiness. */
  readonly database: DatabaseHandle;
  readonly clock: Clock;
  readonly log: Logger;
  /** Encrypts secrets at rest with the master key. */
  readonly secrets: SecretBox;
  /** Prometheus metrics served at /metrics; modules add their own gauges. */
  readonly metrics: Metrics;
}

export type ServiceName = keyof Services;

/** What the kernel itself provides to every module, whatever it declares it needs. */
export const KERNEL_SERVICES = [
  'config',
  'db',
  'database',
  'clock',
  'log',
  'secrets',
  'metrics',
] as const satisfies readonly ServiceName[];

/** The kernel's own services: what the composition root builds before any module. */
export type KernelServices = Pick<Services, (typeof KERNEL_SERVICES)[number]>;
