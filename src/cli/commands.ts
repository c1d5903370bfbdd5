// The command contract lives in the kernel, so modules declare commands without importing the CLI.
export type { CliCommand, CliEnv, CliIO, CliSubcommand, RunningApp } from '../kernel/command.ts';
