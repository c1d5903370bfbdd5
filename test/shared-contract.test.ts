// The server and the browser share one contract (src/shared/): claims, protocol messages, limits
// and the page config. These checks keep it one: the folder stays importable by both (no Node
// APIs, nothing from outside it), and no limit it holds is written again elsewhere.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import * as limits from '../src/shared/limits.ts';

const root = fileURLToPath(new URL('..', import.meta.url));
const sharedDir = join(root, 'src/shared');

function sourceFiles(dir: string): string[] {
  return readdirSync(join(root, dir), { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile() && e.name.endsWith('.ts') && !e.name.endsWith('.test.ts'))
    .map((e) => join(e.parentPath, e.name));
}

describe('the shared server/browser contract', () => {
  it('imports nothing but itself and uses no Node API, so the browser bundle can take it', () => {
    for (const file of sourceFiles('src/shared')) {
      const text = readFileSync(file, 'utf8');
      for (const [, spec] of text.matchAll(/\bfrom\s+'([^']+)'/g)) {
        assert.ok(spec!.startsWith('./') && !spec!.includes('..'), `${file} imports ${spec}`);
      }
      assert.doesNotMatch(text, /\b(Buffer|process|require)\b[.(]/, file);
    }
  });

  it('holds every limit once: no other file under src/ or web/ defines one again', () => {
    const names = Object.keys(limits);
    for (const dir of ['src', 'web/embed', 'web/sdk']) {
      for (const file of sourceFiles(dir)) {
        if (file.startsWith(sharedDir)) continue;
        const text = readFileSync(file, 'utf8');
        for (const name of names) {
          assert.doesNotMatch(text, new RegExp(`\\bconst ${name}\\s*=`), `${file} defines ${name} again`);
        }
      }
    }
  });

  it('the embed page and the SDK import the contract rather than spelling it', () => {
    const page = readFileSync(join(root, 'web/embed/main.ts'), 'utf8');
    const sdk = readFileSync(join(root, 'web/sdk/embed.ts'), 'utf8');
    assert.match(page, /src\/shared\/embed-page\.ts/);
    assert.match(sdk, /src\/shared\/embed-protocol\.ts/);
    assert.doesNotMatch(readFileSync(join(root, 'web/embed/jwt.ts'), 'utf8'), /subtle\.(importKey|verify)/);
  });
});
