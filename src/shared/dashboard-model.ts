/**
 * The parts of a dashboard the server stores and the embed page draws (docs/dashboards.md "Dashboards"):
 * one definition for both sides.
 */

export const VISUALIZATIONS = ['TABLE', 'NUMBER', 'BAR', 'LINE', 'AREA', 'PIE', 'SCATTER'] as const;
export type Visualization = (typeof VISUALIZATIONS)[number];

export const FILTER_TYPES = ['DATE_RANGE', 'SINGLE_SELECT', 'MULTI_SELECT', 'TEXT'] as const;
export type FilterType = (typeof FILTER_TYPES)[number];

export const FORMAT_STYLES = ['AUTO', 'NUMBER', 'CURRENCY', 'PERCENT', 'DATE', 'TEXT'] as const;
export type FormatStyle = (typeof FORMAT_STYLES)[number];

export interface TileFormat {
  readonly style: FormatStyle;
  readonly decimals: number | null;
  readonly currency: string | null;
  readonly prefix: string | null;
  readonly suffix: string | null;
}

export interface TileBindings {
  readonly x: string | null;
  readonly y: readonly string[];
  readonly group: string | null;
  readonly format: TileFormat | null;
}

export interface TilePosition {
  readonly x: number;
  readonly y: number;
  readonly w: number;
  readonly h: number;
}

export interface Tile {
  readonly id: string;
  readonly title: string;
  readonly sql: string;
  readonly visualization: Visualization;
  readonly bindings: TileBindings;
  readonly position: TilePosition;
}

export interface DashboardFilter {
  readonly id: string;
  readonly label: string;
  readonly type: FilterType;
  readonly defaultValues: readonly string[];
  readonly optionsSql: string | null;
}
