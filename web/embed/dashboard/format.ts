// Formats cell values for number tiles, table cells and chart labels (TileFormat).
import type { Cell, TileFormat } from './model.ts';

const cache = new Map<string, Intl.NumberFormat>();

function numberFormat(format: TileFormat | null): Intl.NumberFormat {
  const style = format?.style ?? 'AUTO';
  const decimals = format?.decimals ?? null;
  const key = `${style}|${decimals}|${format?.currency ?? ''}`;
  let f = cache.get(key);
  if (!f) {
    const digits =
      decimals === null ? {} : { minimumFractionDigits: decimals, maximumFractionDigits: decimals };
    f =
      style === 'CURRENCY'
        ? new Intl.NumberFormat(undefined, {
            style: 'currency',
            currency: format?.currency || 'USD',
            ...digits,
          })
        : style === 'PERCENT'
          ? new Intl.NumberFormat(undefined, { style: 'percent', ...digits })
          : new Intl.NumberFormat(undefined, decimals === null ? { maximumFractionDigits: 2 } : digits);
    cache.set(key, f);
  }
  return f;
}

/** A number from a cell: numbers, and numeric strings (PostgreSQL sends numeric and bigint as text). */
export function toNumber(cell: Cell): number | null {
  if (typeof cell === 'number') return Number.isFinite(cell) ? cell : null;
  if (typeof cell === 'string' && cell.trim() !== '' && /^-?\d+(\.\d+)?(e[+-]?\d+)?$/i.test(cell.trim()))
    return Number(cell);
  return null;
}

/** The text shown for one value. */
export function formatCell(cell: Cell, format: TileFormat | null): string {
  if (cell === null || cell === undefined) return '—';
  const style = format?.style ?? 'AUTO';
  let text: string;
  if (style === 'TEXT') text = typeof cell === 'object' ? JSON.stringify(cell) : String(cell);
  else if (style === 'DATE') {
    const d = new Date(typeof cell === 'number' ? cell : String(cell));
    text = Number.isNaN(d.getTime()) ? String(cell) : d.toISOString().slice(0, 10);
  } else {
    const n = toNumber(cell);
    if (n !== null) text = numberFormat(format).format(n);
    else if (typeof cell === 'object') text = JSON.stringify(cell);
    else text = String(cell);
  }
  return `${format?.prefix ?? ''}${text}${format?.suffix ?? ''}`;
}
