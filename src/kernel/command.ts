import type { Config } from '../config.ts';
import type { HttpPipeline } from '../http/pipeline.ts';
import type { Services } from './services.ts';

/** What a command receives: its positional arguments and the flags given, already checked against its syntax. */
export interface ParsedArgs {
  /** For a command with subcommands, the subcommand's name comes first. */
  readonly positional: string[];
  readonly flags: Map<string, string | true>;
}

/** One `--name [VALUE]` a command or subcommand accepts. */
export interface CliOption {
  /** Without the leading dashes, e.g. `dry-run`. */
  readonly name: string;
  readonly type: 'string' | 'boolean';
  /** The value's placeholder in help, e.g. `ID`. */
  readonly value?: string;
  readonly description: string;
  readonly required?: boolean;
}

/** The arguments a command (or one of its subcommands) accepts; anything else is refused. */
export interface CliSyntax {
  readonly options?: readonly CliOption[];
  /** Positional arguments in order; a name ending in `?` is optional, e.g. `FILE.csv`, `KEY_ID`. */
  readonly arguments?: readonly string[];
}

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

/**
 * A running Tessera as a command sees it: every service built and started. The composition
 * root's `App` is one; commands depend on this, never on the composition root.
 */
export interface RunningApp {
  readonly config: Config;
  readonly services: Services;
  /** The one HTTP layer every request passes (in-process in tests, behind node:http in the server). */
  readonly http: HttpPipeline;
  close(): Promise<void>;
}

export interface CliEnv {
  readonly config: Config;
  readonly io: CliIO;
  /**
   * Opens the app on the configured database (migrated), for commands that need services.
   * Background loops (the outbox sender) run only when `background` is true (`serve`).
   */
  openApp(options?: { background?: boolean }): Promise<RunningApp>;
}

export const flag = (args: ParsedArgs, name: string): string | undefined => {
  const v = args.flags.get(name);
  return typeof v === 'string' ? v : undefined;
};

/** A command line that does not fit the command's syntax: one line to stderr, exit code 2. */
export class UsageError extends Error {}

/** Options several commands share, so they read and document the same everywhere. */
export const workspaceOption: CliOption = {
  name: 'workspace',
  type: 'string',
  value: 'ID',
  description: 'the workspace to act on (default: the default workspace)',
};
export const jsonOption: CliOption = {
  name: 'json',
  type: 'boolean',
  description: 'print machine-readable JSON on stdout',
};
