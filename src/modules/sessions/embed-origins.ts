import { echo, type Problem } from '../../errors.ts';

export const MAX_EMBED_ORIGINS = 50;

/**
 * An origin a workspace lets frame its embed page: `scheme://host[:port]` exactly as browsers
 * send it (lower case, no path, no default port), or a single leading wildcard label
 * (`https://*.example.com`, which CSP `frame-ancestors` understands). Anything else is refused,
 * because the list goes verbatim into a Content-Security-Policy header.
 */
const ORIGIN = /^(https?):\/\/(\*\.)?([a-z0-9-]+(\.[a-z0-9-]+)*|\[[0-9a-f:.]+\])(:(\d{1,5}))?$/;

export function normalizeEmbedOrigins(origins: readonly string[]): {
  origins: string[];
  problems: Problem[];
} {
  const problems: Problem[] = [];
  const out: string[] = [];
  if (origins.length > MAX_EMBED_ORIGINS) {
    problems.push({
      code: 'BAD_USER_INPUT',
      field: 'allowedEmbedOrigins',
      message: `at most ${MAX_EMBED_ORIGINS} origins`,
    });
  }
  origins.forEach((raw, i) => {
    const field = `allowedEmbedOrigins[${i}]`;
    const origin = raw.trim().toLowerCase();
    const match = ORIGIN.exec(origin);
    const port = match?.[6] === undefined ? null : Number(match[6]);
    const wildcardOk = !match?.[2] || (match[3]!.includes('.') && !match[3]!.startsWith('['));
    if (!match || !wildcardOk || (port !== null && (port < 1 || port > 65535)) || origin.length > 255) {
      problems.push({
        code: 'BAD_USER_INPUT',
        field,
        item: echo(raw),
        message:
          'must be an origin such as https://app.example.com[:port] (no path; https://*.example.com allowed)',
      });
      return;
    }
    const defaultPort = (match[1] === 'https' && port === 443) || (match[1] === 'http' && port === 80);
    const normalized = defaultPort ? origin.slice(0, origin.lastIndexOf(':')) : origin;
    if (!out.includes(normalized)) out.push(normalized);
  });
  return { origins: out, problems };
}
