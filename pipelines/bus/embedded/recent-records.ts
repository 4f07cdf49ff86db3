// The newest acknowledged records of one partition, kept decoded in memory up to a byte budget.
// Consumer groups that keep up read what was just written; served from here, the groups share
// one decoded record (and so one parsed body, see parse-message.ts) instead of each reading the
// file, checking its CRC and parsing its JSON again.
import { decodeRecord, type StoredRecord } from './record-format.js';

export class RecentRecords {
  private records: StoredRecord[] = [];
  private sizes: number[] = [];
  /** Index in `records` of the oldest kept record: dropping from the front without shifting. */
  private head = 0;
  private bytes = 0;

  /** `nextOffset`: the offset the next appended record will have. */
  constructor(private readonly budgetBytes: number, private nextOffset: number) {}

  get firstOffset(): number {
    return this.nextOffset - (this.records.length - this.head);
  }

  /**
   * Keeps records just written: `data` holds them framed one after the other, `sizes` their sizes,
   * the first at offset `firstOffset` (which must follow the last kept one, or the rest is dropped).
   */
  add(firstOffset: number, data: Buffer, sizes: readonly number[]): void {
    if (this.budgetBytes <= 0) return;
    if (firstOffset !== this.nextOffset) this.clear(firstOffset);
    let at = 0;
    for (const size of sizes) {
      // Written by this process a moment ago: the checksum protects the copy on disk, not this one.
      const decoded = decodeRecord(data, at, false);
      if (decoded.kind !== 'record') throw new Error(`recent records: a record just written does not decode (${decoded.kind})`);
      this.records.push(decoded.record);
      this.sizes.push(size);
      this.bytes += size;
      at += size;
    }
    this.nextOffset = firstOffset + sizes.length;
    while (this.bytes > this.budgetBytes && this.head < this.records.length - 1) {
      this.bytes -= this.sizes[this.head]!;
      this.head++;
    }
    if (this.head > 1024 && this.head * 2 > this.records.length) {
      this.records = this.records.slice(this.head);
      this.sizes = this.sizes.slice(this.head);
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
      bytes += this.sizes[end]!;
      end++;
    }
    return this.records.slice(start, end);
  }

  clear(nextOffset: number): void {
    this.records = [];
    this.sizes = [];
    this.head = 0;
    this.bytes = 0;
    this.nextOffset = nextOffset;
  }
}
