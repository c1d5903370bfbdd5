import { randomBytes } from 'node:crypto';
import { queryRefused } from './errors.ts';
import { OPTIONS, type Parser, type Placeholder } from './mysql-policy.ts';
import { identifier, isObject, type MyNode } from './mysql-walk.ts';

/**
 * Prints the tree and orders the parameters as their `?` appear in the printed text. The order
 * comes from the parser, not from a guess about the printer: a probe print puts a unique column
 * name where each placeholder goes, and parsing the probe with locations gives their positions.
 */
export function printWithParams(
  parser: Parser,
  ast: MyNode,
  placeholders: readonly Placeholder[],
  checkTable: (entry: string) => void,
): { sql: string; params: unknown[] } {
  const token = `tessera_param_${randomBytes(8).toString('hex')}_`;
  placeholders.forEach((p, i) => {
    delete p.node.value;
    Object.assign(p.node, { type: 'column_ref', table: null, column: `${token}${i}` });
  });
  const probe = print(parser, ast);
  for (const p of placeholders) {
    for (const key of Object.keys(p.node)) delete p.node[key];
    Object.assign(p.node, { type: 'origin', value: '?' });
  }
  const sql = print(parser, ast);
  let parsed: { ast: unknown; tableList: string[] };
  try {
    parsed = parser.parse(probe, { ...OPTIONS, parseOptions: { includeLocations: true } }) as typeof parsed;
  } catch {
    throw queryRefused('The query cannot be rewritten faithfully');
  }
  const found: { index: number; offset: number }[] = [];
  let questionMarks = 0;
  const visit = (value: unknown): void => {
    if (Array.isArray(value)) {
      for (const item of value) visit(item);
      return;
    }
    if (!isObject(value)) return;
    const column = identifier(value.column);
    if (value.type === 'column_ref' && column?.startsWith(token)) {
      const loc =
        isObject(value.loc) && isObject(value.loc.start) ? Number(value.loc.start.offset) : Number.NaN;
      found.push({ index: Number(column.slice(token.length)), offset: loc });
    }
    if (value.type === 'origin' && value.value === '?') questionMarks++;
    for (const key of Object.keys(value)) if (key !== 'loc') visit(value[key]);
  };
  visit(parsed.ast);
  const indexes = new Set(found.map((f) => f.index));
  if (
    questionMarks !== 0 ||
    found.length !== placeholders.length ||
    indexes.size !== found.length ||
    found.some((f) => !Number.isFinite(f.offset))
  ) {
    throw queryRefused('The query cannot be rewritten faithfully');
  }
  for (const entry of parsed.tableList) checkTable(entry);
  found.sort((a, b) => a.offset - b.offset);
  return { sql, params: found.map((f) => placeholders[f.index]!.value) };
}

/** The printer recurses; a tree it cannot print is refused like any other unaccountable query. */
function print(parser: Parser, ast: MyNode): string {
  try {
    return parser.sqlify(ast as never, OPTIONS);
  } catch {
    throw queryRefused('The query cannot be rewritten faithfully');
  }
}
