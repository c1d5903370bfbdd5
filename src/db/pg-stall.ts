import type pg from 'pg';

/** How long past its statement timeout a PostgreSQL session may take to answer before it is given up. */
const STALL_GRACE_MS = 2000;

/**
 * The server ends a statement at its timeout, but a network that stalls without closing never
 * brings that answer (nor a cancel's): the client's socket is closed 2 s past the timeout, so the
 * statement fails as a lost connection (503) instead of holding its request and its connection for
 * good. No timeout (0 or none): no bound. The caller clears the timer once it has its answer.
 */
export function cutWhenSilent(
  client: pg.ClientBase,
  timeoutMs: number | undefined,
): NodeJS.Timeout | undefined {
  if (timeoutMs === undefined || timeoutMs <= 0) return undefined;
  const socket = client as unknown as { connection?: { stream?: { destroy(): void } } };
  return setTimeout(() => socket.connection?.stream?.destroy(), timeoutMs + STALL_GRACE_MS);
}
