import type { Dashboard } from './types.ts';

/** The id of the demo's dashboard in every workspace: the embed URL `/embed/dashboards/sales-overview`. */
export const DEMO_DASHBOARD_ID = 'sales-overview';

const position = (x: number, y: number, w: number, h: number) => ({ x, y, w, h });
const noFormat = { style: 'AUTO', decimals: null, currency: null, prefix: null, suffix: null } as const;

/**
 * "Sales overview" over the demo warehouse (`tessera demo`): six tiles, each run through the gate
 * as the viewing user, so Alice (acme, DE and FR) and Bob (globex, US) opening the same URL see
 * their own tenant's numbers. The sixth tile lists customer names, the column a column policy
 * masks (docs/dashboards.md "The demo dashboard"). The region filter narrows the recent orders.
 */
export function demoDashboard(
  workspaceId: string,
  domainId: string,
): Omit<Dashboard, 'createdAt' | 'updatedAt' | 'version'> {
  return {
    id: DEMO_DASHBOARD_ID,
    workspaceId,
    domainId,
    title: 'Sales overview',
    description: 'Revenue and orders of your tenant and regions (tessera demo).',
    cacheTtlSeconds: 60,
    filters: [
      {
        id: 'region',
        label: 'Region',
        type: 'MULTI_SELECT',
        // Every demo region by default, so an untouched filter passes every row the policies allow.
        defaultValues: ['DE', 'FR', 'JP', 'US'],
        optionsSql: 'select code from regions order by code',
      },
    ],
    tiles: [
      {
        id: 'revenue',
        title: 'Revenue',
        sql: 'select sum(amount) as revenue from orders',
        visualization: 'NUMBER',
        bindings: {
          x: null,
          y: ['revenue'],
          group: null,
          format: { style: 'CURRENCY', decimals: 2, currency: 'EUR', prefix: null, suffix: null },
        },
        position: position(0, 0, 3, 2),
      },
      {
        id: 'revenue_over_time',
        title: 'Revenue over time',
        sql: 'select ordered_at as day, sum(amount) as revenue from orders group by ordered_at order by ordered_at',
        visualization: 'LINE',
        bindings: {
          x: 'day',
          y: ['revenue'],
          group: null,
          format: { ...noFormat, style: 'CURRENCY', currency: 'EUR' },
        },
        position: position(3, 0, 9, 4),
      },
      {
        id: 'revenue_by_region',
        title: 'Revenue by region',
        sql: 'select r.name as region, sum(o.amount) as revenue from orders o join regions r on r.code = o.region group by r.name order by r.name',
        visualization: 'BAR',
        bindings: {
          x: 'region',
          y: ['revenue'],
          group: null,
          format: { ...noFormat, style: 'CURRENCY', currency: 'EUR' },
        },
        position: position(0, 4, 6, 4),
      },
      {
        id: 'orders_by_customer',
        title: 'Orders by customer',
        sql: 'select c.name as customer, count(*) as orders from orders o join customers c on c.id = o.customer_id group by c.name order by c.name',
        visualization: 'PIE',
        bindings: { x: 'customer', y: ['orders'], group: null, format: null },
        position: position(6, 4, 6, 4),
      },
      {
        id: 'recent_orders',
        title: 'Recent orders',
        sql: 'select o.id, o.ordered_at, o.region, o.amount from orders o where o.region in ({{region}}) order by o.ordered_at desc, o.id',
        visualization: 'TABLE',
        bindings: {
          x: null,
          y: ['amount'],
          group: null,
          format: { ...noFormat, style: 'NUMBER', decimals: 2 },
        },
        position: position(0, 8, 6, 4),
      },
      {
        id: 'customer_contacts',
        title: 'Customers (names masked by a column policy)',
        sql: 'select c.name as customer, c.region from customers c order by c.region, c.name',
        visualization: 'TABLE',
        bindings: { x: null, y: [], group: null, format: null },
        position: position(6, 8, 6, 4),
      },
    ],
  };
}
