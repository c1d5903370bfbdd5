import type { Clock } from './clock.ts';
import type { Config } from './config.ts';
import { createSecretBox, resolveMasterKey } from './crypto/secret-box.ts';
import type { Db } from './db/index.ts';
import type { Services } from './kernel/services.ts';
import type { Logger } from './logger.ts';
import type { Metrics } from './metrics.ts';
import { AccessKeyService } from './modules/access-keys/service.ts';
import { Authenticator } from './modules/auth/authenticator.ts';
import { builtInDomainCatalog, type DomainCatalog } from './modules/domains/catalog.ts';
import { GroupService } from './modules/groups/service.ts';
import { SessionService } from './modules/sessions/service.ts';
import { UserService } from './modules/users/service.ts';
import { WorkspaceService } from './modules/workspaces/service.ts';

export type { Services } from './kernel/services.ts';

// The core services, still built here by `createServices`; they join the kernel's `Services`.
declare module './kernel/services.ts' {
  interface Services {
    readonly workspaces: WorkspaceService;
    readonly accessKeys: AccessKeyService;
    readonly authenticator: Authenticator;
    readonly users: UserService;
    readonly groups: GroupService;
    /** Embedded sessions: signing keys, impersonation, API tokens, embed origins (docs/sessions.md). */
    readonly sessions: SessionService;
    /** Which domain ids exist; the data plane replaces the built-in catalog. */
    domains: DomainCatalog;
  }
}

export function createServices(
  config: Config,
  db: Db,
  clock: Clock,
  log: Logger,
  metrics: Metrics,
): Services {
  const workspaces = new WorkspaceService(db, clock);
  const accessKeys = new AccessKeyService(db, clock);
  const secrets = createSecretBox(resolveMasterKey(config));
  const users = new UserService(db, clock, () => services.domains, workspaces, {
    maxEmailsPerCall: config.maxEmailsPerCall,
    publicUrl: config.publicUrl,
    attributeRules: () => attributeRules(),
  });
  // Attribute definitions are a module of the one shape, built after these services; until then
  // (and in an app built without it) every key is undeclared.
  const attributeRules = () => ('attributeDefinitions' in services ? services.attributeDefinitions : null);
  // `data` joins when the data-access feature starts (src/modules/data/feature.ts).
  const services = {
    config,
    db,
    clock,
    log,
    metrics,
    secrets,
    workspaces,
    accessKeys,
    authenticator: new Authenticator(accessKeys),
    users,
    groups: new GroupService(db, clock, () => services.domains),
    sessions: new SessionService({
      config,
      db,
      clock,
      secrets,
      accessKeys,
      checkTransientAttributes: (workspaceId, userId, transient) =>
        attributeRules()?.checkTransient(
          workspaceId,
          transient,
          async () => (await users.storedAttributes([userId])).get(userId) ?? [],
        ) ?? Promise.resolve(),
    }),
    domains: builtInDomainCatalog,
  } as Services;
  return services;
}
