import assert from 'node:assert/strict';
import { globSync, readFileSync } from 'node:fs';
import { dirname, join, normalize } from 'node:path';
import { describe, test } from 'node:test';

/**
 * The import graph of src/ (tests aside), read from the source text: static imports and
 * re-exports, type-only ones included, and dynamic `import('…')` of a literal path.
 */
function importGraph(): Map<string, string[]> {
  const root = join(import.meta.dirname, '..');
  const files = globSync('src/**/*.ts', { cwd: root }).filter((f) => !f.endsWith('.test.ts'));
  const known = new Set(files.map((f) => normalize(f)));
  const graph = new Map<string, string[]>();
  const specifier = /(?:^|\n)\s*(?:import|export)\s[^'";]*?from\s+'([^']+)'|import\(\s*'([^']+)'\s*\)/g;
  for (const file of files) {
    const text = readFileSync(join(root, file), 'utf8');
    const targets: string[] = [];
    for (const m of text.matchAll(specifier)) {
      const spec = m[1] ?? m[2]!;
      if (!spec.startsWith('.')) continue;
      const target = normalize(join(dirname(file), spec));
      if (known.has(target)) targets.push(target);
    }
    graph.set(normalize(file), targets);
  }
  return graph;
}

/** Every cycle found by a depth-first walk, each as the files along it. */
function cycles(graph: Map<string, string[]>): string[][] {
  const found: string[][] = [];
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const visit = (file: string) => {
    state.set(file, 'open');
    stack.push(file);
    for (const next of graph.get(file) ?? []) {
      if (state.get(next) === 'open') found.push([...stack.slice(stack.indexOf(next)), next]);
      else if (!state.has(next)) visit(next);
    }
    stack.pop();
    state.set(file, 'done');
  };
  for (const file of [...graph.keys()].sort()) if (!state.has(file)) visit(file);
  return found;
}

/** What the composition root is: modules, the kernel and the HTTP/GraphQL layers never import it. */
const COMPOSITION_ROOT = (file: string) =>
  file === 'src/app.ts' || file === 'src/cli.ts' || file === 'src/server.ts' || file.startsWith('src/cli/');

describe('the import graph of src/', () => {
  const graph = importGraph();

  test('has no cycle', () => {
    const found = cycles(graph).map((c) => c.join(' → '));
    assert.deepEqual(found, [], `import cycles:\n${found.join('\n')}`);
  });

  test('has no arrow back into the composition root from a module, the kernel or a layer below', () => {
    const offending: string[] = [];
    for (const [file, targets] of graph) {
      if (COMPOSITION_ROOT(file)) continue;
      for (const target of targets) if (COMPOSITION_ROOT(target)) offending.push(`${file} → ${target}`);
    }
    assert.deepEqual(offending, [], `imports of the composition root or the CLI:\n${offending.join('\n')}`);
  });

  test('every module is listed once in src/modules/index.ts, from its own module.ts', () => {
    const root = join(import.meta.dirname, '..');
    const listed = (graph.get(normalize('src/modules/index.ts')) ?? []).filter(
      (f) => f.startsWith('src/modules/') && f.endsWith('/module.ts'),
    );
    const folders = globSync('src/modules/*/module.ts', { cwd: root }).map((f) => normalize(f));
    assert.deepEqual(
      [...listed].sort(),
      [...folders].sort(),
      `modules not listed: ${folders.filter((f) => !listed.includes(f)).join(', ')}`,
    );
  });
});
