// The tile editor of edit mode: title, SQL with a preview run through the gate as the user,
// chart type, column bindings, format and size. A native <dialog> (focus trap, Escape closes).
import { button, h } from './dom.ts';
import {
  FORMAT_STYLES,
  type FormatStyle,
  GRID_COLUMNS,
  type Tile,
  type TileResult,
  VISUALIZATIONS,
  type Visualization,
} from './model.ts';

export type Preview = (
  tile: Tile,
) => Promise<{ ok: true; data: TileResult } | { ok: false; code: string; message: string }>;

let fieldCounter = 0;

function field(label: string, control: HTMLElement): HTMLElement {
  const id = `edit-${++fieldCounter}`;
  control.id = id;
  return h('div', { class: 'field' }, h('label', { for: id }, label), control);
}

function input(value: string, attrs: Record<string, string> = {}): HTMLInputElement {
  const el = h('input', { type: 'text', ...attrs }) as HTMLInputElement;
  el.value = value;
  return el;
}

function select<T extends string>(values: readonly T[], current: T, name: string): HTMLSelectElement {
  const el = h('select', { name }) as HTMLSelectElement;
  for (const v of values)
    el.append(new Option(v.charAt(0) + v.slice(1).toLowerCase(), v, false, v === current));
  return el;
}

/** Opens the editor for `tile` (or a new one); resolves with the edited tile, or null when cancelled. */
export function editTile(tile: Tile, preview: Preview): Promise<Tile | null> {
  const title = input(tile.title, { name: 'title', required: 'true', maxlength: '200' });
  const sql = h('textarea', {
    name: 'sql',
    rows: '6',
    spellcheck: 'false',
    class: 'sql',
  }) as HTMLTextAreaElement;
  sql.value = tile.sql;
  const vis = select<Visualization>(VISUALIZATIONS, tile.visualization, 'visualization');
  const columnsList = h('datalist', { id: `edit-columns-${++fieldCounter}` });
  const list = { list: columnsList.id };
  const x = input(tile.bindings.x ?? '', { name: 'x', ...list });
  const y = input(tile.bindings.y.join(', '), { name: 'y', ...list });
  const group = input(tile.bindings.group ?? '', { name: 'group', ...list });
  const style = select<FormatStyle>(FORMAT_STYLES, tile.bindings.format?.style ?? 'AUTO', 'format');
  const decimals = input(tile.bindings.format?.decimals?.toString() ?? '', {
    name: 'decimals',
    inputmode: 'numeric',
  });
  const currency = input(tile.bindings.format?.currency ?? '', { name: 'currency', maxlength: '3' });
  const width = input(String(tile.position.w), {
    name: 'w',
    type: 'number',
    min: '1',
    max: String(GRID_COLUMNS),
  });
  const height = input(String(tile.position.h), { name: 'h', type: 'number', min: '1', max: '12' });
  const previewOut = h('div', { class: 'preview', 'data-role': 'preview', 'aria-live': 'polite' });
  const problem = h('p', { class: 'problem', role: 'alert', hidden: true });

  const current = (): Tile => {
    const n = (el: HTMLInputElement, min: number, max: number, fallback: number) => {
      const v = Math.round(Number(el.value));
      return Number.isFinite(v) && v >= min && v <= max ? v : fallback;
    };
    const w = n(width, 1, GRID_COLUMNS, tile.position.w);
    const d = decimals.value.trim() === '' ? null : n(decimals, 0, 10, 0);
    return {
      id: tile.id,
      title: title.value.trim(),
      sql: sql.value,
      visualization: vis.value as Visualization,
      bindings: {
        x: x.value.trim() || null,
        y: y.value
          .split(',')
          .map((s) => s.trim())
          .filter((s) => s !== ''),
        group: group.value.trim() || null,
        format: {
          style: style.value as FormatStyle,
          decimals: d,
          currency: currency.value.trim().toUpperCase() || null,
          prefix: tile.bindings.format?.prefix ?? null,
          suffix: tile.bindings.format?.suffix ?? null,
        },
      },
      position: {
        x: Math.min(tile.position.x, GRID_COLUMNS - w),
        y: tile.position.y,
        w,
        h: n(height, 1, 12, tile.position.h),
      },
    };
  };

  const runPreview = async () => {
    previewOut.replaceChildren('Running…');
    const r = await preview(current());
    if (!r.ok) {
      previewOut.replaceChildren(
        h('p', { class: 'problem', 'data-code': r.code }, `${r.code}: ${r.message}`),
      );
      return;
    }
    const cols = r.data.columns.map((c) => c.name);
    columnsList.replaceChildren(...cols.map((c) => new Option(c, c)));
    previewOut.replaceChildren(
      h('p', {}, `${r.data.rowCount} row${r.data.rowCount === 1 ? '' : 's'}; columns: ${cols.join(', ')}`),
      h(
        'table',
        { 'data-role': 'preview-table' },
        h('thead', {}, h('tr', {}, ...cols.map((c) => h('th', { scope: 'col' }, c)))),
        h(
          'tbody',
          {},
          ...r.data.rows
            .slice(0, 5)
            .map((row) => h('tr', {}, ...row.map((cell) => h('td', {}, cell === null ? '—' : String(cell))))),
        ),
      ),
    );
  };

  const dialog = h('dialog', {
    class: 'tile-editor',
    'aria-labelledby': 'tile-editor-title',
    'data-role': 'tile-editor',
  }) as HTMLDialogElement;
  return new Promise((resolve) => {
    let result: Tile | null = null;
    const form = h(
      'form',
      { method: 'dialog' },
      h('h2', { id: 'tile-editor-title' }, tile.title ? `Edit “${tile.title}”` : 'New tile'),
      field('Title', title),
      field('SQL (filters as {{name}})', sql),
      h(
        'div',
        { class: 'row' },
        button('Preview', { 'data-role': 'run-preview' }, () => void runPreview()),
      ),
      previewOut,
      h(
        'div',
        { class: 'grid2' },
        field('Chart', vis),
        field('Format', style),
        field('X column', x),
        field('Y columns (comma-separated)', y),
        field('Group by column', group),
        field('Decimals', decimals),
        field('Currency', currency),
        field('Width (of 12)', width),
        field('Height', height),
      ),
      columnsList,
      problem,
      h(
        'div',
        { class: 'actions' },
        button('Cancel', { 'data-role': 'editor-cancel' }, () => dialog.close()),
        button('Apply', { class: 'primary', 'data-role': 'editor-apply' }, () => {
          const t = current();
          if (t.title === '' || t.sql.trim() === '') {
            problem.hidden = false;
            problem.textContent = 'A tile needs a title and SQL.';
            return;
          }
          result = t;
          dialog.close();
        }),
      ),
    );
    dialog.append(form);
    dialog.addEventListener('close', () => {
      dialog.remove();
      resolve(result);
    });
    document.body.append(dialog);
    dialog.showModal();
    title.focus();
  });
}
