import { defineModule } from '../../kernel/module.ts';
import { scimRoutes } from './routes.ts';
import { ScimService } from './service.ts';

declare module '../../kernel/services.ts' {
  interface Services {
    /** SCIM 2.0 provisioning of users and groups (docs/scim.md). */
    readonly scim: ScimService;
  }
}

/**
 * SCIM 2.0 at /scim/v2 (tables `scim_users`, `scim_groups`): an identity provider's client
 * provisions users and groups through the users and groups modules, checked against attribute
 * definitions, with a `scim` access key.
 */
export const scimModule = defineModule({
  name: 'scim',
  needs: ['users', 'groups', 'attributeDefinitions', 'accessKeys'],
  provides: ['scim'],
  create: ({ db, clock, users, groups, attributeDefinitions, accessKeys }) => ({
    scim: new ScimService({ db, clock, users, groups, attributeDefinitions, accessKeys }),
  }),
  routes(router, { scim, config }) {
    scimRoutes(router, scim, config.publicUrl);
  },
});
