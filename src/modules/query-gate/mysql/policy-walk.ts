import { queryRefused } from '../errors.ts';
import { isListFunction, type PolicyFunction } from '../policy-functions.ts';
import { compatListFunction, isObject, type MyNode, type MyScope } from './nodes.ts';
import { MyWalker, type MyWalkHooks } from './walk.ts';

export interface MyPolicyWalkHooks extends MyWalkHooks {
  /** A compat call: its replacement expression. */
  policyFunction(call: MyNode, fn: PolicyFunction): MyNode;
  /** IN-list items a compat list function expands to. */
  expandListFunction(call: MyNode, fn: PolicyFunction): MyNode[];
  /** A column reference outside any sub-select: the policy's own columns. */
  topLevelColumn?(ref: MyNode): void;
}

/**
 * The walk of a row policy (trusted admin SQL): its compat calls become parameters, a list call
 * inside `IN (…)` expands into one parameter per element, its own columns are reported.
 */
export class MyPolicyWalker extends MyWalker<MyPolicyWalkHooks> {
  protected columnRef(node: MyNode): unknown {
    if (this.selectDepth === 0) this.hooks.topLevelColumn?.(node);
    return null;
  }

  protected special(node: MyNode, scope: MyScope | null): boolean {
    return node.type === 'binary_expr' && this.expandInList(node, scope);
  }

  protected compatCall(node: MyNode, fn: PolicyFunction, name: string): unknown {
    if (isListFunction(fn)) throw queryRefused(`${name.toUpperCase()}() can only be used as IN (…) in MySQL`);
    return this.hooks.policyFunction(node, fn);
  }

  /** `x IN (USER_ATTRIBUTE_STR_LIST('k'))` becomes one parameter per element. */
  private expandInList(node: MyNode, scope: MyScope | null): boolean {
    const op = String(node.operator).toUpperCase();
    if ((op !== 'IN' && op !== 'NOT IN') || !isObject(node.right) || node.right.type !== 'expr_list')
      return false;
    const values = Array.isArray(node.right.value) ? node.right.value : [];
    const items: unknown[] = [];
    for (const item of values) {
      const fn = isObject(item) && item.type === 'function' ? compatListFunction(item) : null;
      if (fn === null) items.push(this.any(item, scope));
      else items.push(...this.hooks.expandListFunction(item as MyNode, fn));
    }
    // An empty list matches nothing: `x IN (NULL)` is never true.
    node.right.value = items.length > 0 ? items : [{ type: 'null', value: null }];
    node.left = this.any(node.left, scope);
    return true;
  }
}
