/**
 * Override templates (docs/data-access.md "Credential mappings", ext): `tenant_{{account_id}}` has one slot named after an
 * effective attribute. A slot is filled only from that attribute, and only when the value matches
 * the slot pattern, so an attribute can never smuggle characters into a database, schema, user or
 * host name.
 */
export const DEFAULT_SLOT_PATTERN = '^[A-Za-z0-9_]{1,63}$';

const SLOT_NAME = /^[A-Za-z_][A-Za-z0-9_.:-]{0,63}$/;

export type TemplatePart = { readonly text: string } | { readonly slot: string };

/** Parses a template; throws a message (for a problem) when a brace or slot name is malformed. */
export function parseTemplate(template: string): TemplatePart[] {
  const parts: TemplatePart[] = [];
  let rest = template;
  while (rest.length > 0) {
    const open = rest.indexOf('{{');
    const close = rest.indexOf('}}');
    if (open === -1) {
      if (close !== -1 || rest.includes('{') || rest.includes('}')) throw new Error('unbalanced braces');
      parts.push({ text: rest });
      break;
    }
    if (close !== -1 && close < open) throw new Error('unbalanced braces');
    const before = rest.slice(0, open);
    if (before.includes('{') || before.includes('}')) throw new Error('unbalanced braces');
    if (before) parts.push({ text: before });
    const end = rest.indexOf('}}', open + 2);
    if (end === -1) throw new Error('unclosed {{');
    const name = rest.slice(open + 2, end).trim();
    if (!SLOT_NAME.test(name)) throw new Error(`invalid slot name "${name.slice(0, 70)}"`);
    parts.push({ slot: name });
    rest = rest.slice(end + 2);
  }
  return parts;
}

export const slotsOf = (template: string): string[] =>
  parseTemplate(template).flatMap((p) => ('slot' in p ? [p.slot] : []));

/** Why a slot could not be filled; the caller turns it into ACCESS_DENIED. */
export class SlotError extends Error {
  readonly slot: string;
  constructor(slot: string, message: string) {
    super(message);
    this.slot = slot;
  }
}

/** Fills every slot from `attributes`; a missing or non-matching value throws SlotError. */
export function fillTemplate(
  template: string,
  attributes: ReadonlyMap<string, string>,
  pattern: RegExp,
): string {
  return parseTemplate(template)
    .map((part) => {
      if ('text' in part) return part.text;
      const value = attributes.get(part.slot);
      if (value === undefined) throw new SlotError(part.slot, `the user has no attribute "${part.slot}"`);
      if (!pattern.test(value)) {
        throw new SlotError(
          part.slot,
          `the value of attribute "${part.slot}" does not match the slot pattern`,
        );
      }
      return value;
    })
    .join('');
}

/** Compiles a slot pattern; it must be written anchored, and is anchored again so a partial match cannot pass. */
export function compileSlotPattern(source: string | null): RegExp {
  const text = source ?? DEFAULT_SLOT_PATTERN;
  if (!text.startsWith('^') || !text.endsWith('$') || text.endsWith('\\$')) {
    throw new Error('must be anchored with ^ and $');
  }
  // Wrapped as well: `^acme|globex$` means `(^acme)|(globex$)`, which a top-level alternation
  // would let match `acme/../x`; inside `^(?:…)$` every alternative must match the whole value.
  return new RegExp(`^(?:${text})$`, 'u');
}
