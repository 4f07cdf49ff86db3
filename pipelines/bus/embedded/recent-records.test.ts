import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { PoisonMessage } from '../../../core/errors.js';
import { tempDir } from '../../../test/fixtures/temp-dir.js';
import { parseMessage } from '../../consumers/parse-message.js';
import type { BusMessage } from '../port.js';
import { EmbeddedBus } from './index.js';
import { PartitionLog, type PartitionLogOptions } from './partition-log.js';
import { frameRecords } from './record-format.js';
import { RecentBudget, RecentRecords } from './recent-records.js';

const dir = tempDir();
afterAll(() => dir.remove());
let n = 0;
const logOptions = (recentBytes?: number): PartitionLogOptions => ({
  segmentBytes: 64 * 1024, fsync: 'never', fsyncIntervalMs: 100, retentionBytes: 1 << 30, retentionMs: 3_600_000, recentBytes,
});
const now = Date.now();
const text = (records: { value: Buffer | null }[]) => records.map((r) => r.value!.toString());

describe('the newest records kept in memory', () => {
  it('keeps the newest records within its budget, in offset order, and says when an offset is not kept', () => {
    const recent = new RecentRecords(new RecentBudget(1000), 0);
    let size = 0;
    for (let batch = 0; batch < 10; batch++) {
      const { stored, sizes } = frameRecords(batch * 5, Array.from({ length: 5 }, (_, i) => ({ key: null, value: `v${String(batch * 5 + i).padStart(2, '0')}`, timestampMs: 1 })));
      recent.add(batch * 5, stored, sizes);
      size = sizes[0]!;
    }
    // Dropped as they were added, oldest first: whole appends of 5.
    const kept = 5 * Math.floor(1000 / (5 * size));
    expect(kept).toBeLessThan(50);
    expect(recent.firstOffset).toBe(50 - kept);
    expect(recent.read(49 - kept, 10, 1 << 20)).toBeUndefined();
    expect(recent.read(50, 10, 1 << 20)).toBeUndefined();
    expect(text(recent.read(50 - kept, 2, 1 << 20)!)).toEqual([`v${50 - kept}`, `v${51 - kept}`]);
    expect(text(recent.read(45, 100, 1 << 20)!)).toEqual(['v45', 'v46', 'v47', 'v48', 'v49']);
    // The byte limit (of keys and values) stops a read after the record that reaches it, never before the first.
    expect(text(recent.read(40, 100, 7)!)).toEqual(['v40', 'v41', 'v42']);
    expect(text(recent.read(40, 100, 1)!)).toEqual(['v40']);
    // A gap (records it was not given) starts it again from the new ones.
    const { stored, sizes } = frameRecords(60, [{ key: null, value: 'v60', timestampMs: 1 }]);
    recent.add(60, stored, sizes);
    expect(recent.firstOffset).toBe(60);
    expect(recent.read(49, 10, 1 << 20)).toBeUndefined();
  });

  it('spends one budget oldest first across the partitions that share it', () => {
    const budget = new RecentBudget(400);
    const busy = new RecentRecords(budget, 0);
    const idle = new RecentRecords(budget, 0);
    const add = (to: RecentRecords, from: number, count: number) => {
      const { stored, sizes } = frameRecords(from, Array.from({ length: count }, (_, i) => ({ key: null, value: `v${from + i}`, timestampMs: 1 })));
      to.add(from, stored, sizes);
    };
    add(idle, 0, 2);
    for (let from = 0; from < 40; from += 2) add(busy, from, 2);
    // The idle partition's records were the oldest: they went first, the busy one keeps what fits.
    expect(idle.read(0, 10, 1 << 20)).toBeUndefined();
    expect(busy.firstOffset).toBeGreaterThan(20);
    expect(busy.read(busy.firstOffset, 100, 1 << 20)!.length).toBe(40 - busy.firstOffset);
    // Dropped at once (a gap): the budget's older entries for it no longer take newer records.
    add(idle, 10, 2);
    add(idle, 50, 1);
    expect(idle.firstOffset).toBe(50);
    for (let from = 40; from < 60; from += 2) add(busy, from, 2);
    expect(idle.read(50, 10, 1 << 20)).toBeUndefined();
    expect(busy.read(59, 10, 1 << 20)!.length).toBe(1);
  });

  it('serves the newest records from memory, the same for every reader, and older ones from the file, equal', async () => {
    const path = join(dir.path, `log-${n++}`);
    const log = await PartitionLog.open(path, logOptions(20_000));
    for (let i = 0; i < 50; i++) {
      await log.append(Array.from({ length: 20 }, (_, j) => ({ key: `k${j}`, value: JSON.stringify({ n: i * 20 + j, pad: 'x'.repeat(50) }), headers: j === 0 ? { h: String(i) } : undefined, timestampMs: now + i })));
    }
    const newest = await log.read(990, 10);
    const again = await log.read(990, 10);
    expect(newest.map((r) => r.offset)).toEqual(Array.from({ length: 10 }, (_, i) => 990 + i));
    // The same bytes, not a copy each: what lets the groups share one parse.
    newest.forEach((record, i) => expect(again[i]!.value).toBe(record.value));

    const fromFile = await PartitionLog.open(join(dir.path, `copy-${n++}`), logOptions(0));
    for (let i = 0; i < 50; i++) {
      await fromFile.append(Array.from({ length: 20 }, (_, j) => ({ key: `k${j}`, value: JSON.stringify({ n: i * 20 + j, pad: 'x'.repeat(50) }), headers: j === 0 ? { h: String(i) } : undefined, timestampMs: now + i })));
    }
    const all = async (source: PartitionLog) => {
      const out = [];
      for (let offset = 0; offset < 1000;) {
        const records = await source.read(offset, 64);
        out.push(...records.map((r) => ({ offset: r.offset, key: r.key?.toString(), value: r.value?.toString(), headers: r.headers, timestampMs: r.timestampMs })));
        offset = records.at(-1)!.offset + 1;
      }
      return out;
    };
    // Reads crossing from the file into memory see every record once, as a log that keeps none.
    const expected = await all(fromFile);
    expect(expected).toHaveLength(1000);
    expect(await all(log)).toEqual(expected);
    await log.close();
    await fromFile.close();

    // After a restart nothing is in memory: the file answers, the same.
    const reopened = await PartitionLog.open(path, logOptions(20_000));
    expect(await all(reopened)).toEqual(expected);
    await reopened.close();
  });

  it('lets consumer groups share one parse of a change, which none of them can change for the others', async () => {
    const bus = await EmbeddedBus.open({
      dir: join(dir.path, `bus-${n++}`), defaultPartitions: 1, segmentBytes: 1 << 20, fsync: 'never', fsyncIntervalMs: 100,
      retentionBytes: 1 << 30, retentionMs: 3_600_000, redeliveryDelayMs: 20,
    });
    await bus.publish('t', [{ key: 'a', value: JSON.stringify({ op: 'u', after: { id: 1, name: 'bike' } }) }, { key: 'b', value: '{not json' }]);
    const [first, broken] = await bus.read('t', 0, 0, 10);
    const [second] = await bus.read('t', 0, 0, 10);
    const one = parseMessage<{ after: { name: string } }>(first!, 'a change event');
    const other = parseMessage<{ after: { name: string } }>(second!, 'a change event');
    expect(other).toBe(one);
    expect(() => { one.after.name = 'car'; }).toThrow(TypeError);
    expect(other.after.name).toBe('bike');
    expect(() => parseMessage(broken!, 'a change event')).toThrow(PoisonMessage);
    expect(() => parseMessage(broken!, 'a change event')).toThrow(/not a change event \(t\/0@1\)/);
    // Bytes from anywhere else (Kafka's client gives each its own) are parsed, equal.
    const copy: BusMessage = { ...first!, value: Buffer.from(first!.value!) };
    expect(parseMessage(copy, 'a change event')).toEqual(one);
    await bus.close();
  });
});
