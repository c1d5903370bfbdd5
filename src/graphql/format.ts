/** Timestamps are ISO 8601 UTC strings (docs/api-contract.md §4). */
export const iso = (d: Date | null | undefined): string | null => (d ? d.toISOString() : null);
export const isoRequired = (d: Date): string => d.toISOString();
