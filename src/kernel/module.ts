import type { CliCommand } from '../cli/commands.ts';
import type { GraphQLModule } from '../graphql/context.ts';
import type { Router } from '../http/router.ts';
import type { ServiceName, Services } from './services.ts';

/** What a module's `start` may know about the process it runs in. */
export interface ModuleRuntime {
  /** Servers run background loops (the outbox sender); one-shot CLI commands don't. */
  readonly background: boolean;
}

/**
 * One area of Tessera (users, sessions, data access, dashboards, …), always of this shape. A module
 * lives in one folder under `src/modules/`, is listed once in `src/modules/index.ts`, and declares
 * what it takes from the others: `create` sees only the kernel's services and those named in
 * `needs`, so a dependency that is not declared fails at start-up, not in production.
 */
export interface TesseraModule<Provided extends ServiceName = ServiceName> {
  readonly name: string;
  /** Services of other modules this one uses (in `create`, resolvers, routes and commands). */
  readonly needs: readonly ServiceName[];
  /** The services this module adds; `create` must return exactly these. */
  readonly provides: readonly Provided[];
  /** Builds the module's services. No I/O: it runs for every process, before anything serves. */
  create?(services: Services): Pick<Services, Provided>;
  /** Its part of the GraphQL schema (`schema.graphql` beside it) and the resolvers for it. */
  readonly graphql?: GraphQLModule;
  /** HTTP endpoints beyond /graphql (`/embed/…`, `/scim/v2/…`). */
  routes?(router: Router, services: Services): void;
  /** Its `tessera` subcommands. */
  readonly commands?: readonly CliCommand[];
  /** Work once every service exists, before serving (warming caches, background loops). */
  start?(services: Services, runtime: ModuleRuntime): Promise<void>;
  stop?(): Promise<void>;
}

/** Declares a module; the type parameter ties `provides` to what `create` returns. */
export function defineModule<const Provided extends ServiceName = never>(
  module: TesseraModule<Provided>,
): TesseraModule<Provided> {
  return module;
}
