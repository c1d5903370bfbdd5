import type { Clock } from '../../clock.ts';
import type { Db, Executor } from '../../db/index.ts';
import { assertNoProblems, notFound } from '../../errors.ts';
import { newId } from '../../ids.ts';
import { type AuditOrigin, recordAudit } from '../audit/service.ts';
import * as q from './queries.ts';

export interface WorkspaceView {
  readonly id: string;
  readonly name: string;
  readonly isDefault: boolean;
  readonly createdAt: Date;
}

export class WorkspaceService {
  readonly #db: Db;
  readonly #clock: Clock;

  constructor(db: Db, clock: Clock) {
    this.#db = db;
    this.#clock = clock;
  }

  /** The default workspace, created on first use; safe when several instances race. */
  async ensureDefault(): Promise<WorkspaceView> {
    await q.insertDefaultWorkspace(this.#db, newId('ws'), this.#clock.now());
    return toView(await q.findDefaultWorkspace(this.#db));
  }

  async find(id: string, db: Executor = this.#db): Promise<WorkspaceView | null> {
    const row = await q.findWorkspace(db, id);
    return row ? toView(row) : null;
  }

  /** When revokeSessions last ended the workspace's sessions (docs/sessions.md), or null. */
  sessionsRevokedAt(id: string, db: Executor = this.#db): Promise<Date | null> {
    return q.sessionsRevokedAtOf(db, id);
  }

  async get(id: string, db: Executor = this.#db): Promise<WorkspaceView> {
    const ws = await this.find(id, db);
    if (!ws) throw notFound('Workspace not found');
    return ws;
  }

  async list(): Promise<WorkspaceView[]> {
    return (await q.listWorkspaces(this.#db)).map(toView);
  }

  async create(name: string, origin: AuditOrigin): Promise<WorkspaceView> {
    const trimmed = name.trim();
    assertNoProblems(
      trimmed.length === 0 || trimmed.length > 200
        ? [{ code: 'BAD_USER_INPUT', field: 'name', message: 'must be 1 to 200 characters' }]
        : [],
      'workspace',
    );
    const now = this.#clock.now();
    const id = newId('ws');
    await this.#db.transaction().execute(async (tx) => {
      await q.insertWorkspace(tx, id, trimmed, now);
      await recordAudit(tx, origin, {
        action: 'workspace.create',
        workspaceId: id,
        target: id,
        details: { name: trimmed },
        at: now,
      });
    });
    return this.get(id);
  }
}

const toView = (row: { id: string; name: string; is_default: boolean; created_at: Date }): WorkspaceView => ({
  id: row.id,
  name: row.name,
  isDefault: row.is_default,
  createdAt: row.created_at,
});
