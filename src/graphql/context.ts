import type { Clock } from '../clock.ts';
import type { RequestReport } from '../http/request-report.ts';
import type { Services } from '../kernel/services.ts';
import type { Logger } from '../logger.ts';
import type { AuditOrigin } from '../modules/audit/service.ts';
import type { Principal } from '../modules/auth/principal.ts';
import type { Loaders } from './loaders.ts';

/** Everything a resolver may use. Built fresh for every request; nothing global. */
export interface RequestContext {
  readonly requestId: string;
  readonly ip: string | null;
  readonly principal: Principal | null;
  readonly services: Services;
  readonly clock: Clock;
  readonly log: Logger;
  readonly loaders: Loaders;
  /** Who did it, for audit events. */
  readonly origin: AuditOrigin;
  /** How many times a field name appears in the operation (each alias counts). */
  readonly fieldCount: (field: string) => number;
  /** What the request turned out to be, for its log line and metrics. */
  readonly report: RequestReport;
}

// biome-ignore lint/suspicious/noExplicitAny: resolver maps are checked by the schema, not by TS
export type ResolverMap = Record<string, Record<string, any>>;

export interface GraphQLModule {
  readonly typeDefs: string;
  readonly resolvers: ResolverMap;
}
