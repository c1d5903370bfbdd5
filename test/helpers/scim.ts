import type { TestApp } from './app.ts';

export interface ScimResult {
  status: number;
  contentType: string | null;
  body: any;
  headers: Headers;
}

/** One SCIM request, as an identity provider's client sends it. */
export async function scim(
  t: TestApp,
  token: string | null,
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<ScimResult> {
  const response = await t.app.fetch(
    new Request(`http://tessera.test/scim/v2${path}`, {
      method,
      headers: {
        accept: 'application/scim+json',
        ...(body === undefined ? {} : { 'content-type': 'application/scim+json' }),
        ...(token ? { authorization: `Bearer ${token}` } : {}),
        ...headers,
      },
      ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
    }),
    { ip: '127.0.0.1' },
  );
  const text = await response.text();
  return {
    status: response.status,
    contentType: response.headers.get('content-type'),
    body: text === '' ? null : JSON.parse(text),
    headers: response.headers,
  };
}

/** Row counts of the tables a SCIM request may write, to prove a refused one wrote nothing. */
export async function scimRowCounts(t: TestApp): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (const table of [
    'users',
    'user_attributes',
    'group_members',
    'user_groups',
    'scim_users',
    'scim_groups',
  ] as const) {
    const row = await t.app.services.db
      .selectFrom(table)
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow();
    counts[table] = Number(row.n);
  }
  return counts;
}

/** A fixture step: a request and what the IdP expects back; `{{name}}` in a path or body is a saved value. */
export interface ScimStep {
  readonly name: string;
  readonly method: string;
  readonly path: string;
  readonly body?: unknown;
  readonly status: number;
  /** Saves a value of the response body under a name, e.g. `{ userId: 'id' }`. */
  readonly save?: Record<string, string>;
  /** Checks on the response body: slash-separated path → expected value. */
  readonly expect?: Record<string, unknown>;
}

export async function runSteps(
  t: TestApp,
  token: string,
  steps: readonly ScimStep[],
  saved: Record<string, string> = {},
) {
  const fill = (text: string) =>
    text.replace(/\{\{(\w+)\}\}/g, (_, name: string) => saved[name] ?? `{{${name}}}`);
  const results: ScimResult[] = [];
  for (const step of steps) {
    const body = step.body === undefined ? undefined : JSON.parse(fill(JSON.stringify(step.body)));
    const r = await scim(t, token, step.method, fill(step.path), body);
    if (r.status !== step.status)
      throw new Error(`${step.name}: expected ${step.status}, got ${r.status} ${JSON.stringify(r.body)}`);
    for (const [name, at] of Object.entries(step.save ?? {})) saved[name] = String(pick(r.body, at));
    for (const [at, expected] of Object.entries(step.expect ?? {})) {
      const actual = pick(r.body, fill(at));
      const want = typeof expected === 'string' ? fill(expected) : expected;
      if (JSON.stringify(actual) !== JSON.stringify(want))
        throw new Error(`${step.name}: ${at} is ${JSON.stringify(actual)}, expected ${JSON.stringify(want)}`);
    }
    results.push(r);
  }
  return { saved, results };
}

function pick(body: unknown, path: string): unknown {
  let node: unknown = body;
  for (const part of path.split('/')) {
    if (node === null || typeof node !== 'object') return null;
    node = (node as Record<string, unknown>)[part];
  }
  return node ?? null;
}
