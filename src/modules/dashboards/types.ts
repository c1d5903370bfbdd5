/** What a dashboard is made of (docs/dashboards.md "Dashboards"). Stored as one JSON definition. */

import type { DashboardFilter, Tile } from '../../shared/dashboard-model.ts';

export {
  type DashboardFilter,
  FILTER_TYPES,
  type FilterType,
  FORMAT_STYLES,
  type FormatStyle,
  type Tile,
  type TileBindings,
  type TileFormat,
  type TilePosition,
  VISUALIZATIONS,
  type Visualization,
} from '../../shared/dashboard-model.ts';

export interface DashboardDefinition {
  readonly filters: readonly DashboardFilter[];
  readonly tiles: readonly Tile[];
}

export interface Dashboard extends DashboardDefinition {
  readonly id: string;
  readonly workspaceId: string;
  readonly domainId: string;
  readonly title: string;
  readonly description: string;
  readonly cacheTtlSeconds: number;
  readonly version: number;
  readonly createdAt: Date;
  readonly updatedAt: Date;
}

/** What a credential may do with one dashboard; null = nothing (FORBIDDEN). */
export type DashboardAccess = 'VIEW' | 'EDIT';

export const SHARE_ROLE_IDS = {
  VIEWER: '00000000-0000-0000-0000-000000000008',
  EDITOR: '00000000-0000-0000-0000-000000000009',
} as const;

export interface DashboardShare {
  readonly dashboardId: string;
  readonly principalId: string;
  readonly roleId: string;
  readonly createdAt: Date;
}
