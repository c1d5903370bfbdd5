// The dashboard as the embed page reads it from GraphQL (src/modules/dashboards/schema.graphql).

import type { DashboardFilter, Tile } from '../../../src/shared/dashboard-model.ts';

export {
  type DashboardFilter,
  type FilterType,
  FORMAT_STYLES,
  type FormatStyle,
  type Tile,
  type TileBindings,
  type TileFormat,
  type TilePosition,
  VISUALIZATIONS,
  type Visualization,
} from '../../../src/shared/dashboard-model.ts';

export interface Dashboard {
  readonly id: string;
  readonly title: string;
  readonly description: string;
  readonly version: number;
  readonly access: 'VIEW' | 'EDIT';
  readonly filters: readonly DashboardFilter[];
  readonly tiles: readonly Tile[];
}

export type Cell = string | number | boolean | null | Record<string, unknown> | unknown[];

export interface TileResult {
  readonly columns: readonly { readonly name: string; readonly type: string }[];
  readonly rows: readonly (readonly Cell[])[];
  readonly rowCount: number;
  readonly truncated: boolean;
  readonly cached: boolean;
}

/** Filter values by filter id, as GraphQL takes them: [] = unset, two values for a date range. */
export type FilterState = Map<string, readonly string[]>;

export const GRID_COLUMNS = 12;

const FORMAT_FIELDS = 'format { style decimals currency prefix suffix }';
const TILE_FIELDS = `id title sql visualization bindings { x y group ${FORMAT_FIELDS} } position { x y w h }`;
export const DASHBOARD_QUERY = `query TesseraEmbedDashboard($id: ID!) {
  dashboard(id: $id) {
    id title description version access
    filters { id label type defaultValues optionsSql }
    tiles { ${TILE_FIELDS} }
  }
}`;
const RESULT_FIELDS = 'columns { name type } rows rowCount truncated cached';
export const TILE_RESULT_QUERY = `query TesseraEmbedTile($d: ID!, $t: ID!, $f: [DashboardFilterValueInput!]) {
  dashboardTileResult(dashboardId: $d, tileId: $t, filters: $f) { ${RESULT_FIELDS} }
}`;
export const TILE_PREVIEW_QUERY = `query TesseraEmbedPreview($d: ID!, $tile: DashboardTileInput!, $f: [DashboardFilterValueInput!]) {
  dashboardTilePreview(dashboardId: $d, tile: $tile, filters: $f) { ${RESULT_FIELDS} }
}`;
export const FILTER_OPTIONS_QUERY = `query TesseraEmbedOptions($d: ID!, $f: ID!) {
  dashboardFilterOptions(dashboardId: $d, filterId: $f) { values truncated }
}`;
export const UPDATE_DASHBOARD_MUTATION = `mutation TesseraEmbedSave($input: UpdateDashboardInput!) {
  updateDashboard(input: $input) {
    status { code message }
    dashboard { id title description version access filters { id label type defaultValues optionsSql } tiles { ${TILE_FIELDS} } }
  }
}`;

/** A tile as `DashboardTileInput` wants it. */
export function tileInput(tile: Tile): Record<string, unknown> {
  const { format, ...bindings } = tile.bindings;
  return {
    id: tile.id,
    title: tile.title,
    sql: tile.sql,
    visualization: tile.visualization,
    bindings: { ...bindings, y: [...bindings.y], ...(format ? { format: { ...format } } : {}) },
    position: { ...tile.position },
  };
}

/** The filter ids a tile's SQL names (`{{region}}`, or `{{period_from}}` for a date range). */
export function filtersUsedBy(tile: Tile, filters: readonly DashboardFilter[]): Set<string> {
  const names = new Set([...tile.sql.matchAll(/\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}/g)].map((m) => m[1]!));
  return new Set(
    filters
      .filter((f) => names.has(f.id) || names.has(`${f.id}_from`) || names.has(`${f.id}_to`))
      .map((f) => f.id),
  );
}

export function filterInput(state: FilterState): { filterId: string; values: string[] }[] {
  return [...state].map(([filterId, values]) => ({ filterId, values: [...values] }));
}
