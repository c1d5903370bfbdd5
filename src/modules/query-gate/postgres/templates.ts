import { GateState } from '../state.ts';
import type { GateRequest, GateTable } from '../types.ts';
import { parsePolicyExpression } from './parse.ts';
import { compilePolicy } from './policy.ts';
import { tableKey } from './verify.ts';
import { isObject, type PgNode } from './walk.ts';

/** A policy compiled for one table and one user: the WHERE tree with slots `$1…$k`, their values. */
export interface PolicyTemplate {
  readonly where: PgNode;
  readonly params: readonly unknown[];
  readonly attributes: readonly string[];
}

/**
 * Each applied policy of a request, compiled once from its text (never from the user's query):
 * the rewrite inserts a copy with its slots renumbered, and the invariant check compares what
 * will run against the same template.
 */
export class PolicyTemplates {
  private readonly parsed = new Map<string, PgNode>();
  private readonly compiled = new Map<string, PolicyTemplate>();
  private readonly request: GateRequest;
  private readonly domainSchemas: ReadonlySet<string>;

  constructor(request: GateRequest, domainSchemas: ReadonlySet<string>) {
    this.request = request;
    this.domainSchemas = domainSchemas;
  }

  of(table: GateTable & { readonly policy: string }): PolicyTemplate {
    const key = tableKey(table.schema, table.name);
    const known = this.compiled.get(key);
    if (known !== undefined) return known;
    let tree = this.parsed.get(table.policy);
    if (tree === undefined) {
      tree = parsePolicyExpression(table.policy);
      this.parsed.set(table.policy, tree);
    }
    const state = new GateState();
    const where = compilePolicy(structuredClone(tree), table, this.request, state, this.domainSchemas);
    const template = { where, params: state.params, attributes: state.result('').attributesUsed };
    this.compiled.set(key, template);
    return template;
  }
}

/** A copy of the template's tree whose slots are fresh parameters of `state`. */
export function instantiate(template: PolicyTemplate, state: GateState): PgNode {
  const copy = structuredClone(template.where);
  const renumber = (node: unknown): void => {
    if (Array.isArray(node)) {
      for (const item of node) renumber(item);
      return;
    }
    if (!isObject(node)) return;
    if (isObject(node.ParamRef)) {
      const slot = Number(node.ParamRef.number);
      node.ParamRef.number = state.addParam(template.params[slot - 1]);
      return;
    }
    for (const value of Object.values(node)) renumber(value);
  };
  renumber(copy);
  for (const key of template.attributes) state.useAttribute(key);
  return copy;
}
