import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';

/** One built browser file, held in memory with a content hash for cache-busting URLs and ETags. */
export interface WebAsset {
  readonly body: Uint8Array;
  readonly contentType: string;
  /** First 16 hex digits of the SHA-256 of the body. */
  readonly hash: string;
}

const CONTENT_TYPES: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.ts': 'text/plain; charset=utf-8',
};

/** Where `scripts/build-web.ts` writes the bundles (generated; see `npm run build:web`). */
export const WEB_DIST = new URL('../../../web/dist/', import.meta.url);

/**
 * Reads the built embed app and SDK from web/dist. They are read once and kept: the files are
 * small, and a server must not serve half of a rebuild. A missing file is reported as null so
 * the routes can answer 503 with a clear log line instead of failing at start.
 */
export class WebAssets {
  readonly #dist: URL;
  readonly #cache = new Map<string, WebAsset>();

  constructor(dist: URL = WEB_DIST) {
    this.#dist = dist;
  }

  get(relativePath: string): WebAsset | null {
    const cached = this.#cache.get(relativePath);
    if (cached) return cached;
    let body: Buffer;
    try {
      body = readFileSync(new URL(relativePath, this.#dist));
    } catch {
      return null;
    }
    const ext = relativePath.slice(relativePath.lastIndexOf('.'));
    const asset: WebAsset = {
      body: new Uint8Array(body),
      contentType: CONTENT_TYPES[ext] ?? 'application/octet-stream',
      hash: createHash('sha256').update(body).digest('hex').slice(0, 16),
    };
    this.#cache.set(relativePath, asset);
    return asset;
  }
}
