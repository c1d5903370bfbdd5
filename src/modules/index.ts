import type { TesseraModule } from '../kernel/module.ts';
import { ssoModule } from './sso/module.ts';
import { webSessionsModule } from './web-sessions/module.ts';

/**
 * Every module of Tessera, the one list the app is built from. Adding a module is adding its
 * folder and one line here; order does not matter (modules are built in the order their
 * `needs` require).
 */
export const modules: readonly TesseraModule[] = [webSessionsModule, ssoModule] as readonly TesseraModule[];
