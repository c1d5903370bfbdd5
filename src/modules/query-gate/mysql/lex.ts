import { queryRefused } from '../errors.ts';
import { malformedPlaceholder } from '../parameters.ts';

/**
 * MySQL/MariaDB's lexical rules, as the server applies them under the sql_mode Tessera pins on
 * every warehouse session (`WAREHOUSE_SQL_MODE`). The gate tokenizes both the user's SQL (before
 * parsing) and the printed SQL (before it runs) with these rules, and refuses every spelling on
 * which node-sql-parser and the server could split the text differently: docs/query-gate.md,
 * "MySQL and MariaDB: lexical rules".
 */

/**
 * The sql_mode of every warehouse session. Without ANSI_QUOTES `"…"` is a string, without
 * NO_BACKSLASH_ESCAPES `\` escapes in strings, without PIPES_AS_CONCAT `||` is OR, without
 * IGNORE_SPACE/HIGH_NOT_PRECEDENCE/ORACLE/ANSI nothing else changes how text splits: the lexer
 * below follows exactly this mode.
 */
export const WAREHOUSE_SQL_MODE = 'STRICT_TRANS_TABLES,ERROR_FOR_DIVISION_BY_ZERO,NO_ENGINE_SUBSTITUTION';

export type MyTokenKind =
  | 'word'
  | 'identifier'
  | 'string'
  | 'number'
  | 'placeholder'
  | 'operator'
  | 'parameter';

export interface MyToken {
  readonly kind: MyTokenKind;
  readonly start: number;
  readonly end: number;
}

// Longest first, so `<=>` is not read as `<=` `>`.
// biome-ignore format: a compact word list reads better than one name a line
const OPERATORS = [
  '<=>', '->>', '<<', '>>', '<=', '>=', '<>', '!=', '||', '&&', '->',
  '=', '<', '>', '+', '-', '*', '/', '%', '(', ')', ',', '.', '&', '|', '^', '~', '!', ';',
];

/** Character sets: `_latin1'…'` (even with a space before the quote) is an introducer, not a name. */
// biome-ignore format: a compact word list reads better than one name a line
const CHARSETS = new Set([
  'armscii8', 'ascii', 'big5', 'binary', 'cp1250', 'cp1251', 'cp1256', 'cp1257', 'cp850', 'cp852', 'cp866',
  'cp932', 'dec8', 'eucjpms', 'euckr', 'filename', 'gb18030', 'gb2312', 'gbk', 'geostd8', 'greek', 'hebrew',
  'hp8', 'keybcs2', 'koi8r', 'koi8u', 'latin1', 'latin2', 'latin5', 'latin7', 'macce', 'macroman', 'sjis',
  'swe7', 'tis620', 'ucs2', 'ujis', 'utf16', 'utf16le', 'utf32', 'utf8', 'utf8mb3', 'utf8mb4',
]);

const WORD = /[A-Za-z0-9_$]/;
/** `{{name}}`, exactly: no spaces inside, a plain name. */
const PARAMETER = /\{\{[A-Za-z_][A-Za-z0-9_]{0,62}\}\}/y;
const NUMBER = /0x[0-9a-fA-F]+|0b[01]+|\d+(?:\.\d*)?(?:[eE][+-]?\d+)?|\.\d+(?:[eE][+-]?\d+)?/y;

function refuse(what: string) {
  return queryRefused(`The query's text is ambiguous for MySQL/MariaDB (${what})`, { construct: what });
}

/**
 * Tokenizes `sql`. `input` is the user's text: comments `/* … *\/` and `-- ` are skipped and `?`
 * is refused. `output` is the gate's printed text: it may hold `?` and never a comment. With
 * `parameters` (a user's query), `{{name}}` is one `parameter` token (docs/query-gate.md "Query parameters").
 */
export function lexMysql(sql: string, mode: 'input' | 'output', parameters = false): MyToken[] {
  const tokens: MyToken[] = [];
  let i = 0;
  const push = (kind: MyTokenKind, end: number) => {
    // `'a' 'b'` is one string, 'ab', to the server; node-sql-parser reads `'a' AS b`. Refused
    // whatever the second literal's spelling (`x'62'`, `N'b'`) and whatever stands between.
    if (kind === 'string' && tokens.at(-1)?.kind === 'string')
      throw refuse('adjacent string literals; join them with CONCAT()');
    tokens.push({ kind, start: i, end });
    i = end;
  };
  while (i < sql.length) {
    const c = sql[i]!;
    const next = sql[i + 1] ?? '';
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r') {
      i++;
    } else if (c === '/' && next === '*') {
      if (mode === 'output') throw refuse('a comment in the printed query');
      i = blockComment(sql, i);
    } else if (c === '-' && next === '-') {
      if (mode === 'output') throw refuse('a comment in the printed query');
      i = lineComment(sql, i);
    } else if (c === '#') {
      throw refuse('`#` comments; use `-- ` or `/* */`');
    } else if (c === "'") {
      push('string', quoted(sql, i, "'"));
    } else if (c === '"') {
      // The pinned sql_mode reads a string, ANSI_QUOTES an identifier: one spelling only.
      throw queryRefused('Use single quotes for strings and backticks for identifiers', {
        construct: 'double quotes',
      });
    } else if (c === '`') {
      push('identifier', quoted(sql, i, '`'));
    } else if ((c === '{' || c === '}') && parameters && mode === 'input') {
      PARAMETER.lastIndex = i;
      const match = PARAMETER.exec(sql);
      if (match === null) throw malformedPlaceholder(`at character ${i + 1}`);
      const end = i + match[0].length;
      if (WORD.test(sql[i - 1] ?? '') || WORD.test(sql[end] ?? '')) {
        throw malformedPlaceholder(`${match[0]} touches a neighbouring word`);
      }
      push('parameter', end);
    } else if (c === '?') {
      if (mode === 'input') throw queryRefused('Parameter placeholders are not allowed in queries');
      push('placeholder', i + 1);
    } else if (isDigit(c) || (c === '.' && isDigit(next) && !afterName(tokens, i))) {
      NUMBER.lastIndex = i;
      const end = i + (NUMBER.exec(sql)?.[0].length ?? 1);
      // `1abc`, `1e5x`, `0x4g`: MySQL reads an identifier where the parser may read a number.
      if (end < sql.length && (WORD.test(sql[end]!) || sql.charCodeAt(end) > 0x7f))
        throw refuse('a name that starts with a digit; quote it in backticks');
      checkNumber(sql.slice(i, end));
      push('number', end);
    } else if (WORD.test(c)) {
      let end = i;
      while (end < sql.length && WORD.test(sql[end]!)) end++;
      const word = sql.slice(i, end);
      if (word.includes('$')) throw refuse('`$` in a name; quote it in backticks');
      if (word.startsWith('_') && CHARSETS.has(word.slice(1).toLowerCase()))
        throw refuse('character set introducers');
      if (sql[end] === "'" && !/^[xXbBnN]$/.test(word)) throw refuse('a prefix before a string');
      if (/^[xXbBnN]$/.test(word) && sql[end] === "'") {
        push('string', quoted(sql, end, "'"));
      } else {
        push('word', end);
      }
    } else {
      const op = OPERATORS.find((o) => sql.startsWith(o, i));
      if (op === undefined) {
        const shown = sql.charCodeAt(i) > 0x7f ? 'non-ASCII characters outside quotes' : `\`${c}\``;
        throw refuse(shown === '`@`' ? 'variables' : shown);
      }
      if (op === ';' && (mode === 'output' || sql.slice(i + 1).trim() !== '')) throw refuse('`;`');
      push('operator', i + op.length);
    }
  }
  return tokens;
}

/** Control characters other than tab, line feed and carriage return. */
function hasControlCharacter(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if ((code < 0x20 && code !== 0x09 && code !== 0x0a && code !== 0x0d) || code === 0x7f) return true;
  }
  return false;
}

/**
 * Number spellings node-sql-parser reads or prints otherwise than the server: `2e1` becomes a
 * column name, `1.` the integer `1`, and a decimal with more digits than a double holds is
 * printed rounded (`1.0000000000000001` as `1.0000000000000000`).
 */
function checkNumber(text: string): void {
  if (/^0[xb]/.test(text)) return;
  if (/[eE]/.test(text)) throw refuse('a number with an exponent; write it out');
  if (text.endsWith('.')) throw refuse('a number ending in a dot');
  const digits = text.replace('.', '').replace(/^0+/, '');
  if (text.includes('.') && digits.length > 15) throw refuse('a decimal with more than 15 digits');
}

function isDigit(c: string): boolean {
  return c >= '0' && c <= '9';
}

/** `t.5x`: after a name and a dot the server reads a name, not a number. */
function afterName(tokens: readonly MyToken[], dot: number): boolean {
  const last = tokens.at(-1);
  return last !== undefined && last.end === dot && (last.kind === 'word' || last.kind === 'identifier');
}

/**
 * The end of a `'…'` or `` `…` `` token: a doubled quote stays inside. A backslash in a string is
 * refused: the pinned sql_mode reads it as an escape, but a server or session with
 * NO_BACKSLASH_ESCAPES would not, and the gate does not make a literal's end depend on a setting
 * it cannot see from here (write `LIKE 'a!_%' ESCAPE '!'`, or pass values as attributes).
 */
function quoted(sql: string, start: number, quote: string): number {
  for (let i = start + 1; i < sql.length; i++) {
    const c = sql[i];
    if (c === '\\' && quote === "'") {
      throw queryRefused(
        'Backslashes in string literals are not supported (their meaning depends on sql_mode)',
      );
    }
    if (c === quote) {
      if (sql[i + 1] === quote) {
        i++;
        continue;
      }
      // NUL and other control characters: the driver, the parser and the server disagree on them.
      if (hasControlCharacter(sql.slice(start + 1, i))) throw refuse('control characters');
      return i + 1;
    }
  }
  throw refuse(quote === "'" ? 'an unterminated string' : 'an unterminated identifier');
}

/** `/* … *\/`: executable (`/*!`, `/*M!`) and optimizer-hint (`/*+`) comments run on the server. */
function blockComment(sql: string, start: number): number {
  const body = sql.slice(start + 2, start + 4);
  if (body.startsWith('!') || body.startsWith('+') || body === 'M!' || body === 'm!') {
    throw refuse('executable and optimizer-hint comments');
  }
  const end = sql.indexOf('*/', start + 2);
  if (end === -1) throw refuse('an unterminated comment');
  // The server does not nest comments; refuse what a nesting reader would split differently.
  if (sql.slice(start + 2, end).includes('/*')) throw refuse('nested comments');
  return end + 2;
}

/** `-- ` needs a space, tab or line end after the dashes; `1--1` is `1 - -1` for the server. */
function lineComment(sql: string, start: number): number {
  const after = sql[start + 2];
  if (after !== undefined && after !== ' ' && after !== '\t' && after !== '\n' && after !== '\r') {
    throw refuse('`--` not followed by a space (write `- -` for two minus signs)');
  }
  const end = sql.indexOf('\n', start);
  const stop = end === -1 ? sql.length : end;
  // The server ends the comment at a line feed only; a lone carriage return would end it early
  // for a reader that treats `\r` as a line end.
  if (/\r(?!\n)/.test(sql.slice(start, stop + 1))) throw refuse('a carriage return inside a `--` comment');
  return stop;
}
