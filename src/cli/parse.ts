import { parseArgs } from 'node:util';
import {
  type CliCommand,
  type CliOption,
  type CliSubcommand,
  type CliSyntax,
  type ParsedArgs,
  UsageError,
} from '../kernel/command.ts';
import { closest } from './suggest.ts';

/** What a command line asks for: a help text, or a command to run with checked arguments. */
export type CommandLine =
  | { readonly kind: 'help'; readonly text: string }
  | { readonly kind: 'run'; readonly command: CliCommand; readonly args: ParsedArgs };

const HELP: CliOption = { name: 'help', type: 'boolean', description: 'show this help' };
const wantsHelp = (argv: readonly string[]) => argv.some((a) => a === '-h' || a === '--help');

/**
 * Reads `tessera <command> [<subcommand>] [arguments] [options]` against the commands' declared
 * syntax with `node:util` `parseArgs` in strict mode: an unknown command, subcommand or flag, a
 * flag without its value and a stray argument are refused (UsageError) before anything runs, so
 * a typo such as `--dryrun` can never run the real thing.
 */
export function readCommandLine(argv: readonly string[], commands: readonly CliCommand[]): CommandLine {
  const [first, ...rest] = argv;
  if (first === undefined) throw new UsageError(overview(commands));
  if (first === '-h' || first === '--help') return { kind: 'help', text: overview(commands) };
  if (first === 'help') return { kind: 'help', text: helpFor(rest, commands) };
  const command = findCommand(first, commands);
  if (!command.subcommands) return runOrHelp(command, command, `tessera ${command.name}`, [], rest);

  const [sub, ...subRest] = rest;
  if (sub === undefined || sub.startsWith('-')) {
    if (wantsHelp(rest)) return { kind: 'help', text: commandHelp(command) };
    if (!command.defaultSubcommand) throw new UsageError(needsSubcommand(command));
    const fallback = findSubcommand(command, command.defaultSubcommand);
    return runOrHelp(command, fallback, `tessera ${command.name} ${fallback.name}`, [fallback.name], rest);
  }
  const subcommand = findSubcommand(command, sub);
  return runOrHelp(
    command,
    subcommand,
    `tessera ${command.name} ${subcommand.name}`,
    [subcommand.name],
    subRest,
  );
}

/** The usage line of a command or subcommand, from its syntax. */
export function usageLine(path: string, syntax: CliSyntax): string {
  const args = (syntax.arguments ?? []).map((a) => (a.endsWith('?') ? `[${a.slice(0, -1)}]` : a));
  const options = (syntax.options ?? []).map((o) => {
    const text = o.type === 'string' ? `--${o.name} ${o.value ?? 'VALUE'}` : `--${o.name}`;
    return o.required ? text : `[${text}]`;
  });
  return [path, ...args, ...options].join(' ');
}

function runOrHelp(
  command: CliCommand,
  syntax: CliSyntax & { readonly summary: string },
  path: string,
  leading: string[],
  argv: readonly string[],
): CommandLine {
  const options = [...(syntax.options ?? []), HELP];
  rejectUnknownOptions(argv, options, path);
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({
      args: [...argv],
      strict: true,
      allowPositionals: true,
      options: Object.fromEntries(
        options.map((o) => [o.name, o.name === 'help' ? { type: o.type, short: 'h' } : { type: o.type }]),
      ),
    });
  } catch (err) {
    // parseArgs' own wording for what is left (e.g. a value that looks like a flag), first line only.
    throw new UsageError(
      `${String((err as Error).message).split('\n')[0]}\nUsage: ${usageLine(path, syntax)}`,
    );
  }
  if (parsed.values.help) return { kind: 'help', text: syntaxHelp(path, syntax) };
  const declared = syntax.arguments ?? [];
  const required = declared.filter((a) => !a.endsWith('?')).length;
  if (parsed.positionals.length < required)
    throw new UsageError(
      `${path} needs ${declared[parsed.positionals.length]}\nUsage: ${usageLine(path, syntax)}`,
    );
  if (parsed.positionals.length > declared.length)
    throw new UsageError(
      `Unexpected argument '${parsed.positionals[declared.length]}' for ${path}\nUsage: ${usageLine(path, syntax)}`,
    );
  const missing = options.find((o) => o.required && parsed.values[o.name] === undefined);
  if (missing) throw new UsageError(`${path} needs --${missing.name}\nUsage: ${usageLine(path, syntax)}`);
  const flags = new Map<string, string | true>();
  for (const [name, value] of Object.entries(parsed.values)) {
    if (typeof value === 'string') flags.set(name, value);
    else if (value === true) flags.set(name, true);
  }
  return { kind: 'run', command, args: { positional: [...leading, ...parsed.positionals], flags } };
}

/**
 * Names the first flag the syntax does not declare, with the closest declared one. A lenient
 * pass of the same parser finds it, so `--dryrun`, `--dryrun=1` and `-x` are all reported by name.
 */
function rejectUnknownOptions(argv: readonly string[], options: readonly CliOption[], path: string): void {
  const { tokens } = parseArgs({
    args: [...argv],
    strict: false,
    allowPositionals: true,
    tokens: true,
    options: Object.fromEntries(options.map((o) => [o.name, { type: o.type }])),
  });
  for (const token of tokens ?? []) {
    if (token.kind !== 'option') continue;
    const known = options.find((o) => o.name === token.name || (o.name === 'help' && token.name === 'h'));
    if (known) {
      if (known.type === 'boolean' && token.inlineValue)
        throw new UsageError(`${token.rawName} takes no value (${path})`);
      if (known.type === 'string' && token.value === undefined)
        throw new UsageError(`${token.rawName} needs a value: ${usageLine(path, { options: [known] })}`);
      continue;
    }
    const suggestion = closest(
      token.name,
      options.map((o) => o.name),
    );
    throw new UsageError(
      `Unknown option '${token.rawName}' for ${path}.` +
        (suggestion ? ` Did you mean --${suggestion}?` : '') +
        `\nRun '${path} --help' for its options.`,
    );
  }
}

function findCommand(name: string, commands: readonly CliCommand[]): CliCommand {
  const command = commands.find((c) => c.name === name);
  if (command) return command;
  if (name.startsWith('-'))
    throw new UsageError(`Unknown option '${name}'. Usage: tessera <command> [options]`);
  // A subcommand typed on its own (`tessera import`) is suggested with its command.
  const candidates = [
    ...commands.map((c) => c.name),
    ...commands.flatMap((c) => (c.subcommands ?? []).map((s) => `${c.name} ${s.name}`)),
  ];
  const suggestion =
    closest(
      name,
      commands.map((c) => c.name),
    ) ??
    candidates.find((c) =>
      c.endsWith(
        ` ${closest(
          name,
          candidates.map((n) => n.split(' ').pop()!),
        )}`,
      ),
    );
  throw new UsageError(
    `Unknown command '${name}'.${suggestion ? ` Did you mean 'tessera ${suggestion}'?` : ''}\n` +
      `Run 'tessera help' for the list of commands.`,
  );
}

function findSubcommand(command: CliCommand, name: string): CliSubcommand {
  const subcommands = command.subcommands ?? [];
  const found = subcommands.find((s) => s.name === name);
  if (found) return found;
  const suggestion = closest(
    name,
    subcommands.map((s) => s.name),
  );
  throw new UsageError(
    `Unknown subcommand '${name}' for tessera ${command.name}.${suggestion ? ` Did you mean '${suggestion}'?` : ''}\n` +
      `Run 'tessera help ${command.name}' for its subcommands.`,
  );
}

const needsSubcommand = (command: CliCommand) =>
  `tessera ${command.name} needs a subcommand: ${(command.subcommands ?? []).map((s) => s.name).join(', ')}\n` +
  `Run 'tessera help ${command.name}' for details.`;

/** `tessera help [command [subcommand]]`. */
function helpFor(topic: readonly string[], commands: readonly CliCommand[]): string {
  const [name, sub, ...extra] = topic;
  if (name === undefined) return overview(commands);
  const command = findCommand(name, commands);
  if (extra.length > 0) throw new UsageError(`Unexpected argument '${extra[0]}' for tessera help`);
  if (sub === undefined)
    return command.subcommands ? commandHelp(command) : syntaxHelp(`tessera ${name}`, command);
  if (!command.subcommands) throw new UsageError(`tessera ${name} has no subcommands`);
  return syntaxHelp(`tessera ${name} ${sub}`, findSubcommand(command, sub));
}

function overview(commands: readonly CliCommand[]): string {
  const width = Math.max(...commands.map((c) => c.name.length)) + 2;
  return [
    'Usage: tessera <command> [options]',
    '',
    'Commands:',
    ...commands.map((c) => `  ${c.name.padEnd(width)}${c.summary}`),
    `  ${'help'.padEnd(width)}Show the help of a command: tessera help <command> [<subcommand>]`,
    '',
    "Every command accepts -h/--help. Exit codes and the environment are in the README ('The tessera command').",
  ].join('\n');
}

function commandHelp(command: CliCommand): string {
  const subcommands = command.subcommands ?? [];
  const width = Math.max(...subcommands.map((s) => s.name.length)) + 2;
  return [
    `Usage: tessera ${command.name} <subcommand> [options]`,
    '',
    command.summary,
    '',
    'Subcommands:',
    ...subcommands.map(
      (s) =>
        `  ${s.name.padEnd(width)}${s.summary}${s.name === command.defaultSubcommand ? ' (the default)' : ''}`,
    ),
    '',
    `Run 'tessera help ${command.name} <subcommand>' for its options.`,
  ].join('\n');
}

function syntaxHelp(path: string, syntax: CliSyntax & { readonly summary: string }): string {
  const options = [...(syntax.options ?? []), HELP];
  const labels = options.map((o) =>
    o.name === 'help'
      ? '-h, --help'
      : o.type === 'string'
        ? `--${o.name} ${o.value ?? 'VALUE'}`
        : `--${o.name}`,
  );
  const width = Math.max(...labels.map((l) => l.length)) + 2;
  return [
    `Usage: ${usageLine(path, syntax)}`,
    '',
    syntax.summary,
    '',
    'Options:',
    ...options.map(
      (o, i) => `  ${labels[i]!.padEnd(width)}${o.description}${o.required ? ' (required)' : ''}`,
    ),
  ].join('\n');
}
