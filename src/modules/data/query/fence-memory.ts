import type { FenceProof, RewrittenQuery } from '../../query-gate/index.ts';
import type { ResolvedSettings } from '../connections/types.ts';
import { FenceRequired, ProofRefused } from '../engines/errors.ts';
import { type DataPool, VIRTUAL_COLUMNS_FROM } from '../engines/types.ts';

const MAX_ENTRIES = 10_000;

/**
 * Which warehouse tables need their wrapper's fence although the gate found the statement plain
 * (docs/query-gate.md, "When the fence is dropped"): those whose kind proof the server refused
 * (a view, a foreign table). Remembered per connection's server, database and table, so later
 * queries go fenced directly instead of failing the proof first; bounded, oldest out.
 */
export class FenceMemory {
  readonly #needed = new Map<string, true>();
  #retried = 0;
  #direct = 0;

  /** Tables remembered, queries run again fenced, and queries that went fenced directly (for tests). */
  stats(): { tables: number; retried: number; direct: number } {
    return { tables: this.#needed.size, retried: this.#retried, direct: this.#direct };
  }

  /** Whether `rewritten` must run fenced before it is tried: a known table, or a server ≥ 18. */
  async mustFence(settings: ResolvedSettings, rewritten: RewrittenQuery, pool: DataPool): Promise<boolean> {
    const proofs = rewritten.fenceProofs ?? [];
    if (proofs.length === 0) return false;
    const known = proofs.some((p) => this.#needed.has(keyOf(settings, p)));
    // No proof sees a virtual generated column; such a server gets every wrapper fenced.
    const direct =
      known || (pool.serverVersion !== undefined && (await pool.serverVersion()) >= VIRTUAL_COLUMNS_FROM);
    if (direct) this.#direct++;
    return direct;
  }

  /**
   * Whether `err` is the refusal of one of `rewritten`'s kind proofs (then its table is
   * remembered and the query is to run again fenced); a policy proof's refusal is not. A session
   * on a server from 18 on refuses every dropped fence (FenceRequired): the query runs again
   * fenced, and no table is remembered, since the cause is the server.
   */
  refused(settings: ResolvedSettings, rewritten: RewrittenQuery, err: unknown): boolean {
    if (err instanceof FenceRequired) {
      this.#retried++;
      return true;
    }
    if (!(err instanceof ProofRefused)) return false;
    const proof = (rewritten.fenceProofs ?? []).find((p) => p.check === err.check);
    if (proof === undefined) return false;
    const key = keyOf(settings, proof);
    this.#needed.delete(key);
    this.#needed.set(key, true);
    if (this.#needed.size > MAX_ENTRIES) this.#needed.delete(this.#needed.keys().next().value!);
    this.#retried++;
    return true;
  }
}

function keyOf(settings: ResolvedSettings, proof: FenceProof): string {
  return JSON.stringify([
    settings.connectionId,
    settings.host,
    settings.port,
    settings.database,
    proof.schema,
    proof.name,
  ]);
}
