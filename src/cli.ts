import { createApp } from './app.ts';
import { initCommand, keysCommand, migrateCommand, serveCommand } from './cli/core-commands.ts';
import { databaseExitCode, EXIT } from './cli/exit-codes.ts';
import { readCommandLine } from './cli/parse.ts';
import { type Config, ConfigError, loadConfig } from './config.ts';
import { connectionProblemOf, DatabaseConnectionError } from './db/connection-errors.ts';
import { DataDirInUseError } from './db/data-dir-lock.ts';
import { probePostgres } from './db/probe.ts';
import { AppError } from './errors.ts';
import { type CliCommand, type CliEnv, type CliIO, UsageError } from './kernel/command.ts';
import type { AnyModule } from './kernel/module.ts';
import { modules as moduleRegistry } from './modules/index.ts';
import { ListenError } from './server.ts';

/** The `tessera` command: one process, one command, the same environment as the server. */
export async function runCli(
  argv: readonly string[],
  io: CliIO,
  environment: Record<string, string | undefined> = process.env,
  modules: readonly AnyModule[] = moduleRegistry,
): Promise<number> {
  const commands = tesseraCommands(modules);
  let config: Config | undefined;
  try {
    // The command line is checked before the environment is read or the database opened, so a
    // mistyped flag never runs anything.
    const line = readCommandLine(argv, commands);
    if (line.kind === 'help') {
      io.out(line.text);
      return EXIT.OK;
    }
    const loaded = loadConfig(environment);
    config = loaded;
    const env: CliEnv = {
      config: loaded,
      io,
      openApp: async (options) => {
        if (loaded.database.kind === 'postgres') await probePostgres(loaded.database.url);
        return createApp(loaded, { modules, background: options?.background ?? false });
      },
    };
    return await line.command.run(line.args, env);
  } catch (err) {
    return reportFailure(err, io, config);
  }
}

/** Every `tessera` command: the process's own and those the modules bring. */
export function tesseraCommands(modules: readonly AnyModule[] = moduleRegistry): CliCommand[] {
  return [
    serveCommand,
    initCommand,
    migrateCommand,
    keysCommand,
    ...modules.flatMap((m) => m.commands ?? []),
  ];
}

/** Every failure is one line (or a usage block) on stderr and a documented exit code; no stack traces. */
function reportFailure(err: unknown, io: CliIO, config: Config | undefined): number {
  if (err instanceof UsageError) {
    io.err(/^(Usage|tessera )/.test(err.message) ? err.message : `tessera: ${err.message}`);
    return EXIT.USAGE;
  }
  if (err instanceof ConfigError || err instanceof DataDirInUseError || err instanceof ListenError) {
    io.err(err.message);
    return EXIT.USAGE;
  }
  if (err instanceof AppError) {
    io.err(`${err.code}: ${err.message}`);
    return EXIT.USAGE;
  }
  const database = databaseProblem(err, config);
  if (database) {
    io.err(`tessera: ${database.message}`);
    return databaseExitCode[database.problem];
  }
  const message = err instanceof Error ? err.message : String(err);
  io.err(`tessera: unexpected error: ${message.split('\n')[0]} (set LOG_LEVEL=debug for details)`);
  if (config?.logLevel === 'debug' || config?.logLevel === 'trace')
    io.err(err instanceof Error ? (err.stack ?? message) : message);
  return EXIT.INTERNAL;
}

/** A connection failure met after the probe (e.g. the server went away mid-command) reads the same. */
function databaseProblem(err: unknown, config: Config | undefined): DatabaseConnectionError | null {
  if (err instanceof DatabaseConnectionError) return err;
  if (config?.database.kind !== 'postgres') return null;
  return connectionProblemOf(err, new URL(config.database.url));
}

/** Runs the command line of this process. */
export async function main(): Promise<void> {
  const io: CliIO = {
    out: (l) => process.stdout.write(`${l}\n`),
    err: (l) => process.stderr.write(`${l}\n`),
    errStream: process.stderr,
  };
  stopWhenParentDies();
  process.exitCode = await runCli(process.argv.slice(2), io);
}

/**
 * Started by `bin/tessera.js` under an older Node, this process has an IPC channel to that shim.
 * The channel closes when the shim dies, however it died (even SIGKILL, which it cannot forward):
 * then shut down as on SIGTERM rather than serve on as an orphan.
 */
function stopWhenParentDies(): void {
  if (!process.channel) return;
  process.channel.unref(); // the channel alone must not keep a finished command running
  process.once('disconnect', () => process.kill(process.pid, 'SIGTERM'));
}

if (import.meta.main) await main();
