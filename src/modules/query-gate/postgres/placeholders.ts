import { scanSync } from 'libpg-query';
import { loadModule } from 'pgsql-parser';
import { queryRefused } from '../errors.ts';
import { malformedPlaceholder, PARAMETER_NAME } from '../parameters.ts';

/**
 * Finds the `{{name}}` placeholders of a query with PostgreSQL's own lexer (libpg-query's
 * scanner), so text inside string literals (`'…'`, `E'…'`, dollar quotes), quoted identifiers and
 * comments is never touched: those are single tokens. A placeholder is exactly the five tokens
 * `{` `{` name `}` `}` written without spaces and not glued to a neighbouring word; each becomes
 * the parameter `$k` (k = its position among the placeholders). Any other `{` or `}` outside
 * those tokens is refused, and so is a `$n` the user wrote (docs/query-gate.md "Query parameters").
 */
export function substitutePostgresPlaceholders(sql: string): { text: string; uses: string[] } {
  if (!sql.includes('{') && !sql.includes('}') && !sql.includes('$')) return { text: sql, uses: [] };
  let tokens: ReturnType<typeof scanSync>['tokens'];
  try {
    tokens = scanSync(sql).tokens;
  } catch {
    // Not lexable: the parse that follows reports it as invalid SQL.
    return { text: sql, uses: [] };
  }
  const uses: string[] = [];
  let text = '';
  let copied = 0;
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i]!;
    if (t.tokenName === 'PARAM') throw queryRefused('Queries cannot contain parameter placeholders');
    if (t.text !== '{' && t.text !== '}') continue;
    const [open2, name, close1, close2] = [tokens[i + 1], tokens[i + 2], tokens[i + 3], tokens[i + 4]];
    const whole =
      t.text === '{' &&
      open2?.text === '{' &&
      close1?.text === '}' &&
      close2?.text === '}' &&
      name !== undefined &&
      PARAMETER_NAME.test(name.text) &&
      open2.start === t.end &&
      name.start === open2.end &&
      close1.start === name.end &&
      close2.start === close1.end;
    if (!whole) throw malformedPlaceholder(`at character ${t.start + 1}`);
    const end = close2!.end;
    if (/[A-Za-z0-9_$]/.test(sql[t.start - 1] ?? '') || /[A-Za-z0-9_$]/.test(sql[end] ?? '')) {
      throw malformedPlaceholder(`{{${name!.text}}} touches a neighbouring word`);
    }
    uses.push(name!.text);
    text += `${sql.slice(copied, t.start)} $${uses.length} `;
    copied = end;
    i += 4;
  }
  return { text: text + sql.slice(copied), uses };
}

/**
 * The names of a query's placeholders, each once in order of first use, read exactly as
 * `substitutePostgresPlaceholders` reads them when the query runs (dashboards check tiles with
 * it when they are saved). Text the scanner cannot read (an unclosed quote or comment) is
 * refused: where its placeholders are is unknown, and the query could never run.
 */
export async function postgresParameterNames(sql: string): Promise<string[]> {
  await loadModule();
  try {
    scanSync(sql);
  } catch {
    throw queryRefused('The query does not parse: a quote, dollar quote or comment is not closed');
  }
  return [...new Set(substitutePostgresPlaceholders(sql).uses)];
}
