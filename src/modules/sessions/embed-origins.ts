import { echo, type Problem } from '../../errors.ts';

export const MAX_EMBED_ORIGINS = 50;

/**
 * An origin a workspace lets frame its embed page: `scheme://host[:port]`, stored exactly as
 * browsers send it (see browserOrigin), or a single leading wildcard label
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
    const normalized = match ? browserOrigin(origin, Boolean(match[2])) : null;
    if (
      !match ||
      !wildcardOk ||
      normalized === null ||
      (port !== null && (port < 1 || port > 65535)) ||
      origin.length > 255
    ) {
      problems.push({
        code: 'BAD_USER_INPUT',
        field,
        item: echo(raw),
        message:
          'must be an origin such as https://app.example.com[:port] (no path; https://*.example.com allowed)',
      });
      return;
    }
    if (!out.includes(normalized)) out.push(normalized);
  });
  return { origins: out, problems };
}

/** Stands in for the wildcard label while the URL parser serializes the rest of the origin. */
const WILDCARD_STANDIN = 'tessera-wildcard-label';

/**
 * The origin as a browser serializes it (`MessageEvent.origin`, what the embed page compares the
 * list with): the WHATWG URL parser drops default ports and leading zeros of ports, and writes
 * IPv4 (`127.1`, `2130706433`) and IPv6 (`[0:0::1]`) hosts in their one canonical form. Null when
 * the parser refuses the host (`1.2.3.4.5`, `256.0.0.1`: a last label of digits must be IPv4).
 */
function browserOrigin(origin: string, wildcard: boolean): string | null {
  const standIn = `://${WILDCARD_STANDIN}.`;
  const text = wildcard ? origin.replace('://*.', standIn) : origin;
  if (!URL.canParse(text)) return null;
  const parsed = new URL(text).origin;
  if (!wildcard) return parsed;
  return parsed.includes(standIn) ? parsed.replace(standIn, '://*.') : null;
}
