import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import vm from 'node:vm';
import { queryRefused } from '../errors.ts';

/**
 * node-sql-parser with a time budget. Its MySQL grammar backtracks without memoizing, so some
 * short texts take exponential time: each nested `CAST(` roughly doubles the work (twelve take
 * seconds, twenty would take hours), and the parse is synchronous, so one such query would stall
 * every request of the process. The grammar is therefore loaded once into its own V8 context and
 * every parse runs there under a deadline that grows with the text's length (ample for the
 * longest query the API accepts); a parse that overruns it is refused. docs/query-gate.md,
 * "MySQL and MariaDB: parse budget".
 */

/** Milliseconds every parse may take, plus this much per character of text. */
export const PARSE_BUDGET = { baseMs: 250, perCharMs: 0.05 } as const;

export type ParseOutcome = { readonly ast: unknown } | { readonly error: string };

let sandbox: { context: vm.Context; run: vm.Script } | null = null;

function load(): { context: vm.Context; run: vm.Script } {
  if (sandbox === null) {
    const require = createRequire(import.meta.url);
    const file = require.resolve('node-sql-parser/build/mysql.js');
    // The bundle's one dependency (number literals), pure code shared with this context.
    const bigInteger = require('big-integer') as unknown;
    const context = vm.createContext({
      exports: {},
      require: (name: string) => {
        if (name !== 'big-integer') throw new Error(`unexpected module ${name}`);
        return bigInteger;
      },
    });
    new vm.Script(readFileSync(file, 'utf8'), { filename: file }).runInContext(context);
    new vm.Script(
      `var tesseraParser = new exports.Parser();
       function tesseraParse(text, options) {
         try { return { ast: tesseraParser.parse(text, options).ast }; }
         catch (error) { return { error: String(error && error.message !== undefined ? error.message : error) }; }
       }`,
    ).runInContext(context);
    sandbox = { context, run: new vm.Script('tesseraParse(tesseraInput.text, tesseraInput.options)') };
  }
  return sandbox;
}

/**
 * Parses `text` (the parser's own error message comes back as `error`); throws QUERY_REFUSED
 * when the parse does not finish within its budget. The tree's objects belong to the parser's
 * context: plain objects and arrays, read like any other.
 */
export function parseMysqlBounded(text: string, options: object): ParseOutcome {
  const { context, run } = load();
  const budgetMs = Math.ceil(PARSE_BUDGET.baseMs + PARSE_BUDGET.perCharMs * text.length);
  context.tesseraInput = { text, options };
  try {
    // The deadline is wall-clock time, but what it bounds is the parser's work: on a loaded
    // machine a short parse can miss it while the thread waits for a core. A parse refused only
    // when it has itself spent the budget on the CPU, so a starved parse starts again with a
    // longer deadline (at most STARVED_RETRIES times) and an exponential one never gets through.
    for (let attempt = 0; ; attempt++) {
      const cpuBefore = threadCpuMs();
      try {
        return run.runInContext(context, { timeout: budgetMs * 2 ** attempt }) as ParseOutcome;
      } catch (error) {
        if ((error as { code?: unknown }).code !== 'ERR_SCRIPT_EXECUTION_TIMEOUT') throw error;
        const starved = threadCpuMs() - cpuBefore < budgetMs * 2 ** attempt * STARVED_SHARE;
        if (!starved || attempt === STARVED_RETRIES) {
          throw queryRefused('The query is too complex to parse in time; simplify its nesting', {
            construct: 'parse budget',
          });
        }
      }
    }
  } finally {
    context.tesseraInput = undefined;
  }
}

/** A timed-out parse that used less than this share of its deadline on the CPU was starved, not slow. */
const STARVED_SHARE = 0.5;
const STARVED_RETRIES = 2;

function threadCpuMs(): number {
  const { user, system } = process.threadCpuUsage();
  return (user + system) / 1000;
}
