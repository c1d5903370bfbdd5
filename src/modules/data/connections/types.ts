/** The engines a connection can use (docs/data-access.md "Connections"). `pglite` is the embedded demo warehouse. */
export const ENGINES = ['postgres', 'mysql', 'pglite'] as const;
export type Engine = (typeof ENGINES)[number];
export const isEngine = (value: string): value is Engine => (ENGINES as readonly string[]).includes(value);

export type OnNoMatch = 'DENY' | 'USE_BASE';

/** The SQL dialect the query gate parses for an engine. */
export const dialectOf = (engine: Engine): 'postgres' | 'mysql' =>
  engine === 'mysql' ? 'mysql' : 'postgres';

export interface AttributeMatch {
  readonly key: string;
  readonly value: string;
}

/** One credential mapping with its secret opened (service-internal; never returned). */
export interface CredentialMapping {
  readonly attributeMatch: readonly AttributeMatch[];
  readonly database: string | null;
  readonly schema: string | null;
  readonly user: string | null;
  readonly host: string | null;
  readonly password: string | null;
  /** The pattern every template slot value must match; null = the default. */
  readonly slotPattern: string | null;
}

/** A connection as the service holds it: secrets opened, for resolving and connecting only. */
export interface Connection {
  readonly id: string;
  readonly workspaceId: string;
  readonly name: string;
  readonly engine: Engine;
  readonly host: string;
  readonly port: number | null;
  readonly database: string;
  readonly user: string;
  readonly password: string | null;
  readonly schema: string | null;
  readonly tls: boolean;
  readonly onNoMatch: OnNoMatch;
  readonly credentialMappings: readonly CredentialMapping[];
  readonly createdAt: Date;
  readonly updatedAt: Date;
}

/** What the API shows of a credential mapping: its secret replaced by `hasPassword`. */
export type CredentialMappingView = Omit<CredentialMapping, 'password'> & { readonly hasPassword: boolean };

/** What the API shows of a connection: every secret replaced by `hasPassword`. */
export type ConnectionView = Omit<Connection, 'password' | 'credentialMappings'> & {
  readonly hasPassword: boolean;
  readonly credentialMappings: readonly CredentialMappingView[];
};

/** The settings a query actually connects with, after the credential mappings were applied. */
export interface ResolvedSettings {
  readonly connectionId: string;
  readonly engine: Engine;
  readonly host: string;
  readonly port: number | null;
  readonly database: string;
  readonly user: string;
  readonly password: string | null;
  /** The schema unqualified table names resolve in (Postgres search path; MySQL: the database). */
  readonly schema: string;
  readonly tls: boolean;
  /** Which mapping applied (its index), or null when the base settings did. */
  readonly mappingIndex: number | null;
}

export function toView(c: Connection): ConnectionView {
  return {
    id: c.id,
    workspaceId: c.workspaceId,
    name: c.name,
    engine: c.engine,
    host: c.host,
    port: c.port,
    database: c.database,
    user: c.user,
    hasPassword: c.password !== null && c.password !== '',
    schema: c.schema,
    tls: c.tls,
    onNoMatch: c.onNoMatch,
    credentialMappings: c.credentialMappings.map((m) => ({
      attributeMatch: m.attributeMatch,
      database: m.database,
      schema: m.schema,
      user: m.user,
      host: m.host,
      hasPassword: m.password !== null && m.password !== '',
      slotPattern: m.slotPattern,
    })),
    createdAt: c.createdAt,
    updatedAt: c.updatedAt,
  };
}

/** The default schema of an engine when the connection names none. */
export const defaultSchemaOf = (engine: Engine, database: string): string =>
  engine === 'mysql' ? database : 'public';

/**
 * Whether a domain table's schema is the connection's base schema, which a credential mapping's
 * schema or database override replaces (docs/data-access.md "Credential mappings"). Names compare
 * as the gate resolves them: MySQL database names case-insensitively, PostgreSQL schema names
 * exactly. Compared any other way, a table listed as `Shop.items` on a connection to `shop`
 * would keep pointing at the shared database on a server that folds names, while the gate
 * matched the tenant's queries to it.
 */
export const isBaseSchema = (engine: Engine, schema: string, base: string): boolean =>
  engine === 'mysql' ? schema.toLowerCase() === base.toLowerCase() : schema === base;
