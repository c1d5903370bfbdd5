/**
 * CSV for tile exports (docs/dashboards.md "Export"): RFC 4180 (comma, CRLF, a field with a
 * comma, quote, CR or LF quoted, quotes doubled), UTF-8 with a byte order mark so spreadsheet
 * programs read it as UTF-8.
 *
 * Formula injection: a spreadsheet runs a cell that begins with `=`, `+`, `-`, `@`, a tab or a
 * carriage return as a formula, so a warehouse value like `=HYPERLINK(…)` would act on the
 * reader's machine. Such text cells get a leading apostrophe (shown by spreadsheets as text,
 * visible in other tools). Numbers the warehouse returned as numbers, and text that is exactly a
 * plain decimal number (`-12.5`), are written as they are.
 */

export const CSV_BOM = '\uFEFF';
const NEEDS_QUOTES = /[",\r\n]/;
const FORMULA_START = /^[=+\-@\t\r]/;
const PLAIN_NUMBER = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;

/** One cell as CSV text. */
export function csvField(value: unknown): string {
  let text: string;
  if (value === null || value === undefined) return '';
  if (typeof value === 'number' || typeof value === 'bigint') return String(value);
  if (typeof value === 'boolean') text = value ? 'true' : 'false';
  else if (typeof value === 'string') text = value;
  else text = JSON.stringify(value);
  if (FORMULA_START.test(text) && !PLAIN_NUMBER.test(text)) text = `'${text}`;
  return NEEDS_QUOTES.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/** One record, CRLF-terminated. */
export function csvRecord(values: readonly unknown[]): string {
  return `${values.map(csvField).join(',')}\r\n`;
}

/**
 * The rows as a stream of CSV text, a chunk of records at a time, so the response goes out while
 * it is being encoded instead of being built as one string.
 */
export function csvStream(
  header: readonly string[],
  rows: readonly (readonly unknown[])[],
  rowsPerChunk = 500,
): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  let next = -1;
  return new ReadableStream<Uint8Array>({
    pull(controller) {
      if (next === -1) {
        controller.enqueue(encoder.encode(CSV_BOM + csvRecord(header)));
        next = 0;
        return;
      }
      if (next >= rows.length) {
        controller.close();
        return;
      }
      let chunk = '';
      const end = Math.min(rows.length, next + rowsPerChunk);
      for (; next < end; next++) chunk += csvRecord(rows[next]!);
      controller.enqueue(encoder.encode(chunk));
    },
  });
}
