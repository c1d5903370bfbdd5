/**
 * What one request turned out to be, filled in while it is handled and read once it is answered:
 * for its log line and its metrics.
 */
export interface RequestReport {
  /** The GraphQL root field (`multiple` for several), or the route; null until known. */
  operation: string | null;
  /** Error codes the response carries, in order (empty: it succeeded). */
  readonly codes: string[];
  /** The unexpected error behind a 5xx, for the log line. */
  cause?: unknown;
}

export const newRequestReport = (): RequestReport => ({ operation: null, codes: [] });
