import type { Clock } from '../../clock.ts';
import type { Db, Executor } from '../../db/index.ts';
import { AppError, assertNoProblems, echo, notFound, type Problem } from '../../errors.ts';
import { ATTRIBUTE_KEY, RESERVED_ATTRIBUTE_KEYS } from '../attributes/validation.ts';
import { type AuditOrigin, recordAudit } from '../audit/service.ts';
import * as q from './queries.ts';
import {
  ATTRIBUTE_TYPES,
  type AttributeDefinition,
  type AttributeDefinitions,
  definitionProblems,
  narrows,
  PRECEDENCE_RULES,
  storedOrder,
  TRANSIENT_OVERRIDES,
  typeProblems,
  valueProblem,
} from './rules.ts';

export interface AttributeDefinitionView extends AttributeDefinition {
  readonly createdAt: Date;
  readonly updatedAt: Date;
}

export interface DefineAttributeInput {
  readonly key: string;
  readonly type: string;
  readonly pattern?: string | null;
  readonly allowedValues?: readonly string[] | null;
  readonly precedence?: string | null;
  readonly transientOverride?: string | null;
}

/** At most this many definitions per workspace: every request that reads attributes reads them all. */
export const MAX_DEFINITIONS = 200;

const toView = (r: q.DefinitionRow): AttributeDefinitionView => ({
  key: r.key,
  type: r.type,
  pattern: r.pattern,
  allowedValues: r.allowed_values,
  precedence: r.precedence,
  transientOverride: r.transient_override,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});

/**
 * Attribute definitions (docs/attribute-definitions.md): a workspace's declared keys with their
 * types, precedence and transient-override rules. Nothing is cached: every request reads them
 * afresh, so a change applies on the next request on every instance.
 */
export class AttributeDefinitionService {
  readonly #db: Db;
  readonly #clock: Clock;

  constructor(db: Db, clock: Clock) {
    this.#db = db;
    this.#clock = clock;
  }

  /** The workspace's definitions by key, read on `db` (a caller's transaction, or the pool). */
  async definitions(workspaceId: string, db: Executor = this.#db): Promise<AttributeDefinitions> {
    return new Map((await q.listDefinitions(db, workspaceId)).map((r) => [r.key, toView(r)]));
  }

  /** Every definition of the workspace, ordered by key. */
  async list(workspaceId: string): Promise<AttributeDefinitionView[]> {
    return (await q.listDefinitions(this.#db, workspaceId)).map(toView);
  }

  /**
   * ATTRIBUTE_TYPE_MISMATCH problems of storing `attributes` in the workspace (an empty list when
   * every declared key's value fits), read in the writer's transaction.
   */
  async writeProblems(
    db: Executor,
    workspaceId: string,
    attributes: readonly { readonly key: string; readonly value: string }[],
    field: string,
  ): Promise<Problem[]> {
    if (attributes.length === 0) return [];
    return typeProblems(await this.definitions(workspaceId, db), attributes, field);
  }

  /**
   * `writeProblems` of many writes (a bulk import's rows) against one reading of the definitions,
   * in the writer's transaction: the problems of each list, in the order given.
   */
  async writeProblemsEach(
    db: Executor,
    workspaceId: string,
    lists: readonly (readonly { readonly key: string; readonly value: string }[])[],
    field: string,
  ): Promise<Problem[][]> {
    if (lists.every((attributes) => attributes.length === 0)) return lists.map(() => []);
    const definitions = await this.definitions(workspaceId, db);
    return lists.map((attributes) => typeProblems(definitions, attributes, field));
  }

  /**
   * Refuses a session's transient attributes that the definitions do not allow
   * (docs/attribute-definitions.md "Transient overrides"): NEVER, NARROW_ONLY that does not narrow
   * the stored value, or a value of the wrong type. `stored` is read only when a NARROW_ONLY key needs it.
   * `definitions`, when the caller read them in a statement of its own (at least those of every
   * transient key), saves reading them here.
   */
  async checkTransient(check: {
    readonly workspaceId: string;
    readonly transient: ReadonlyMap<string, string>;
    readonly stored: () => Promise<readonly { key: string; value: string; source: string }[]>;
    readonly definitions?: AttributeDefinitions;
  }): Promise<void> {
    const { workspaceId, transient, stored } = check;
    if (transient.size === 0) return;
    const definitions = check.definitions ?? (await this.definitions(workspaceId));
    const problems: Problem[] = [];
    let storedValues: readonly { key: string; value: string; source: string }[] | null = null;
    let index = 0;
    for (const [key, value] of transient) {
      const field = `attributes[${index++}].value`;
      const def = definitions.get(key);
      if (!def) continue;
      const bad = (message: string) =>
        problems.push({ code: 'ATTRIBUTE_OVERRIDE_REFUSED', field, item: key, message });
      const typeProblem = valueProblem(def, value);
      if (typeProblem !== null) {
        problems.push({
          code: 'ATTRIBUTE_TYPE_MISMATCH',
          field,
          item: key,
          message: `is declared ${def.type}: ${typeProblem}`,
        });
      } else if (def.transientOverride === 'NEVER') {
        bad('may not be overridden by a session (transientOverride NEVER)');
      } else if (def.transientOverride === 'NARROW_ONLY') {
        storedValues ??= await stored();
        const winner = storedOrder(def.precedence)
          .map((source) => storedValues!.find((a) => a.key === key && a.source === source))
          .find((a) => a !== undefined && valueProblem(def, a.value) === null);
        if (!winner)
          bad('may only narrow a stored value, and the user has none (transientOverride NARROW_ONLY)');
        else if (!narrows(def, value, winner.value))
          bad(
            def.type === 'STRING_LIST'
              ? 'may only narrow the stored list to a sub-list (transientOverride NARROW_ONLY)'
              : 'must equal the stored value (transientOverride NARROW_ONLY)',
          );
      }
    }
    if (problems.length === 0) return;
    const code = problems.some((p) => p.code === 'ATTRIBUTE_OVERRIDE_REFUSED')
      ? 'ATTRIBUTE_OVERRIDE_REFUSED'
      : 'ATTRIBUTE_TYPE_MISMATCH';
    throw new AppError(
      code,
      `Transient attributes refused: ${problems.map((p) => `${p.item} ${p.message}`).join('; ')}`,
      { problems, extra: { attributes: problems.map((p) => p.item) } },
    );
  }

  /** Creates or replaces the definition of one key. */
  async define(
    workspaceId: string,
    input: DefineAttributeInput,
    origin: AuditOrigin,
  ): Promise<AttributeDefinitionView> {
    const def = parseDefinition(input);
    const now = this.#clock.now();
    return this.#db.transaction().execute(async (tx) => {
      const existing = await this.definitions(workspaceId, tx);
      if (!existing.has(def.key) && existing.size >= MAX_DEFINITIONS) {
        throw new AppError(
          'BAD_USER_INPUT',
          `At most ${MAX_DEFINITIONS} attribute definitions per workspace`,
        );
      }
      const row = await q.upsertDefinition(tx, workspaceId, def, now);
      await recordAudit(tx, origin, {
        action: 'attributeDefinition.define',
        workspaceId,
        target: def.key,
        details: { type: def.type, precedence: def.precedence, transientOverride: def.transientOverride },
        at: now,
      });
      return toView(row);
    });
  }

  /** Deletes the definition of one key: the key behaves as an undeclared one again. */
  async delete(workspaceId: string, key: string, origin: AuditOrigin): Promise<void> {
    const now = this.#clock.now();
    await this.#db.transaction().execute(async (tx) => {
      const deleted = await q.deleteDefinition(tx, workspaceId, key);
      if (!deleted) throw notFound('Attribute definition not found');
      await recordAudit(tx, origin, {
        action: 'attributeDefinition.delete',
        workspaceId,
        target: key,
        at: now,
      });
    });
  }
}

function parseDefinition(input: DefineAttributeInput): AttributeDefinition {
  const problems: Problem[] = [];
  const oneOf = <T extends string>(field: string, value: string, allowed: readonly T[]): T => {
    if (!(allowed as readonly string[]).includes(value))
      problems.push({
        code: 'BAD_USER_INPUT',
        field,
        item: echo(value),
        message: `must be one of ${allowed.join(', ')}`,
      });
    return value as T;
  };
  if (!ATTRIBUTE_KEY.test(input.key)) {
    problems.push({
      code: 'BAD_USER_INPUT',
      field: 'key',
      item: echo(input.key),
      message: 'must match ^[A-Za-z_][A-Za-z0-9_.:-]{0,63}$',
    });
  } else if (RESERVED_ATTRIBUTE_KEYS.has(input.key.toLowerCase())) {
    problems.push({ code: 'BAD_USER_INPUT', field: 'key', item: input.key, message: 'is a reserved key' });
  }
  const def: AttributeDefinition = {
    key: input.key,
    type: oneOf('type', input.type, ATTRIBUTE_TYPES),
    pattern: input.pattern ?? null,
    allowedValues: input.allowedValues ?? null,
    precedence: oneOf('precedence', input.precedence ?? 'TRANSIENT_FIRST', PRECEDENCE_RULES),
    transientOverride: oneOf('transientOverride', input.transientOverride ?? 'ANY', TRANSIENT_OVERRIDES),
  };
  if (problems.length === 0) problems.push(...definitionProblems(def));
  if (def.type === 'ENUM' && def.allowedValues) {
    def.allowedValues.forEach((v, i) => {
      if (v.length === 0 || v.includes('\u0000'))
        problems.push({
          code: 'BAD_USER_INPUT',
          field: `allowedValues[${i}]`,
          message: 'must be non-empty text',
        });
    });
  }
  assertNoProblems(problems, 'attribute definition');
  return def;
}
