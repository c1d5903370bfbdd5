import { AppError, type Problem } from '../../../errors.ts';
import type { Logger } from '../../../logger.ts';
import type { AuditOrigin } from '../../audit/service.ts';
import type { UserService } from '../service.ts';
import type { CreateUsersInput } from '../upsert.ts';
import {
  type CsvRecord,
  CsvSyntaxError,
  type ImportRow,
  type ImportRowParser,
  type LineProblem,
} from './csv-format.ts';

export interface ImportSummary {
  rows: number;
  created: number;
  updated: number;
  unchanged: number;
  /** Rows not written: every row when the file had problems, else the rows of a failed batch and after it. */
  failed: number;
  dryRun: boolean;
}

export interface ImportResult {
  readonly summary: ImportSummary;
  readonly problems: readonly LineProblem[];
}

export interface ImportOptions {
  readonly dryRun: boolean;
  /** Rows per transaction. */
  readonly batchSize: number;
  readonly onProgress?: (done: number, total: number) => void;
  /** Where a failed batch's cause goes, with its stack (the problem names it in one line). */
  readonly log?: Logger;
}

const ORIGIN: AuditOrigin = { requestId: null, ip: null, actorKeyId: null, actorUserId: null };

/** A fresh pass over the file: its records in order (see `csvRecords`). */
export type RecordSource = () => AsyncIterable<CsvRecord>;

/** What to import, into which workspace, and how to read it. */
export interface ImportSource {
  readonly users: UserService;
  readonly workspaceId: string;
  /** Opens the file from its start (it is read twice: checked, then written). */
  readonly records: RecordSource;
  /** A fresh parser for each pass. */
  readonly parser: () => ImportRowParser;
}

/**
 * Imports a CSV file through the createUsers service in two streaming passes, so memory does not
 * grow with the file: first every row is read and checked by the file's rules and the createUsers
 * rules (a batch of rows at a time), and any problem stops the import before anything is written;
 * then the file is read again and written in batches, one transaction each. A batch that fails
 * (say the database goes away) is rolled back whole and the import stops there; batches before it
 * stay written. Every row is an idempotent upsert, so running the same file again completes an
 * interrupted import.
 */
export async function importUsers(source: ImportSource, options: ImportOptions): Promise<ImportResult> {
  const { users, workspaceId, records, parser } = source;
  const checked = await checkFile(source, parser(), options.batchSize);
  const summary: ImportSummary = {
    rows: checked.rows,
    created: 0,
    updated: 0,
    unchanged: 0,
    failed: 0,
    dryRun: options.dryRun,
  };
  if (checked.problems.length > 0) {
    summary.failed = Math.max(checked.rows, checked.badLines);
    return { summary, problems: checked.problems };
  }
  options.onProgress?.(0, checked.rows);
  let done = 0;
  let failure: LineProblem | null = null;
  /**
   * Writes one batch in its own transaction. `turn` tells whether the batch before it committed:
   * the batch commits only after that one has, and rolls back if it failed, so batches commit in
   * the file's order and nothing after a failed batch is written.
   */
  const write = async (batch: readonly ImportRow[], turn: Promise<boolean>): Promise<boolean> => {
    try {
      const results = await users.createUsersBatch(
        workspaceId,
        batch.map((r) => r.input),
        ORIGIN,
        {
          dryRun: options.dryRun,
          via: 'import',
          beforeCommit: async () => {
            if (!(await turn)) throw STOPPED;
          },
        },
      );
      for (const r of results.flat()) {
        if (r.outcome === 'CREATED') summary.created++;
        else if (r.outcome === 'UPDATED') summary.updated++;
        else summary.unchanged++;
      }
    } catch (err) {
      // Only the first failed batch in the file is reported; those after it just roll back.
      if (err === STOPPED || !(await turn)) return false;
      summary.failed = checked.rows - done;
      const first = batch[0]!.line;
      // The cause is named, not hidden: the one who runs the import owns the database it failed on.
      const reason =
        err instanceof AppError
          ? `${err.code}: ${err.message}`
          : `the database write failed: ${causeOf(err)}`;
      options.log?.error(
        { err, lines: `${first}–${batch.at(-1)!.line}` },
        'users import: a batch was rolled back',
      );
      failure = {
        line: first,
        message: `the batch of lines ${first}–${batch.at(-1)!.line} was rolled back (${reason}); lines from ${first} on were not imported`,
      };
      return false;
    }
    done += batch.length;
    options.onProgress?.(done, checked.rows);
    return true;
  };
  // Up to IN_FLIGHT batches are written at once, on as many connections, while the next is read:
  // the database works on one batch while another's rows travel and the file is parsed.
  let turn: Promise<boolean> = Promise.resolve(true);
  const inFlight: Promise<boolean>[] = [];
  /** Starts writing `batch`; false once a batch has failed (nothing more is started). */
  const submit = async (batch: readonly ImportRow[]): Promise<boolean> => {
    if (inFlight.length >= IN_FLIGHT && !(await inFlight.shift()!)) return false;
    if (failure) return false;
    turn = write(batch, turn);
    inFlight.push(turn);
    return true;
  };
  const finished = async (): Promise<ImportResult | null> => {
    await Promise.all(inFlight);
    inFlight.length = 0;
    return failure ? { summary, problems: [failure] } : null;
  };
  // The second pass reads what the first one checked; a file changed in between is caught here.
  const reader = parser();
  let batch: ImportRow[] = [];
  let lastLine = 1;
  let seenHeader = false;
  const changed = async (line: number): Promise<ImportResult> => {
    const stopped = await finished();
    if (stopped) return stopped;
    summary.failed = checked.rows - done;
    return {
      summary,
      problems: [
        { line, message: `the file changed while it was imported; lines from ${line} on were not imported` },
      ],
    };
  };
  try {
    for await (const { record, line } of records()) {
      if (!seenHeader) {
        seenHeader = true;
        if (reader.header(record).length > 0) return changed(line);
        continue;
      }
      const { row, problems } = reader.row(record, line);
      if (!row || problems.length > 0) return changed(line);
      batch.push(row);
      lastLine = line;
      if (batch.length >= options.batchSize) {
        if (!(await submit(batch))) return (await finished())!;
        batch = [];
      }
    }
  } catch (err) {
    if (err instanceof CsvSyntaxError) return changed(err.line);
    await finished();
    throw err;
  }
  if (batch.length > 0 && !(await submit(batch))) return (await finished())!;
  const stopped = await finished();
  if (stopped) return stopped;
  if (done !== checked.rows) return changed(lastLine);
  return { summary, problems: [] };
}

/** Batches written at once (each on its own connection; on PGlite they simply queue). */
const IN_FLIGHT = 2;
/** Thrown inside a batch's transaction to roll it back: the batch before it failed. */
const STOPPED = Symbol('stopped');

/** The first pass: counts the rows and finds every problem, holding one batch of rows at a time. */
async function checkFile(
  { users, workspaceId, records }: ImportSource,
  parser: ImportRowParser,
  batchSize: number,
): Promise<{ rows: number; problems: LineProblem[]; badLines: number }> {
  const problems: LineProblem[] = [];
  const badLines = new Set<number>();
  const report = (found: readonly LineProblem[]) => {
    for (const p of found) {
      problems.push(p);
      badLines.add(p.line);
    }
  };
  let rows = 0;
  let chunk: ImportRow[] = [];
  const checkChunk = async () => {
    const checked = await users.checkCreateUsersInputs(
      workspaceId,
      chunk.map((r) => r.input),
    );
    for (const { index, problems: found } of checked)
      report(found.map((p) => toLineProblem(chunk[index]!, p)));
    chunk = [];
  };
  let seenHeader = false;
  try {
    for await (const { record, line } of records()) {
      if (!seenHeader) {
        seenHeader = true;
        const headerProblems = parser.header(record);
        if (headerProblems.length > 0) return { rows: 0, problems: headerProblems, badLines: 1 };
        continue;
      }
      const { row, problems: found } = parser.row(record, line);
      report(found);
      if (!row) continue;
      rows++;
      chunk.push(row);
      if (chunk.length >= batchSize) await checkChunk();
    }
  } catch (err) {
    // As before streaming: a file that is not CSV is reported by that one problem, with no rows.
    if (err instanceof CsvSyntaxError)
      return { rows: 0, problems: [{ line: err.line, message: err.message }], badLines: 1 };
    throw err;
  }
  if (!seenHeader) return { rows: 0, problems: [{ line: 1, message: 'the file is empty' }], badLines: 1 };
  if (chunk.length > 0) await checkChunk();
  if (rows === 0 && problems.length === 0)
    return { rows: 0, problems: [{ line: 2, message: 'the file has no rows' }], badLines: 1 };
  problems.sort((a, b) => a.line - b.line);
  return { rows, problems, badLines: badLines.size };
}

/** Names the CSV column a createUsers problem is about (`emails[0]` → email, `roleAssignments[1]` → roles, …). */
function toLineProblem(row: ImportRow, problem: Problem): LineProblem {
  const item = problem.item === undefined ? '' : ` (${problem.item})`;
  const field = problem.field;
  if (field.startsWith('emails'))
    return { line: row.line, column: 'email', message: `${problem.message}${item}` };
  if (field.startsWith('roleAssignments'))
    return { line: row.line, column: 'roles', message: `${problem.message}${item}` };
  if (field.startsWith('userGroupIds'))
    return { line: row.line, column: 'groups', message: `${problem.message}${item}` };
  if (field.startsWith('userAttributes')) {
    const index = /^userAttributes\[(\d+)\]/.exec(field)?.[1];
    const key = index === undefined ? undefined : attributeKey(row.input, Number(index));
    return { line: row.line, column: key ?? 'attributes', message: `${problem.message}${item}` };
  }
  return { line: row.line, message: `${field}: ${problem.message}${item}` };
}

const attributeKey = (input: CreateUsersInput, index: number) => input.userAttributes?.[index]?.key;

/** The first line of an unexpected error's message, short enough for one problem line. */
function causeOf(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  const line = message.split('\n')[0]!.trim();
  return line.length > 200 ? `${line.slice(0, 200)}…` : line || 'unknown error';
}
