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
  // A pool writes a few group-committed INSERTs at once; PGlite has one session.
  create: ({ db, config }) => ({
    auditTrail: new AuditTrail(db, {
      maxInFlight: config.database.kind === 'postgres' ? Math.min(4, config.database.poolSize) : 1,
    }),
  }),
  graphql: auditGraphql(),
  // Outcomes still being written go to the database before it closes (data, which writes them, stops first).
  async stop({ auditTrail }) {
    await auditTrail.stop();
  },
});
