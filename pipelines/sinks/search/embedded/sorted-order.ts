// Documents in the order a search without words lists them (newest first, or by price), kept
// sorted so such a search reads the first matches instead of ranking every document. New ordinals
// wait in an unsorted tail that searches sort on the fly; once it grows, it is merged in.
import type { MemoryIndex } from './memory-index.js';

/** Tail length at which it is sorted and merged into the order (a linear pass). */
const MERGE_TAIL = 8192;

export type OrderKey = 'newest' | 'price';

export class SortedOrder {
  private order: Int32Array = new Int32Array(0);
  /** Ordinals below this are in `order` (if still alive). */
  private upTo = 0;
  private layout = -1;
  /** Negative when document a comes before b. */
  readonly compare: (a: number, b: number) => number;

  constructor(private readonly index: MemoryIndex, key: OrderKey) {
    this.compare = key === 'newest'
      ? (a, b) => index.created[b]! - index.created[a]! || index.ids[b]! - index.ids[a]!
      : (a, b) => index.price[a]! - index.price[b]! || index.ids[a]! - index.ids[b]!;
  }

  /** The sorted ordinals (some may have died since) and where the unsorted tail starts. */
  current(): { order: Int32Array; tailFrom: number } {
    const index = this.index;
    if (this.layout !== index.layout) {
      this.order = this.sorted(0, index.ordinals);
      this.upTo = index.ordinals;
      this.layout = index.layout;
    } else if (index.ordinals - this.upTo >= MERGE_TAIL) {
      this.order = this.merge(this.order, this.sorted(this.upTo, index.ordinals));
      this.upTo = index.ordinals;
    }
    return { order: this.order, tailFrom: this.upTo };
  }

  private sorted(from: number, to: number): Int32Array {
    const live: number[] = [];
    for (let d = from; d < to; d++) if (this.index.state[d] !== 0) live.push(d);
    return Int32Array.from(live.sort(this.compare));
  }

  /** Merges, dropping what died since it was sorted. */
  private merge(main: Int32Array, tail: Int32Array): Int32Array {
    const state = this.index.state;
    const out = new Int32Array(main.length + tail.length);
    let i = 0;
    let j = 0;
    let n = 0;
    while (i < main.length || j < tail.length) {
      if (i < main.length && state[main[i]!] === 0) { i++; continue; }
      if (j < tail.length && state[tail[j]!] === 0) { j++; continue; }
      if (j >= tail.length || (i < main.length && this.compare(main[i]!, tail[j]!) <= 0)) out[n++] = main[i++]!;
      else out[n++] = tail[j++]!;
    }
    return out.slice(0, n);
  }
}
