// One partition of the embedded log: append-only segment files named by their first offset,
// group commit (many concurrent appends share one write and one fsync), and recovery that
// truncates a torn tail after a crash. Records become readable only once acknowledged.
// Only the newest segment's tail is read through at open: a kill -9 can leave nothing unfinished
// anywhere else, and the marks say what the rest holds (see seal-mark.ts).
import { EventEmitter } from 'node:events';
import { mkdirSync, readdirSync, rmSync } from 'node:fs';
import { open, rm, stat, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { EnvironmentError } from '../../../core/errors.js';
import { decodeRecord, frameRecords, type StoredRecord } from './record-format.js';
import { RecentBudget, RecentRecords } from './recent-records.js';
import { checkpointPathOf, readSegmentMark, sealMarkPathOf, writeSegmentMark, type SealMark } from './seal-mark.js';

export type FsyncPolicy = 'always' | 'interval' | 'never';

export interface PartitionLogOptions {
  segmentBytes: number;
  /** always: fsync before acknowledging (survives power loss); interval/never: page cache only (survives kill -9). */
  fsync: FsyncPolicy;
  fsyncIntervalMs: number;
  retentionBytes: number;
  retentionMs: number;
  /** Bytes fsynced to the active segment between two checkpoints (default 4 MB): at most what a restart reads through. */
  checkpointEveryBytes?: number;
  /**
   * Bytes of the newest records kept decoded in memory for the groups that keep up (0: none); one
   * budget for the whole bus, 64 MB unless set.
   */
  recentBytes?: number;
}

export interface AppendRecord {
  /** Bytes, or text stored as UTF-8. */
  key: Buffer | string | null;
  value: Buffer | string | null;
  headers?: Record<string, string>;
  timestampMs: number;
}

interface Segment {
  baseOffset: number;
  path: string;
  /** Bytes acknowledged (readable); the file may briefly hold more while a write is in flight. */
  size: number;
  /** Next offset after the last acknowledged record of this segment. */
  endOffset: number;
  lastTimestampMs: number;
  /** Sparse [offset, byte position] pairs, ascending, for seeking without a full scan. */
  index: [number, number][];
  /** The promise, not the handle: consumer groups reading at once share one open instead of leaking the loser's. */
  reader?: Promise<FileHandle>;
  /** Opened from a mark, its records up to here not read through since: what verifySealed checks. */
  unverified?: { size: number; endOffset: number };
}

async function closeReader(segment: Segment): Promise<void> {
  const reader = segment.reader;
  segment.reader = undefined;
  // A reader that failed to open has nothing to close; the read that opened it got the error.
  await reader?.then((handle) => handle.close(), () => undefined);
}

interface PendingAppend {
  /** The records' frames and values, to be written in order, each record's size, and the records. */
  parts: Buffer[];
  sizes: number[];
  stored: StoredRecord[];
  firstOffset: number;
  lastTimestampMs: number;
  resolve(firstOffset: number): void;
  reject(error: unknown): void;
}

const INDEX_EVERY_BYTES = 16 * 1024;
const CHECKPOINT_EVERY_BYTES = 4 * 1024 * 1024;
const SCAN_CHUNK_BYTES = 8 * 1024 * 1024;
const READ_CHUNK_BYTES = 1024 * 1024;
export const RECENT_BYTES = 64 * 1024 * 1024;

export class OffsetOutOfRange extends Error {
  constructor(readonly requested: number, readonly startOffset: number) {
    super(`offset ${requested} is before the log start ${startOffset} (deleted by retention)`);
  }
}

const segmentName = (baseOffset: number) => `${String(baseOffset).padStart(20, '0')}.log`;

export class PartitionLog {
  private readonly segments: Segment[] = [];
  private writer: FileHandle | undefined;
  private writePosition = 0;
  private nextOffset = 0;
  private pending: PendingAppend[] = [];
  private flushing = false;
  private dirty = false;
  private failed: unknown;
  private fsyncTimer: NodeJS.Timeout | undefined;
  /** Size of the active segment at its last checkpoint. */
  private checkpointedBytes = 0;
  private checkpointing: Promise<void> | undefined;
  private readonly events = new EventEmitter();
  private recent!: RecentRecords;

  private constructor(readonly dir: string, private readonly options: PartitionLogOptions, private readonly budget: RecentBudget) {
    this.events.setMaxListeners(0);
  }

  /** `budget`: shared with the bus's other partitions; a log opened alone has one of its own. */
  static async open(dir: string, options: PartitionLogOptions, budget = new RecentBudget(options.recentBytes ?? RECENT_BYTES)): Promise<PartitionLog> {
    mkdirSync(dir, { recursive: true });
    const log = new PartitionLog(dir, options, budget);
    await log.recover();
    if (options.fsync === 'interval') {
      log.fsyncTimer = setInterval(() => void log.syncIfDirty(), options.fsyncIntervalMs);
      log.fsyncTimer.unref();
    }
    return log;
  }

  get startOffset(): number {
    return this.segments[0]?.baseOffset ?? 0;
  }

  /** The offset the next record gets once acknowledged: everything below is readable. */
  get endOffset(): number {
    return this.segments[this.segments.length - 1]?.endOffset ?? 0;
  }

  get sizeBytes(): number {
    return this.segments.reduce((sum, s) => sum + s.size, 0);
  }

  private async recover(): Promise<void> {
    const names = readdirSync(this.dir);
    const files = names.filter((f) => /^\d{20}\.log$/.test(f)).sort();
    for (const [i, file] of files.entries()) {
      const segment = this.newSegment(Number(file.slice(0, 20)));
      const { size } = await stat(segment.path);
      const newest = i === files.length - 1;
      const mark = readSegmentMark(newest ? checkpointPathOf(segment.path) : sealMarkPathOf(segment.path));
      // Written after an fsync: whole records only. Their checksums are still checked by every
      // read and by verifySealed, just not before the platform may start.
      const trusted = mark && (newest ? mark.size <= size : mark.size === size);
      if (trusted) {
        Object.assign(segment, { size: mark.size, endOffset: mark.endOffset, lastTimestampMs: mark.lastTimestampMs, index: mark.index });
        segment.unverified = { size: mark.size, endOffset: mark.endOffset };
        if (!newest) {
          this.segments.push(segment);
          continue;
        }
      }
      // The newest segment from its checkpoint on: what a crash may have cut short.
      const validBytes = await this.scan(segment, newest, trusted ? mark.size : 0);
      if (validBytes < size) {
        // Only the newest segment can have a torn tail: a write the crash cut short, never acknowledged.
        const handle = await open(segment.path, 'r+');
        await handle.truncate(validBytes);
        await handle.sync();
        await handle.close();
      }
      segment.size = validBytes;
      // A segment sealed before marks existed, or whose mark a crash cut short, was read through just now.
      if (!newest) await writeSegmentMark(sealMarkPathOf(segment.path), segment);
      this.segments.push(segment);
    }
    // Marks whose segment retention deleted just before a crash, and checkpoints a seal superseded.
    const logs = new Set(files);
    for (const name of names) {
      const orphan = /^\d{20}\.sealed(\.tmp)?$/.test(name) && !logs.has(`${name.slice(0, 20)}.log`);
      const superseded = /^\d{20}\.checkpoint(\.tmp)?$/.test(name) && `${name.slice(0, 20)}.log` !== files.at(-1);
      if (orphan || superseded) rmSync(join(this.dir, name), { force: true });
    }
    if (this.segments.length === 0) this.segments.push(this.newSegment(0));
    const active = this.segments[this.segments.length - 1]!;
    this.checkpointedBytes = active.size;
    this.nextOffset = active.endOffset;
    this.recent = new RecentRecords(this.budget, this.nextOffset);
    this.writer = await open(active.path, 'a');
    this.writePosition = active.size;
  }

  /**
   * Reads what each segment's mark vouched for at open through, checking each record's checksum
   * and that it ends where the mark says; each is checked once per open. Resolves with the problems
   * found (a segment to restore or delete), which reads of the damaged records also report.
   */
  async verifySealed(): Promise<EnvironmentError[]> {
    const problems: EnvironmentError[] = [];
    for (const segment of [...this.segments]) {
      const marked = segment.unverified;
      if (!marked || !this.segments.includes(segment)) continue;
      const probe = this.newSegment(segment.baseOffset);
      try {
        const validBytes = await this.scan(probe, false, 0, marked.size);
        if (validBytes !== marked.size || probe.endOffset !== marked.endOffset) {
          throw new EnvironmentError(`bus log ${segment.path} does not match its mark (${validBytes} bytes to offset ${probe.endOffset}, marked ${marked.size} bytes to offset ${marked.endOffset}); restore it or delete the partition folder`);
        }
        segment.unverified = undefined;
      } catch (error) {
        // Deleted by retention meanwhile: nothing left to check.
        if ((error as NodeJS.ErrnoException).code === 'ENOENT' || !this.segments.includes(segment)) continue;
        problems.push(error instanceof EnvironmentError ? error : new EnvironmentError(`bus log ${segment.path} could not be read: ${(error as Error).message}`, { cause: error }));
      }
    }
    return problems;
  }

  /**
   * Reads a segment from byte `from` (where its index and end offset so far stop) to `limit` or its
   * end, building its index; returns the bytes of whole valid records.
   */
  private async scan(segment: Segment, isNewest: boolean, from = 0, limit?: number): Promise<number> {
    const handle = await open(segment.path, 'r');
    const invalid = (at: number, reason: string): number => {
      if (isNewest) return at;
      throw new EnvironmentError(`bus log ${segment.path} is corrupt at byte ${at} (${reason}); restore it or delete the partition folder`);
    };
    try {
      const size = limit ?? (await handle.stat()).size;
      let position = from;
      let want = SCAN_CHUNK_BYTES;
      let lastIndexed = segment.index.at(-1)?.[1] ?? -INDEX_EVERY_BYTES;
      while (position < size) {
        const buffer = Buffer.allocUnsafe(Math.min(want, size - position));
        const { bytesRead } = await handle.read(buffer, 0, buffer.length, position);
        const view = buffer.subarray(0, bytesRead);
        let at = 0;
        for (;;) {
          const decoded = decodeRecord(view, at);
          if (decoded.kind === 'incomplete') break;
          if (decoded.kind === 'corrupt') return invalid(position + at, decoded.reason);
          if (decoded.record.offset !== segment.endOffset) return invalid(position + at, 'offset out of sequence');
          if (position + at - lastIndexed >= INDEX_EVERY_BYTES) {
            segment.index.push([decoded.record.offset, position + at]);
            lastIndexed = position + at;
          }
          segment.endOffset = decoded.record.offset + 1;
          segment.lastTimestampMs = decoded.record.timestampMs;
          at += decoded.size;
        }
        if (at === 0) {
          // The record here is longer than the chunk, or cut short by the end of the file.
          const needed = view.length >= 8 ? view.readUInt32BE(0) + 4 : Infinity;
          if (position + needed > size) return invalid(position, 'last record incomplete');
          want = needed;
          continue;
        }
        position += at;
        want = SCAN_CHUNK_BYTES;
      }
      return position;
    } finally {
      await handle.close();
    }
  }

  private newSegment(baseOffset: number): Segment {
    return { baseOffset, path: join(this.dir, segmentName(baseOffset)), size: 0, endOffset: baseOffset, lastTimestampMs: 0, index: [] };
  }

  /** Appends records; resolves with the first record's offset once they are acknowledged. */
  append(records: readonly AppendRecord[]): Promise<number> {
    if (this.failed) return Promise.reject(this.failed);
    const firstOffset = this.nextOffset;
    const { parts, sizes, stored } = frameRecords(firstOffset, records);
    this.nextOffset += records.length;
    return new Promise((resolve, reject) => {
      this.pending.push({ parts, sizes, stored, firstOffset, lastTimestampMs: records[records.length - 1]?.timestampMs ?? Date.now(), resolve, reject });
      if (!this.flushing) void this.flush();
    });
  }

  private async flush(): Promise<void> {
    this.flushing = true;
    try {
      while (this.pending.length > 0) {
        const group = this.pending;
        this.pending = [];
        try {
          await this.writeGroup(group);
          for (const append of group) append.resolve(append.firstOffset);
          this.events.emit('append');
        } catch (error) {
          // The file may now hold a partial write; refuse further appends until a restart recovers it.
          this.failed = error;
          for (const append of [...group, ...this.pending]) append.reject(error);
          this.pending = [];
        }
      }
    } finally {
      this.flushing = false;
    }
  }

  private async writeGroup(group: PendingAppend[]): Promise<void> {
    let active = this.segments[this.segments.length - 1]!;
    if (active.size >= this.options.segmentBytes) {
      active = await this.roll(group[0]!.firstOffset);
    }
    await this.writer!.writev(group.length === 1 ? group[0]!.parts : group.flatMap((append) => append.parts));
    const synced = this.options.fsync === 'always';
    if (synced) await this.writer!.datasync();
    else this.dirty = true;
    let position = this.writePosition;
    let lastIndexed = active.index.length ? active.index[active.index.length - 1]![1] : -INDEX_EVERY_BYTES;
    let offset = group[0]!.firstOffset;
    for (const append of group) this.recent.add(append.firstOffset, append.stored, append.sizes);
    for (const size of group.flatMap((append) => append.sizes)) {
      if (position - lastIndexed >= INDEX_EVERY_BYTES) {
        active.index.push([offset, position]);
        lastIndexed = position;
      }
      position += size;
      offset++;
    }
    this.writePosition = position;
    active.size = position;
    active.endOffset = offset;
    active.lastTimestampMs = group[group.length - 1]!.lastTimestampMs;
    if (synced) this.checkpointIfDue(active);
  }

  /**
   * Records the active segment's synced state when enough was written since the last time, in the
   * background: a checkpoint lost or not yet written only means a longer read at the next start.
   */
  private checkpointIfDue(active: Segment, force = false): void {
    const due = active.size - this.checkpointedBytes >= (this.options.checkpointEveryBytes ?? CHECKPOINT_EVERY_BYTES);
    if (this.checkpointing || !(due || (force && active.size > this.checkpointedBytes))) return;
    const mark: SealMark = { size: active.size, endOffset: active.endOffset, lastTimestampMs: active.lastTimestampMs, index: [...active.index] };
    this.checkpointedBytes = active.size;
    this.checkpointing = writeSegmentMark(checkpointPathOf(active.path), mark)
      .catch(() => { this.checkpointedBytes = 0; })
      .finally(() => { this.checkpointing = undefined; });
  }

  private async roll(baseOffset: number): Promise<Segment> {
    if (this.options.fsync !== 'always') await this.writer!.datasync();
    await this.writer!.close();
    // After the fsync: a mark never vouches for bytes a power loss could still take.
    const sealed = this.segments[this.segments.length - 1]!;
    await writeSegmentMark(sealMarkPathOf(sealed.path), sealed);
    await this.checkpointing;
    await rm(checkpointPathOf(sealed.path), { force: true });
    this.checkpointedBytes = 0;
    const segment = this.newSegment(baseOffset);
    this.writer = await open(segment.path, 'a');
    this.writePosition = 0;
    this.segments.push(segment);
    await this.enforceRetention();
    return segment;
  }

  private async syncIfDirty(): Promise<void> {
    if (!this.dirty || !this.writer || this.flushing) return;
    this.dirty = false;
    // What is acknowledged now is what this fsync makes durable (no write is in flight).
    const active = this.segments[this.segments.length - 1]!;
    const synced = { ...active, index: [...active.index] };
    try {
      await this.writer.datasync();
    } catch {
      this.dirty = true;
      return;
    }
    this.checkpointIfDue(synced);
  }

  /** Deletes whole closed segments past the size or age limit; the active one always stays. */
  async enforceRetention(now = Date.now()): Promise<number> {
    let removed = 0;
    while (this.segments.length > 1) {
      const oldest = this.segments[0]!;
      const tooBig = this.sizeBytes > this.options.retentionBytes;
      const tooOld = oldest.lastTimestampMs > 0 && now - oldest.lastTimestampMs > this.options.retentionMs;
      if (!tooBig && !tooOld) break;
      this.segments.shift();
      await closeReader(oldest);
      await rm(oldest.path, { force: true });
      await rm(sealMarkPathOf(oldest.path), { force: true });
      removed++;
    }
    return removed;
  }

  /** Up to `maxMessages` acknowledged records from `fromOffset` on (fewer at the end of the log). */
  async read(fromOffset: number, maxMessages: number, maxBytes = READ_CHUNK_BYTES): Promise<StoredRecord[]> {
    if (fromOffset < this.startOffset) throw new OffsetOutOfRange(fromOffset, this.startOffset);
    const recent = this.recent.read(fromOffset, maxMessages, maxBytes);
    if (recent) return recent;
    const out: StoredRecord[] = [];
    let offset = fromOffset;
    while (out.length < maxMessages && offset < this.endOffset) {
      const segment = this.segmentFor(offset);
      if (!segment || offset >= segment.endOffset) break;
      const records = await this.readSegment(segment, offset, maxMessages - out.length, maxBytes);
      if (records.length === 0) break;
      out.push(...records);
      offset = records[records.length - 1]!.offset + 1;
      if (out.length > 0 && maxBytes <= 0) break;
    }
    return out;
  }

  private segmentFor(offset: number): Segment | undefined {
    let lo = 0;
    let hi = this.segments.length - 1;
    let found: Segment | undefined;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (this.segments[mid]!.baseOffset <= offset) {
        found = this.segments[mid];
        lo = mid + 1;
      } else {
        hi = mid - 1;
      }
    }
    return found;
  }

  private async readSegment(segment: Segment, fromOffset: number, maxMessages: number, maxBytes: number): Promise<StoredRecord[]> {
    const reader = await (segment.reader ??= open(segment.path, 'r').catch((error: unknown) => {
      segment.reader = undefined;
      throw error;
    }));
    let position = 0;
    for (const [offset, at] of segment.index) {
      if (offset > fromOffset) break;
      position = at;
    }
    const out: StoredRecord[] = [];
    const limit = segment.size;
    let want = Math.min(maxBytes, limit - position);
    while (out.length < maxMessages && position < limit) {
      const buffer = Buffer.allocUnsafe(Math.max(want, 8));
      const { bytesRead } = await reader.read(buffer, 0, Math.min(buffer.length, limit - position), position);
      const view = buffer.subarray(0, bytesRead);
      let at = 0;
      for (;;) {
        const decoded = decodeRecord(view, at);
        if (decoded.kind === 'incomplete') break;
        if (decoded.kind === 'corrupt') throw new EnvironmentError(`bus log ${segment.path} is corrupt at byte ${position + at}: ${decoded.reason}`);
        at += decoded.size;
        if (decoded.record.offset >= fromOffset) {
          // The record's key and value are views of this read's own buffer (never read into again),
          // not copies: every consumer group reads every record, so each copy was paid once a group.
          // A batch's records keep the chunk alive until the batch is done with.
          out.push(decoded.record);
          if (out.length >= maxMessages) break;
        }
      }
      if (at === 0) {
        // One record larger than the chunk: read exactly its length next time.
        want = view.readUInt32BE(0) + 4;
        continue;
      }
      position += at;
      if (out.length > 0) break;
      want = Math.min(maxBytes, limit - position);
    }
    return out;
  }

  /** Resolves when a record at `offset` is readable, or when `signal` aborts. */
  waitFor(offset: number, signal?: AbortSignal): Promise<void> {
    if (this.endOffset > offset || signal?.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        if (this.endOffset <= offset && !signal?.aborted) return;
        this.events.off('append', done);
        signal?.removeEventListener('abort', done);
        resolve();
      };
      this.events.on('append', done);
      signal?.addEventListener('abort', done);
    });
  }

  async close(): Promise<void> {
    if (this.fsyncTimer) clearInterval(this.fsyncTimer);
    while (this.flushing) await new Promise((r) => setTimeout(r, 1));
    await this.checkpointing;
    if (this.writer) {
      // A clean close leaves a checkpoint at the end: the next start reads nothing through.
      const synced = this.options.fsync !== 'never' && !this.failed && await this.writer.datasync().then(() => true, () => false);
      await this.writer.close();
      this.writer = undefined;
      if (synced) {
        this.checkpointIfDue(this.segments[this.segments.length - 1]!, true);
        await this.checkpointing;
      }
    }
    for (const segment of this.segments) {
      await closeReader(segment);
    }
  }
}
