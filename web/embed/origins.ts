// Matching a message's origin against the workspace's allowed embed origins, the way CSP
// `frame-ancestors` does: an exact origin, or `scheme://*.host[:port]` for any subdomain of host
// (not host itself) with the same scheme and port. The stored list is already normalized (lower
// case, no default port), as is `MessageEvent.origin`.

/** Whether `origin` is one of `allowed` (exactly, or under a leading `*.` wildcard label). */
export function originAllowed(origin: string, allowed: readonly string[]): boolean {
  return allowed.some((pattern) => originMatches(origin, pattern));
}

/** The allowed origins that can be a `postMessage` target (a wildcard pattern cannot). */
export function exactOrigins(allowed: readonly string[]): string[] {
  return allowed.filter((pattern) => !pattern.includes('*'));
}

function originMatches(origin: string, pattern: string): boolean {
  if (origin.includes('*')) return false; // no browser sends one; never let it equal a pattern
  if (origin === pattern) return true;
  const wildcard = /^(https?:\/\/)\*\.(.+)$/.exec(pattern);
  if (!wildcard || !origin.startsWith(wildcard[1]!)) return false;
  const [patternHost, patternPort] = splitPort(wildcard[2]!);
  const [host, port] = splitPort(origin.slice(wildcard[1]!.length));
  return (
    port === patternPort &&
    /^[a-z0-9.-]+$/.test(host) &&
    host.length > patternHost.length + 1 &&
    host.endsWith(`.${patternHost}`)
  );
}

function splitPort(hostPort: string): [string, string] {
  const m = /^(.*?)(?::(\d+))?$/.exec(hostPort)!;
  return [m[1]!, m[2] ?? ''];
}
