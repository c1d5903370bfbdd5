import { performance } from 'node:perf_hooks';

/** The soak's mixed workload: one request of each kind, as a client would send them. */
export interface SoakTarget {
  readonly url: string;
  readonly key: string;
  readonly userIds: readonly string[];
  readonly domainId: string;
  readonly embedUser: string;
  /** A session token of `embedUser`, for runQuery (refreshed whenever impersonateUser succeeds). */
  session: string;
}

export interface Sample {
  readonly at: number;
  readonly op: string;
  readonly ms: number;
  readonly status: number;
  /** null: answered without errors. */
  readonly code: string | null;
}

type Op = (
  t: SoakTarget,
  i: number,
) => { query: string; variables: Record<string, unknown>; token: string | null };

/** The mix, in proportion: reads dominate, writes and embeds interleave. */
export const OPERATIONS: Record<string, Op> = {
  listUsers: (t) => ({ query: '{ listUsers { id email } }', variables: {}, token: t.key }),
  users: (t) => ({
    query: '{ users(first: 20) { edges { node { id email userAttributes { key value } } } } }',
    variables: {},
    token: t.key,
  }),
  setUserAttributes: (t, i) => ({
    query:
      'mutation($input: SetUserAttributesInput!) { setUserAttributes(input: $input) { status { code } } }',
    variables: {
      input: { userId: t.userIds[i % t.userIds.length], userAttributes: [{ key: 'soak', value: String(i) }] },
    },
    token: t.key,
  }),
  impersonateUser: (t) => ({
    query: 'mutation($k: String!, $e: String!) { impersonateUser(accessToken: $k, userEmail: $e) }',
    variables: { k: t.key, e: t.embedUser },
    token: null,
  }),
  runQuery: (t) => ({
    query:
      'query($d: ID!) { runQuery(domainId: $d, sql: "select region, amount from orders order by id") { rowCount } }',
    variables: { d: t.domainId },
    token: t.session,
  }),
};

const MIX = [
  'listUsers',
  'users',
  'users',
  'setUserAttributes',
  'impersonateUser',
  'runQuery',
  'users',
  'runQuery',
];

/** `concurrency` loops sending the mix until `until` (ms since the epoch); every answer is a sample. */
export async function runMixedLoad(
  target: SoakTarget,
  concurrency: number,
  until: number,
  samples: Sample[],
): Promise<void> {
  let n = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (Date.now() < until) {
        const i = n++;
        const op = MIX[i % MIX.length]!;
        const { query, variables, token } = OPERATIONS[op]!(target, i);
        const started = performance.now();
        let status = 0;
        let code: string | null = null;
        try {
          const r = await fetch(`${target.url}/graphql`, {
            method: 'POST',
            headers: {
              'content-type': 'application/json',
              ...(token ? { authorization: `Bearer ${token}` } : {}),
            },
            body: JSON.stringify({ query, variables }),
            signal: AbortSignal.timeout(30_000),
          });
          status = r.status;
          const body = (await r.json()) as {
            data?: Record<string, any>;
            errors?: { extensions?: { code?: string } }[];
          };
          code = body.errors?.[0]?.extensions?.code ?? null;
          const compat = body.data?.[op]?.status?.code;
          if (!code && compat && compat !== 'OK') code = `status:${compat}`;
          if (op === 'impersonateUser' && typeof body.data?.impersonateUser === 'string') {
            target.session = body.data.impersonateUser;
          }
        } catch (err) {
          code = `client:${(err as Error).name}`;
        }
        samples.push({ at: Date.now(), op, ms: performance.now() - started, status, code });
        if (code) await new Promise((r) => setTimeout(r, 50)); // a client backing off after a failure
      }
    }),
  );
}

export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}
