import type { Compilable, CompiledQuery } from 'kysely';
import type { Executor } from './index.ts';

/** Where each parameter of a compiled fixed query comes from: a named value, or a constant of the query. */
type Slot<P> = { readonly name: keyof P } | { readonly constant: unknown };

/** The value that stands for the parameter `name` while the query is built once. */
const MARKER = '\u0000fixed-query-slot:';
const marker = (name: string) => `${MARKER}${name}\u0000`;
const isMarker = (value: unknown): value is string =>
  typeof value === 'string' && value.startsWith(MARKER) && value.endsWith('\u0000');

/**
 * A statement whose SQL text is the same on every call, only its values change: built and
 * compiled by Kysely once, then every call binds its own values to that SQL. Building a query is
 * a chain of frozen node copies and compiling it a tree walk; on a statement every request sends
 * (the access key lookup) that cost more Node CPU than sending it.
 *
 * `build` receives stand-ins for the values and must use each one as a whole bound value (never
 * inside a string, a list or the query's shape), which is what makes the one SQL text right for
 * every call. Both dialects compile with Kysely's PostgreSQL compiler, so the text does not
 * depend on the executor it first ran on.
 */
export function fixedQuery<P extends Record<string, string>, R>(
  build: (db: Executor, values: P) => Compilable<R>,
): (db: Executor, values: P) => Promise<R[]> {
  let compiled: { readonly query: CompiledQuery<R>; readonly slots: readonly Slot<P>[] } | undefined;
  return async (db, values) => {
    compiled ??= compileOnce(db, build);
    const { query, slots } = compiled;
    const parameters = slots.map((slot) => ('name' in slot ? values[slot.name] : slot.constant));
    return (await db.executeQuery<R>({ ...query, parameters })).rows;
  };
}

function compileOnce<P extends Record<string, string>, R>(
  db: Executor,
  build: (db: Executor, values: P) => Compilable<R>,
): { query: CompiledQuery<R>; slots: Slot<P>[] } {
  const stand = new Proxy({} as P, { get: (_, name) => marker(String(name)) });
  const query = build(db, stand).compile();
  // A stand-in inside the SQL text or inside another value would be sent as that text.
  const misused = (v: unknown) => JSON.stringify(v)?.includes('fixed-query-slot:') && !isMarker(v);
  if (query.sql.includes(MARKER) || query.parameters.some(misused))
    throw new Error('fixedQuery: a value was used other than as a whole bound parameter');
  const slots = query.parameters.map(
    (value): Slot<P> => (isMarker(value) ? { name: value.slice(MARKER.length, -1) } : { constant: value }),
  );
  return { query, slots };
}
