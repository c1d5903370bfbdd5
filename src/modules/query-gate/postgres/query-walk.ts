import { queryRefused } from '../errors.ts';
import type { PolicyFunction } from '../policy-functions.ts';
import { checkFieldName } from './fields.ts';
import { fieldNames, type PgNode, type Scope } from './nodes.ts';
import { PgWalker, type WalkHooks } from './walk.ts';

export interface QueryWalkHooks extends WalkHooks {
  /** A `$k` that stands for a `{{name}}`: its replacement. Without it `$k` is refused. */
  queryParameter?(paramRef: PgNode): PgNode;
  /** `x [NOT] IN ($k)`: a replacement for a list parameter, or null to walk it as usual. */
  queryInList?(expr: PgNode): PgNode | null;
}

/**
 * The walk of a user's query: field selections may be attribute notation for a call and are
 * checked as calls, the compat policy functions are refused, a parameter is only one of the
 * query's own `{{name}}` slots, and casts go to built-in types only.
 */
export class PgQueryWalker extends PgWalker<QueryWalkHooks> {
  protected columnRef(body: PgNode): void {
    // Every field after the first may be attribute notation for a call (see checkFieldName).
    fieldNames(body.fields, 1).forEach(checkFieldName);
  }

  protected indirection(body: PgNode): void {
    fieldNames(body.indirection, 0).forEach(checkFieldName);
  }

  protected compatCall(_body: PgNode, _fn: PolicyFunction, name: string): PgNode {
    throw queryRefused(`${name.toUpperCase()}() may only be used in row policies`, { function: name });
  }

  protected paramRef(body: PgNode): PgNode {
    if (this.hooks.queryParameter === undefined) {
      throw queryRefused('Queries cannot contain parameter placeholders');
    }
    return this.hooks.queryParameter(body);
  }

  protected inList(body: PgNode, _scope: Scope | null): PgNode | 'walked' | null {
    return this.hooks.queryInList?.(body) ?? null;
  }

  protected qualifiedTypeAllowed(): boolean {
    // A cast to a table's row type forges a row the policy never produced, and a domain's or
    // base type's input function may be anyone's code.
    return false;
  }
}
