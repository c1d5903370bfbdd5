import type { App, Feature } from '../app.ts';
import type { Config } from '../config.ts';
import type { CliSyntax, ParsedArgs } from './args.ts';

/** Output streams, so commands can be tested without touching the process's own. */
export interface CliIO {
  out(line: string): void;
  err(line: string): void;
  /** The raw error stream, for progress bars redrawn in place when it is a terminal. */
  readonly errStream?: { readonly isTTY?: boolean; write(chunk: string): unknown };
}

/** One subcommand (`keys create`, `outbox retry`, …): its own arguments and options. */
export interface CliSubcommand extends CliSyntax {
  readonly name: string;
  readonly summary: string;
}

/**
 * A `tessera` command. Its syntax (options and arguments, or subcommands with theirs) is
 * declared, so the command line is checked, and help is written, before `run` is called.
 */
export interface CliCommand extends CliSyntax {
  readonly name: string;
  readonly summary: string;
  readonly usage: string;
  readonly subcommands?: readonly CliSubcommand[];
  /** The subcommand a bare `tessera <name> [options]` means (`outbox` → `outbox list`). */
  readonly defaultSubcommand?: string;
  run(args: ParsedArgs, env: CliEnv): Promise<number>;
}

export interface CliEnv {
  readonly config: Config;
  readonly io: CliIO;
  readonly features: readonly Feature[];
  /**
   * Opens the app on the configured database (migrated), for commands that need services.
   * Background loops (the outbox sender) run only when `background` is true (`serve`).
   */
  openApp(options?: { background?: boolean }): Promise<App>;
}
