import type { TesseraModule } from '../kernel/module.ts';
import { attributeDefinitionsModule } from './attribute-definitions/module.ts';
import { scimModule } from './scim/module.ts';

/**
 * Every module of Tessera, the one list the app is built from. Adding a module is adding its
 * folder and one line here; order does not matter (modules are built in the order their
 * `needs` require).
 */
export const modules: readonly TesseraModule[] = [
  // Widened to the list's type: assembly checks that `create` returns exactly `provides`.
  attributeDefinitionsModule as unknown as TesseraModule,
  scimModule as unknown as TesseraModule,
];
