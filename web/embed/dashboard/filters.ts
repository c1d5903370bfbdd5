// The filters bar: one labelled control per dashboard filter. Values live in the page (a
// FilterState), not in the token, so they survive every renewal; the URL (`?filter.region=DE`)
// and the host (SDK `setFilters`) can set them.
import type { FilterValue, FilterValues } from '../../../src/shared/embed-protocol.ts';
import { h } from './dom.ts';
import type { DashboardFilter, FilterState } from './model.ts';

const RANGE_SEPARATOR = '..';

/** Defaults, then `?filter.<id>=` from the URL (repeated for a multi select, `from..to` for a date range). */
export function initialFilters(filters: readonly DashboardFilter[], url: URL): FilterState {
  const state: FilterState = new Map();
  for (const f of filters) {
    const fromUrl = url.searchParams.getAll(`filter.${f.id}`);
    if (fromUrl.length === 0) state.set(f.id, [...f.defaultValues]);
    else if (f.type === 'DATE_RANGE') {
      const [from = '', to = ''] = fromUrl[0]!.split(RANGE_SEPARATOR);
      state.set(f.id, from === '' && to === '' ? [] : [from, to]);
    } else if (f.type === 'MULTI_SELECT')
      state.set(
        f.id,
        fromUrl.filter((v) => v !== ''),
      );
    else state.set(f.id, fromUrl[0] === '' ? [] : [fromUrl[0]!]);
  }
  return state;
}

/** Writes the values into the address bar (without reloading), so a reload inside the frame keeps them. */
export function filtersToUrl(filters: readonly DashboardFilter[], state: FilterState, url: URL): URL {
  const out = new URL(url);
  for (const f of filters) {
    out.searchParams.delete(`filter.${f.id}`);
    const values = state.get(f.id) ?? [];
    const same = values.length === f.defaultValues.length && values.every((v, i) => v === f.defaultValues[i]);
    if (same) continue;
    if (f.type === 'DATE_RANGE') out.searchParams.set(`filter.${f.id}`, values.join(RANGE_SEPARATOR));
    else if (values.length === 0) out.searchParams.set(`filter.${f.id}`, '');
    else for (const v of values) out.searchParams.append(`filter.${f.id}`, v);
  }
  return out;
}

/** The host's values (SDK shape) as filter values; ids the dashboard does not have are returned apart. */
export function fromHost(
  filters: readonly DashboardFilter[],
  values: FilterValues,
): { state: FilterState; unknown: string[] } {
  const byId = new Map(filters.map((f) => [f.id, f]));
  const state: FilterState = new Map();
  const unknown: string[] = [];
  for (const [id, value] of Object.entries(values)) {
    if (!byId.has(id)) {
      unknown.push(id);
      continue;
    }
    state.set(id, hostValue(value));
  }
  return { state, unknown };
}

function hostValue(value: FilterValue): string[] {
  if (value === null) return [];
  if (typeof value === 'string') return value === '' ? [] : [value];
  if (Array.isArray(value)) return [...value];
  const range = value as { from: string; to: string };
  return [range.from, range.to];
}

/** The values in the SDK's shape, for `TESSERA_FILTERS_CHANGED`. */
export function toHost(filters: readonly DashboardFilter[], state: FilterState): Record<string, FilterValue> {
  const out: Record<string, FilterValue> = {};
  for (const f of filters) {
    const v = state.get(f.id) ?? [];
    out[f.id] =
      f.type === 'MULTI_SELECT'
        ? [...v]
        : f.type === 'DATE_RANGE'
          ? v.length === 2
            ? { from: v[0]!, to: v[1]! }
            : null
          : (v[0] ?? null);
  }
  return out;
}

export class FilterBar {
  readonly element: HTMLElement;
  readonly #filters: readonly DashboardFilter[];
  readonly #onChange: (id: string, values: string[]) => void;
  readonly #controls = new Map<string, { read(): string[]; write(values: readonly string[]): void }>();

  constructor(filters: readonly DashboardFilter[], onChange: (id: string, values: string[]) => void) {
    this.#filters = filters;
    this.#onChange = onChange;
    this.element = h('form', {
      class: 'filters',
      role: 'search',
      'aria-label': 'Filters',
      'data-role': 'filters',
    });
    this.element.addEventListener('submit', (e) => e.preventDefault());
    for (const f of filters) this.element.append(this.#control(f));
    if (filters.length === 0) this.element.hidden = true;
  }

  /** Shows values set elsewhere (URL, host) without reporting them as a change. */
  show(state: FilterState): void {
    for (const [id, values] of state) this.#controls.get(id)?.write(values);
  }

  /** The options of a select filter arrived (or failed: `null`, the control says so). */
  setOptions(id: string, values: readonly string[] | null, current: readonly string[]): void {
    const select = this.element.querySelector<HTMLSelectElement>(`select[data-filter="${CSS.escape(id)}"]`);
    if (!select) return;
    const filter = this.#filters.find((f) => f.id === id)!;
    const options: HTMLOptionElement[] = [];
    if (filter.type === 'SINGLE_SELECT') options.push(new Option('All', ''));
    const known = new Set(values ?? []);
    // A value from the URL or the host that the list lacks stays visible (and selected).
    for (const v of [...(values ?? []), ...current.filter((c) => !known.has(c))])
      options.push(new Option(v, v));
    select.replaceChildren(...options);
    select.disabled = false;
    select.dataset.options = values === null ? 'failed' : 'loaded';
    if (values === null) select.title = 'The options could not be loaded';
    this.#controls.get(id)?.write(current);
  }

  #control(f: DashboardFilter): HTMLElement {
    const id = `filter-${f.id}`;
    const emit = () => this.#onChange(f.id, this.#controls.get(f.id)!.read());
    if (f.type === 'DATE_RANGE') {
      const from = h('input', {
        type: 'date',
        id: `${id}-from`,
        'data-filter': f.id,
        'data-part': 'from',
      }) as HTMLInputElement;
      const to = h('input', {
        type: 'date',
        id: `${id}-to`,
        'data-filter': f.id,
        'data-part': 'to',
      }) as HTMLInputElement;
      this.#controls.set(f.id, {
        read: () => (from.value === '' && to.value === '' ? [] : [from.value, to.value]),
        write: (v) => {
          from.value = v[0] ?? '';
          to.value = v[1] ?? '';
        },
      });
      const onChange = () => {
        if ((from.value === '') === (to.value === '')) emit(); // a half-set range waits for its other end
      };
      from.addEventListener('change', onChange);
      to.addEventListener('change', onChange);
      return h(
        'fieldset',
        { class: 'filter range' },
        h('legend', {}, f.label),
        h('label', { for: `${id}-from` }, 'From'),
        from,
        h('label', { for: `${id}-to` }, 'To'),
        to,
      );
    }
    if (f.type === 'TEXT') {
      const input = h('input', {
        type: 'search',
        id,
        'data-filter': f.id,
        autocomplete: 'off',
      }) as HTMLInputElement;
      this.#controls.set(f.id, {
        read: () => (input.value === '' ? [] : [input.value]),
        write: (v) => {
          input.value = v[0] ?? '';
        },
      });
      input.addEventListener('change', emit);
      return h('div', { class: 'filter' }, h('label', { for: id }, f.label), input);
    }
    const multiple = f.type === 'MULTI_SELECT';
    const select = h('select', {
      id,
      'data-filter': f.id,
      multiple,
      disabled: true,
      'data-options': 'loading',
      ...(multiple ? { size: '3' } : {}),
    }) as HTMLSelectElement;
    select.append(new Option('Loading…', ''));
    this.#controls.set(f.id, {
      read: () => [...select.selectedOptions].map((o) => o.value).filter((v) => v !== ''),
      write: (v) => {
        for (const o of select.options)
          o.selected = o.value === '' ? v.length === 0 && !multiple : v.includes(o.value);
      },
    });
    select.addEventListener('change', emit);
    return h('div', { class: 'filter' }, h('label', { for: id }, f.label), select);
  }
}
