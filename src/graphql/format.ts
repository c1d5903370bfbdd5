/**
 * Timestamps are ISO 8601 UTC strings (docs/api-contract.md §4). A listing reads them as that text
 * already (src/db/iso-text.ts); every other read hands a Date.
 */
export const iso = (d: Date | string | null | undefined): string | null =>
  d == null ? null : typeof d === 'string' ? d : d.toISOString();
export const isoRequired = (d: Date | string): string => (typeof d === 'string' ? d : d.toISOString());
