// One queueing transaction at a time per worker, each for every batch that arrived while the one
// before was running. The partitions' batches share searches, so run side by side they wait on
// each other's locks anyway; merged, they pay one round of statements and one commit instead.

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
   * max_allowed_packet.
   */
  constructor(private readonly write: (items: readonly T[]) => Promise<unknown>, private readonly maxItems = Number.POSITIVE_INFINITY) {}

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
    while (taken < this.waiting.length && (taken === 0 || count + this.waiting[taken]!.items.length <= this.maxItems)) {
      count += this.waiting[taken]!.items.length;
      taken++;
    }
    return this.waiting.splice(0, taken);
  }
}
