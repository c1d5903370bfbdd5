import { AppError } from '../../../errors.ts';
import { compileSlotPattern, fillTemplate, SlotError } from './templates.ts';
import { type Connection, type CredentialMapping, defaultSchemaOf, type ResolvedSettings } from './types.ts';
import { WAREHOUSE_NAME } from './validation.ts';

/**
 * Picks the settings a user's queries run with (docs/data-access.md "Credential mappings"): the first mapping whose every
 * `attributeMatch` pair equals the user's effective attribute wins and its overrides replace the
 * base settings; templated overrides are filled only from attributes that match the slot pattern.
 * No match: `onNoMatch: DENY` (the default) refuses with ACCESS_DENIED naming the connection,
 * never a silent fallback to the base credentials.
 */
export function resolveConnection(
  connection: Connection,
  attributes: ReadonlyMap<string, string>,
): ResolvedSettings {
  const index = connection.credentialMappings.findIndex((m) =>
    m.attributeMatch.every((pair) => attributes.get(pair.key) === pair.value),
  );
  if (index === -1) {
    if (connection.credentialMappings.length > 0 && connection.onNoMatch === 'DENY') {
      throw new AppError(
        'ACCESS_DENIED',
        `No credential mapping of connection "${connection.name}" matches the user's attributes`,
        { extra: { connectionId: connection.id } },
      );
    }
    return base(connection, null);
  }
  return applyMapping(connection, connection.credentialMappings[index]!, index, attributes);
}

function base(c: Connection, mappingIndex: number | null): ResolvedSettings {
  return {
    connectionId: c.id,
    engine: c.engine,
    host: c.host,
    port: c.port,
    database: c.database,
    user: c.user,
    password: c.password,
    schema: c.schema ?? defaultSchemaOf(c.engine, c.database),
    tls: c.tls,
    mappingIndex,
  };
}

function applyMapping(
  c: Connection,
  m: CredentialMapping,
  index: number,
  attributes: ReadonlyMap<string, string>,
): ResolvedSettings {
  const pattern = compileSlotPattern(m.slotPattern);
  const fill = (template: string | null): string | null => {
    if (template === null) return null;
    try {
      return fillTemplate(template, attributes, pattern);
    } catch (err) {
      if (!(err instanceof SlotError)) throw err;
      throw new AppError('ACCESS_DENIED', `Connection "${c.name}": ${err.message}; nothing was run`, {
        extra: { connectionId: c.id, slot: err.slot },
      });
    }
  };
  const database = fill(m.database) ?? c.database;
  const schema = fill(m.schema) ?? c.schema;
  if (c.engine === 'pglite' && !WAREHOUSE_NAME.test(database)) {
    throw new AppError('ACCESS_DENIED', `Connection "${c.name}": the resolved warehouse name is not valid`, {
      extra: { connectionId: c.id },
    });
  }
  return {
    connectionId: c.id,
    engine: c.engine,
    host: fill(m.host) ?? c.host,
    port: c.port,
    database,
    user: fill(m.user) ?? c.user,
    password: m.password ?? c.password,
    schema: schema ?? defaultSchemaOf(c.engine, database),
    tls: c.tls,
    mappingIndex: index,
  };
}

/** The resolved settings with every secret removed, for explainAccess and testConnection. */
export function redact(settings: ResolvedSettings) {
  const { password, ...rest } = settings;
  return { ...rest, hasPassword: password !== null && password !== '' };
}
