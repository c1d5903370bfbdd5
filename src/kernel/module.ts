import type { GraphQLModule } from '../graphql/context.ts';
import type { Router } from '../http/router.ts';
import type { CliCommand } from './command.ts';
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
  /**
   * Services reached only once every module is built (by commands, or lazily by resolvers): they
   * are checked to exist and reachable like `needs`, but do not order the build, so two modules may
   * use each other this way (data's demo command creates users; users check scopes against domains).
   */
  readonly uses?: readonly ServiceName[];
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
  /**
   * Releases what `start` or `create` opened, in reverse order of starting. Per-app state lives in
   * the module's services (several apps may run in one process), so `stop` is handed them too.
   */
  stop?(services: Services): Promise<void>;
}

/**
 * A module of the list, whatever it provides: every `defineModule(…)` is one. (`create` returns
 * some services here; that they are exactly those in `provides` is checked at assembly.)
 */
export type AnyModule = Omit<TesseraModule, 'create'> & {
  create?(services: Services): Partial<Services>;
};

/** Declares a module; the type parameter ties `provides` to what `create` returns. */
export function defineModule<const Provided extends ServiceName = never>(
  module: TesseraModule<Provided>,
): TesseraModule<Provided> {
  return module;
}
