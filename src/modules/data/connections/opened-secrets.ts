import type { SecretBox } from '../../../crypto/secret-box.ts';

/**
 * A SecretBox whose `open` remembers recent results, so a connection with many credential
 * mappings does not decrypt every password on every query. The key is the sealed text itself
 * (with its context), read fresh from the database each request: any change to a password seals
 * it again with a new nonce, so a changed secret never matches an old entry, on any instance.
 * Bounded; least recently used entries go first. Sealing is not cached.
 */
export function rememberOpenedSecrets(box: SecretBox, max = 1000): SecretBox {
  const opened = new Map<string, string>();
  return {
    seal: (plaintext, context) => box.seal(plaintext, context),
    open(sealed, context) {
      const key = `${context}\n${sealed}`;
      const hit = opened.get(key);
      if (hit !== undefined) {
        opened.delete(key);
        opened.set(key, hit);
        return hit;
      }
      const plaintext = box.open(sealed, context);
      opened.set(key, plaintext);
      if (opened.size > max) opened.delete(opened.keys().next().value as string);
      return plaintext;
    },
  };
}
