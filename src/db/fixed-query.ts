import type { Compilable, CompiledQuery } from 'kysely';
import type { Executor } from './index.ts';

/** Where each parameter of a compiled query comes from: a named value, or a constant of the query. */
type Slot = { readonly name: string } | { readonly constant: unknown };

/** A query compiled once with stand-ins for its values, to be bound to each call's own. */
export interface StandInQuery<R> {
  readonly query: CompiledQuery<R>;
  readonly slots: readonly Slot[];
}

const MARKER = '\u0000fixed-query-slot:';

/** The value that stands for the value `name` while a query is built once (see compileWithStandIns). */
export const standIn = (name: string): string => `${MARKER}${name}\u0000`;

const isStandIn = (value: unknown): value is string =>
  typeof value === 'string' && value.startsWith(MARKER) && value.endsWith('\u0000');

/**
 * Compiles a query built with `standIn` values; null when a stand-in reached the SQL other than as
 * a whole bound value (inside the text, a string or a list), where binding could not replace it.
 * Only a query whose every stand-in is a whole value has one SQL text right for every call.
 */
export function compileWithStandIns<R>(query: Compilable<R>): StandInQuery<R> | null {
  const compiled = query.compile();
  const misused = (v: unknown) => !isStandIn(v) && mentionsStandIn(v);
  if (compiled.sql.includes(MARKER.slice(1)) || compiled.parameters.some(misused)) return null;
  const slots = compiled.parameters.map(
    (value): Slot => (isStandIn(value) ? { name: value.slice(MARKER.length, -1) } : { constant: value }),
  );
  return { query: compiled, slots };
}

/**
 * Whether a stand-in, or a piece of one, is inside `value`: a list spread from a stand-in (its
 * characters one by one) counts, as does a stand-in inside a string or an object.
 */
function mentionsStandIn(value: unknown): boolean {
  const mark = MARKER.slice(1);
  if (Array.isArray(value))
    return (
      value.some(mentionsStandIn) ||
      value
        .map((v) => (typeof v === 'string' ? v : ''))
        .join('')
        .includes(mark)
    );
  return JSON.stringify(value)?.includes(mark) ?? false;
}

/** The compiled query with each stand-in replaced by its value in `values`. */
export function bindStandIns<R>(
  plan: StandInQuery<R>,
  values: Readonly<Record<string, unknown>>,
): CompiledQuery<R> {
  const parameters = plan.slots.map((slot) => ('name' in slot ? values[slot.name] : slot.constant));
  return { ...plan.query, parameters };
}

/**
 * A statement whose SQL text is the same on every call, only its values change: built and
 * compiled by Kysely once, then every call binds its own values to that SQL. Building a query is
 * a chain of frozen node copies and compiling it a tree walk; on a statement every request sends
 * (the access key lookup) that cost more Node CPU than sending it.
 *
 * `build` receives stand-ins for the values and must use each one as a whole bound value (never
 * inside a string, a list or the query's shape); a list value is bound as one array parameter
 * (`any(${v.ids}::text[])`), never spread. Both dialects compile with Kysely's PostgreSQL
 * compiler, so the text does not depend on the executor it first ran on.
 */
export function fixedQuery<P extends Record<string, string | readonly string[]>, R>(
  build: (db: Executor, values: P) => Compilable<R>,
): (db: Executor, values: P) => Promise<R[]> {
  let plan: StandInQuery<R> | undefined;
  return async (db, values) => {
    if (!plan) {
      const standIns = new Proxy({} as P, { get: (_, name) => standIn(String(name)) });
      const compiled = compileWithStandIns(build(db, standIns));
      if (!compiled) throw new Error('fixedQuery: a value was used other than as a whole bound parameter');
      plan = compiled;
    }
    return (await db.executeQuery(bindStandIns(plan, values))).rows;
  };
}
