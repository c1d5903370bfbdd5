import { AppError, type Problem } from '../../../errors.ts';
import type { AuditOrigin } from '../../audit/service.ts';
import type { UserService } from '../service.ts';
import type { CreateUsersInput } from '../upsert.ts';
import type { ImportRow, LineProblem } from './csv-format.ts';

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
  /** Rows per transaction (at most the createUsers limit). */
  readonly batchSize: number;
  readonly onProgress?: (done: number, total: number) => void;
}

const ORIGIN: AuditOrigin = { requestId: null, ip: null, actorKeyId: null, actorUserId: null };

/**
 * Imports rows through the createUsers service in two passes: first every row is checked by
 * the createUsers rules, and any problem stops the import before anything is written; then the
 * rows are written in batches, one transaction each. A batch that fails (say the database goes
 * away) is rolled back whole and the import stops there; batches before it stay written. Every
 * row is an idempotent upsert, so running the same file again completes an interrupted import.
 */
export async function importUsers(
  users: UserService,
  workspaceId: string,
  rows: readonly ImportRow[],
  options: ImportOptions,
  /** Problems the file's parser already found; they stop the import like any other. */
  fileProblems: readonly LineProblem[] = [],
): Promise<ImportResult> {
  const summary: ImportSummary = {
    rows: rows.length,
    created: 0,
    updated: 0,
    unchanged: 0,
    failed: 0,
    dryRun: options.dryRun,
  };
  const checked = await users.checkCreateUsersInputs(
    workspaceId,
    rows.map((r) => r.input),
  );
  if (checked.length > 0 || fileProblems.length > 0) {
    const badLines = new Set([
      ...fileProblems.map((p) => p.line),
      ...checked.map((c) => rows[c.index]!.line),
    ]);
    summary.failed = Math.max(rows.length, badLines.size);
    return {
      summary,
      problems: [
        ...fileProblems,
        ...checked.flatMap(({ index, problems }) => problems.map((p) => toLineProblem(rows[index]!, p))),
      ],
    };
  }
  options.onProgress?.(0, rows.length);
  for (let start = 0; start < rows.length; start += options.batchSize) {
    const batch = rows.slice(start, start + options.batchSize);
    try {
      const results = await users.createUsersBatch(
        workspaceId,
        batch.map((r) => r.input),
        ORIGIN,
        { dryRun: options.dryRun, via: 'import' },
      );
      for (const r of results.flat()) {
        if (r.outcome === 'CREATED') summary.created++;
        else if (r.outcome === 'UPDATED') summary.updated++;
        else summary.unchanged++;
      }
    } catch (err) {
      summary.failed = rows.length - start;
      const reason = err instanceof AppError ? `${err.code}: ${err.message}` : 'the database write failed';
      const last = batch.at(-1)!.line;
      return {
        summary,
        problems: [
          {
            line: batch[0]!.line,
            message: `the batch of lines ${batch[0]!.line}–${last} was rolled back (${reason}); lines from ${batch[0]!.line} on were not imported`,
          },
        ],
      };
    }
    options.onProgress?.(start + batch.length, rows.length);
  }
  return { summary, problems: [] };
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
