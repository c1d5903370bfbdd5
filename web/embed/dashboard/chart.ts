// Charts with Apache ECharts, tree-shaken: only the core, the four chart types the dashboards
// use (bar, line/area, pie, scatter), the grid, tooltip, legend and aria components, and the
// canvas renderer (no inline styles or scripts, so the page's strict CSP stays as it is).
// docs/embedding.md "The dashboard page" has the size measurements behind this choice.
import { BarChart, LineChart, PieChart, ScatterChart } from 'echarts/charts';
import { AriaComponent, GridComponent, LegendComponent, TooltipComponent } from 'echarts/components';
import { type EChartsType, init, use } from 'echarts/core';
import { CanvasRenderer } from 'echarts/renderers';
import { formatCell, toNumber } from './format.ts';
import type { Tile, TileResult } from './model.ts';

use([
  BarChart,
  LineChart,
  PieChart,
  ScatterChart,
  GridComponent,
  TooltipComponent,
  LegendComponent,
  AriaComponent,
  CanvasRenderer,
]);

/** The theme colours the charts read from the page's CSS variables (set by the host through the SDK). */
export interface ChartTheme {
  readonly palette: readonly string[];
  readonly text: string;
  readonly muted: string;
  readonly border: string;
  readonly font: string;
}

export function readChartTheme(root: HTMLElement): ChartTheme {
  const css = getComputedStyle(root);
  const v = (name: string, fallback: string) => css.getPropertyValue(name).trim() || fallback;
  return {
    palette: [1, 2, 3, 4, 5, 6].map((i) => v(`--tessera-chart-${i}`, '#2563eb')),
    text: v('--tessera-text', '#1f2937'),
    muted: v('--tessera-muted', '#6b7280'),
    border: v('--tessera-border', '#e5e7eb'),
    font: v('--tessera-font', 'system-ui, sans-serif'),
  };
}

type Series = { name: string; data: (number | null)[] | [number | null, number | null][] };

/** Splits the rows into series: one per y column, or one per (y, group value) with a group column. */
function seriesOf(tile: Tile, result: TileResult): { categories: string[]; series: Series[] } {
  const col = (name: string | null) =>
    name === null ? -1 : result.columns.findIndex((c) => c.name === name);
  const xi = col(tile.bindings.x);
  const gi = col(tile.bindings.group);
  const ys = tile.bindings.y.map((y) => ({ name: y, i: col(y) })).filter((y) => y.i >= 0);
  const categories: string[] = [];
  const index = new Map<string, number>();
  for (const row of result.rows) {
    const key = xi >= 0 ? String(row[xi] ?? '') : '';
    if (!index.has(key)) {
      index.set(key, categories.length);
      categories.push(key);
    }
  }
  const series = new Map<string, (number | null)[]>();
  for (const row of result.rows) {
    const at = index.get(xi >= 0 ? String(row[xi] ?? '') : '')!;
    for (const y of ys) {
      const name = gi >= 0 ? (ys.length > 1 ? `${y.name} ${row[gi]}` : String(row[gi])) : y.name;
      let data = series.get(name);
      if (!data) {
        data = new Array(categories.length).fill(null);
        series.set(name, data);
      }
      data[at] = toNumber(row[y.i] ?? null);
    }
  }
  return { categories, series: [...series].map(([name, data]) => ({ name, data })) };
}

/** The ECharts option for a chart tile. */
export function chartOption(tile: Tile, result: TileResult, theme: ChartTheme): Record<string, unknown> {
  const format = tile.bindings.format;
  const label = (v: unknown) => formatCell(typeof v === 'number' ? v : String(v), format);
  const { categories, series } = seriesOf(tile, result);
  const common = {
    color: [...theme.palette],
    textStyle: { color: theme.text, fontFamily: theme.font },
    aria: { enabled: true, decal: { show: false } },
    animation: false,
    tooltip: { trigger: tile.visualization === 'PIE' ? 'item' : 'axis', valueFormatter: label },
    legend:
      series.length > 1 || tile.visualization === 'PIE'
        ? { bottom: 0, textStyle: { color: theme.text } }
        : undefined,
  };
  if (tile.visualization === 'PIE') {
    const first = series[0];
    return {
      ...common,
      series: [
        {
          type: 'pie',
          radius: ['35%', '65%'],
          label: { color: theme.text },
          data: categories.map((name, i) => ({ name, value: first?.data[i] ?? null })),
        },
      ],
    };
  }
  const axis = {
    axisLine: { lineStyle: { color: theme.border } },
    axisLabel: { color: theme.muted },
    splitLine: { lineStyle: { color: theme.border } },
  };
  const type = tile.visualization === 'BAR' ? 'bar' : tile.visualization === 'SCATTER' ? 'scatter' : 'line';
  return {
    ...common,
    grid: { left: 8, right: 16, top: 16, bottom: series.length > 1 ? 36 : 8, containLabel: true },
    xAxis: { type: 'category', data: categories, ...axis, splitLine: { show: false } },
    yAxis: { type: 'value', ...axis, axisLabel: { color: theme.muted, formatter: label } },
    series: series.map((s) => ({
      type,
      name: s.name,
      data: s.data,
      ...(tile.visualization === 'AREA' ? { areaStyle: { opacity: 0.25 }, stack: 'total' } : {}),
      ...(type === 'line' ? { showSymbol: categories.length <= 40 } : {}),
    })),
  };
}

/** One chart in an element; resizes with it. */
export class Chart {
  readonly #chart: EChartsType;
  readonly #observer: ResizeObserver;

  constructor(element: HTMLElement) {
    this.#chart = init(element, null, { renderer: 'canvas' });
    this.#observer = new ResizeObserver(() => this.#chart.resize());
    this.#observer.observe(element);
  }

  draw(option: Record<string, unknown>): void {
    this.#chart.setOption(option, { notMerge: true });
  }

  dispose(): void {
    this.#observer.disconnect();
    this.#chart.dispose();
  }
}
