import type { Clock } from './clock.ts';
import type { Config } from './config.ts';
import { createSecretBox, resolveMasterKey, type SecretBox } from './crypto/secret-box.ts';
import type { Db } from './db/index.ts';
import type { Logger } from './logger.ts';
import { AccessKeyService } from './modules/access-keys/service.ts';
import { Authenticator } from './modules/auth/authenticator.ts';
import { builtInDomainCatalog, type DomainCatalog } from './modules/domains/catalog.ts';
import { GroupService } from './modules/groups/service.ts';
import { SessionService } from './modules/sessions/service.ts';
import { UserService } from './modules/users/service.ts';
import { WorkspaceService } from './modules/workspaces/service.ts';

/** The application's services, built once per app by `createServices`; no globals. */
export interface Services {
  readonly config: Config;
  readonly db: Db;
  readonly clock: Clock;
  readonly log: Logger;
  /** Encrypts secrets at rest with the master key. */
  readonly secrets: SecretBox;
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

export function createServices(config: Config, db: Db, clock: Clock, log: Logger): Services {
  const workspaces = new WorkspaceService(db, clock);
  const accessKeys = new AccessKeyService(db, clock);
  const secrets = createSecretBox(resolveMasterKey(config));
  const users = new UserService(db, clock, () => services.domains, workspaces, {
    maxEmailsPerCall: config.maxEmailsPerCall,
    publicUrl: config.publicUrl,
  });
  const services: Services = {
    config,
    db,
    clock,
    log,
    secrets,
    workspaces,
    accessKeys,
    authenticator: new Authenticator(accessKeys),
    users,
    groups: new GroupService(db, clock, () => services.domains),
    sessions: new SessionService({ config, db, clock, secrets, accessKeys }),
    domains: builtInDomainCatalog,
  };
  return services;
}
