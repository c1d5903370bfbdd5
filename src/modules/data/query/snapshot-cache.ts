import type { QuerySnapshot } from './snapshot.ts';

/** Snapshots an instance keeps: bounded, the least recently read out first. */
const MAX_SNAPSHOTS = 10_000;

/** Who a snapshot was read for: the user, the domain and the token's transient attributes. */
export interface SnapshotOwner {
  readonly workspaceId: string;
  readonly userId: string;
  readonly domainId: string;
  readonly transientAttributes: ReadonlyMap<string, string>;
}

/**
 * runQuery's snapshots by user and domain, each tagged with the workspace's snapshot version it
 * was read under (docs/data-access.md "The snapshot cache"). Triggers bump that version in the
 * transaction of any write the snapshot depends on, and the session check reads it fresh on
 * every request, so a hit is only ever served for a version that is still current on the
 * database. The version is read before the snapshot: a write landing in between makes the entry
 * older than the data it holds, which costs one extra read, never a stale answer.
 */
export class SnapshotCache {
  readonly #entries = new Map<string, { readonly version: string; readonly snapshot: QuerySnapshot }>();

  /** The snapshot kept for `owner`, if it was read under exactly `version`. */
  get(owner: SnapshotOwner, version: string): QuerySnapshot | undefined {
    const key = keyOf(owner);
    const entry = this.#entries.get(key);
    if (entry === undefined) return undefined;
    this.#entries.delete(key);
    if (entry.version !== version) return undefined;
    this.#entries.set(key, entry);
    return entry.snapshot;
  }

  /**
   * Keeps a snapshot read after `version` was. One that found no user or no domain is not kept:
   * creating either bumps nothing, so it would outlive its truth.
   */
  set(owner: SnapshotOwner, version: string, snapshot: QuerySnapshot): void {
    if (snapshot.user === null || snapshot.domain === null) return;
    const key = keyOf(owner);
    this.#entries.delete(key);
    if (this.#entries.size >= MAX_SNAPSHOTS) this.#entries.delete(this.#entries.keys().next().value!);
    this.#entries.set(key, { version, snapshot });
  }

  get size(): number {
    return this.#entries.size;
  }
}

function keyOf(owner: SnapshotOwner): string {
  const transient = [...owner.transientAttributes].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return JSON.stringify([owner.workspaceId, owner.userId, owner.domainId, transient]);
}
