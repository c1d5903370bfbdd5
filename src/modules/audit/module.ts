import { defineModule } from '../../kernel/module.ts';
import { auditModule as auditGraphql } from './resolvers.ts';

/** The audit trail (table `audit_events`): written by every module's use cases, read here. */
export const auditModule = defineModule({
  name: 'audit',
  needs: [],
  provides: [],
  graphql: auditGraphql(),
});
