import type { Transaction } from 'kysely';
import type { Clock } from '../../../clock.ts';
import type { SecretBox } from '../../../crypto/secret-box.ts';
import { isForeignKeyViolation, isUniqueViolation } from '../../../db/errors.ts';
import type { Database, Db } from '../../../db/index.ts';
import { AppError, assertNoProblems, notFound } from '../../../errors.ts';
import { newId } from '../../../ids.ts';
import { type AuditOrigin, auditEvent, recordAuditEvents } from '../../audit/service.ts';
import { domainsUsingConnection } from '../domains/queries.ts';
import type { PoolManager } from '../engines/pools.ts';
import type { DiscoveredTable } from '../engines/types.ts';
import { type ConnectionCheck, checkConnection } from './check.ts';
import { rememberOpenedSecrets } from './opened-secrets.ts';
import type { TableRef } from './privileges.ts';
import * as q from './queries.ts';
import {
  type ConnectionRow,
  findConnectionRow,
  fromRow,
  listConnectionRows,
  passwordContext,
  toStoredMappings,
} from './queries.ts';
import { redact, resolveConnection } from './resolve.ts';
import { type Connection, type ConnectionView, type Engine, toView } from './types.ts';
import {
  type ConnectionDraft,
  type ConnectionInput,
  connectionProblems,
  type MappingDraft,
  mergeDraft,
} from './validation.ts';

export type { ConnectionInput } from './validation.ts';

export interface ConnectionTest {
  readonly ok: boolean;
  readonly errorCode: string | null;
  readonly message: string | null;
  readonly serverVersion: string | null;
  readonly latencyMs: number;
  readonly resolved: ReturnType<typeof redact> | null;
}

/** Connections of a workspace (`data:admin`): secrets sealed at rest, never returned. */
export class ConnectionService {
  readonly #db: Db;
  readonly #clock: Clock;
  readonly #secrets: SecretBox;
  readonly #pools: PoolManager;

  constructor(db: Db, clock: Clock, secrets: SecretBox, pools: PoolManager) {
    this.#db = db;
    this.#clock = clock;
    this.#secrets = rememberOpenedSecrets(secrets);
    this.#pools = pools;
  }

  async list(workspaceId: string): Promise<ConnectionView[]> {
    return (await listConnectionRows(this.#db, workspaceId)).map((r) => toView(fromRow(r, this.#secrets)));
  }

  async find(workspaceId: string, id: string): Promise<ConnectionView | null> {
    const row = await findConnectionRow(this.#db, workspaceId, id);
    return row ? toView(fromRow(row, this.#secrets)) : null;
  }

  /** The connection with its secrets opened: for the executor only. */
  async load(workspaceId: string, id: string): Promise<Connection> {
    const row = await findConnectionRow(this.#db, workspaceId, id);
    if (!row) throw notFound('Connection not found');
    return fromRow(row, this.#secrets);
  }

  /** Opens the secrets of a row the caller read fresh (the executor reads it with the domain). */
  open(row: ConnectionRow): Connection {
    return fromRow(row, this.#secrets);
  }

  /** Creates a connection after validating every setting; nothing is written on a problem. */
  async create(workspaceId: string, input: ConnectionInput, origin: AuditOrigin): Promise<ConnectionView> {
    const draft = mergeDraft(null, input);
    assertNoProblems(connectionProblems(draft), 'connection');
    const id = newId('con');
    const now = this.#clock.now();
    await this.#write(async (tx) => {
      await q.insertConnection(tx, {
        id,
        workspace_id: workspaceId,
        ...this.#columns(id, draft),
        created_at: now,
        updated_at: now,
      });
      await recordAuditEvents(tx, [
        auditEvent(
          origin,
          now,
          workspaceId,
          'data.connection.create',
          { type: 'connection', id },
          {
            name: draft.name.trim(),
            engine: draft.engine,
          },
        ),
      ]);
    });
    return (await this.find(workspaceId, id))!;
  }

  /** Changes a connection; its pools are closed so the next query uses the new settings. */
  async update(
    workspaceId: string,
    id: string,
    input: ConnectionInput,
    origin: AuditOrigin,
  ): Promise<ConnectionView> {
    const now = this.#clock.now();
    await this.#write(async (tx) => {
      const row = await q.lockConnectionRow(tx, workspaceId, id);
      if (!row) throw notFound('Connection not found');
      const current = fromRow(row, this.#secrets);
      const draft = mergeDraft(current, input);
      assertNoProblems(connectionProblems(draft), 'connection');
      await q.updateConnection(tx, id, { ...this.#columns(id, draft), updated_at: now });
      await recordAuditEvents(tx, [
        auditEvent(
          origin,
          now,
          workspaceId,
          'data.connection.update',
          { type: 'connection', id },
          {
            fields: Object.keys(input).filter((k) => (input as Record<string, unknown>)[k] !== undefined),
          },
        ),
      ]);
    });
    await this.#pools.closeConnection(id);
    return (await this.find(workspaceId, id))!;
  }

  /** Deletes a connection no domain uses (else CONFLICT naming the domains) and closes its pools. */
  async delete(workspaceId: string, id: string, origin: AuditOrigin): Promise<void> {
    const now = this.#clock.now();
    await this.#write(async (tx) => {
      const row = await findConnectionRow(tx, workspaceId, id);
      if (!row) throw notFound('Connection not found');
      const domains = await domainsUsingConnection(tx, id);
      if (domains.length > 0) {
        throw new AppError(
          'CONFLICT',
          `Domains still use this connection: ${domains.map((d) => d.id).join(', ')}`,
          {
            extra: { domainIds: domains.map((d) => d.id) },
          },
        );
      }
      await q.deleteConnection(tx, id);
      await recordAuditEvents(tx, [
        auditEvent(
          origin,
          now,
          workspaceId,
          'data.connection.delete',
          { type: 'connection', id },
          { name: row.name },
        ),
      ]);
    });
    await this.#pools.closeConnection(id);
  }

  /**
   * Connects as a user with `attributes` would (or with the base settings when null) and reports
   * the outcome as data, so a failing test is an answer, not an error.
   */
  async test(
    workspaceId: string,
    id: string,
    attributes: ReadonlyMap<string, string> | null,
  ): Promise<ConnectionTest> {
    const connection = await this.load(workspaceId, id);
    const started = performance.now();
    let resolved: ReturnType<typeof redact> | null = null;
    try {
      const settings = attributes ? resolveConnection(connection, attributes) : baseOnly(connection);
      resolved = redact(settings);
      const serverVersion = await this.#pools.use(settings, (pool) => pool.ping());
      return {
        ok: true,
        errorCode: null,
        message: null,
        serverVersion,
        latencyMs: performance.now() - started,
        resolved,
      };
    } catch (err) {
      if (!(err instanceof AppError)) throw err;
      return {
        ok: false,
        errorCode: err.code,
        message: err.message,
        serverVersion: null,
        latencyMs: performance.now() - started,
        resolved,
      };
    }
  }

  /** Lists the schemas, tables and columns the base settings can see. */
  async discover(workspaceId: string, id: string): Promise<DiscoveredTable[]> {
    const connection = await this.load(workspaceId, id);
    return this.#pools.use(baseOnly(connection), (pool) => pool.discover());
  }

  /**
   * Least privilege, checked (docs/data-access.md, "The warehouse role"): for the base settings
   * and each credential mapping, what its role may do beyond reading `domainTables`.
   */
  async checkPrivileges(
    workspaceId: string,
    id: string,
    domainTables: readonly TableRef[],
  ): Promise<ConnectionCheck[]> {
    return checkConnection(await this.load(workspaceId, id), this.#pools, domainTables);
  }

  /** Discovery for validation: null when the connection cannot be reached (then only syntax is checked). */
  async tryDiscover(connection: Connection): Promise<DiscoveredTable[] | null> {
    try {
      return await this.#pools.use(baseOnly(connection), (pool) => pool.discover());
    } catch (err) {
      if (err instanceof AppError) return null;
      throw err;
    }
  }

  #columns(id: string, d: ConnectionDraft) {
    return {
      name: d.name.trim(),
      engine: d.engine as Engine,
      host: d.host,
      port: d.port,
      database_name: d.database,
      username: d.user,
      password_sealed: d.password ? this.#secrets.seal(d.password, passwordContext(id)) : null,
      schema_name: d.schema,
      tls: d.tls,
      on_no_match: d.onNoMatch,
      credential_mappings: JSON.stringify(
        toStoredMappings(id, d.credentialMappings.map(normalizeMapping), this.#secrets),
      ),
    };
  }

  async #write(work: (tx: Transaction<Database>) => Promise<void>): Promise<void> {
    try {
      await this.#db.transaction().execute(work);
    } catch (err) {
      // A domain bound to the connection while it was being deleted.
      if (isForeignKeyViolation(err)) throw new AppError('CONFLICT', 'A domain uses this connection');
      if (isUniqueViolation(err, 'data_connections_workspace_name_unique')) {
        assertNoProblems(
          [{ code: 'BAD_USER_INPUT', field: 'name', message: 'another connection has this name' }],
          'connection',
        );
      }
      throw err;
    }
  }
}

/** The base settings, as used for testing and discovery by an administrator. */
function baseOnly(c: Connection) {
  return resolveConnection({ ...c, credentialMappings: [] }, new Map());
}

const normalizeMapping = (m: MappingDraft) => ({
  attributeMatch: m.attributeMatch.map((a) => ({ key: a.key, value: a.value })),
  database: m.database ?? null,
  schema: m.schema ?? null,
  user: m.user ?? null,
  host: m.host ?? null,
  password: m.password || null,
  slotPattern: m.slotPattern ?? null,
});
