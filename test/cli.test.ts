import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { EXIT } from '../src/cli/exit-codes.ts';
import { runCli, tesseraCommands } from '../src/cli.ts';
import { freePort } from './helpers/server-process.ts';

interface Run {
  readonly code: number | null;
  readonly out: string;
  readonly err: string;
}

/** Runs the real `tessera` command as a child process. */
function tessera(env: Record<string, string>, ...argv: string[]): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['src/cli.ts', ...argv],
      {
        env: { PATH: process.env.PATH ?? '', LOG_LEVEL: 'silent', NODE_ENV: 'test', ...env },
        timeout: 60_000,
      },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : null) : 0;
        resolve({ code, out: stdout, err: stderr });
      },
    );
  });
}

/** The same command line in-process, for the exhaustive help checks. */
async function tesseraInProcess(...argv: string[]): Promise<Run> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCli(
    argv,
    { out: (l) => out.push(l), err: (l) => err.push(l) },
    { LOG_LEVEL: 'silent' },
  );
  return { code, out: out.join('\n'), err: err.join('\n') };
}

const noStackTrace = (r: Run) => {
  assert.doesNotMatch(r.err, /^\s+at /m, `no stack trace:\n${r.err}`);
  assert.doesNotMatch(r.err, /node_modules|\.ts:\d+/, `no file paths:\n${r.err}`);
};

describe('tessera command line', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tessera-cli-'));
  const env = { TESSERA_DATA_DIR: join(dir, 'data') };
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('a mistyped flag is refused with a suggestion, and the import writes nothing', async () => {
    assert.equal((await tessera(env, 'init', '--json')).code, 0);
    const csv = join(dir, 'people.csv');
    writeFileSync(csv, 'email,account_id\nnew.person@acme.example,acct_1\n');

    const typo = await tessera(env, 'users', 'import', csv, '--dryrun');
    assert.equal(typo.code, EXIT.USAGE);
    assert.match(typo.err, /Unknown option '--dryrun'.*Did you mean --dry-run\?/);
    assert.equal(typo.out, '');
    noStackTrace(typo);
    // The user does not exist: a dry run still reports it as one to create.
    const check = await tessera(env, 'users', 'import', csv, '--dry-run', '--json');
    assert.equal(check.code, 0, check.err);
    assert.equal(JSON.parse(check.out).created, 1);

    const permission = await tessera(env, 'keys', 'create', '--permision', 'iam:read');
    assert.equal(permission.code, EXIT.USAGE);
    assert.match(permission.err, /Unknown option '--permision'.*Did you mean --permissions\?/);
    const keys = JSON.parse((await tessera(env, 'keys', 'list', '--json')).out) as unknown[];
    assert.equal(keys.length, 1, 'no key was created');

    const value = await tessera(env, 'keys', 'list', '--json=yes');
    assert.equal(value.code, EXIT.USAGE);
    assert.match(value.err, /--json takes no value/);
    const missing = await tessera(env, 'keys', 'list', '--workspace');
    assert.equal(missing.code, EXIT.USAGE);
    assert.match(missing.err, /--workspace needs a value/);
    const stray = await tessera(env, 'keys', 'revoke', 'key_1', 'key_2');
    assert.equal(stray.code, EXIT.USAGE);
    assert.match(stray.err, /Unexpected argument 'key_2'/);
  });

  test('unknown commands and subcommands are refused with a suggestion', async () => {
    const command = await tessera(env, 'sreve');
    assert.equal(command.code, EXIT.USAGE);
    assert.match(command.err, /Unknown command 'sreve'\. Did you mean 'tessera serve'\?/);
    const sub = await tessera(env, 'import', 'people.csv');
    assert.equal(sub.code, EXIT.USAGE);
    assert.match(sub.err, /Did you mean 'tessera users import'\?/);
    const subcommand = await tessera(env, 'keys', 'crate');
    assert.equal(subcommand.code, EXIT.USAGE);
    assert.match(subcommand.err, /Unknown subcommand 'crate' for tessera keys\. Did you mean 'create'\?/);
    const nothing = await tessera(env, 'xyzzy');
    assert.equal(nothing.code, EXIT.USAGE);
    assert.doesNotMatch(nothing.err, /Did you mean/, 'no suggestion when nothing is close');
    noStackTrace(nothing);
  });

  test('help: tessera help, -h and --help, for the real process', async () => {
    for (const argv of [['help'], ['--help'], ['-h']]) {
      const r = await tessera(env, ...argv);
      assert.equal(r.code, 0, argv.join(' '));
      assert.match(r.out, /^Usage: tessera <command>/);
      assert.match(r.out, /^ {2}keys /m);
    }
    const topic = await tessera(env, 'help', 'users', 'import');
    assert.equal(topic.code, 0);
    assert.match(topic.out, /^Usage: tessera users import FILE\.csv .*\[--dry-run\]/);
    assert.equal((await tessera(env, 'users', 'import', '-h')).out, topic.out);
    assert.equal((await tessera(env, 'users', 'import', '--help')).out, topic.out);
    const bare = await tessera(env);
    assert.equal(bare.code, EXIT.USAGE, 'no command is a usage error');
    assert.match(bare.err, /^Usage: tessera <command>/);
  });

  test('every command and subcommand has help, in all three spellings', async () => {
    for (const command of tesseraCommands()) {
      const paths = command.subcommands
        ? [[command.name], ...command.subcommands.map((s) => [command.name, s.name])]
        : [[command.name]];
      for (const path of paths) {
        const usage = `Usage: tessera ${path.join(' ')}${command.subcommands && path.length === 1 ? ' <subcommand>' : ''}`;
        const viaHelp = await tesseraInProcess('help', ...path);
        assert.equal(viaHelp.code, 0, `tessera help ${path.join(' ')}: ${viaHelp.err}`);
        assert.ok(viaHelp.out.startsWith(usage), viaHelp.out);
        for (const spelling of ['-h', '--help']) {
          const r = await tesseraInProcess(...path, spelling);
          assert.equal(r.code, 0, `tessera ${path.join(' ')} ${spelling}`);
          assert.equal(r.out, viaHelp.out);
        }
      }
    }
  });
});

describe('a DATABASE_URL that cannot be used is one line and its own exit code', () => {
  const expectOneLine = async (url: string, code: number, message: RegExp) => {
    const r = await tessera({ DATABASE_URL: url }, 'keys', 'list');
    assert.equal(r.code, code, `${url}: ${r.err}`);
    assert.equal(r.err.trim().split('\n').length, 1, r.err);
    assert.match(r.err, message);
    assert.doesNotMatch(r.err, /s3cret/, 'the password is never printed');
    noStackTrace(r);
  };

  test('not a URL', () => expectOneLine('base', EXIT.DATABASE_URL_NOT_A_URL, /DATABASE_URL is not a URL/));

  test('a MySQL URL', () =>
    expectOneLine(
      'mysql://root:s3cret@127.0.0.1:3306/test',
      EXIT.DATABASE_URL_WRONG_SCHEME,
      /must be a PostgreSQL URL .* not mysql:/,
    ));

  test('nothing listens on the port', async () => {
    const port = await freePort(); // bound, then closed again: connections are refused
    await expectOneLine(
      `postgres://postgres:s3cret@127.0.0.1:${port}/test`,
      EXIT.DATABASE_UNREACHABLE,
      new RegExp(`Cannot reach the database server at 127\\.0\\.0\\.1:${port}/test`),
    );
  });

  const pg = process.env.TEST_DATABASE_URL;
  test('no such database', { skip: pg ? false : 'TEST_DATABASE_URL not set' }, async () => {
    const url = new URL(pg!);
    url.pathname = `/tessera_missing_${process.pid}`;
    await expectOneLine(url.href, EXIT.DATABASE_NOT_FOUND, /has no such database/);
  });

  test('authentication failed', { skip: pg ? false : 'TEST_DATABASE_URL not set' }, async () => {
    const url = new URL(pg!);
    url.username = `tessera_nobody_${process.pid}`;
    url.password = 's3cret';
    await expectOneLine(
      url.href,
      EXIT.DATABASE_AUTH_FAILED,
      /refused user tessera_nobody_\d+: authentication failed/,
    );
  });
});

test('the README documents every exit code', () => {
  const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
  for (const [name, code] of Object.entries(EXIT)) {
    assert.match(
      readme,
      new RegExp(`^\\| \`${code}\` +\\|`, 'm'),
      `exit code ${code} (${name}) is in the README`,
    );
  }
});
