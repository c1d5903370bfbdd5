import { defineModule } from '../../kernel/module.ts';
import { Authenticator, type JwtVerifier } from './authenticator.ts';

declare module '../../kernel/services.ts' {
  interface Services {
    /** Every bearer credential, access key or Tessera JWT, checked in one place. */
    readonly authenticator: Authenticator;
    /** Verifies Tessera-issued JWTs (API and session tokens); the sessions module provides it. */
    readonly jwtVerifier: JwtVerifier;
  }
}

/** Authentication (no tables of its own): bearer credential → principal, permissions, guards. */
export const authModule = defineModule({
  name: 'auth',
  needs: ['accessKeys', 'jwtVerifier'],
  provides: ['authenticator'],
  create: ({ accessKeys, jwtVerifier }) => ({ authenticator: new Authenticator(accessKeys, jwtVerifier) }),
});
