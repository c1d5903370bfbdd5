import type { Selectable } from 'kysely';
import type { Executor } from '../../db/index.ts';
import type { AttributeDefinitionsTable } from '../../db/schema.ts';
import type { AttributeDefinition } from './rules.ts';

export type DefinitionRow = Selectable<AttributeDefinitionsTable>;

export const listDefinitions = (db: Executor, workspaceId: string) =>
  db
    .selectFrom('attribute_definitions')
    .selectAll()
    .where('workspace_id', '=', workspaceId)
    .orderBy('key')
    .execute();

/** Creates the definition or replaces every field of the existing one; returns the stored row. */
export const upsertDefinition = (db: Executor, workspaceId: string, def: AttributeDefinition, at: Date) =>
  db
    .insertInto('attribute_definitions')
    .values({
      workspace_id: workspaceId,
      key: def.key,
      type: def.type,
      pattern: def.pattern,
      allowed_values: def.allowedValues === null ? null : [...def.allowedValues],
      precedence: def.precedence,
      transient_override: def.transientOverride,
      created_at: at,
      updated_at: at,
    })
    .onConflict((oc) =>
      oc.columns(['workspace_id', 'key']).doUpdateSet((eb) => ({
        type: eb.ref('excluded.type'),
        pattern: eb.ref('excluded.pattern'),
        allowed_values: eb.ref('excluded.allowed_values'),
        precedence: eb.ref('excluded.precedence'),
        transient_override: eb.ref('excluded.transient_override'),
        updated_at: eb.ref('excluded.updated_at'),
      })),
    )
    .returningAll()
    .executeTakeFirstOrThrow();

export const deleteDefinition = (db: Executor, workspaceId: string, key: string) =>
  db
    .deleteFrom('attribute_definitions')
    .where('workspace_id', '=', workspaceId)
    .where('key', '=', key)
    .returningAll()
    .executeTakeFirst();
