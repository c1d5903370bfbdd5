import { queryRefused } from '../errors.ts';
import type { PolicyFunction } from '../policy-functions.ts';
import { isObject, type MyNode, type MyScope } from './nodes.ts';
import { placeholderIndex } from './placeholders.ts';
import { MyWalker, type MyWalkHooks } from './walk.ts';

export interface MyQueryWalkHooks extends MyWalkHooks {
  /** A derived table `(SELECT …) AS x` before its body is walked: true = fully handled here. */
  derived?(item: MyNode): boolean;
  /** A `{{name}}` stand-in where a value goes: its replacement. */
  queryParameter?(ref: MyNode): MyNode;
  /** A `{{name}}` stand-in as an item of `IN (…)` (`alone`: the only item): the items it becomes. */
  queryParameterIn?(ref: MyNode, alone: boolean): MyNode[];
  /** A `?` of printed SQL (the output check): without this hook a `?` is refused. */
  parameter?(node: MyNode): void;
}

/**
 * The walk of a user's query, and of the printed query in the output check: the compat policy
 * functions are refused, `{{name}}` stand-ins become their slots, and a `?` is accepted only
 * where the output check counts it.
 */
export class MyQueryWalker extends MyWalker<MyQueryWalkHooks> {
  protected columnRef(node: MyNode): unknown {
    if (this.hooks.queryParameter === undefined || placeholderIndex(node) === null) return null;
    return this.hooks.queryParameter(node);
  }

  protected special(node: MyNode, scope: MyScope | null): boolean {
    if (node.type === 'binary_expr' && this.hooks.queryParameterIn !== undefined) {
      return this.parameterInList(node, scope);
    }
    if (node.type === 'origin' && node.value === '?' && this.hooks.parameter !== undefined) {
      this.hooks.parameter(node);
      return true;
    }
    return false;
  }

  protected compatCall(_node: MyNode, _fn: PolicyFunction, name: string): unknown {
    throw queryRefused(`${name.toUpperCase()}() may only be used in row policies`, { function: name });
  }

  protected override derived(item: MyNode): boolean {
    return this.hooks.derived?.(item) === true;
  }

  /** `x IN ({{list}}, …)`, each stand-in replaced by the items it becomes. */
  private parameterInList(node: MyNode, scope: MyScope | null): boolean {
    const op = String(node.operator).toUpperCase();
    if ((op !== 'IN' && op !== 'NOT IN') || !isObject(node.right) || node.right.type !== 'expr_list')
      return false;
    const values = Array.isArray(node.right.value) ? node.right.value : [];
    const stands = (item: unknown) =>
      isObject(item) && item.type === 'column_ref' && placeholderIndex(item) !== null;
    if (!values.some(stands)) return false;
    node.right.value = values.flatMap((item) =>
      stands(item)
        ? this.hooks.queryParameterIn!(item as MyNode, values.length === 1)
        : [this.any(item, scope)],
    );
    node.left = this.any(node.left, scope);
    return true;
  }
}
