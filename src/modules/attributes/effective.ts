import {
  type AttributeDefinition,
  type AttributeDefinitions,
  type AttributeType,
  COMPAT_RULE,
  NO_DEFINITIONS,
  narrows,
  type PrecedenceRule,
  storedOrder,
  type TransientOverride,
  valueProblem,
} from '../attribute-definitions/rules.ts';

/** Where an effective attribute's value came from, strongest first (docs/data-access.md "Effective attributes"). */
export const ATTRIBUTE_PRECEDENCE = ['TRANSIENT', 'DATABASE', 'JWT'] as const;
export type EffectiveAttributeSource = (typeof ATTRIBUTE_PRECEDENCE)[number];

export interface OverriddenValue {
  readonly source: EffectiveAttributeSource;
  readonly value: string;
}

/** A value that did not count, and why (docs/attribute-definitions.md "Effective attributes"). */
export interface IgnoredValue {
  readonly source: EffectiveAttributeSource;
  readonly value: string;
  /** `TYPE_MISMATCH`, `SOURCE_NOT_USED` (DATABASE_ONLY and JWT), `TRANSIENT_REFUSED` (NEVER), `NOT_NARROWER`. */
  readonly reason: 'TYPE_MISMATCH' | 'SOURCE_NOT_USED' | 'TRANSIENT_REFUSED' | 'NOT_NARROWER';
}

/** The rule that decided a key: its definition's, or the compat default for an undeclared key. */
export interface DecidingRule {
  readonly declared: boolean;
  readonly type: AttributeType | null;
  readonly precedence: PrecedenceRule;
  readonly transientOverride: TransientOverride;
}

export interface EffectiveAttribute {
  readonly key: string;
  readonly value: string;
  readonly source: EffectiveAttributeSource;
  /** The weaker sources' values for the same key, strongest first. */
  readonly overridden: readonly OverriddenValue[];
  readonly rule: DecidingRule;
  /** Values that did not take part at all (wrong type, source not used, transient refused). */
  readonly ignored: readonly IgnoredValue[];
}

/**
 * A user's attributes as one request sees them. For an undeclared key the transient value (from
 * the session token) beats the DATABASE value, which beats the JWT (SSO) value; a declared key
 * follows its definition (docs/attribute-definitions.md "Precedence"). A `Map`, so a key such as
 * `__proto__` is just a key.
 */
export type EffectiveAttributes = ReadonlyMap<string, EffectiveAttribute>;

/** What the merge reads. An object, so another source (or a clock) can join without a new signature. */
export interface AttributeSources {
  readonly transient?: ReadonlyMap<string, string> | undefined;
  readonly stored: readonly { readonly key: string; readonly value: string; readonly source: string }[];
  /** The workspace's attribute definitions; none means every key behaves as the compat default. */
  readonly definitions?: AttributeDefinitions | undefined;
}

/** Merges the sources by each key's rule. Pure: the caller reads the stored ones and the definitions. */
export function mergeAttributes(sources: AttributeSources): EffectiveAttributes {
  const byKey = new Map<string, { transient?: string; DATABASE?: string; JWT?: string }>();
  const slot = (key: string) => {
    let values = byKey.get(key);
    if (!values) {
      values = {};
      byKey.set(key, values);
    }
    return values;
  };
  for (const [key, value] of sources.transient ?? []) slot(key).transient = value;
  for (const a of sources.stored) {
    if (a.source === 'DATABASE' || a.source === 'JWT') slot(a.key)[a.source] = a.value;
  }
  const definitions = sources.definitions ?? NO_DEFINITIONS;
  const result = new Map<string, EffectiveAttribute>();
  for (const key of [...byKey.keys()].sort()) {
    const merged = mergeKey(key, byKey.get(key)!, definitions.get(key));
    if (merged) result.set(key, merged);
  }
  return result;
}

function mergeKey(
  key: string,
  values: { transient?: string; DATABASE?: string; JWT?: string },
  def: AttributeDefinition | undefined,
): EffectiveAttribute | null {
  const rule: DecidingRule = def
    ? { declared: true, type: def.type, precedence: def.precedence, transientOverride: def.transientOverride }
    : { declared: false, type: null, ...COMPAT_RULE };
  const ignored: IgnoredValue[] = [];
  const candidates: OverriddenValue[] = [];
  for (const source of ['DATABASE', 'JWT'] as const) {
    const value = values[source];
    if (value === undefined) continue;
    if (!storedOrder(rule.precedence).includes(source))
      ignored.push({ source, value, reason: 'SOURCE_NOT_USED' });
    else if (def && valueProblem(def, value) !== null)
      ignored.push({ source, value, reason: 'TYPE_MISMATCH' });
    else candidates.push({ source, value });
  }
  const order = storedOrder(rule.precedence);
  candidates.sort((a, b) => order.indexOf(a.source as 'DATABASE') - order.indexOf(b.source as 'DATABASE'));
  const transient = values.transient;
  if (transient !== undefined) {
    // A token issued before the definition (or before the stored value changed) can still carry a
    // value the definition refuses: it is ignored here too, so no request ever sees it.
    const reason =
      def && valueProblem(def, transient) !== null
        ? ('TYPE_MISMATCH' as const)
        : rule.transientOverride === 'NEVER'
          ? ('TRANSIENT_REFUSED' as const)
          : rule.transientOverride === 'NARROW_ONLY' &&
              (candidates[0] === undefined || !narrows(def!, transient, candidates[0].value))
            ? ('NOT_NARROWER' as const)
            : null;
    if (reason === null) candidates.unshift({ source: 'TRANSIENT', value: transient });
    else ignored.push({ source: 'TRANSIENT', value: transient, reason });
  }
  const [winner, ...overridden] = candidates;
  if (!winner) return null;
  return { key, value: winner.value, source: winner.source, overridden, rule, ignored };
}

/** Plain key → value view, for policy evaluation and templating. */
export function attributeValues(attributes: EffectiveAttributes): ReadonlyMap<string, string> {
  return new Map([...attributes].map(([key, a]) => [key, a.value]));
}
