import type { Clock } from '../../clock.ts';
import type { Db, Executor } from '../../db/index.ts';
import { assertNoProblems, forbidden, notFound, type Problem } from '../../errors.ts';
import { type AuditOrigin, auditEvent, recordAuditEvents } from '../audit/service.ts';
import { expandPermissions, isPermission, PERMISSIONS, type Permission } from '../auth/permissions.ts';
import type { KeyPrincipal } from '../auth/principal.ts';
import * as q from './queries.ts';
import { DECOY_HASH, generateAccessKey, hashSecret, parseAccessKey, secretMatches } from './token-format.ts';

export interface AccessKeyView {
  readonly id: string;
  readonly workspaceId: string;
  readonly name: string;
  readonly permissions: readonly Permission[];
  readonly createdAt: Date;
  readonly expiresAt: Date | null;
  readonly revokedAt: Date | null;
  readonly lastUsedAt: Date | null;
}

/** A stored access key row, as `find` returns it. */
export type AccessKeyRow = NonNullable<Awaited<ReturnType<typeof q.findAccessKey>>>;

const toView = (row: AccessKeyRow): AccessKeyView => ({
  id: row.id,
  workspaceId: row.workspace_id,
  name: row.name,
  permissions: row.permissions.filter(isPermission),
  createdAt: row.created_at,
  expiresAt: row.expires_at,
  revokedAt: row.revoked_at,
  lastUsedAt: row.last_used_at,
});

/** Where a credential was presented, for the audit trail. */
export interface RequestMeta {
  readonly requestId?: string | null;
  readonly ip?: string | null;
}

/** Key use is recorded at most this often per key, so a busy key does not write on every request. */
const USE_RECORD_INTERVAL_MS = 60_000;

export class AccessKeyService {
  readonly #db: Db;
  readonly #clock: Clock;

  constructor(db: Db, clock: Clock) {
    this.#db = db;
    this.#clock = clock;
  }

  /**
   * Checks a presented access key. Returns null for any failure (malformed, unknown id, wrong
   * secret, revoked, expired) after the same amount of hashing work, so callers cannot tell which.
   * Reads the database every time: a revocation on any instance applies on the next request.
   * Use is recorded (lastUsedAt and an `accessKey.use` audit event) at most once a minute per key.
   */
  async verify(
    token: string,
    request: RequestMeta = {},
  ): Promise<(KeyPrincipal & { kind: 'accessKey' }) | null> {
    return this.verifyFound(token, await this.find(token), request);
  }

  /** The stored row of the key a presented token names, if any (not yet verified). */
  find(token: string): Promise<AccessKeyRow | undefined> {
    const parsed = parseAccessKey(token);
    return parsed ? q.findAccessKey(this.#db, parsed.keyId) : Promise.resolve(undefined);
  }

  /**
   * `verify` for a caller that read the key's row itself, in a statement it runs anyway (see
   * `find` and `keyLookupOf`): the same checks, the same hashing work on every path.
   */
  async verifyFound(
    token: string,
    found: AccessKeyRow | undefined,
    request: RequestMeta = {},
  ): Promise<(KeyPrincipal & { kind: 'accessKey' }) | null> {
    const parsed = parseAccessKey(token);
    const row = parsed && found?.id === parsed.keyId ? found : undefined;
    const matches = secretMatches(row?.secret_hash ?? DECOY_HASH, parsed?.secret ?? '');
    if (!row || !matches) return null;
    const now = this.#clock.now();
    if (row.revoked_at || (row.expires_at && row.expires_at <= now)) return null;
    const since = new Date(now.getTime() - USE_RECORD_INTERVAL_MS);
    if (!row.last_used_at || row.last_used_at < since) {
      await this.#db.transaction().execute(async (tx) => {
        if (!(await q.claimAccessKeyUse(tx, row.id, now, since))) return;
        await recordAuditEvents(tx, [
          {
            workspaceId: row.workspace_id,
            action: 'accessKey.use',
            actorKeyId: row.id,
            targetType: 'accessKey',
            targetId: row.id,
            requestId: request.requestId ?? null,
            ip: request.ip ?? null,
            at: now,
          },
        ]);
      });
    }
    return {
      kind: 'accessKey',
      keyId: row.id,
      workspaceId: row.workspace_id,
      permissions: expandPermissions(row.permissions),
    };
  }

  /**
   * The key id a presented token names and the SHA-256 of its secret, for a statement that looks
   * the key up together with other work; null when the token is not shaped like one of ours.
   */
  keyLookupOf(token: string): { keyId: string; secretHash: Buffer } | null {
    const parsed = parseAccessKey(token);
    return parsed ? { keyId: parsed.keyId, secretHash: hashSecret(parsed.secret) } : null;
  }

  /** The key id a presented token names, if it is shaped like one of ours (for rate limits and audit). */
  keyIdOf(token: string): string | null {
    return parseAccessKey(token)?.keyId ?? null;
  }

  /**
   * Creates a key and returns its token, which is never shown again. `creator` is null for the CLI
   * (trusted operator); otherwise a key may only mint keys no stronger than itself unless it has
   * `site:admin`.
   */
  /** The workspace of the key `keyId`, or null when there is no such key. */
  async workspaceOf(keyId: string): Promise<string | null> {
    return (await q.workspaceOfKey(this.#db, keyId)) ?? null;
  }

  /** Whether any access key exists (revoked ones count), read on `db` (a connection holding a lock). */
  async anyExists(db: Executor = this.#db): Promise<boolean> {
    return q.anyAccessKey(db);
  }

  async create(
    input: { workspaceId: string; name: string; permissions: readonly string[]; expiresAt: Date | null },
    creator: { principal: KeyPrincipal; origin: AuditOrigin } | null,
    db: Executor = this.#db,
  ): Promise<{ key: AccessKeyView; token: string }> {
    const problems = validateKeyInput(input, this.#clock.now());
    assertNoProblems(problems, 'access key');
    const permissions = [...new Set(input.permissions)] as Permission[];
    if (creator && !creator.principal.permissions.has('site:admin')) {
      const stronger = permissions.filter((p) => !creator.principal.permissions.has(p));
      if (stronger.length > 0)
        throw forbidden(`Cannot grant permissions the calling key does not hold: ${stronger.join(', ')}`);
    }
    const { keyId, secret, token } = generateAccessKey();
    const now = this.#clock.now();
    await db.transaction().execute(async (tx) => {
      await q.insertAccessKey(tx, {
        id: keyId,
        workspace_id: input.workspaceId,
        name: input.name.trim(),
        secret_hash: hashSecret(secret),
        permissions,
        expires_at: input.expiresAt,
        created_by: creator?.principal.keyId ?? null,
        created_at: now,
      });
      await recordAuditEvents(tx, [
        auditEvent(
          creator?.origin ?? cliOrigin,
          now,
          input.workspaceId,
          'accessKey.create',
          { type: 'accessKey', id: keyId },
          { permissions },
        ),
      ]);
    });
    const row = await q.findAccessKey(db, keyId);
    return { key: toView(row!), token };
  }

  async list(workspaceId: string): Promise<AccessKeyView[]> {
    return (await q.listAccessKeys(this.#db, workspaceId)).map(toView);
  }

  /**
   * Revokes a key of the workspace. Unknown, other-workspace and already revoked keys are
   * NOT_FOUND. `revoker` is null for the CLI (trusted operator); otherwise, as for `create`, a
   * key without `site:admin` may only revoke keys no stronger than itself (an `iam:write` key must
   * not lock out the administrators).
   */
  async revoke(
    workspaceId: string,
    keyId: string,
    origin: AuditOrigin,
    revoker: KeyPrincipal | null = null,
  ): Promise<void> {
    const now = this.#clock.now();
    await this.#db.transaction().execute(async (tx) => {
      const target = await q.lockLiveKey(tx, workspaceId, keyId);
      if (!target) throw notFound('Access key not found');
      if (revoker && !revoker.permissions.has('site:admin')) {
        const stronger = target.permissions.filter((p) => !revoker.permissions.has(p as Permission));
        if (stronger.length > 0)
          throw forbidden(
            `Cannot revoke a key with permissions the calling key does not hold: ${stronger.join(', ')}`,
          );
      }
      await q.revokeAccessKey(tx, workspaceId, keyId, now);
      await recordAuditEvents(tx, [
        auditEvent(origin, now, workspaceId, 'accessKey.revoke', { type: 'accessKey', id: keyId }),
      ]);
    });
  }
}

const cliOrigin: AuditOrigin = { requestId: null, ip: null, actorKeyId: null, actorUserId: null };

function validateKeyInput(
  input: { name: string; permissions: readonly string[]; expiresAt: Date | null },
  now: Date,
): Problem[] {
  const problems: Problem[] = [];
  if (input.name.length > 200)
    problems.push({ code: 'BAD_USER_INPUT', field: 'name', message: 'must be at most 200 characters' });
  if (input.permissions.length === 0)
    problems.push({
      code: 'BAD_USER_INPUT',
      field: 'permissions',
      message: `at least one of ${PERMISSIONS.join(', ')}`,
    });
  input.permissions.forEach((p, i) => {
    if (!isPermission(p))
      problems.push({
        code: 'BAD_USER_INPUT',
        field: `permissions[${i}]`,
        item: p,
        message: 'unknown permission',
      });
  });
  if (input.expiresAt && input.expiresAt <= now)
    problems.push({ code: 'BAD_USER_INPUT', field: 'expiresAt', message: 'must be in the future' });
  return problems;
}
