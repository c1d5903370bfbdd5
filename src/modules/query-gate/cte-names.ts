/**
 * The CTE names visible at one point of a query. A WITH list's CTEs each see a prefix of the
 * list (the earlier ones, itself too under RECURSIVE), so each gets a view of one shared index
 * instead of a copy: scoping a WITH of n CTEs costs O(n), not O(n²). A 100,000-character query
 * can hold thousands of CTEs, and the gate's walks run on the request's thread.
 */
export interface CteNames {
  has(name: string): boolean;
  /** Whether a name equal to `name` but for letter case is visible (MySQL's CTE names). */
  hasIgnoringCase(name: string): boolean;
}

/** One WITH list's names, in order; `visible(count)` is the view of its first `count`. */
export class WithNames {
  readonly #position = new Map<string, number>();
  readonly #folded = new Map<string, number>();
  #count = 0;

  /** Adds the next name; false if it is already in the list. */
  add(name: string): boolean {
    const index = this.#count++;
    const folded = name.toLowerCase();
    if (!this.#folded.has(folded)) this.#folded.set(folded, index);
    if (this.#position.has(name)) return false;
    this.#position.set(name, index);
    return true;
  }

  get size(): number {
    return this.#count;
  }

  visible(count: number = this.#count): CteNames {
    const before = (index: number | undefined) => index !== undefined && index < count;
    return {
      has: (name) => before(this.#position.get(name)),
      hasIgnoringCase: (name) => before(this.#folded.get(name.toLowerCase())),
    };
  }
}
