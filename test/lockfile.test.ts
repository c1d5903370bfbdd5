import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';

interface LockedPackage {
  readonly version?: string;
  readonly optionalDependencies?: Record<string, string>;
}

/**
 * `npm ci` installs exactly the lockfile. A lockfile written on one platform with other
 * platforms' optional packages left out (esbuild's, Biome's binaries) makes `npm install`
 * rewrite it and `npm ci` fail on a fresh clone elsewhere.
 */
test("package-lock.json holds every locked package's optional dependencies, for every platform", () => {
  const lock = JSON.parse(readFileSync(new URL('../package-lock.json', import.meta.url), 'utf8')) as {
    lockfileVersion: number;
    packages: Record<string, LockedPackage>;
  };
  assert.ok(lock.lockfileVersion >= 2, 'a lockfile with the packages map');
  const missing: string[] = [];
  for (const [path, pkg] of Object.entries(lock.packages)) {
    for (const name of Object.keys(pkg.optionalDependencies ?? {})) {
      // npm resolves a dependency in the nearest node_modules up the tree.
      const nested = path === '' ? [] : [`${path}/node_modules/${name}`];
      if (![...nested, `node_modules/${name}`].some((p) => p in lock.packages))
        missing.push(`${name} (of ${path || 'the root'})`);
    }
  }
  assert.deepEqual(missing, [], 'run `npm install` and commit the lockfile it writes');
  const esbuildPlatforms = Object.keys(lock.packages).filter((p) => p.startsWith('node_modules/@esbuild/'));
  assert.ok(
    esbuildPlatforms.length > 10,
    `esbuild's platform packages are all locked (${esbuildPlatforms.length})`,
  );
});
