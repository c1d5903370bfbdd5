import type { TesseraModule } from '../kernel/module.ts';
import { dashboardsModule } from './dashboards/module.ts';

/**
 * Every module of Tessera, the one list the app is built from. Adding a module is adding its
 * folder and one line here; order does not matter (modules are built in the order their
 * `needs` require).
 */
// The cast widens what `create` returns to the list's element type; assembly checks that each
// module creates exactly what it provides.
export const modules: readonly TesseraModule[] = [dashboardsModule as TesseraModule];
