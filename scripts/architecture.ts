// Checks four rules over the source tree (`npm test` runs it through test/architecture.test.ts;
// `node scripts/architecture.ts` runs it on its own and prints every violation as file:line):
//
// 1. boundary: no file under src/modules/ imports the composition root (src/app.ts,
//    src/services.ts, src/features.ts, src/cli.ts, src/server.ts) or anything under src/cli/.
//    Type-only imports count too: a module that names the app's types is written against the app.
// 2. ownership: a table is named in SQL only by its owner's `queries.ts` (or a file in a
//    `queries/` folder) under src/modules/<owner>/ (src/db/tables.ts says who owns what), or by
//    a read model declared beside the ownership map, for exactly the tables it declares, reading
//    only. SQL means a Kysely call (selectFrom, insertInto, updateTable, deleteFrom, with,
//    innerJoin, leftJoin, …) with the table's name, or `sql` template text naming it after
//    FROM, JOIN, INTO, UPDATE, TRUNCATE or USING. Every table the migrations create must be owned.
// 3. cycles: the graph of static imports among src/ files has no cycle. `import type` is left
//    out: under verbatimModuleSyntax it is erased before the code runs, so it cannot change
//    evaluation order or leave a binding uninitialised, and types that refer to each other
//    across files (a service and the errors it throws) are ordinary. Dynamic `import()` is left
//    out as well: it loads lazily, after both files have finished evaluating.
// 4. layers: a module's `resolvers.ts` calls services, never queries: it imports no queries file
//    (a `queries.ts` or a file in a `queries/` folder) of any module, statically or by `import()`.
//    `import type` is allowed: the rows a query returns are the GraphQL models resolvers receive.
//
// Test files (*.test.ts) are out of scope: they drive the whole app and arrange stored state
// directly. Migrations (src/db/migrations/) define every table, so they are out of rule 2.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';

export interface Violation {
  readonly rule: 'boundary' | 'ownership' | 'cycle' | 'allow-list' | 'layer';
  /** Path relative to the checked root, with forward slashes. */
  readonly file: string;
  readonly line: number;
  readonly message: string;
}

export interface ReadModelRule {
  readonly file: string;
  readonly reads: readonly string[];
}

/** One import the boundary rule tolerates for now, named by importing file and imported file. */
export interface AllowedImport {
  readonly file: string;
  readonly imports: string;
}

export interface ArchitectureRules {
  /** Table name → owning folder under src/modules/ (`db` for src/db/). */
  readonly tables: Readonly<Record<string, string>>;
  readonly readModels: readonly ReadModelRule[];
  readonly allowedImports: readonly AllowedImport[];
}

const COMPOSITION_ROOT = ['src/app.ts', 'src/services.ts', 'src/features.ts', 'src/cli.ts', 'src/server.ts'];

/** Kysely methods whose first argument names a table (or a CTE, for `with`). */
const TABLE_METHODS = new Set([
  'selectFrom',
  'insertInto',
  'replaceInto',
  'updateTable',
  'deleteFrom',
  'mergeInto',
  'with',
  'withRecursive',
  'innerJoin',
  'leftJoin',
  'rightJoin',
  'fullJoin',
  'crossJoin',
  'innerJoinLateral',
  'leftJoinLateral',
  'crossJoinLateral',
  'using',
  'from',
  'table',
]);
const WRITE_METHODS = new Set(['insertInto', 'replaceInto', 'updateTable', 'deleteFrom', 'mergeInto']);
const RAW_TABLE =
  /\b(from|join|into|update|truncate(?:\s+table)?|using)\s+(?:only\s+)?"?([a-z_][a-z0-9_]*)"?(?:\s*\.\s*"?([a-z_][a-z0-9_]*)"?)?/gi;

interface TableMention {
  readonly table: string;
  readonly line: number;
  readonly write: boolean;
}

interface ImportEdge {
  readonly target: string;
  readonly line: number;
  readonly typeOnly: boolean;
  readonly dynamic: boolean;
}

interface SourceFacts {
  readonly file: string;
  readonly imports: readonly ImportEdge[];
  readonly mentions: readonly TableMention[];
}

function listTsFiles(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...listTsFiles(full));
    else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts')) out.push(full);
  }
  return out;
}

const posix = (p: string) => p.split(path.sep).join('/');

function resolveImport(root: string, fromFile: string, specifier: string): string | null {
  if (!specifier.startsWith('.')) return null;
  const base = path.resolve(root, path.dirname(fromFile), specifier);
  for (const candidate of [base, `${base}.ts`, path.join(base, 'index.ts')]) {
    try {
      if (statSync(candidate).isFile()) return posix(path.relative(root, candidate));
    } catch {}
  }
  return posix(path.relative(root, base));
}

/** The table a Kysely argument names: `'users'`, `'users as u'`, `'public.users'`. */
function tableOfArgument(node: ts.Node | undefined): string | null {
  if (node === undefined) return null;
  if (ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node)) {
    const first = node.text.trim().split(/\s+/)[0] ?? '';
    return first.split('.').at(-1) ?? null;
  }
  return null;
}

function isSqlTag(tag: ts.Expression): boolean {
  return ts.isIdentifier(tag) && tag.text === 'sql';
}

function collectFacts(root: string, file: string, tables: ReadonlySet<string>): SourceFacts {
  const text = readFileSync(path.join(root, file), 'utf8');
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  const lineOf = (pos: number) => source.getLineAndCharacterOfPosition(pos).line + 1;
  const imports: ImportEdge[] = [];
  const mentions: TableMention[] = [];
  const addImport = (spec: ts.Expression, typeOnly: boolean, dynamic: boolean) => {
    if (!ts.isStringLiteralLike(spec)) return;
    const target = resolveImport(root, file, spec.text);
    if (target !== null) imports.push({ target, line: lineOf(spec.getStart(source)), typeOnly, dynamic });
  };
  const rawText = (start: number, end: number, holes: readonly ts.Node[]) => {
    // The template's own text with every ${…} blanked out, so offsets stay source offsets.
    const chars = text.slice(start, end).split('');
    for (const hole of holes) {
      for (let i = hole.getFullStart() - start; i < hole.end - start; i++) {
        if (chars[i] !== '\n') chars[i] = ' ';
      }
    }
    return chars.join('');
  };
  const scanRaw = (sqlText: string, offset: number) => {
    for (const m of sqlText.matchAll(RAW_TABLE)) {
      const table = (m[3] ?? m[2] ?? '').toLowerCase();
      if (!tables.has(table)) continue;
      const keyword = m[1]!.toLowerCase();
      const before = sqlText.slice(0, m.index).trimEnd().toLowerCase();
      const write =
        keyword === 'into' ||
        keyword === 'update' ||
        keyword.startsWith('truncate') ||
        before.endsWith('delete');
      mentions.push({ table, line: lineOf(offset + m.index + m[0].lastIndexOf(m[3] ?? m[2]!)), write });
    }
  };
  const visit = (node: ts.Node) => {
    if (ts.isImportDeclaration(node)) {
      const clause = node.importClause;
      const typeOnly =
        clause !== undefined &&
        (clause.isTypeOnly ||
          (clause.name === undefined &&
            clause.namedBindings !== undefined &&
            ts.isNamedImports(clause.namedBindings) &&
            clause.namedBindings.elements.length > 0 &&
            clause.namedBindings.elements.every((e) => e.isTypeOnly)));
      addImport(node.moduleSpecifier, typeOnly, false);
    } else if (ts.isExportDeclaration(node) && node.moduleSpecifier !== undefined) {
      const typeOnly =
        node.isTypeOnly ||
        (node.exportClause !== undefined &&
          ts.isNamedExports(node.exportClause) &&
          node.exportClause.elements.length > 0 &&
          node.exportClause.elements.every((e) => e.isTypeOnly));
      addImport(node.moduleSpecifier, typeOnly, false);
    } else if (ts.isImportTypeNode(node)) {
      const arg = node.argument;
      if (ts.isLiteralTypeNode(arg)) addImport(arg.literal, true, true);
    } else if (ts.isCallExpression(node)) {
      if (node.expression.kind === ts.SyntaxKind.ImportKeyword) {
        if (node.arguments[0] !== undefined) addImport(node.arguments[0], false, true);
      } else if (ts.isPropertyAccessExpression(node.expression)) {
        const method = node.expression.name.text;
        const target = node.expression.expression;
        if (ts.isIdentifier(target) && target.text === 'sql' && method === 'raw') {
          const arg = node.arguments[0];
          if (arg !== undefined && ts.isStringLiteralLike(arg)) scanRaw(arg.text, arg.getStart(source) + 1);
        } else if (TABLE_METHODS.has(method)) {
          const first = node.arguments[0];
          const args = first !== undefined && ts.isArrayLiteralExpression(first) ? first.elements : [first];
          for (const arg of args) {
            const table = tableOfArgument(arg);
            if (table !== null && tables.has(table)) {
              mentions.push({ table, line: lineOf(arg!.getStart(source)), write: WRITE_METHODS.has(method) });
            }
          }
        }
      }
    } else if (ts.isTaggedTemplateExpression(node) && isSqlTag(node.tag)) {
      const tpl = node.template;
      const start = tpl.getStart(source);
      const holes = ts.isTemplateExpression(tpl) ? tpl.templateSpans.map((s) => s.expression) : [];
      scanRaw(rawText(start, tpl.end, holes), start);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return { file, imports, mentions };
}

/** The owner folder a file belongs to: `users` for src/modules/users/…, `db` for src/db/…. */
function ownerOf(file: string): string | null {
  const m = /^src\/modules\/([^/]+)\//.exec(file);
  if (m) return m[1]!;
  return file.startsWith('src/db/') ? 'db' : null;
}

/** The one name SQL files have: `queries.ts`, or any file in a `queries/` folder. */
function isQueriesFile(file: string): boolean {
  return path.posix.basename(file) === 'queries.ts' || file.split('/').slice(0, -1).includes('queries');
}

function tablesCreatedByMigrations(root: string): { table: string; file: string; line: number }[] {
  const dir = path.join(root, 'src/db/migrations');
  let files: string[];
  try {
    files = listTsFiles(dir);
  } catch {
    return [];
  }
  const out: { table: string; file: string; line: number }[] = [];
  for (const full of files) {
    const text = readFileSync(full, 'utf8');
    for (const m of text.matchAll(/\bcreate\s+table\s+(?:if\s+not\s+exists\s+)?"?([a-z_][a-z0-9_]*)"?/gi)) {
      const line = text.slice(0, m.index).split('\n').length;
      out.push({ table: m[1]!.toLowerCase(), file: posix(path.relative(root, full)), line });
    }
  }
  return out;
}

function findCycles(graph: ReadonlyMap<string, readonly ImportEdge[]>): string[][] {
  // Tarjan's strongly connected components; each component with a cycle yields one cycle path.
  let index = 0;
  const indices = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const components: string[][] = [];
  const strong = (v: string) => {
    indices.set(v, index);
    low.set(v, index);
    index++;
    stack.push(v);
    onStack.add(v);
    for (const edge of graph.get(v) ?? []) {
      const w = edge.target;
      if (!graph.has(w)) continue;
      if (!indices.has(w)) {
        strong(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) {
        low.set(v, Math.min(low.get(v)!, indices.get(w)!));
      }
    }
    if (low.get(v) === indices.get(v)) {
      const component: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        component.push(w);
      } while (w !== v);
      const selfLoop = (graph.get(v) ?? []).some((e) => e.target === v);
      if (component.length > 1 || selfLoop) components.push(component);
    }
  };
  for (const v of [...graph.keys()].sort()) if (!indices.has(v)) strong(v);
  return components.map((component) => {
    // A shortest way back to the component's first file (breadth-first inside the component).
    const members = new Set(component);
    const start = [...component].sort()[0]!;
    const previous = new Map<string, string>();
    const queue = [start];
    while (queue.length > 0) {
      const v = queue.shift()!;
      for (const edge of graph.get(v) ?? []) {
        if (!members.has(edge.target)) continue;
        if (edge.target === start) {
          const cycle = [v];
          for (let p = previous.get(v); p !== undefined; p = previous.get(p)) cycle.unshift(p);
          return [...cycle, start];
        }
        if (!previous.has(edge.target)) {
          previous.set(edge.target, v);
          queue.push(edge.target);
        }
      }
    }
    return [start, start];
  });
}

/** Every violation in the tree at `root` (a folder holding `src/`), sorted by file and line. */
export function checkArchitecture(root: string, rules: ArchitectureRules): Violation[] {
  const violations: Violation[] = [];
  const tables = new Set(Object.keys(rules.tables));
  const files = listTsFiles(path.join(root, 'src'))
    .map((f) => posix(path.relative(root, f)))
    .filter((f) => !f.endsWith('.test.ts'))
    .sort();
  const facts = files.map((f) => collectFacts(root, f, tables));

  // 1. boundary
  const usedAllowances = new Set<AllowedImport>();
  for (const { file, imports } of facts) {
    if (!file.startsWith('src/modules/')) continue;
    for (const edge of imports) {
      if (!COMPOSITION_ROOT.includes(edge.target) && !edge.target.startsWith('src/cli/')) continue;
      const allowed = rules.allowedImports.find((a) => a.file === file && a.imports === edge.target);
      if (allowed !== undefined) {
        usedAllowances.add(allowed);
        continue;
      }
      violations.push({
        rule: 'boundary',
        file,
        line: edge.line,
        message: `a module imports ${edge.target}; modules never import the composition root or the CLI`,
      });
    }
  }
  for (const allowed of rules.allowedImports) {
    if (!usedAllowances.has(allowed)) {
      violations.push({
        rule: 'allow-list',
        file: allowed.file,
        line: 1,
        message: `no longer imports ${allowed.imports}: delete its entry from the temporary allow-list`,
      });
    }
  }

  // 2. ownership
  for (const { table, file, line } of tablesCreatedByMigrations(root)) {
    if (!tables.has(table)) {
      violations.push({
        rule: 'ownership',
        file,
        line,
        message: `table ${table} has no owner: add it to src/db/tables.ts`,
      });
    }
  }
  const readModels = new Map(rules.readModels.map((r) => [r.file, r]));
  for (const model of rules.readModels) {
    const mentions = facts.find((f) => f.file === model.file)?.mentions ?? [];
    for (const table of model.reads) {
      if (!mentions.some((m) => m.table === table)) {
        violations.push({
          rule: 'ownership',
          file: model.file,
          line: 1,
          message: `the read model is declared to read ${table} but does not: correct its declaration`,
        });
      }
    }
  }
  for (const { file, mentions } of facts) {
    if (file.startsWith('src/db/migrations/')) continue;
    const model = readModels.get(file);
    const owner = ownerOf(file);
    for (const m of mentions) {
      const tableOwner = rules.tables[m.table]!;
      if (model !== undefined) {
        if (!model.reads.includes(m.table)) {
          violations.push({
            rule: 'ownership',
            file,
            line: m.line,
            message: `read model names ${m.table}, which it does not declare`,
          });
        } else if (m.write) {
          violations.push({
            rule: 'ownership',
            file,
            line: m.line,
            message: `read model writes ${m.table}; read models only read`,
          });
        }
        continue;
      }
      if (owner !== tableOwner) {
        violations.push({
          rule: 'ownership',
          file,
          line: m.line,
          message: `SQL on ${m.table}, owned by ${tableOwner}: call the ${tableOwner} module instead`,
        });
      } else if (!isQueriesFile(file)) {
        violations.push({
          rule: 'ownership',
          file,
          line: m.line,
          message: `SQL on ${m.table} outside a queries.ts: move the statement into ${tableOwner}'s queries`,
        });
      }
    }
  }

  // 3. cycles (static, value imports only: see the header)
  const graph = new Map<string, ImportEdge[]>();
  for (const { file, imports } of facts) {
    graph.set(
      file,
      imports.filter((e) => !e.typeOnly && !e.dynamic),
    );
  }
  for (const cycle of findCycles(graph)) {
    const from = cycle[0]!;
    const edge = graph.get(from)!.find((e) => e.target === cycle[1]);
    violations.push({
      rule: 'cycle',
      file: from,
      line: edge?.line ?? 1,
      message: `import cycle: ${cycle.join(' → ')}`,
    });
  }

  // 4. layers
  for (const { file, imports } of facts) {
    if (!file.startsWith('src/modules/') || path.posix.basename(file) !== 'resolvers.ts') continue;
    for (const edge of imports) {
      if (edge.typeOnly || !isQueriesFile(edge.target)) continue;
      violations.push({
        rule: 'layer',
        file,
        line: edge.line,
        message: `resolvers import ${edge.target}: call the owning module's service instead`,
      });
    }
  }

  return violations.sort((a, b) => a.file.localeCompare(b.file) || a.line - b.line);
}

export function formatViolation(v: Violation): string {
  return `${v.file}:${v.line}: [${v.rule}] ${v.message}`;
}

if (import.meta.main) {
  const { TABLE_OWNERS, READ_MODELS } = await import('../src/db/tables.ts');
  const root = path.resolve(import.meta.dirname, '..');
  const violations = checkArchitecture(root, {
    tables: TABLE_OWNERS,
    readModels: READ_MODELS,
    allowedImports: [],
  });
  for (const v of violations) console.error(formatViolation(v));
  if (violations.length > 0) {
    console.error(`${violations.length} architecture violation(s)`);
    process.exit(1);
  }
  console.error('architecture: modules, table owners, layers and the import graph are in order');
}
