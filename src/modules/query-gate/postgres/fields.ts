import { echo } from '../../../errors.ts';
import { queryRefused } from '../errors.ts';
import { POSTGRES_FUNCTIONS, POSTGRES_TYPES } from './allowlist.ts';
import { ONE_ARGUMENT_CATALOG_FUNCTIONS } from './catalog-functions.ts';
import { CATALOG_TYPES } from './catalog-types.ts';

/**
 * Catalog functions that read nothing but their argument and share their name with a common
 * column (a box's `width`, an inet's `host`, the conversion `path(polygon)`): a field of that
 * name stays usable qualified.
 */
// biome-ignore format: a compact word list reads better than one name a line
const HARMLESS_ACCESSORS: ReadonlySet<string> = new Set([
  'area', 'center', 'height', 'width', 'radius', 'diameter', 'npoints', 'isclosed', 'isopen', 'host',
  'family', 'network', 'netmask', 'hostmask', 'broadcast', 'masklen', 'abbrev', 'isempty', 'lower_inc',
  'upper_inc', 'lower_inf', 'upper_inf', 'path', 'box', 'circle', 'polygon', 'lseg', 'line', 'popen', 'pclose',
  'oid',
]);

/**
 * A field selection, `x.f` or `(expr).f`, is a column of `x` or, when `x` has no such column,
 * the call `f(x)` (PostgreSQL's attribute notation, which works for a value of any type), or,
 * when no function `f` takes `x`, the cast of `x` to the type named `f` (`(t.name).regtype` is
 * `t.name::regtype`). The executor's `search_path = pg_catalog, pg_temp` limits both to
 * built-ins; a field named like a built-in function that is not known to read only its argument,
 * or like a built-in type a query may not cast to, is refused, so `(t).ts_stat` (which runs its
 * argument as a query), `('f').pg_read_file` or `(t.name).regrole` (a catalog lookup) cannot run.
 * A column of such a name can still be read unqualified.
 */
export function checkFieldName(name: string): void {
  if (POSTGRES_TYPES.has(name) || HARMLESS_ACCESSORS.has(name)) return;
  const call = ONE_ARGUMENT_CATALOG_FUNCTIONS.has(name) && !POSTGRES_FUNCTIONS.has(name);
  if (call || CATALOG_TYPES.has(name)) {
    const what = call
      ? `call the built-in function ${echo(name)}()`
      : `cast to the built-in type ${echo(name)}`;
    throw queryRefused(
      `A field named "${echo(name)}" would ${what} (attribute notation); ` +
        'refer to such a column without a table qualifier',
      call ? { function: name } : { type: name },
    );
  }
}
