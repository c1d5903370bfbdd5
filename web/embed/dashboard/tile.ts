// One tile: a card whose body is always in one explicit state (loading, ready, empty, error,
// expired), never a blank box. The state is on the card as data-state (and data-code for errors).
import { Chart, type ChartTheme, chartOption } from './chart.ts';
import { button, h } from './dom.ts';
import { formatCell } from './format.ts';
import type { Tile, TileResult } from './model.ts';
import { TableView } from './table.ts';

export type TileState = 'loading' | 'ready' | 'empty' | 'error' | 'expired';

const ERROR_TEXT: Record<string, string> = {
  MISSING_ATTRIBUTE: 'This tile needs a user attribute that your session does not have.',
  ACCESS_DENIED: 'You do not have access to the data behind this tile.',
  QUERY_REFUSED: 'The data-access rules refused this tile’s query.',
  QUERY_TIMEOUT: 'The query took too long and was stopped.',
  TIMEOUT: 'The tile did not answer in time.',
  NETWORK_ERROR: 'Tessera could not be reached.',
  NOT_FOUND: 'This tile no longer exists.',
  BAD_USER_INPUT: 'A filter value is not valid for this tile.',
};

export function tileErrorText(code: string): string {
  return ERROR_TEXT[code] ?? `This tile could not be loaded (${code}).`;
}

const VIS_LABEL: Record<string, string> = {
  BAR: 'Bar chart',
  LINE: 'Line chart',
  AREA: 'Area chart',
  PIE: 'Pie chart',
  SCATTER: 'Scatter chart',
};

export class TileView {
  readonly element: HTMLElement;
  readonly #body: HTMLElement;
  readonly #tools: HTMLElement;
  readonly #onRetry: () => void;
  #tile: Tile;
  #chart: Chart | null = null;
  #result: TileResult | null = null;
  #theme: ChartTheme;

  constructor(tile: Tile, theme: ChartTheme, onRetry: () => void) {
    this.#tile = tile;
    this.#theme = theme;
    this.#onRetry = onRetry;
    const titleId = `tile-title-${tile.id}`;
    this.#tools = h('div', { class: 'tile-tools' });
    this.#body = h('div', { class: 'tile-body' });
    this.element = h(
      'section',
      {
        class: 'tile',
        'data-tile': tile.id,
        'aria-labelledby': titleId,
        'data-visualization': tile.visualization,
      },
      h('header', { class: 'tile-head' }, h('h2', { id: titleId }, tile.title), this.#tools),
      this.#body,
    );
    this.place();
    this.setState('loading');
  }

  get tile(): Tile {
    return this.#tile;
  }

  get state(): TileState {
    return this.element.dataset.state as TileState;
  }

  /** Grid placement through CSS variables (CSSOM, allowed by the strict CSP), so narrow screens can stack tiles. */
  place(): void {
    const { x, y, w, h: height } = this.#tile.position;
    this.element.style.setProperty('--tile-col', `${x + 1} / span ${w}`);
    this.element.style.setProperty('--tile-row', `${y + 1} / span ${height}`);
  }

  /** Tools shown in the header (edit mode puts its buttons here). */
  setTools(...nodes: Node[]): void {
    this.#tools.replaceChildren(...nodes);
  }

  setState(state: 'loading' | 'expired'): void {
    this.#disposeChart();
    this.element.dataset.state = state;
    delete this.element.dataset.code;
    this.element.setAttribute('aria-busy', String(state === 'loading'));
    this.#body.replaceChildren(
      state === 'loading'
        ? h(
            'div',
            { class: 'tile-status loading', role: 'status' },
            h('span', { class: 'spinner', 'aria-hidden': 'true' }),
            'Loading…',
          )
        : h(
            'div',
            { class: 'tile-status expired', role: 'status' },
            'Session expired. Waiting for the host application to renew it…',
          ),
    );
  }

  setError(code: string, message: string): void {
    this.#disposeChart();
    this.element.dataset.state = 'error';
    this.element.dataset.code = code;
    this.element.setAttribute('aria-busy', 'false');
    this.#body.replaceChildren(
      h(
        'div',
        { class: 'tile-status error', role: 'alert' },
        h('strong', {}, tileErrorText(code)),
        h('span', { class: 'detail', title: message }, code),
        button('Retry', { class: 'retry', 'data-role': 'retry' }, this.#onRetry),
      ),
    );
  }

  setResult(result: TileResult): void {
    this.#result = result;
    this.element.setAttribute('aria-busy', 'false');
    if (result.rows.length === 0) {
      this.#disposeChart();
      this.element.dataset.state = 'empty';
      delete this.element.dataset.code;
      this.#body.replaceChildren(
        h('div', { class: 'tile-status empty', role: 'status' }, 'No data for the current filters.'),
      );
      return;
    }
    this.element.dataset.state = 'ready';
    delete this.element.dataset.code;
    this.#draw(result);
  }

  /** The theme changed: charts take the new colours. */
  retheme(theme: ChartTheme): void {
    this.#theme = theme;
    if (this.#result && this.state === 'ready') this.#draw(this.#result);
  }

  /** The tile was edited: new definition, its old result is stale. */
  replace(tile: Tile): void {
    this.#tile = tile;
    this.element.dataset.visualization = tile.visualization;
    this.element.querySelector('h2')!.textContent = tile.title;
    this.place();
  }

  dispose(): void {
    this.#disposeChart();
    this.element.remove();
  }

  #draw(result: TileResult): void {
    const tile = this.#tile;
    if (tile.visualization === 'TABLE') {
      this.#disposeChart();
      this.#body.replaceChildren(new TableView(tile, result).element);
      return;
    }
    if (tile.visualization === 'NUMBER') {
      this.#disposeChart();
      const column = tile.bindings.y[0] ?? result.columns[0]?.name;
      const i = Math.max(
        0,
        result.columns.findIndex((c) => c.name === column),
      );
      const value = result.rows[0]?.[i] ?? null;
      this.#body.replaceChildren(
        h(
          'div',
          { class: 'number' },
          h(
            'output',
            { 'data-role': 'number-value', 'data-value': value === null ? '' : String(value) },
            formatCell(value, tile.bindings.format),
          ),
          h('span', { class: 'number-label' }, column ?? ''),
        ),
      );
      return;
    }
    if (!this.#chart) {
      const canvasHost = h('div', {
        class: 'chart',
        role: 'img',
        'aria-label': `${VIS_LABEL[tile.visualization] ?? 'Chart'}: ${tile.title}`,
        'data-role': 'chart',
      });
      this.#body.replaceChildren(canvasHost);
      this.#chart = new Chart(canvasHost);
    }
    this.#chart.draw(chartOption(tile, result, this.#theme));
    // A canvas says nothing to a screen reader: the same rows as a table only they see.
    this.#body.querySelector('[data-role="chart-data"]')?.remove();
    this.#body.append(dataTable(tile.title, result));
  }

  #disposeChart(): void {
    this.#chart?.dispose();
    this.#chart = null;
  }
}

/** The rows behind a chart, as a visually hidden table (at most 200 rows). */
function dataTable(title: string, result: TileResult): HTMLElement {
  return h(
    'table',
    { class: 'visually-hidden', 'data-role': 'chart-data' },
    h('caption', {}, `Data of ${title}`),
    h('thead', {}, h('tr', {}, ...result.columns.map((c) => h('th', { scope: 'col' }, c.name)))),
    h(
      'tbody',
      {},
      ...result.rows
        .slice(0, 200)
        .map((row) =>
          h(
            'tr',
            {},
            ...row.map((cell) =>
              h(
                'td',
                { 'data-value': cell === null ? '' : String(cell) },
                cell === null ? '—' : String(cell),
              ),
            ),
          ),
        ),
    ),
  );
}
