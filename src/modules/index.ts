import type { AnyModule } from '../kernel/module.ts';
import { accessKeysModule } from './access-keys/module.ts';
import { attributeDefinitionsModule } from './attribute-definitions/module.ts';
import { auditModule } from './audit/module.ts';
import { authModule } from './auth/module.ts';
import { coreModule } from './core/module.ts';
import { dashboardsModule } from './dashboards/module.ts';
import { dataModule } from './data/module.ts';
import { embedModule } from './embed/module.ts';
import { graphiqlModule } from './graphiql/module.ts';
import { groupsModule } from './groups/module.ts';
import { outboxModule } from './outbox/module.ts';
import { rolesModule } from './roles/module.ts';
import { scimModule } from './scim/module.ts';
import { sessionsModule } from './sessions/module.ts';
import { ssoModule } from './sso/module.ts';
import { usersModule } from './users/module.ts';
import { webSessionsModule } from './web-sessions/module.ts';
import { workspacesModule } from './workspaces/module.ts';

/**
 * Every module of Tessera, the one list the app is built from. Adding a module is adding its
 * folder and one line here; order does not matter (modules are built in the order their
 * `needs` require; their GraphQL schemas are joined in this order, `core` first).
 */
export const modules: readonly AnyModule[] = [
  coreModule,
  workspacesModule,
  accessKeysModule,
  authModule,
  usersModule,
  groupsModule,
  rolesModule,
  auditModule,
  sessionsModule,
  dataModule,
  dashboardsModule,
  outboxModule,
  webSessionsModule,
  ssoModule,
  embedModule,
  graphiqlModule,
  attributeDefinitionsModule,
  scimModule,
];
