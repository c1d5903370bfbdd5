import { queryRefused } from '../errors.ts';
import type { PolicyFunction } from '../policy-functions.ts';
import { isObject, isSystemSchema, listFunctionCall, type PgNode, type Scope } from './nodes.ts';
import { PgWalker, type WalkHooks } from './walk.ts';

export interface PolicyWalkHooks extends WalkHooks {
  /** A compat policy function call: its replacement. */
  policyFunction(call: PgNode, name: string): PgNode;
  /** IN-list items a compat list function expands to. */
  expandListFunction(call: PgNode, name: string): PgNode[];
  /** A column reference outside any sub-select: the policy's own columns. */
  topLevelColumn?(columnRef: PgNode): void;
  /** Schemas of the domain's tables: types written with these qualifiers are allowed. */
  readonly domainSchemas: ReadonlySet<string>;
}

/**
 * The walk of a row policy (trusted admin SQL): its compat calls become parameters, a list call
 * inside `IN (…)` expands, its own columns are reported, and casts may also go to the domain's
 * own types (enums).
 */
export class PgPolicyWalker extends PgWalker<PolicyWalkHooks> {
  protected columnRef(body: PgNode): void {
    if (this.selectDepth === 0) this.hooks.topLevelColumn?.(body);
  }

  protected indirection(): void {}

  protected compatCall(body: PgNode, fn: PolicyFunction): PgNode {
    return this.hooks.policyFunction(body, fn);
  }

  protected paramRef(): PgNode {
    throw queryRefused('Queries cannot contain parameter placeholders');
  }

  protected inList(body: PgNode, scope: Scope | null): PgNode | 'walked' | null {
    const list = isObject(body.rexpr) && isObject(body.rexpr.List) ? body.rexpr.List : null;
    if (list === null || !Array.isArray(list.items)) return null;
    const items: PgNode[] = [];
    for (const item of list.items) {
      const call = listFunctionCall(item);
      if (call === null) items.push(this.node(item, scope));
      else items.push(...this.hooks.expandListFunction(call.body, call.name));
    }
    // An empty list matches nothing: `x IN (NULL)` is never true.
    list.items = items.length > 0 ? items : [{ A_Const: { isnull: true } }];
    this.walkFields(body, scope, new Set(['name', 'rexpr']));
    return 'walked';
  }

  protected qualifiedTypeAllowed(names: readonly string[]): boolean {
    return names.length === 2 && this.hooks.domainSchemas.has(names[0]!) && !isSystemSchema(names[0]!);
  }
}
