import type { GraphQLScalarType, GraphQLScalarTypeConfig } from 'graphql';
import type { Clock } from '../clock.ts';
import type { RequestReport } from '../http/request-report.ts';
import type { Services } from '../kernel/services.ts';
import type { Logger } from '../logger.ts';
import type { AuditOrigin } from '../modules/audit/service.ts';
import type { FieldAccess } from '../modules/auth/field-access.ts';
import type { Principal } from '../modules/auth/principal.ts';
import type { Resolvers } from './generated/resolvers.ts';
import type { Loaders } from './loaders.ts';

/** Everything a resolver may use. Built fresh for every request; nothing global. */
export interface RequestContext {
  readonly requestId: string;
  readonly ip: string | null;
  readonly principal: Principal | null;
  readonly services: Services;
  readonly clock: Clock;
  /** The request's logger, with its request id; made on first use (most requests never log). */
  readonly logger: () => Logger;
  readonly loaders: Loaders;
  /** Who did it, for audit events. */
  readonly origin: AuditOrigin;
  /** How many times a field name appears in the operation (each alias counts). */
  readonly fieldCount: (field: string) => number;
  /** What the request turned out to be, for its log line and metrics. */
  readonly report: RequestReport;
}

/**
 * A module's resolvers: its part of the map generated from the whole schema (`npm run codegen`),
 * so arguments, parents (our internal models, see codegen.ts) and results are checked by tsc.
 */
export type ModuleResolvers = {
  [K in keyof Resolvers]: NonNullable<Resolvers[K]> extends GraphQLScalarType
    ? ScalarFunctions | Resolvers[K]
    : Resolvers[K];
};

/**
 * graphql-tools takes a custom scalar's functions as a plain object; a `GraphQLScalarType` instance
 * would also replace the description the SDL gives it.
 */
type ScalarFunctions = Pick<
  GraphQLScalarTypeConfig<unknown, unknown>,
  'serialize' | 'parseValue' | 'parseLiteral'
>;

export interface GraphQLModule {
  readonly typeDefs: string;
  readonly resolvers: ModuleResolvers;
  /** Root Query fields whose resolvers only read: safe to run twice (src/graphql/compiled-reads.ts). */
  readonly readOnlyQueries?: readonly string[];
  /**
   * Who may call fields the module adds beyond src/modules/auth/field-access.ts's table (a
   * module built outside this tree), by type and field name.
   */
  readonly access?: Readonly<Record<string, Readonly<Record<string, FieldAccess>>>>;
}
