import { queryRefused } from '../errors.ts';
import { lexMysql } from './lex.ts';
import { identifier, isObject, type MyNode } from './nodes.ts';

/**
 * `{{name}}` placeholders on MySQL/MariaDB (docs/query-gate.md "Query parameters"). The gate's
 * own lexer (the server's rules) finds them, so text in string literals, backticked names and
 * comments is never touched; each becomes a column name the parser reads where a value goes
 * (`tessera_qp_<k>`), which the walker replaces by the parameter's slot. No user text may spell
 * such a name itself. In the rewritten tree every slot is a name `tessera_qs_<j>` again; after
 * printing, those tokens (and only those) become `?`, and their order in the text is the order
 * of the values.
 */

const INPUT_MARK = 'tessera_qp_';
const OUTPUT_MARK = 'tessera_qs_';
const RESERVED = /^`?tessera_q/i;

export function substituteMysqlPlaceholders(sql: string): { text: string; uses: string[] } {
  const tokens = lexMysql(sql, 'input', true);
  const uses: string[] = [];
  let text = '';
  let copied = 0;
  for (const t of tokens) {
    const spelled = sql.slice(t.start, t.end);
    if ((t.kind === 'word' || t.kind === 'identifier') && RESERVED.test(spelled)) {
      throw queryRefused('Names starting with tessera_q are reserved for query parameters', {
        construct: 'query parameter',
      });
    }
    if (t.kind !== 'parameter') continue;
    text += `${sql.slice(copied, t.start)} ${INPUT_MARK}${uses.length} `;
    uses.push(spelled.slice(2, -2));
    copied = t.end;
  }
  return uses.length === 0 ? { text: sql, uses } : { text: text + sql.slice(copied), uses };
}

/**
 * The names of a query's placeholders, each once in order of first use, read exactly as
 * `substituteMysqlPlaceholders` reads them when the query runs (dashboards check tiles with it
 * when they are saved); QUERY_REFUSED for text the gate's lexer refuses.
 */
export function mysqlParameterNames(sql: string): string[] {
  return [...new Set(substituteMysqlPlaceholders(sql).uses)];
}

/** The index of the placeholder a column reference stands for, or null when it is a real column. */
export function placeholderIndex(ref: MyNode): number | null {
  const column =
    identifier(ref.column) ??
    (isObject(ref.column) && isObject(ref.column.expr) ? identifier(ref.column.expr) : null);
  if (column === null || !column.startsWith(INPUT_MARK)) return null;
  return Number(column.slice(INPUT_MARK.length));
}

/** The stand-in for output slot `j` in the rewritten tree. */
export function slotMarker(j: number): MyNode {
  return { type: 'column_ref', table: null, column: `${OUTPUT_MARK}${j}` };
}

/**
 * The printed text with every slot marker replaced by `?`; `order[i]` is the slot of the i-th
 * marker in the text. Only identifier and word tokens equal to a marker are replaced.
 */
export function placeSlots(printed: string, count: number): { sql: string; order: number[] } {
  if (count === 0) return { sql: printed, order: [] };
  const order: number[] = [];
  let sql = '';
  let copied = 0;
  for (const t of lexMysql(printed, 'output')) {
    if (t.kind !== 'identifier' && t.kind !== 'word') continue;
    const spelled = printed.slice(t.start, t.end);
    const name = t.kind === 'identifier' ? spelled.slice(1, -1) : spelled;
    if (!name.startsWith(OUTPUT_MARK)) continue;
    const j = Number(name.slice(OUTPUT_MARK.length));
    if (!Number.isInteger(j) || j < 0 || j >= count || `${OUTPUT_MARK}${j}` !== name) {
      throw queryRefused('The query cannot be rewritten faithfully');
    }
    order.push(j);
    sql += `${printed.slice(copied, t.start)}?`;
    copied = t.end;
  }
  if (order.length !== count || new Set(order).size !== count) {
    throw queryRefused('The query cannot be rewritten faithfully');
  }
  return { sql: sql + printed.slice(copied), order };
}
