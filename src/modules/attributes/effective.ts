/** Where an effective attribute's value came from, strongest first (docs/data-access.md "Effective attributes"). */
export const ATTRIBUTE_PRECEDENCE = ['TRANSIENT', 'DATABASE', 'JWT'] as const;
export type EffectiveAttributeSource = (typeof ATTRIBUTE_PRECEDENCE)[number];

export interface OverriddenValue {
  readonly source: EffectiveAttributeSource;
  readonly value: string;
}

export interface EffectiveAttribute {
  readonly key: string;
  readonly value: string;
  readonly source: EffectiveAttributeSource;
  /** The weaker sources' values for the same key, strongest first. */
  readonly overridden: readonly OverriddenValue[];
}

/**
 * A user's attributes as one request sees them: per key, the transient value (from the session
 * token) beats the DATABASE value, which beats the JWT (SSO) value. A `Map`, so a key such as
 * `__proto__` is just a key.
 */
export type EffectiveAttributes = ReadonlyMap<string, EffectiveAttribute>;

/** Merges the three sources by precedence. Pure: the caller reads the stored ones. */
export function mergeAttributes(sources: {
  readonly transient?: ReadonlyMap<string, string> | undefined;
  readonly stored: readonly { readonly key: string; readonly value: string; readonly source: string }[];
}): EffectiveAttributes {
  const byKey = new Map<string, OverriddenValue[]>();
  const add = (key: string, source: EffectiveAttributeSource, value: string) => {
    const values = byKey.get(key) ?? [];
    values.push({ source, value });
    byKey.set(key, values);
  };
  for (const [key, value] of sources.transient ?? []) add(key, 'TRANSIENT', value);
  for (const a of sources.stored) {
    if (a.source === 'DATABASE' || a.source === 'JWT') add(a.key, a.source, a.value);
  }
  const rank = (s: EffectiveAttributeSource) => ATTRIBUTE_PRECEDENCE.indexOf(s);
  const result = new Map<string, EffectiveAttribute>();
  for (const key of [...byKey.keys()].sort()) {
    const [winner, ...rest] = byKey.get(key)!.sort((a, b) => rank(a.source) - rank(b.source));
    result.set(key, { key, value: winner!.value, source: winner!.source, overridden: rest });
  }
  return result;
}

/** Plain key → value view, for policy evaluation and templating. */
export function attributeValues(attributes: EffectiveAttributes): ReadonlyMap<string, string> {
  return new Map([...attributes].map(([key, a]) => [key, a.value]));
}
