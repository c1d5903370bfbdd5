import { defineModule } from '../../kernel/module.ts';
import { attributeDefinitionsGraphql } from './resolvers.ts';
import { AttributeDefinitionService } from './service.ts';

declare module '../../kernel/services.ts' {
  interface Services {
    /** Declared attribute keys: types, precedence, transient overrides (docs/attribute-definitions.md). */
    readonly attributeDefinitions: AttributeDefinitionService;
  }
}

/**
 * Attribute definitions (table `attribute_definitions`). It needs no other module: writers
 * (users, SCIM) and readers (sessions, the query snapshot) ask it, never the other way round.
 */
export const attributeDefinitionsModule = defineModule({
  name: 'attribute-definitions',
  needs: [],
  provides: ['attributeDefinitions'],
  create: ({ db, clock }) => ({ attributeDefinitions: new AttributeDefinitionService(db, clock) }),
  graphql: attributeDefinitionsGraphql(),
});
