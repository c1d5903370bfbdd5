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
