import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const root = new URL('../', import.meta.url);

/** Every file the repository holds (tracked or new), as a clone would have it. */
function repositoryFiles(): string[] {
  let listed: string[];
  try {
    listed = execFileSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], {
      cwd: root,
      encoding: 'utf8',
    }).split('\0');
  } catch {
    // Not a git checkout (an unpacked archive): everything but what .gitignore keeps out.
    const ignored = /(^|\/)(node_modules|\.git|\.tessera|dist)(\/|$)|\.log$|^tmp\//;
    listed = readdirSync(root, { recursive: true, withFileTypes: true })
      .filter((entry) => entry.isFile())
      .map((entry) => relative(fileURLToPath(root), join(entry.parentPath, entry.name)))
      .filter((path) => !ignored.test(path));
  }
  return listed.filter(Boolean).filter((path) => existsSync(new URL(path, root)));
}

function text(path: string): string | null {
  const bytes = readFileSync(new URL(path, root));
  return bytes.includes(0) ? null : bytes.toString('utf8'); // binary files cite nothing
}

// Spelled in pieces, so this file does not mention them itself.
const OUTSIDE_NAMES = ['CONTRACT', 'EMBED', 'ACCESS', 'SECURITY'].map((name) => `${name}.md`);
const OUTSIDE_FOLDER = ['shared', 'spec'].join('/');

test('nothing in the repository points at design files that are not in it', () => {
  const mentions: string[] = [];
  for (const path of repositoryFiles()) {
    const body = text(path);
    if (body === null) continue;
    body.split('\n').forEach((line, i) => {
      if (line.includes(OUTSIDE_FOLDER) || OUTSIDE_NAMES.some((name) => new RegExp(`\\b${name}`).test(line)))
        mentions.push(`${path}:${i + 1}: ${line.trim()}`);
    });
  }
  assert.deepEqual(mentions, [], 'cite the docs/ file and section that states the rule');
});

/**
 * Citations read `docs/<file>.md §N` (a numbered section) or `docs/<file>.md "Heading"`,
 * optionally followed by `and "Other heading"` or `, "Other heading"`; each must name a file
 * and a section that exist, so a renamed heading cannot leave a comment pointing nowhere.
 */
test('every docs/ citation names a file and a section that exist', () => {
  const citation = /docs\/([a-z0-9-]+\.md)((?: §\d+| "[^"]+")?(?:(?:,| and) "[^"]+")*)/g;
  const broken: string[] = [];
  const cited = new Set<string>();
  for (const path of repositoryFiles()) {
    if (!/\.(ts|js|md)$/.test(path)) continue;
    const body = text(path) ?? '';
    for (const match of body.matchAll(citation)) {
      const [, file, sections] = match;
      const doc = new URL(`docs/${file}`, root);
      if (!existsSync(doc)) {
        broken.push(`${path}: docs/${file} does not exist`);
        continue;
      }
      cited.add(file!);
      const headings = readFileSync(doc, 'utf8')
        .split('\n')
        .filter((l) => /^#{2,4} /.test(l))
        .map((l) => l.replace(/^#+ /, '').replaceAll('`', ''));
      for (const number of sections!.matchAll(/§(\d+)/g))
        if (!headings.some((h) => h.startsWith(`${number[1]}. `)))
          broken.push(`${path}: docs/${file} has no section ${number[1]}`);
      for (const quoted of sections!.matchAll(/"([^"]+)"/g))
        if (!headings.some((h) => h === quoted[1] || h.startsWith(`${quoted[1]}:`)))
          broken.push(`${path}: docs/${file} has no section "${quoted[1]}"`);
    }
  }
  assert.deepEqual(broken, []);
  for (const file of ['api-contract.md', 'sessions.md', 'embedding.md', 'data-access.md', 'security.md'])
    assert.ok(cited.has(file), `the code cites docs/${file}`);
});
