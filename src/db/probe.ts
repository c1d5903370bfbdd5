import pg from 'pg';
import { checkDatabaseUrl, connectionProblemOf } from './connection-errors.ts';

/** How long a first connection may take before the server counts as unreachable. */
const CONNECT_TIMEOUT_MS = 10_000;

/**
 * Opens and closes one connection to `DATABASE_URL`, so a command that cannot use the database
 * says why in one line (DatabaseConnectionError) before anything else starts. A pool alone would
 * wait forever on a silent host and report a missing database as a migration failure.
 */
export async function probePostgres(rawUrl: string): Promise<void> {
  const url = checkDatabaseUrl(rawUrl);
  const client = new pg.Client({ connectionString: rawUrl, connectionTimeoutMillis: CONNECT_TIMEOUT_MS });
  // A connection dropped after the probe must not become an unhandled 'error' event.
  client.on('error', () => {});
  try {
    await client.connect();
  } catch (err) {
    throw connectionProblemOf(err, url) ?? err;
  } finally {
    await client.end().catch(() => undefined);
  }
}
