import type { Feature } from './app.ts';
import { createApp } from './app.ts';
import { parseArgs, UsageError } from './cli/args.ts';
import type { CliCommand, CliEnv, CliIO } from './cli/commands.ts';
import { initCommand, keysCommand, migrateCommand, serveCommand } from './cli/core-commands.ts';
import { ConfigError, loadConfig } from './config.ts';
import { DataDirInUseError } from './db/data-dir-lock.ts';
import { AppError } from './errors.ts';
import { coreFeatures } from './features.ts';
import { usersCommand } from './modules/users/import/command.ts';

/** The `tessera` command: one process, one command, the same environment as the server. */
export async function runCli(
  argv: readonly string[],
  io: CliIO,
  environment: Record<string, string | undefined> = process.env,
): Promise<number> {
  const features: readonly Feature[] = coreFeatures();
  const commands: CliCommand[] = [
    serveCommand,
    initCommand,
    migrateCommand,
    keysCommand,
    usersCommand,
    ...features.flatMap((f) => f.commands ?? []),
  ];
  const args = parseArgs(argv);
  const [name] = args.positional;
  const command = commands.find((c) => c.name === name);
  if (!command || args.flags.has('help')) {
    io.err(
      `Usage: tessera <command>\n\n${commands.map((c) => `  ${c.name.padEnd(10)} ${c.summary}`).join('\n')}`,
    );
    return command || args.flags.has('help') ? 0 : 2;
  }
  try {
    const config = loadConfig(environment);
    const env: CliEnv = {
      config,
      io,
      features,
      openApp: (options) => createApp(config, { features, background: options?.background ?? false }),
    };
    return await command.run({ positional: args.positional.slice(1), flags: args.flags }, env);
  } catch (err) {
    if (err instanceof UsageError) io.err(`Usage: ${err.message}`);
    else if (err instanceof ConfigError || err instanceof DataDirInUseError) io.err(err.message);
    else if (err instanceof AppError) io.err(`${err.code}: ${err.message}`);
    else throw err;
    return 2;
  }
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
