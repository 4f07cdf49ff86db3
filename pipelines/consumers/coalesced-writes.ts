// Group commit for a consumer's writes: one write at a time, each for every batch that arrived
// while the one before was running. The partitions' batches of a group would otherwise wait on
// each other anyway (the alert worker's share searches and their locks; the warehouse loader's
// share chDB's one statement at a time), and merged they pay one round of statements instead of
// one each: one commit, or one part for ClickHouse to write and merge later.

interface Waiting<T> {
  items: readonly T[];
  resolve: () => void;
  reject: (error: unknown) => void;
}

export class CoalescedWrites<T> {
  private waiting: Waiting<T>[] = [];
  private draining = false;

  /**
   * `maxItems` bounds a merged write (a batch larger than it is still written whole): merged
   * without a bound, the partitions' batches could make statements larger than a server's
   * max_allowed_packet. `weigh` says what an item counts towards it (default 1: items are counted).
   */
  constructor(
    private readonly write: (items: readonly T[]) => Promise<unknown>,
    private readonly maxItems = Number.POSITIVE_INFINITY,
    private readonly weigh: (item: T) => number = () => 1,
  ) {}

  /** Resolves once `items` are committed (with others', or alone after a merged write failed). */
  add(items: readonly T[]): Promise<void> {
    return new Promise((resolve, reject) => {
      this.waiting.push({ items, resolve, reject });
      if (!this.draining) void this.drain();
    });
  }

  private async drain(): Promise<void> {
    this.draining = true;
    try {
      while (this.waiting.length > 0) {
        const group = this.nextGroup();
        try {
          await this.write(group.flatMap((waiting) => waiting.items));
          for (const waiting of group) waiting.resolve();
        } catch (error) {
          if (group.length === 1) {
            group[0]!.reject(error);
            continue;
          }
          // Each batch again on its own, so only the one at fault fails (and is retried or
          // dead-lettered by its partition) rather than every batch it was merged with.
          for (const waiting of group) {
            try {
              await this.write(waiting.items);
              waiting.resolve();
            } catch (own) {
              waiting.reject(own);
            }
          }
        }
      }
    } finally {
      this.draining = false;
    }
  }

  private nextGroup(): Waiting<T>[] {
    let count = 0;
    let taken = 0;
    while (taken < this.waiting.length) {
      const weight = this.weightOf(this.waiting[taken]!.items);
      if (taken > 0 && count + weight > this.maxItems) break;
      count += weight;
      taken++;
    }
    return this.waiting.splice(0, taken);
  }

  private weightOf(items: readonly T[]): number {
    let weight = 0;
    for (const item of items) weight += this.weigh(item);
    return weight;
  }
}
