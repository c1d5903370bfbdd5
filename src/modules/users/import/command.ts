import { constants } from 'node:fs';
import { access, stat } from 'node:fs/promises';
import { setFlagsFromString } from 'node:v8';
import { type CliCommand, flag, jsonOption, UsageError, workspaceOption } from '../../../kernel/command.ts';
import { progressReporter } from '../../../kernel/progress.ts';
import { csvRecords, ImportRowParser } from './csv-format.ts';
import { importUsers } from './importer.ts';

const USAGE =
  'tessera users import FILE.csv [--workspace ID] [--dry-run] [--send-welcome-email] [--batch-size N] [--json]';
const MAX_PROBLEMS_SHOWN = 100;
/** See where it is set: how much the old generation may grow past what a full collection kept. */
const HEAP_GROWING_PERCENT = 60;
/**
 * Rows a transaction by default. Each transaction costs the same fixed work (its statements'
 * planning and statement-level triggers, the commit's flush) however many rows it holds: 200,000
 * rows went in 20% faster in batches of 2,000 than of 1,000 on PostgreSQL, with the same peak RSS;
 * 5,000 was faster still but held 25% more memory (bench/users-import.bench.ts).
 */
const DEFAULT_BATCH_ROWS = 2_000;
/** A batch's rows stay in memory until it commits (two are written at once). */
const MAX_BATCH_ROWS = 10_000;

/** `tessera users import`: bulk provisioning from a CSV file through the createUsers service. */
export const usersCommand: CliCommand = {
  name: 'users',
  summary: 'Bulk-import users from a CSV file (users import FILE.csv).',
  usage: USAGE,
  subcommands: [
    {
      name: 'import',
      summary: 'Create or update every row of a CSV file through the createUsers rules.',
      arguments: ['FILE.csv'],
      options: [
        workspaceOption,
        {
          name: 'dry-run',
          type: 'boolean',
          description: 'check and run every batch, then roll it back: nothing is written',
        },
        {
          name: 'send-welcome-email',
          type: 'boolean',
          description: 'queue a welcome email for created users',
        },
        { name: 'batch-size', type: 'string', value: 'N', description: 'rows per transaction' },
        jsonOption,
      ],
    },
  ],
  async run(args, env) {
    const [sub, file] = args.positional;
    if (sub !== 'import' || !file) throw new UsageError(USAGE);
    const batchFlag = flag(args, 'batch-size');
    const batchSize = batchFlag === undefined ? DEFAULT_BATCH_ROWS : Number(batchFlag);
    if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > MAX_BATCH_ROWS)
      throw new UsageError(
        `--batch-size must be an integer from 1 to ${MAX_BATCH_ROWS.toLocaleString('en-US')}`,
      );
    try {
      // Only checked here: the importer streams the file, twice, so a large file costs no memory.
      await access(file, constants.R_OK);
      if (!(await stat(file)).isFile()) throw new Error('not a regular file');
    } catch (err) {
      env.io.err(`Cannot read ${file}: ${(err as Error).message}`);
      return 2;
    }
    // Each batch's rows outlive the young generation's scavenges while their transaction runs, so
    // they are promoted and the old generation grows by V8's default factor (up to 4× of what
    // is live) before a full collection: a million-row import peaked near 300 MB for 40 MB live.
    // Growing it by 60% instead keeps the whole command well under 256 MB; less (30%) cost twice
    // the collection time for 20 MB less.
    // The flag is read at every full collection, so it applies from here on; the process runs
    // only this command.
    setFlagsFromString(`--heap-growing-percent=${HEAP_GROWING_PERCENT}`);
    const dryRun = args.flags.has('dry-run');
    const json = args.flags.has('json');

    const app = await env.openApp();
    try {
      const workspaceId = flag(args, 'workspace') ?? (await app.services.workspaces.ensureDefault()).id;
      if (!(await app.services.workspaces.find(workspaceId)))
        throw new UsageError(`Workspace not found: ${workspaceId}`);
      const groups = await app.services.groups.list(workspaceId);
      const lookup = new Map(groups.map((g) => [g.name.toLowerCase(), g.id]));
      const sendWelcomeEmail = args.flags.has('send-welcome-email');
      const result = await importUsers(
        {
          users: app.services.users,
          workspaceId,
          records: () => csvRecords(file),
          parser: () => new ImportRowParser(lookup, { sendWelcomeEmail }),
        },
        {
          dryRun,
          batchSize,
          onProgress: json ? undefined : progressReporter(env.io, dryRun ? 'Checking' : 'Importing'),
          log: app.services.log,
        },
      );
      const s = result.summary;
      if (!dryRun && s.created + s.updated > 0) {
        // Servers already running replan their prepared statements for the tables' new size now,
        // not when autovacuum gets to them. A failure here is not the import's: it was written.
        await app.services.users
          .refreshPlannerStatistics()
          .catch((err) => app.services.log.warn({ err }, 'users import: ANALYZE after the import failed'));
      }
      const problems = [...result.problems].sort((a, b) => a.line - b.line);
      for (const p of problems.slice(0, MAX_PROBLEMS_SHOWN))
        env.io.err(`${file}:${p.line}: ${p.column ? `${p.column}: ` : ''}${p.message}`);
      if (problems.length > MAX_PROBLEMS_SHOWN)
        env.io.err(`… and ${problems.length - MAX_PROBLEMS_SHOWN} more problems`);
      if (json) env.io.out(JSON.stringify({ ...s, problems }));
      else {
        const written = s.created + s.updated + s.unchanged > 0;
        const verb = dryRun
          ? 'Dry run (nothing written)'
          : written || problems.length === 0
            ? 'Imported'
            : 'Not imported';
        env.io.out(
          `${verb}: ${s.rows} rows: ${s.created} created, ${s.updated} updated, ${s.unchanged} unchanged, ${s.failed} failed.`,
        );
        if (problems.length > 0 && (dryRun || !written))
          env.io.err('Nothing was written: fix the lines above and run the import again.');
        else if (problems.length > 0)
          env.io.err(
            'Rows before the failed batch were written; running the same file again completes the import.',
          );
      }
      return problems.length > 0 ? 1 : 0;
    } finally {
      await app.close();
    }
  },
};
