import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildOrder, createModuleServices, ModuleGraphError, servicesFor } from './assemble.ts';
import type { TesseraModule } from './module.ts';
import type { ServiceName, Services } from './services.ts';

// Test modules name services that no real module has; the kernel's type only knows real ones.
const named = (...names: string[]) => names as unknown as ServiceName[];
function mod(name: string, needs: string[], provides: string[]): TesseraModule {
  return {
    name,
    needs: named(...needs),
    provides: named(...provides),
    create: (s) =>
      Object.fromEntries(
        provides.map((p) => [p, { by: name, saw: needs.map((n) => Reflect.get(s, n)) }]),
      ) as never,
  };
}

describe('module assembly', () => {
  it('builds every module after the modules providing what it needs, whatever the list order', () => {
    const order = buildOrder([mod('c', ['b'], ['c']), mod('b', ['a'], ['b']), mod('a', [], ['a'])], []);
    assert.deepEqual(
      order.map((m) => m.name),
      ['a', 'b', 'c'],
    );
  });

  it('refuses a need nobody provides, a service provided twice, and a cycle', () => {
    assert.throws(
      () => buildOrder([mod('a', ['ghost'], ['a'])], []),
      /needs "ghost", which no module provides/,
    );
    assert.throws(() => buildOrder([mod('a', [], ['x']), mod('b', [], ['x'])], []), ModuleGraphError);
    assert.throws(() => buildOrder([mod('a', ['b'], ['a']), mod('b', ['a'], ['b'])], []), /cycle: a → b → a/);
  });

  it('lets a module reach only the services it declared', () => {
    const services = { config: {}, a: 1, b: 2 } as unknown as Services;
    const view = servicesFor(mod('m', ['a'], []), services);
    assert.equal(Reflect.get(view, 'a'), 1);
    assert.equal(Reflect.get(view, 'config'), services.config);
    assert.throws(() => Reflect.get(view, 'b'), /uses "b" without declaring it in needs/);
  });

  it('adds each module’s services, built from those it needs', () => {
    const services = {} as Services;
    createModuleServices([mod('b', ['a'], ['b']), mod('a', [], ['a'])], services);
    assert.deepEqual(Reflect.get(services, 'b'), { by: 'b', saw: [{ by: 'a', saw: [] }] });
  });

  it('lets two modules use each other through `uses`, which is checked but does not order the build', () => {
    const a = { ...mod('a', [], ['a']), uses: named('b') };
    const b = mod('b', ['a'], ['b']);
    assert.deepEqual(
      buildOrder([b, a], []).map((m) => m.name),
      ['a', 'b'],
    );
    const services = { a: 1, b: 2 } as unknown as Services;
    assert.equal(Reflect.get(servicesFor(a, services), 'b'), 2);
    assert.throws(
      () => buildOrder([{ ...mod('a', [], ['a']), uses: named('ghost') }], []),
      /uses "ghost", which no module provides/,
    );
  });
});
