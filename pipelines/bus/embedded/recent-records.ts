// The newest acknowledged records of each partition, kept decoded in memory within one byte budget
// for the whole bus. Consumer groups that keep up read what was just written; served from here,
// the groups share one decoded record (and so one parsed body, see parse-message.ts) instead of
// each reading the file, checking its CRC and parsing its JSON again.
import type { StoredRecord } from './record-format.js';

interface Added {
  owner: RecentRecords;
  generation: number;
  count: number;
  bytes: number;
}

/**
 * The budget the partitions share, spent oldest first across all of them: a busy topic keeps a
 * longer window than one partition's share would give it, an idle one holds nothing for long.
 */
export class RecentBudget {
  private added: Added[] = [];
  private head = 0;
  private used = 0;

  constructor(readonly limitBytes: number) {}

  spend(entry: Added): void {
    this.added.push(entry);
    this.used += entry.bytes;
    while (this.used > this.limitBytes && this.head < this.added.length - 1) {
      const oldest = this.added[this.head++]!;
      this.used -= oldest.bytes;
      oldest.owner.dropOldest(oldest.generation, oldest.count);
    }
    if (this.head > 1024 && this.head * 2 > this.added.length) {
      this.added = this.added.slice(this.head);
      this.head = 0;
    }
  }
}

export class RecentRecords {
  private records: StoredRecord[] = [];
  /** Index in `records` of the oldest kept record: dropping from the front without shifting. */
  private head = 0;
  /** Bumped when the records are dropped at once, so the budget's older entries no longer apply. */
  private generation = 0;

  /** `nextOffset`: the offset the next appended record will have. */
  constructor(private readonly budget: RecentBudget, private nextOffset: number) {}

  get firstOffset(): number {
    return this.nextOffset - (this.records.length - this.head);
  }

  /**
   * Keeps records just written, `sizes` their sizes in the log, the first at offset `firstOffset`
   * (which must follow the last kept one, or the rest is dropped).
   */
  add(firstOffset: number, records: readonly StoredRecord[], sizes: readonly number[]): void {
    if (this.budget.limitBytes <= 0) return;
    if (firstOffset !== this.nextOffset) this.clear(firstOffset);
    let bytes = 0;
    for (let i = 0; i < records.length; i++) {
      this.records.push(records[i]!);
      bytes += sizes[i]!;
    }
    this.nextOffset = firstOffset + records.length;
    this.budget.spend({ owner: this, generation: this.generation, count: records.length, bytes });
  }

  /** Called by the budget: the oldest `count` records go, unless they went already. */
  dropOldest(generation: number, count: number): void {
    if (generation !== this.generation) return;
    this.head += count;
    if (this.head > 1024 && this.head * 2 > this.records.length) {
      this.records = this.records.slice(this.head);
      this.head = 0;
    }
  }

  /** Kept records from `fromOffset` on, or undefined when it is not kept (read the file). */
  read(fromOffset: number, maxMessages: number, maxBytes: number): StoredRecord[] | undefined {
    const first = this.firstOffset;
    if (fromOffset < first || fromOffset >= this.nextOffset) return undefined;
    const start = this.head + (fromOffset - first);
    let end = start;
    let bytes = 0;
    while (end < this.records.length && end - start < maxMessages && (end === start || bytes < maxBytes)) {
      const record = this.records[end]!;
      bytes += (record.value?.length ?? 0) + (record.key?.length ?? 0);
      end++;
    }
    return this.records.slice(start, end);
  }

  clear(nextOffset: number): void {
    this.records = [];
    this.head = 0;
    this.generation++;
    this.nextOffset = nextOffset;
  }
}
