import type { FilterValueInput } from './service.ts';
import type { DashboardFilter } from './types.ts';

/** What separates a date range's two dates in one URL value, as on the embed page. */
const RANGE_SEPARATOR = '..';

/**
 * `?filter.region=DE&filter.region=FR`: the values the query string gives, by filter id. An empty
 * value is no value (the filter keeps its defaults), as on the embed page.
 */
export function filtersFromQuery(params: URLSearchParams): FilterValueInput[] {
  const byId = new Map<string, string[]>();
  for (const [name, value] of params) {
    if (!name.startsWith('filter.')) continue;
    const id = name.slice('filter.'.length);
    byId.set(id, [...(byId.get(id) ?? []), value]);
  }
  return [...byId].map(([filterId, values]) => ({ filterId, values: values.filter((v) => v !== '') }));
}

/**
 * URL values read the way the embed page writes them (docs/embedding.md "The dashboard page"), so a link
 * built like an embed URL selects what the embedded dashboard shows: a date range is one value
 * `from..to` (`..` alone is a cleared range, the defaults); two separate values are taken as they
 * are. Anything else is left for the filter checks to accept or refuse.
 */
export function fromUrlSyntax(
  filters: readonly DashboardFilter[],
  given: readonly FilterValueInput[],
): FilterValueInput[] {
  return given.map((v) => {
    const filter = filters.find((f) => f.id === v.filterId);
    const value = v.values.length === 1 ? v.values[0]! : null;
    const at = value?.indexOf(RANGE_SEPARATOR) ?? -1;
    if (filter?.type !== 'DATE_RANGE' || value === null || at < 0) return v;
    const from = value.slice(0, at);
    const to = value.slice(at + RANGE_SEPARATOR.length);
    return { filterId: v.filterId, values: from === '' && to === '' ? [] : [from, to] };
  });
}
