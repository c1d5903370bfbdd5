/**
 * The built-in roles with their compat IDs (docs/api-contract.md §4). There are no custom roles.
 * `adHocQueries` says whether the role may run ad-hoc SQL in its domains (docs/data-access.md "Domains").
 */
export interface Role {
  readonly id: string;
  readonly name: string;
  readonly description: string;
  /** Dashboard sharing roles are granted on one dashboard, never on a domain. */
  readonly assignableToDomains: boolean;
  readonly adHocQueries: boolean;
}

const id = (n: number) => `00000000-0000-0000-0000-${String(n).padStart(12, '0')}`;

export const ROLE_IDS = {
  ADMIN: id(1),
  EXPLORER: id(2),
  VIEWER: id(3),
  DATA_ADMIN: id(4),
  OBSERVER: id(7),
  DASHBOARD_VIEWER: id(8),
  DASHBOARD_EDITOR: id(9),
  BASIC_EXPLORER: id(15),
} as const;

export const ROLES: readonly Role[] = [
  {
    id: ROLE_IDS.ADMIN,
    name: 'ADMIN',
    description: 'Administers the whole workspace.',
    assignableToDomains: true,
    adHocQueries: true,
  },
  {
    id: ROLE_IDS.EXPLORER,
    name: 'EXPLORER',
    description: 'Explores data, dashboards and ad-hoc queries in its domains.',
    assignableToDomains: true,
    adHocQueries: true,
  },
  {
    id: ROLE_IDS.VIEWER,
    name: 'VIEWER',
    description: 'Views dashboards in its domains; read-only.',
    assignableToDomains: true,
    adHocQueries: false,
  },
  {
    id: ROLE_IDS.DATA_ADMIN,
    name: 'DATA_ADMIN',
    description: 'Connects data, models it and sets row policies in its domains.',
    assignableToDomains: true,
    adHocQueries: true,
  },
  {
    id: ROLE_IDS.OBSERVER,
    name: 'OBSERVER',
    description: 'Views dashboards in its domains.',
    assignableToDomains: true,
    adHocQueries: false,
  },
  {
    id: ROLE_IDS.DASHBOARD_VIEWER,
    name: 'DASHBOARD_VIEWER',
    description: 'Views one shared dashboard.',
    assignableToDomains: false,
    adHocQueries: false,
  },
  {
    id: ROLE_IDS.DASHBOARD_EDITOR,
    name: 'DASHBOARD_EDITOR',
    description: 'Edits one shared dashboard.',
    assignableToDomains: false,
    adHocQueries: false,
  },
  {
    id: ROLE_IDS.BASIC_EXPLORER,
    name: 'BASIC_EXPLORER',
    description: 'Explores data in its domains with a simplified interface.',
    assignableToDomains: true,
    adHocQueries: true,
  },
];

const byId = new Map(ROLES.map((r) => [r.id, r]));
export const findRole = (roleId: string): Role | undefined => byId.get(roleId);
