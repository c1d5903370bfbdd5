// The dashboard page (docs/embedding.md "The dashboard page"): loads the dashboard, draws a
// filters bar and a 12-column grid of tiles, and loads every tile on its own request
// (`dashboardTileResult`), in parallel, so one slow tile holds up no other. Filter values are
// page state: a token renewal changes nothing on screen; an expired session puts every tile in
// its expired state and the page reloads them as soon as a valid token arrives.
import type { FilterValues, PageMessage } from '../../../src/shared/embed-protocol.ts';
import { sanitizeTheme } from '../../../src/shared/embed-protocol.ts';
import type { ApiResult, TesseraApi } from '../api.ts';
import { type ChartTheme, readChartTheme } from './chart.ts';
import { button, h } from './dom.ts';
import { editTile } from './editor.ts';
import { FilterBar, filtersToUrl, fromHost, initialFilters, toHost } from './filters.ts';
import {
  DASHBOARD_QUERY,
  type Dashboard,
  FILTER_OPTIONS_QUERY,
  type FilterState,
  filterInput,
  filtersUsedBy,
  GRID_COLUMNS,
  TILE_PREVIEW_QUERY,
  TILE_RESULT_QUERY,
  type Tile,
  type TileResult,
  tileInput,
  UPDATE_DASHBOARD_MUTATION,
} from './model.ts';
import { TileView } from './tile.ts';

export interface DashboardDeps {
  readonly api: TesseraApi;
  readonly dashboardId: string;
  /** The session token while the session is active, else null: no API call is made without one. */
  readonly token: () => string | null;
  /** A call answered 401: the session is over (the page shows expired and asks for a new token). */
  readonly unauthorized: (token: string) => void;
  readonly post: (message: PageMessage) => void;
}

type PageStatus = 'idle' | 'loading' | 'ready' | 'missing' | 'forbidden' | 'failed';

const MISSING_TEXT: Record<string, string> = {
  missing: 'This dashboard does not exist, or you do not have access to it.',
  forbidden: 'You do not have access to this dashboard.',
  failed: 'The dashboard could not be loaded.',
};

export class DashboardPage {
  readonly element: HTMLElement;
  readonly #d: DashboardDeps;
  readonly #toolbar: HTMLElement;
  readonly #message: HTMLElement;
  readonly #grid: HTMLElement;
  readonly #filtersSlot: HTMLElement;
  readonly #title: HTMLElement;
  #status: PageStatus = 'idle';
  #dashboard: Dashboard | null = null;
  #filters: FilterState = new Map();
  #bar: FilterBar | null = null;
  #tiles = new Map<string, TileView>();
  /** Per tile, the number of its latest request: an older answer arriving late is dropped. */
  #requests = new Map<string, number>();
  #hostFilters: FilterValues | null = null;
  #theme: ChartTheme;
  #editing = false;
  #draft: Tile[] = [];
  #saveStatus: HTMLElement;

  constructor(deps: DashboardDeps) {
    this.#d = deps;
    this.#title = h('h1', { 'data-role': 'dashboard-title' });
    this.#toolbar = h('div', { class: 'toolbar', 'data-role': 'toolbar' });
    this.#message = h('div', {
      class: 'page-message',
      'data-role': 'dashboard-message',
      role: 'alert',
      hidden: true,
    });
    this.#filtersSlot = h('div', { class: 'filters-slot' });
    this.#grid = h('div', { class: 'grid', 'data-role': 'grid' });
    this.#saveStatus = h('span', { class: 'save-status', role: 'status', 'data-role': 'save-status' });
    this.element = h(
      'section',
      {
        class: 'dashboard',
        'data-role': 'dashboard',
        'data-status': 'idle',
        'aria-labelledby': 'dashboard-title',
      },
      h('div', { class: 'dashboard-head' }, this.#title, this.#toolbar),
      this.#message,
      this.#filtersSlot,
      this.#grid,
    );
    this.#title.id = 'dashboard-title';
    this.#theme = readChartTheme(document.documentElement);
  }

  get status(): PageStatus {
    return this.#status;
  }

  /** The session became active (first token, or a renewal after expiry) or expired. */
  sessionChanged(active: boolean): void {
    if (!active) {
      for (const tile of this.#tiles.values()) tile.setState('expired');
      return;
    }
    if (this.#status === 'idle' || this.#status === 'failed') {
      void this.load();
      return;
    }
    for (const view of this.#tiles.values()) if (view.state === 'expired') void this.#loadTile(view);
  }

  /** The host's `setFilters`: merged into the current values; tiles that use a changed filter reload. */
  setFilters(values: FilterValues): void {
    const dashboard = this.#dashboard;
    if (!dashboard) {
      this.#hostFilters = { ...(this.#hostFilters ?? {}), ...values };
      return;
    }
    const { state, unknown } = fromHost(dashboard.filters, values);
    if (unknown.length > 0)
      this.#d.post({
        type: 'TESSERA_ERROR',
        code: 'UNKNOWN_FILTER',
        message: `no filter ${unknown.join(', ')}`,
      });
    this.#changeFilters(state);
  }

  /** The host's theme: CSS variables on the document; charts redraw with the new colours. */
  setTheme(theme: Record<string, string>): void {
    const root = document.documentElement;
    for (const [name, value] of Object.entries(sanitizeTheme(theme))) root.style.setProperty(name, value);
    this.#theme = readChartTheme(root);
    for (const tile of this.#tiles.values()) tile.retheme(this.#theme);
  }

  async load(): Promise<void> {
    const token = this.#d.token();
    if (!token) return;
    this.#setStatus('loading');
    this.#grid.replaceChildren(
      h('p', { class: 'tile-status loading', role: 'status' }, 'Loading dashboard…'),
    );
    const r = await this.#d.api.request(token, DASHBOARD_QUERY, { id: this.#d.dashboardId }, (data) => {
      const d = data as { dashboard?: Dashboard | null };
      return d.dashboard === undefined ? null : { dashboard: d.dashboard };
    });
    if (!r.ok) {
      if (r.status === 401) return this.#d.unauthorized(token);
      const forbidden = r.code === 'FORBIDDEN' || r.code === 'ACCESS_DENIED';
      // NOT_FOUND and FORBIDDEN read the same from outside: an id does not tell whether it exists.
      this.#showMessage(r.code === 'NOT_FOUND' ? 'missing' : forbidden ? 'forbidden' : 'failed', r.code);
      if (!forbidden && r.code !== 'NOT_FOUND')
        this.#d.post({ type: 'TESSERA_ERROR', code: r.code, message: r.message });
      return;
    }
    if (r.data.dashboard === null) {
      this.#showMessage('missing', 'NOT_FOUND');
      return;
    }
    this.#render(r.data.dashboard);
  }

  #showMessage(status: 'missing' | 'forbidden' | 'failed', code: string): void {
    this.#setStatus(status);
    this.#dashboard = null;
    this.#title.textContent = 'Dashboard unavailable';
    this.#message.hidden = false;
    this.#message.dataset.code = code;
    this.#message.replaceChildren(
      h('strong', {}, MISSING_TEXT[status]!),
      ' ',
      h('span', {}, `Dashboard id: ${this.#d.dashboardId}`),
      ...(status === 'failed'
        ? [' ', button('Retry', { 'data-role': 'retry-dashboard' }, () => void this.load())]
        : []),
    );
    this.#grid.replaceChildren();
    this.#filtersSlot.replaceChildren();
    this.#toolbar.replaceChildren();
  }

  #setStatus(status: PageStatus): void {
    this.#status = status;
    this.element.dataset.status = status;
  }

  #render(dashboard: Dashboard): void {
    const first = this.#dashboard === null;
    this.#dashboard = dashboard;
    this.#setStatus('ready');
    this.#message.hidden = true;
    this.#title.textContent = dashboard.title;
    this.element.dataset.access = dashboard.access;
    this.element.dataset.version = String(dashboard.version);
    if (first) {
      this.#filters = initialFilters(dashboard.filters, new URL(location.href));
      if (this.#hostFilters) {
        for (const [id, v] of fromHost(dashboard.filters, this.#hostFilters).state) this.#filters.set(id, v);
        this.#hostFilters = null;
      }
      this.#bar = new FilterBar(dashboard.filters, (id, values) =>
        this.#changeFilters(new Map([[id, values]])),
      );
      this.#bar.show(this.#filters);
      this.#filtersSlot.replaceChildren(this.#bar.element);
      for (const f of dashboard.filters)
        if (f.type === 'SINGLE_SELECT' || f.type === 'MULTI_SELECT') void this.#loadOptions(f.id);
    }
    this.#renderToolbar();
    this.#renderTiles(dashboard.tiles);
  }

  #renderTiles(tiles: readonly Tile[]): void {
    for (const view of this.#tiles.values()) view.dispose();
    this.#tiles.clear();
    this.#grid.replaceChildren();
    if (tiles.length === 0) {
      this.#grid.append(
        h('p', { class: 'tile-status empty', 'data-role': 'no-tiles' }, 'This dashboard has no tiles yet.'),
      );
    }
    for (const tile of tiles) {
      const view = new TileView(tile, this.#theme, () => void this.#loadTile(view));
      this.#tiles.set(tile.id, view);
      this.#grid.append(view.element);
      if (this.#editing) this.#editTools(view);
    }
    if (!this.#editing) for (const view of this.#tiles.values()) void this.#loadTile(view);
    else for (const view of this.#tiles.values()) void this.#loadTile(view, true);
  }

  async #loadOptions(filterId: string): Promise<void> {
    const token = this.#d.token();
    if (!token || !this.#dashboard) return;
    const r = await this.#d.api.request(
      token,
      FILTER_OPTIONS_QUERY,
      { d: this.#dashboard.id, f: filterId },
      (data) => {
        const o = (data as { dashboardFilterOptions?: { values: string[] } }).dashboardFilterOptions;
        return o ? o.values : null;
      },
    );
    this.#bar?.setOptions(filterId, r.ok ? r.data : null, this.#filters.get(filterId) ?? []);
  }

  #changeFilters(changes: FilterState): void {
    const dashboard = this.#dashboard;
    if (!dashboard) return;
    const changed = new Set<string>();
    for (const [id, values] of changes) {
      const before = this.#filters.get(id) ?? [];
      if (before.length === values.length && before.every((v, i) => v === values[i])) continue;
      this.#filters.set(id, [...values]);
      changed.add(id);
    }
    if (changed.size === 0) return;
    this.#bar?.show(this.#filters);
    history.replaceState(
      history.state,
      '',
      filtersToUrl(dashboard.filters, this.#filters, new URL(location.href)),
    );
    this.#d.post({ type: 'TESSERA_FILTERS_CHANGED', filters: toHost(dashboard.filters, this.#filters) });
    for (const view of this.#tiles.values()) {
      const uses = filtersUsedBy(view.tile, dashboard.filters);
      if ([...changed].some((id) => uses.has(id))) void this.#loadTile(view, this.#editing);
    }
  }

  async #loadTile(view: TileView, preview = false): Promise<void> {
    const dashboard = this.#dashboard;
    const token = this.#d.token();
    if (!dashboard) return;
    if (!token) {
      view.setState('expired');
      return;
    }
    const n = (this.#requests.get(view.tile.id) ?? 0) + 1;
    this.#requests.set(view.tile.id, n);
    view.setState('loading');
    const f = filterInput(this.#filters);
    const r = preview
      ? await this.#preview(token, view.tile)
      : await this.#d.api.request(
          token,
          TILE_RESULT_QUERY,
          { d: dashboard.id, t: view.tile.id, f },
          (data) => {
            return (data as { dashboardTileResult?: TileResult }).dashboardTileResult ?? null;
          },
        );
    if (this.#requests.get(view.tile.id) !== n || !this.#tiles.has(view.tile.id)) return;
    if (r.ok) return view.setResult(r.data);
    if (r.status === 401) {
      view.setState('expired');
      this.#d.unauthorized(token);
      return;
    }
    view.setError(r.code, r.message);
  }

  #preview(token: string, tile: Tile): Promise<ApiResult<TileResult>> {
    return this.#d.api.request(
      token,
      TILE_PREVIEW_QUERY,
      { d: this.#dashboard!.id, tile: tileInput(tile), f: filterInput(this.#filters) },
      (data) => (data as { dashboardTilePreview?: TileResult }).dashboardTilePreview ?? null,
    );
  }

  // ---- Edit mode (EDIT access only: viewers never get these controls) ----

  #renderToolbar(): void {
    const dashboard = this.#dashboard;
    if (dashboard?.access !== 'EDIT') {
      this.#toolbar.replaceChildren();
      return;
    }
    if (!this.#editing) {
      this.#toolbar.replaceChildren(
        button('Edit dashboard', { 'data-role': 'edit' }, () => this.#startEditing()),
      );
      return;
    }
    this.#toolbar.replaceChildren(
      this.#saveStatus,
      button('Add tile', { 'data-role': 'add-tile' }, () => void this.#addTile()),
      button('Cancel', { 'data-role': 'cancel-edit' }, () => this.#stopEditing()),
      button('Save', { class: 'primary', 'data-role': 'save' }, () => void this.#save()),
    );
  }

  #startEditing(): void {
    if (!this.#dashboard) return;
    this.#editing = true;
    this.#draft = [...this.#dashboard.tiles];
    this.element.dataset.editing = 'true';
    this.#saveStatus.textContent = '';
    this.#renderToolbar();
    for (const view of this.#tiles.values()) this.#editTools(view);
    (this.#toolbar.querySelector('[data-role="add-tile"]') as HTMLElement | null)?.focus();
  }

  #stopEditing(): void {
    this.#editing = false;
    delete this.element.dataset.editing;
    if (this.#dashboard) {
      this.#renderToolbar();
      this.#renderTiles(this.#dashboard.tiles);
    }
  }

  #editTools(view: TileView): void {
    const handle = button(
      '⠿ Move',
      {
        class: 'move',
        'data-role': 'move-tile',
        'aria-label': `Move ${view.tile.title}: arrow keys move it, Shift with arrow keys resizes it`,
      },
      () => {},
    );
    handle.addEventListener('keydown', (e) => this.#keyMove(view, e));
    handle.addEventListener('pointerdown', (e) => this.#drag(view, e));
    view.setTools(
      handle,
      button(
        'Edit',
        { 'data-role': 'edit-tile', 'aria-label': `Edit ${view.tile.title}` },
        () => void this.#edit(view),
      ),
      button('Remove', { 'data-role': 'remove-tile', 'aria-label': `Remove ${view.tile.title}` }, () => {
        this.#draft = this.#draft.filter((t) => t.id !== view.tile.id);
        this.#tiles.delete(view.tile.id);
        view.dispose();
        this.#dirty();
      }),
    );
  }

  #updateDraft(view: TileView, tile: Tile): void {
    this.#draft = this.#draft.map((t) => (t.id === tile.id ? tile : t));
    view.replace(tile);
    this.#dirty();
  }

  #dirty(): void {
    this.#saveStatus.textContent = 'Unsaved changes';
  }

  #keyMove(view: TileView, e: KeyboardEvent): void {
    const d = { ArrowLeft: [-1, 0], ArrowRight: [1, 0], ArrowUp: [0, -1], ArrowDown: [0, 1] }[e.key];
    if (!d) return;
    e.preventDefault();
    const p = view.tile.position;
    const [dx, dy] = d as [number, number];
    const position = e.shiftKey
      ? { ...p, w: clamp(p.w + dx, 1, GRID_COLUMNS - p.x), h: clamp(p.h + dy, 1, 12) }
      : { ...p, x: clamp(p.x + dx, 0, GRID_COLUMNS - p.w), y: Math.max(0, p.y + dy) };
    this.#updateDraft(view, { ...view.tile, position });
  }

  /** Pointer drag: the tile follows the grid cell under the pointer. */
  #drag(view: TileView, start: PointerEvent): void {
    const handle = start.currentTarget as HTMLElement;
    handle.setPointerCapture(start.pointerId);
    const grid = this.#grid.getBoundingClientRect();
    const rowHeight = parseFloat(getComputedStyle(this.#grid).gridAutoRows) || 80;
    const gap = parseFloat(getComputedStyle(this.#grid).columnGap) || 0;
    const colWidth = (grid.width + gap) / GRID_COLUMNS;
    const origin = view.tile.position;
    const startCol = Math.floor((start.clientX - grid.left) / colWidth);
    const startRow = Math.floor((start.clientY - grid.top) / (rowHeight + gap));
    const move = (e: PointerEvent) => {
      const col = Math.floor((e.clientX - grid.left) / colWidth);
      const row = Math.floor((e.clientY - grid.top) / (rowHeight + gap));
      const x = clamp(origin.x + col - startCol, 0, GRID_COLUMNS - origin.w);
      const y = Math.max(0, origin.y + row - startRow);
      const p = view.tile.position;
      if (x !== p.x || y !== p.y) this.#updateDraft(view, { ...view.tile, position: { ...p, x, y } });
    };
    const end = () => {
      handle.removeEventListener('pointermove', move);
      handle.removeEventListener('pointerup', end);
      handle.removeEventListener('pointercancel', end);
    };
    handle.addEventListener('pointermove', move);
    handle.addEventListener('pointerup', end);
    handle.addEventListener('pointercancel', end);
  }

  async #edit(view: TileView): Promise<void> {
    const token = this.#d.token();
    if (!token) return;
    const edited = await editTile(view.tile, (tile) => this.#previewResult(tile));
    if (!edited) return;
    this.#updateDraft(view, edited);
    void this.#loadTile(view, true);
  }

  async #addTile(): Promise<void> {
    const bottom = this.#draft.reduce((m, t) => Math.max(m, t.position.y + t.position.h), 0);
    const blank: Tile = {
      id: `t${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`,
      title: '',
      sql: '',
      visualization: 'TABLE',
      bindings: { x: null, y: [], group: null, format: null },
      position: { x: 0, y: bottom, w: 6, h: 4 },
    };
    const tile = await editTile(blank, (t) => this.#previewResult(t));
    if (!tile) return;
    this.#draft.push(tile);
    this.#grid.querySelector('[data-role="no-tiles"]')?.remove();
    const view = new TileView(tile, this.#theme, () => void this.#loadTile(view, true));
    this.#tiles.set(tile.id, view);
    this.#grid.append(view.element);
    this.#editTools(view);
    this.#dirty();
    void this.#loadTile(view, true);
  }

  async #previewResult(
    tile: Tile,
  ): Promise<{ ok: true; data: TileResult } | { ok: false; code: string; message: string }> {
    const token = this.#d.token();
    if (!token) return { ok: false, code: 'TOKEN_EXPIRED', message: 'the session expired' };
    return this.#preview(token, tile);
  }

  /** Saves the draft with the version it was based on; a dashboard changed meanwhile is not overwritten. */
  async #save(): Promise<void> {
    const dashboard = this.#dashboard;
    const token = this.#d.token();
    if (!dashboard || !token) return;
    this.#saveStatus.textContent = 'Saving…';
    const r = await this.#d.api.request(
      token,
      UPDATE_DASHBOARD_MUTATION,
      { input: { id: dashboard.id, version: dashboard.version, tiles: this.#draft.map(tileInput) } },
      (data) =>
        (
          data as {
            updateDashboard?: { status: { code: string; message: string }; dashboard: Dashboard | null };
          }
        ).updateDashboard ?? null,
    );
    if (!r.ok) {
      if (r.status === 401) this.#d.unauthorized(token);
      this.#saveStatus.textContent = `Not saved: ${r.code === 'CONFLICT' ? 'the dashboard was changed elsewhere; reload to see it' : r.message}`;
      this.#saveStatus.dataset.code = r.code;
      return;
    }
    const { status, dashboard: saved } = r.data;
    if (status.code !== 'OK' || !saved) {
      this.#saveStatus.dataset.code = status.code;
      this.#saveStatus.textContent =
        status.code === 'CONFLICT'
          ? 'Not saved: the dashboard was changed elsewhere. Reload to see the latest version.'
          : `Not saved: ${status.message}`;
      return;
    }
    this.#editing = false;
    delete this.element.dataset.editing;
    this.#saveStatus.textContent = '';
    delete this.#saveStatus.dataset.code;
    this.#render(saved);
    this.#saveStatus.textContent = 'Saved';
  }
}

const clamp = (v: number, min: number, max: number) => Math.min(max, Math.max(min, v));
