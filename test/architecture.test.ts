import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { checkArchitecture } from '../scripts/architecture.ts';

const repo = path.resolve(import.meta.dirname, '..');

describe('architecture of src/', () => {
  // Through the script as `npm test` users and CI would run it on its own: it prints every
  // violation as file:line and exits 1.
  test('modules stay below the composition root, tables are touched by their owners, no import cycle', () => {
    const run = spawnSync(process.execPath, ['scripts/architecture.ts'], { cwd: repo, encoding: 'utf8' });
    assert.equal(run.status, 0, run.stderr);
  });
});

describe('the architecture check on a small tree', () => {
  const root = mkdtempSync(path.join(tmpdir(), 'tessera-architecture-'));
  after(() => rmSync(root, { recursive: true, force: true }));
  const write = (file: string, text: string) => {
    mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
    writeFileSync(path.join(root, file), text);
  };
  write('src/app.ts', 'export interface App { readonly name: string }\n');
  write('src/cli/args.ts', 'export const flag = 1;\n');
  write(
    'src/db/migrations/0001_init.ts',
    'import { sql } from "kysely";\nexport const up = () => sql`\n  create table alpha (id text);\n  create table beta (id text);\n  create table gamma (id text);\n`;\n',
  );
  // a: owns alpha. Its queries file may name it; its service may not (line 4), and it imports
  // the composition root (line 1, a type import: still counted) and the CLI (line 2, allowed).
  write(
    'src/modules/a/queries.ts',
    "export const rows = (db: any) => db.selectFrom('alpha').selectAll().execute();\n",
  );
  write(
    'src/modules/a/service.ts',
    [
      "import type { App } from '../../app.ts';",
      "import { flag } from '../../cli/args.ts';",
      'export const f = (db: any, app: App) =>',
      "  db.selectFrom('alpha as x').select('x.id').where('x.id', '=', app.name + flag).execute();",
      '',
    ].join('\n'),
  );
  // Tests are out of scope, whatever they import or query.
  write(
    'src/modules/a/a.test.ts',
    "import '../../app.ts';\nexport const t = (db: any) => db.deleteFrom('beta');\n",
  );
  // b: owns beta. A Kysely join (line 3) and raw SQL (line 5) on alpha are violations; beta is its own.
  write(
    'src/modules/b/queries.ts',
    [
      "import { sql } from 'kysely';",
      'export const j = (db: any) =>',
      "  db.selectFrom('beta').innerJoin('alpha', 'alpha.id', 'beta.id').selectAll().execute();",
      'export const r = (db: any, id: string) => sql`select * from beta b',
      `  join public.alpha a on a.id = b.id where b.id = $\{id}\`.execute(db);`,
      '',
    ].join('\n'),
  );
  // A declared read model may read alpha and beta; it writes beta (line 4) and is declared to
  // read gamma, which it does not (line 1).
  write(
    'src/modules/b/report.ts',
    [
      "import { sql } from 'kysely';",
      'export const read = (db: any) =>',
      '  sql`select * from alpha join beta on beta.id = alpha.id`.execute(db);',
      "export const write = (db: any) => db.insertInto('beta').values({ id: 'x' }).execute();",
      '',
    ].join('\n'),
  );
  // A value-import cycle (x ↔ y) is found; a type-only one (t1 ↔ t2) is not.
  write('src/lib/x.ts', "import { y } from './y.ts';\nexport const x = () => y;\n");
  write('src/lib/y.ts', "import { x } from './x.ts';\nexport const y = () => x;\n");
  write('src/lib/t1.ts', "import type { T2 } from './t2.ts';\nexport type T1 = { t2: T2 };\n");
  write(
    'src/lib/t2.ts',
    "import type { T1 } from './t1.ts';\nexport type T2 = { t1?: T1 };\nexport const v = 1;\n",
  );

  test('finds each kind of violation, with its file and line', () => {
    const violations = checkArchitecture(root, {
      tables: { alpha: 'a', beta: 'b' },
      readModels: [{ file: 'src/modules/b/report.ts', reads: ['alpha', 'beta', 'gamma'] }],
      allowedImports: [
        { file: 'src/modules/a/service.ts', imports: 'src/cli/args.ts' },
        { file: 'src/modules/b/queries.ts', imports: 'src/app.ts' },
      ],
    });
    assert.deepEqual(
      violations.map((v) => `${v.rule} ${v.file}:${v.line}`),
      [
        'ownership src/db/migrations/0001_init.ts:5',
        'cycle src/lib/x.ts:1',
        'boundary src/modules/a/service.ts:1',
        'ownership src/modules/a/service.ts:4',
        'allow-list src/modules/b/queries.ts:1',
        'ownership src/modules/b/queries.ts:3',
        'ownership src/modules/b/queries.ts:5',
        'ownership src/modules/b/report.ts:1',
        'ownership src/modules/b/report.ts:4',
      ],
    );
    const messages = violations.map((v) => v.message).join('\n');
    assert.match(messages, /table gamma has no owner/);
    assert.match(messages, /import cycle: src\/lib\/x\.ts → src\/lib\/y\.ts → src\/lib\/x\.ts/);
    assert.match(messages, /SQL on alpha outside a queries\.ts/);
    assert.match(messages, /SQL on alpha, owned by a/);
    assert.match(messages, /read model writes beta/);
    assert.match(messages, /declared to read gamma but does not/);
  });
});

describe('the layer rule: resolvers call services, not queries', () => {
  const root = mkdtempSync(path.join(tmpdir(), 'tessera-architecture-layers-'));
  after(() => rmSync(root, { recursive: true, force: true }));
  const write = (file: string, text: string) => {
    mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
    writeFileSync(path.join(root, file), text);
  };
  write('src/modules/a/queries.ts', 'export type Row = { id: string };\nexport const rows = () => [];\n');
  write('src/modules/a/queries/search.ts', 'export const search = () => [];\n');
  write(
    'src/modules/a/service.ts',
    "import { rows } from './queries.ts';\nexport const list = () => rows();\n",
  );
  write('src/modules/a/queries-helper.ts', 'export const notQueries = 1;\n');
  write(
    'src/modules/b/resolvers.ts',
    [
      "import type { Row } from '../a/queries.ts';",
      "import { list } from '../a/service.ts';",
      "import { rows } from '../a/queries.ts';",
      "import { search } from '../a/queries/search.ts';",
      "import { notQueries } from '../a/queries-helper.ts';",
      "export const r = async (x: Row) => [list(), rows(), search(), notQueries, await import('../a/queries.ts'), x];",
      '',
    ].join('\n'),
  );
  // A service (not a resolvers file) may import queries: only resolvers are held to services.
  write(
    'src/modules/b/service.ts',
    "import { rows } from '../a/queries.ts';\nexport const s = () => rows();\n",
  );

  test('a value import of a queries file from resolvers.ts is a violation; a type import is not', () => {
    const violations = checkArchitecture(root, { tables: {}, readModels: [], allowedImports: [] });
    assert.deepEqual(
      violations.map((v) => `${v.rule} ${v.file}:${v.line}`),
      [
        'layer src/modules/b/resolvers.ts:3',
        'layer src/modules/b/resolvers.ts:4',
        'layer src/modules/b/resolvers.ts:6',
      ],
    );
    assert.match(
      violations[0]!.message,
      /resolvers import src\/modules\/a\/queries\.ts: call the owning module's service/,
    );
  });
});
