// The command contract lives in the kernel, so modules declare commands without importing the CLI.
export {
  type CliOption,
  type CliSyntax,
  flag,
  jsonOption,
  type ParsedArgs,
  UsageError,
  workspaceOption,
} from '../kernel/command.ts';
