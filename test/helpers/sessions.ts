import { createUsers } from './api.ts';
import type { TestApp } from './app.ts';

/** Drivers for the session operations, so tests read like the docs' own requests. */
export const IMPERSONATE = `mutation($accessToken: String!, $userEmail: String!, $attributes: [UserAttributeInput!]) {
  impersonateUser(accessToken: $accessToken, userEmail: $userEmail, attributes: $attributes)
}`;

export async function impersonate(
  t: TestApp,
  userEmail: string,
  options: { key?: string; attributes?: { key: string; value: string }[]; ip?: string } = {},
) {
  const r = await gqlFrom(
    t,
    IMPERSONATE,
    {
      accessToken: options.key ?? t.rootKey,
      userEmail,
      ...(options.attributes ? { attributes: options.attributes } : {}),
    },
    options.ip,
  );
  return { ...r, token: r.body.data?.impersonateUser as string | undefined };
}

/** A POST /graphql without credentials, from a chosen client IP. */
export async function gqlFrom(
  t: TestApp,
  query: string,
  variables: Record<string, unknown> = {},
  ip = '127.0.0.1',
  token: string | null = null,
) {
  const response = await t.app.fetch(
    new Request('http://tessera.test/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: JSON.stringify({ query, variables }),
    }),
    { ip },
  );
  const text = await response.text();
  return { status: response.status, text, body: JSON.parse(text), headers: response.headers };
}

/** Creates one user and returns its id. */
export async function userWithEmail(
  t: TestApp,
  email: string,
  userAttributes: { key: string; value: string }[] = [],
): Promise<string> {
  const r = await createUsers(t, { emails: [email], userAttributes });
  return r.payload.results[0]!.userId;
}

/** Decodes a JWT's header and payload (no verification: for assertions on what was issued). */
export function decodeJwt(token: string): { header: Record<string, any>; payload: Record<string, any> } {
  const [h, p] = token.split('.');
  return {
    header: JSON.parse(Buffer.from(h!, 'base64url').toString('utf8')),
    payload: JSON.parse(Buffer.from(p!, 'base64url').toString('utf8')),
  };
}
