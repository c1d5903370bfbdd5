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
  // One group-committed INSERT at a time, on a PostgreSQL pool as on PGlite's one session: the server
  // flushes WAL one commit after another anyway, so INSERTs side by side only split the same
  // records into more statements and commits (at 16 concurrent queries, four in flight wrote 0.56
  // INSERTs a query, one 0.32). A lone query still waits for nothing but its own INSERT.
  create: ({ db }) => ({ auditTrail: new AuditTrail(db, { maxInFlight: 1 }) }),
  graphql: auditGraphql(),
  // Outcomes still being written go to the database before it closes (data, which writes them, stops first).
  async stop({ auditTrail }) {
    await auditTrail.stop();
  },
});
