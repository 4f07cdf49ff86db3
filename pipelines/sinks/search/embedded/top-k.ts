// The best k documents of a match set without sorting it: a heap with the worst kept at the root,
// so most candidates cost one comparison. Larger key wins; equal keys go to the larger tie.

export class TopK {
  private readonly keys: Float64Array;
  private readonly ties: Float64Array;
  private readonly ordinals: Int32Array;
  size = 0;

  constructor(private readonly k: number) {
    this.keys = new Float64Array(k);
    this.ties = new Float64Array(k);
    this.ordinals = new Int32Array(k);
  }

  /** Whether a candidate would enter: callers test this before computing anything costly. */
  admits(key: number, tie: number): boolean {
    if (this.size < this.k) return true;
    const rootKey = this.keys[0]!;
    return key > rootKey || (key === rootKey && tie > this.ties[0]!);
  }

  offer(key: number, tie: number, ordinal: number): void {
    if (this.k === 0) return;
    if (this.size < this.k) {
      let i = this.size++;
      while (i > 0) {
        const parent = (i - 1) >> 1;
        if (!this.worse(key, tie, this.keys[parent]!, this.ties[parent]!)) break;
        this.move(parent, i);
        i = parent;
      }
      this.put(i, key, tie, ordinal);
      return;
    }
    if (!this.admits(key, tie)) return;
    let i = 0;
    for (;;) {
      const left = 2 * i + 1;
      if (left >= this.size) break;
      const right = left + 1;
      const child = right < this.size && this.worse(this.keys[right]!, this.ties[right]!, this.keys[left]!, this.ties[left]!) ? right : left;
      if (!this.worse(this.keys[child]!, this.ties[child]!, key, tie)) break;
      this.move(child, i);
      i = child;
    }
    this.put(i, key, tie, ordinal);
  }

  /** Ordinals best first. */
  drain(): number[] {
    const order = Array.from({ length: this.size }, (_, i) => i);
    order.sort((a, b) => this.keys[b]! - this.keys[a]! || this.ties[b]! - this.ties[a]!);
    return order.map((i) => this.ordinals[i]!);
  }

  private worse(key: number, tie: number, otherKey: number, otherTie: number): boolean {
    return key < otherKey || (key === otherKey && tie < otherTie);
  }

  private move(from: number, to: number): void {
    this.keys[to] = this.keys[from]!;
    this.ties[to] = this.ties[from]!;
    this.ordinals[to] = this.ordinals[from]!;
  }

  private put(i: number, key: number, tie: number, ordinal: number): void {
    this.keys[i] = key;
    this.ties[i] = tie;
    this.ordinals[i] = ordinal;
  }
}
