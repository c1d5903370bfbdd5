import { defineModule } from '../../kernel/module.ts';
import { accessKeysModule as accessKeysGraphql } from './resolvers.ts';
import { AccessKeyService } from './service.ts';

declare module '../../kernel/services.ts' {
  interface Services {
    readonly accessKeys: AccessKeyService;
  }
}

/** Access keys (table `access_keys`): the credentials of machine callers, with their permissions. */
export const accessKeysModule = defineModule({
  name: 'access-keys',
  needs: ['workspaces'],
  provides: ['accessKeys'],
  create: ({ db, clock }) => ({ accessKeys: new AccessKeyService(db, clock) }),
  graphql: accessKeysGraphql(),
});
