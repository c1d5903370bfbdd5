import type { AnyModule } from './module.ts';
import { KERNEL_SERVICES, type KernelServices, type ServiceName, type Services } from './services.ts';

/** A module list that cannot be built: a need nobody provides, a service provided twice, a cycle. */
export class ModuleGraphError extends Error {
  override readonly name = 'ModuleGraphError';
}

/**
 * The modules in an order where each comes after every module providing what it needs. Fails on a
 * need no module provides, a service two modules provide, and a cycle.
 */
export function buildOrder(modules: readonly AnyModule[], provided: readonly ServiceName[]): AnyModule[] {
  const owner = new Map<ServiceName, AnyModule>();
  for (const m of modules) {
    for (const name of m.provides) {
      const other = owner.get(name);
      if (other || provided.includes(name)) {
        throw new ModuleGraphError(
          `service "${name}" is provided by both ${other?.name ?? 'the kernel'} and ${m.name}`,
        );
      }
      owner.set(name, m);
    }
  }
  const ordered: AnyModule[] = [];
  const state = new Map<AnyModule, 'visiting' | 'done'>();
  const visit = (m: AnyModule, path: readonly string[]): void => {
    if (state.get(m) === 'done') return;
    if (state.get(m) === 'visiting') {
      throw new ModuleGraphError(`modules depend on each other in a cycle: ${[...path, m.name].join(' → ')}`);
    }
    state.set(m, 'visiting');
    for (const need of m.needs) {
      if (provided.includes(need)) continue;
      const dependency = owner.get(need);
      if (!dependency)
        throw new ModuleGraphError(`module ${m.name} needs "${need}", which no module provides`);
      if (dependency !== m) visit(dependency, [...path, m.name]);
    }
    state.set(m, 'done');
    ordered.push(m);
  };
  for (const m of modules) {
    for (const use of m.uses ?? []) {
      if (!provided.includes(use) && !owner.has(use))
        throw new ModuleGraphError(`module ${m.name} uses "${use}", which no module provides`);
    }
  }
  for (const m of modules) visit(m, []);
  return ordered;
}

/**
 * The services a module may reach: the kernel's, those it declared in `needs` or `uses`, and its own. Any
 * other name throws, so an undeclared dependency shows up the first time the code runs.
 */
export function servicesFor(module: AnyModule, services: Services): Services {
  const allowed = new Set<PropertyKey>([
    ...KERNEL_SERVICES,
    ...module.needs,
    ...(module.uses ?? []),
    ...module.provides,
  ]);
  return new Proxy(services, {
    get(target, key, receiver) {
      if (typeof key === 'string' && !allowed.has(key) && key in target) {
        throw new ModuleGraphError(`module ${module.name} uses "${key}" without declaring it in needs`);
      }
      return Reflect.get(target, key, receiver);
    },
  });
}

/** Builds every module's services in dependency order, adding them to `services`. */
export function createModuleServices(modules: readonly AnyModule[], services: Services): AnyModule[] {
  const ordered = buildOrder(modules, Object.keys(services) as ServiceName[]);
  for (const m of ordered) {
    const created = m.create?.(servicesFor(m, services)) ?? {};
    for (const name of m.provides) {
      if (!(name in created)) throw new ModuleGraphError(`module ${m.name} did not create "${name}"`);
    }
    Object.assign(services, created);
  }
  return ordered;
}

/**
 * Every service of an app: the kernel's, then each module's, built in dependency order. Returns
 * the modules in that order (for routes, start and stop).
 */
export function assembleServices(
  modules: readonly AnyModule[],
  kernel: KernelServices,
): { services: Services; ordered: AnyModule[] } {
  // Filled in place: each module's `create` sees the services built before it, and
  // createModuleServices checks that every module created all it provides, so once it returns
  // the object holds every service of the list.
  const services = { ...kernel } as Services;
  const ordered = createModuleServices(modules, services);
  return { services, ordered };
}
