// A table tile: sortable by any column (click or Enter/Space on its header button), paged.
import { button, h } from './dom.ts';
import { formatCell, toNumber } from './format.ts';
import type { Cell, Tile, TileResult } from './model.ts';

export const PAGE_SIZE = 10;

function compare(a: Cell, b: Cell): number {
  if (a === null) return b === null ? 0 : 1;
  if (b === null) return -1;
  const na = toNumber(a);
  const nb = toNumber(b);
  if (na !== null && nb !== null) return na - nb;
  return String(a).localeCompare(String(b));
}

export class TableView {
  readonly element: HTMLElement;
  readonly #tile: Tile;
  readonly #result: TileResult;
  #sort: { column: number; dir: 1 | -1 } | null = null;
  #page = 0;

  constructor(tile: Tile, result: TileResult) {
    this.#tile = tile;
    this.#result = result;
    this.element = h('div', { class: 'table-view' });
    this.#render();
  }

  #rows(): readonly (readonly Cell[])[] {
    const sort = this.#sort;
    if (!sort) return this.#result.rows;
    return [...this.#result.rows].sort(
      (a, b) => sort.dir * compare(a[sort.column] ?? null, b[sort.column] ?? null),
    );
  }

  #render(): void {
    const { columns } = this.#result;
    const rows = this.#rows();
    const pages = Math.max(1, Math.ceil(rows.length / PAGE_SIZE));
    this.#page = Math.min(this.#page, pages - 1);
    const formatted = new Set(this.#tile.bindings.y);
    const format = this.#tile.bindings.format;
    const head = columns.map((c, i) => {
      const dir = this.#sort?.column === i ? this.#sort.dir : 0;
      const th = h(
        'th',
        { scope: 'col', 'aria-sort': dir === 1 ? 'ascending' : dir === -1 ? 'descending' : 'none' },
        button(
          `${c.name}${dir === 1 ? ' ▲' : dir === -1 ? ' ▼' : ''}`,
          { class: 'sort', 'data-column': c.name },
          () => {
            this.#sort = dir === 1 ? { column: i, dir: -1 } : { column: i, dir: 1 };
            this.#render();
            (
              this.element.querySelector(
                `button.sort[data-column="${CSS.escape(c.name)}"]`,
              ) as HTMLElement | null
            )?.focus();
          },
        ),
      );
      return th;
    });
    const body = rows.slice(this.#page * PAGE_SIZE, (this.#page + 1) * PAGE_SIZE).map((row) =>
      h(
        'tr',
        {},
        ...columns.map((c, i) => {
          const cell = row[i] ?? null;
          const numeric = toNumber(cell) !== null;
          return h(
            'td',
            { class: numeric ? 'num' : '', 'data-value': cell === null ? '' : String(cell) },
            formatCell(cell, formatted.has(c.name) ? format : null),
          );
        }),
      ),
    );
    const pager = h(
      'nav',
      { class: 'pager', 'aria-label': `${this.#tile.title}: pages` },
      button('Previous', { disabled: this.#page === 0, 'data-role': 'prev-page' }, () => {
        this.#page--;
        this.#render();
      }),
      h('span', { 'data-role': 'page', 'aria-live': 'polite' }, `Page ${this.#page + 1} of ${pages}`),
      button('Next', { disabled: this.#page >= pages - 1, 'data-role': 'next-page' }, () => {
        this.#page++;
        this.#render();
      }),
    );
    this.element.replaceChildren(
      h(
        'div',
        { class: 'table-scroll' },
        h(
          'table',
          { 'data-role': 'tile-table' },
          h('caption', { class: 'visually-hidden' }, this.#tile.title),
          h('thead', {}, h('tr', {}, ...head)),
          h('tbody', {}, ...body),
        ),
      ),
      ...(pages > 1 ? [pager] : []),
    );
  }
}
