import { randomUUID } from 'node:crypto';
import { CompactSign } from 'jose';
import type { Clock } from '../../clock.ts';
import {
  API_TOKEN,
  SESSION_TOKEN,
  type ApiClaims as SharedApiClaims,
  type SessionClaims as SharedSessionClaims,
} from '../../shared/tokens.ts';
import type { Permission } from '../auth/permissions.ts';
import { SIGNING_ALG, type SigningKeyRing } from './signing-keys.ts';

// The token kinds and their claims are shared with the embed page (src/shared/tokens.ts).
export { API_TOKEN, SESSION_TOKEN };
export type SessionClaims = SharedSessionClaims;
export type ApiClaims = SharedApiClaims<Permission>;

const encoder = new TextEncoder();

/** Signs Tessera JWTs with the current ES256 key. */
export class TokenIssuer {
  readonly #keys: SigningKeyRing;
  readonly #clock: Clock;
  readonly #issuer: string;

  constructor(keys: SigningKeyRing, clock: Clock, issuer: string) {
    this.#keys = keys;
    this.#clock = clock;
    this.#issuer = issuer;
  }

  async session(
    input: {
      userId: string;
      email: string;
      workspaceId: string;
      actorKeyId: string;
      attributes: ReadonlyMap<string, string>;
    },
    ttlSeconds: number,
  ): Promise<{ token: string; claims: SessionClaims }> {
    const iat = Math.floor(this.#clock.now().getTime() / 1000);
    // A null-prototype object: an attribute named `__proto__` stays an ordinary key in the JSON.
    const attrs: Record<string, string> = Object.create(null);
    for (const [k, v] of input.attributes) attrs[k] = v;
    const claims: SessionClaims = {
      iss: this.#issuer,
      aud: SESSION_TOKEN.aud,
      sub: input.userId,
      impersonated_user_id: input.userId,
      email: input.email,
      wid: input.workspaceId,
      attrs,
      act: { sub: input.actorKeyId },
      iat,
      exp: iat + ttlSeconds,
      jti: randomUUID(),
    };
    return { token: await this.#sign(SESSION_TOKEN.typ, claims), claims };
  }

  async api(
    input: { keyId: string; workspaceId: string; permissions: readonly Permission[] },
    ttlSeconds: number,
  ): Promise<{ token: string; claims: ApiClaims }> {
    const iat = Math.floor(this.#clock.now().getTime() / 1000);
    const claims: ApiClaims = {
      iss: this.#issuer,
      aud: API_TOKEN.aud,
      sub: input.keyId,
      wid: input.workspaceId,
      perms: [...input.permissions],
      iat,
      exp: iat + ttlSeconds,
      jti: randomUUID(),
    };
    return { token: await this.#sign(API_TOKEN.typ, claims), claims };
  }

  async #sign(typ: string, claims: object): Promise<string> {
    const { kid, privateKey } = await this.#keys.signer();
    return new CompactSign(encoder.encode(JSON.stringify(claims)))
      .setProtectedHeader({ alg: SIGNING_ALG, kid, typ })
      .sign(privateKey);
  }
}
