import { defineModule } from '../../kernel/module.ts';
import { auditModule as auditGraphql } from './resolvers.ts';
import { AuditTrail } from './service.ts';

declare module '../../kernel/services.ts' {
  interface Services {
    readonly auditTrail: AuditTrail;
  }
}

/** The audit trail (table `audit_events`): written by every module's use cases, read here. */
export const auditModule = defineModule({
  name: 'audit',
  needs: [],
  provides: ['auditTrail'],
  create: ({ db }) => ({ auditTrail: new AuditTrail(db) }),
  graphql: auditGraphql(),
});
