import { hash } from 'node:crypto';

/**
 * The line each email first appears on, for the import's duplicate check, in 12 bytes an entry
 * (a 64-bit SHA-256 prefix of the normalized email and the line, in an open-addressing table kept
 * under half full) instead of a string-keyed map's ~150: a file of a million rows then needs tens
 * of megabytes for it, not hundreds. Two different emails share a prefix with probability about
 * n²/2⁶⁵ (3·10⁻⁸ for a million rows); that would report a false duplicate, and never hides one.
 */
export class FirstLines {
  #hi = new Uint32Array(1024);
  #lo = new Uint32Array(1024);
  /** 0 marks an empty slot: lines start at 1. */
  #line = new Uint32Array(1024);
  #size = 0;

  /** The line `key` was first seen on; when it is new, `line` is recorded as its first and null returned. */
  firstOr(key: string, line: number): number | null {
    // One call, no Hash object: this runs for every row of the file, in both passes.
    const digest = hash('sha256', key, 'buffer');
    const hi = digest.readUInt32LE(0);
    const lo = digest.readUInt32LE(4);
    const mask = this.#line.length - 1;
    let i = lo & mask;
    while (this.#line[i] !== 0) {
      if (this.#hi[i] === hi && this.#lo[i] === lo) return this.#line[i]!;
      i = (i + 1) & mask;
    }
    this.#hi[i] = hi;
    this.#lo[i] = lo;
    this.#line[i] = line;
    if (++this.#size * 2 > this.#line.length) this.#grow();
    return null;
  }

  #grow(): void {
    const [hi, lo, lines] = [this.#hi, this.#lo, this.#line];
    const capacity = lines.length * 2;
    this.#hi = new Uint32Array(capacity);
    this.#lo = new Uint32Array(capacity);
    this.#line = new Uint32Array(capacity);
    const mask = capacity - 1;
    for (let j = 0; j < lines.length; j++) {
      if (lines[j] === 0) continue;
      let i = lo[j]! & mask;
      while (this.#line[i] !== 0) i = (i + 1) & mask;
      this.#hi[i] = hi[j]!;
      this.#lo[i] = lo[j]!;
      this.#line[i] = lines[j]!;
    }
  }
}
