import { spawn } from 'node:child_process';
import { appendFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ownerId, startTime } from '../../../core/process-control.js';
import { ROOT } from '../../../test/fixtures/run-cli.js';
import { tempDir } from '../../../test/fixtures/temp-dir.js';
import { murmur2 } from '../partitioner.js';
import { readTopic } from '../read-topic.js';
import { EmbeddedBus, type EmbeddedBusOptions } from './index.js';
import { PartitionLog } from './partition-log.js';

const dir = tempDir();
afterAll(() => dir.remove());
let n = 0;
const options = (overrides: Partial<EmbeddedBusOptions> = {}): EmbeddedBusOptions => ({
  dir: join(dir.path, `bus-${n++}`), defaultPartitions: 2, segmentBytes: 4096, fsync: 'always', fsyncIntervalMs: 100,
  retentionBytes: 1 << 30, retentionMs: 3_600_000, redeliveryDelayMs: 20, ...overrides,
});

describe('partitioning', () => {
  it('hashes keys exactly as Kafka\'s murmur2 does', () => {
    // Vectors from Kafka's own UtilsTest.
    expect(murmur2(Buffer.from('21'))).toBe(-973932308);
    expect(murmur2(Buffer.from('foobar'))).toBe(-790332482);
    expect(murmur2(Buffer.from('a-little-bit-long-string'))).toBe(-985981536);
    expect(murmur2(Buffer.from('a-little-bit-longer-string'))).toBe(-1486304829);
    expect(murmur2(Buffer.from('lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8'))).toBe(-58897971);
    expect(murmur2(Buffer.from('abc'))).toBe(479470107);
  });
});

describe('the embedded log on disk', () => {
  it('keeps every message across a restart and reads across segment files', async () => {
    const o = options();
    const bus = await EmbeddedBus.open(o);
    for (let i = 0; i < 20; i++) await bus.publish('t', Array.from({ length: 25 }, (_, j) => ({ key: `k${j}`, value: `${i}-${j}-${'p'.repeat(100)}` })));
    await bus.close();
    expect(readdirSync(join(o.dir, 't', '0')).filter((f) => f.endsWith('.log')).length).toBeGreaterThan(3);
    const again = await EmbeddedBus.open(o);
    const all = await readTopic(again, 't');
    expect(all).toHaveLength(500);
    expect(new Set(all.map((m) => m.value!.toString())).size).toBe(500);
    await again.close();
  });

  it('reads back just-written records from memory exactly as a restart reads them from the file', async () => {
    // Appends keep a value given as bytes instead of copying it, and the records in memory are made
    // beside the frames, not decoded from them: both must read as the file does.
    const o = options({ segmentBytes: 1 << 20 });
    const bus = await EmbeddedBus.open(o);
    const slab = Buffer.from(Array.from({ length: 300 }, (_, i) => `{"n":${i},"t":"é🚲\\"}`).join(''));
    const messages = Array.from({ length: 300 }, (_, i) => ({
      key: i % 5 === 0 ? null : `{"id":${i % 17}}`,
      value: i % 7 === 0 ? null : i % 2 === 0 ? slab.subarray(i * 10, i * 10 + 40) : `text ${i} ü`,
      ...(i % 3 === 0 ? { headers: { id: String(i), type: 'listing.created' } } : {}),
      ...(i % 11 === 0 ? { timestampMs: 1_700_000_000_000 + i } : {}),
    }));
    await bus.publish('t', messages.slice(0, 150));
    await bus.publish('t', messages.slice(150));
    const shape = (list: Awaited<ReturnType<typeof readTopic>>) => list.map((m) => ({
      partition: m.partition, offset: m.offset, key: m.key, headers: m.headers, value: m.value?.toString("base64") ?? null, timestamp: m.timestampMs,
    }));
    const fromMemory = shape(await readTopic(bus, 't'));
    await bus.close();
    const again = await EmbeddedBus.open(o);
    const fromFile = shape(await readTopic(again, 't'));
    await again.close();
    expect(fromMemory).toHaveLength(300);
    expect(fromMemory).toEqual(fromFile);
    const sent = new Map(messages.map((m) => [m.value === null ? null : Buffer.from(m.value).toString('base64'), m]));
    expect(fromFile.every((m) => sent.has(m.value))).toBe(true);
  });

  it('truncates a torn record at the end of the newest segment and keeps the rest', async () => {
    const o = options({ segmentBytes: 1 << 20, defaultPartitions: 1 });
    const bus = await EmbeddedBus.open(o);
    await bus.publish('t', Array.from({ length: 10 }, (_, i) => ({ key: null, value: `m${i}` })));
    await bus.close();
    const segment = join(o.dir, 't', '0', '00000000000000000000.log');
    const size = statSync(segment).size;
    appendFileSync(segment, Buffer.from([0, 0, 0, 200, 1, 2, 3]));
    const again = await EmbeddedBus.open(o);
    expect(statSync(segment).size).toBe(size);
    await again.publish('t', [{ key: null, value: 'after' }]);
    expect((await readTopic(again, 't')).map((m) => m.value!.toString())).toEqual([...Array.from({ length: 10 }, (_, i) => `m${i}`), 'after']);
    await again.close();
  });

  describe('sealed segments', () => {
    // Small segments so a topic spans many; one partition so every file is the topic's.
    const sealedOptions = () => options({ segmentBytes: 2048, defaultPartitions: 1, verifyDelayMs: 3_600_000 });
    const logsOf = (o: EmbeddedBusOptions) => readdirSync(join(o.dir, 't', '0')).filter((f) => f.endsWith('.log')).sort();
    const flipByteIn = (path: string, at: number) => {
      const bytes = readFileSync(path);
      bytes[at] = bytes[at]! ^ 0xff;
      writeFileSync(path, bytes);
    };
    async function writeSegments(o: EmbeddedBusOptions): Promise<string[]> {
      const bus = await EmbeddedBus.open(o);
      // One append at a time: a segment rolls only between appends.
      for (let i = 0; i < 90; i++) await bus.publish('t', [{ key: null, value: `m${i}-${'p'.repeat(200)}` }]);
      await bus.close();
      return logsOf(o);
    }

    it('marks every segment it seals, and a restart truncates the torn tail of the newest alone', async () => {
      const o = sealedOptions();
      const logs = await writeSegments(o);
      expect(logs.length).toBeGreaterThanOrEqual(10);
      const dir0 = join(o.dir, 't', '0');
      // Every segment but the active one has its mark.
      expect(logs.filter((f) => existsSync(join(dir0, f.replace('.log', '.sealed'))))).toEqual(logs.slice(0, -1));
      const newest = join(dir0, logs.at(-1)!);
      const size = statSync(newest).size;
      appendFileSync(newest, Buffer.from([0, 0, 1, 0, 9, 9, 9]));
      const again = await EmbeddedBus.open(o);
      expect(statSync(newest).size).toBe(size);
      await again.publish('t', [{ key: null, value: 'after' }]);
      const read = await readTopic(again, 't');
      expect(read).toHaveLength(91);
      expect(read.map((m) => m.offset)).toEqual(Array.from({ length: 91 }, (_, i) => i));
      expect(read.at(-1)!.value!.toString()).toBe('after');
      expect(await again.verifySealed()).toEqual([]);
      await again.close();
    });

    it('still reports a byte flipped in a sealed segment: by the background check and by the read that reaches it', async () => {
      const o = sealedOptions();
      const logs = await writeSegments(o);
      const damaged = join(o.dir, 't', '0', logs[3]!);
      flipByteIn(damaged, statSync(damaged).size - 10);
      // Opening does not read sealed segments: the platform starts, and the damage is reported.
      const again = await EmbeddedBus.open(o);
      const problems = await again.verifySealed();
      expect(problems.map((p) => p.message)).toEqual([expect.stringMatching(new RegExp(`bus log .*${logs[3]} is corrupt at byte \\d+ \\(checksum mismatch\\)`))]);
      await expect(readTopic(again, 't')).rejects.toThrow(/is corrupt at byte \d+: checksum mismatch/);
      await again.close();
    });

    it('reads through and marks a sealed segment that has no mark, failing the open when it is damaged', async () => {
      const o = sealedOptions();
      const logs = await writeSegments(o);
      const dir0 = join(o.dir, 't', '0');
      // As a crash between the seal's fsync and its mark leaves it, or a log written before marks.
      const unmarked = join(dir0, logs[2]!.replace('.log', '.sealed'));
      rmSync(unmarked);
      const again = await EmbeddedBus.open(o);
      expect(existsSync(unmarked)).toBe(true);
      expect(await readTopic(again, 't')).toHaveLength(90);
      await again.close();
      rmSync(unmarked);
      flipByteIn(join(dir0, logs[2]!), 40);
      await expect(EmbeddedBus.open(o)).rejects.toThrow(new RegExp(`bus log .*${logs[2]} is corrupt at byte \\d+ \\(checksum mismatch\\); restore it or delete the partition folder`));
    });

    it('reads the active segment only from its checkpoint on: a torn tail after it is truncated, a byte flipped before it still reported', async () => {
      const o = options({ segmentBytes: 1 << 20, defaultPartitions: 1, checkpointEveryBytes: 4096, verifyDelayMs: 3_600_000 });
      const bus = await EmbeddedBus.open(o);
      for (let i = 0; i < 60; i++) await bus.publish('t', [{ key: null, value: `m${i}-${'p'.repeat(200)}` }]);
      await bus.close();
      const segment = join(o.dir, 't', '0', '00000000000000000000.log');
      // A clean close checkpoints the end.
      expect(JSON.parse(readFileSync(segment.replace('.log', '.checkpoint'), 'utf8'))).toMatchObject({ size: statSync(segment).size, endOffset: 60 });
      const size = statSync(segment).size;
      appendFileSync(segment, Buffer.from([0, 0, 1, 0, 9, 9, 9]));
      flipByteIn(segment, 100);
      const again = await EmbeddedBus.open(o);
      expect(statSync(segment).size).toBe(size);
      expect((await again.verifySealed()).map((p) => p.message)).toEqual([expect.stringMatching(/is corrupt at byte \d+ \(checksum mismatch\)/)]);
      await expect(readTopic(again, 't')).rejects.toThrow(/is corrupt at byte \d+: checksum mismatch/);
      await again.close();
    });

    it('reads the active segment through when its checkpoint says more than the file holds', async () => {
      const o = options({ segmentBytes: 1 << 20, defaultPartitions: 1, checkpointEveryBytes: 4096 });
      const bus = await EmbeddedBus.open(o);
      for (let i = 0; i < 30; i++) await bus.publish('t', [{ key: null, value: `m${i}-${'p'.repeat(200)}` }]);
      await bus.close();
      const segment = join(o.dir, 't', '0', '00000000000000000000.log');
      const checkpoint = segment.replace('.log', '.checkpoint');
      writeFileSync(checkpoint, JSON.stringify({ ...JSON.parse(readFileSync(checkpoint, 'utf8')), size: statSync(segment).size + 1000, endOffset: 99 }));
      const again = await EmbeddedBus.open(o);
      expect((await readTopic(again, 't')).map((m) => m.offset)).toEqual(Array.from({ length: 30 }, (_, i) => i));
      await again.close();
    });

    it('reads through a sealed segment whose size is not the one its mark says', async () => {
      const o = sealedOptions();
      const logs = await writeSegments(o);
      const grown = join(o.dir, 't', '0', logs[1]!);
      appendFileSync(grown, Buffer.from([0, 0, 0, 200, 1, 2, 3]));
      await expect(EmbeddedBus.open(o)).rejects.toThrow(new RegExp(`bus log .*${logs[1]} is corrupt`));
    });
  });

  it('deletes whole old segments past the retention size, and a lagging group moves on', async () => {
    const o = options({ defaultPartitions: 1, retentionBytes: 8192 });
    const bus = await EmbeddedBus.open(o);
    for (let i = 0; i < 40; i++) await bus.publish('t', [{ key: null, value: 'x'.repeat(500) }]);
    const remaining = await readTopic(bus, 't');
    expect(remaining.length).toBeLessThan(40);
    expect(remaining[remaining.length - 1]!.offset).toBe(39);
    const seen: number[] = [];
    let done!: () => void;
    const finished = new Promise<void>((r) => { done = r; });
    const sub = await bus.subscribe({ group: 'late', topics: ['t'] }, async (batch) => {
      seen.push(...batch.messages.map((m) => m.offset));
      if (seen.includes(39)) done();
    });
    await finished;
    await sub.stop();
    expect(seen[0]).toBe(remaining[0]!.offset);
    await bus.close();
  });

  it('deletes closed segments older than the retention age, never the active one', async () => {
    const log = await PartitionLog.open(join(dir.path, `age-${n++}`), {
      segmentBytes: 1024, fsync: 'never', fsyncIntervalMs: 100, retentionBytes: 1 << 30, retentionMs: 3_600_000,
    });
    const old = Date.now() - 2 * 3_600_000;
    for (let i = 0; i < 20; i++) await log.append([{ key: null, value: Buffer.alloc(300), timestampMs: old }]);
    await log.append([{ key: null, value: Buffer.from('fresh'), timestampMs: Date.now() }]);
    // Rolling to a new segment applies retention; an explicit pass finds nothing more to delete.
    await log.enforceRetention();
    expect(log.startOffset).toBeGreaterThan(0);
    expect((await log.read(log.startOffset, 100)).at(-1)!.value!.toString()).toBe('fresh');
    await log.close();
  });

  it('lets several groups read more than ten partitions at once without a process warning or a file left open', async () => {
    const o = options({ defaultPartitions: 12, segmentBytes: 1 << 20 });
    const openFiles = () => readdirSync('/proc/self/fd').length;
    const before = openFiles();
    const warnings: string[] = [];
    const onWarning = (warning: Error) => warnings.push(`${warning.name}: ${warning.message}`);
    process.on('warning', onWarning);
    try {
      const bus = await EmbeddedBus.open(o);
      await bus.publish('wide', Array.from({ length: 120 }, (_, i) => ({ key: `k${i}`, value: `m${i}` })));
      // Three groups start together, as the platform's consumers do: each opens every segment at once.
      const read = await Promise.all(['a', 'b', 'c'].map(async (group) => {
        let count = 0;
        let done: () => void = () => undefined;
        const all = new Promise<void>((resolve) => { done = resolve; });
        const subscription = await bus.subscribe({ group, topics: ['wide'] }, async (batch) => {
          count += batch.messages.length;
          if (count === 120) done();
        });
        await all;
        await subscription.stop();
        return count;
      }));
      await bus.close();
      expect(read).toEqual([120, 120, 120]);
      // Node reports warnings on the next tick.
      await new Promise((resolve) => setImmediate(resolve));
      expect(warnings).toEqual([]);
      expect(openFiles()).toBe(before);
    } finally {
      process.off('warning', onWarning);
    }
  });

  it('refuses a folder another live process owns', async () => {
    const o = options();
    const bus = await EmbeddedBus.open(o);
    await bus.close();
    writeFileSync(join(o.dir, '.lock'), '1');
    await expect(EmbeddedBus.open(o)).rejects.toThrow(/BUS_DIR: .* is in use by process 1/);
    // As the owner writes it: its pid and start time.
    writeFileSync(join(o.dir, '.lock'), ownerId(1));
    await expect(EmbeddedBus.open(o)).rejects.toThrow(/BUS_DIR: .* is in use by process 1/);
  });

  it('takes over a folder whose owner was killed and its pid since given to another process', async () => {
    const o = options();
    // Process 1 lives, but it is not the process that started at this time: the owner is gone.
    mkdirSync(o.dir, { recursive: true });
    writeFileSync(join(o.dir, '.lock'), `1:${Number(startTime(1) ?? 0) + 12345}`);
    const bus = await EmbeddedBus.open(o);
    expect(readFileSync(join(o.dir, '.lock'), 'utf8')).toBe(ownerId());
    await bus.close();
  });

  it.each(['always', 'never'] as const)('loses no acknowledged message when the producer is killed with -9 (fsync %s)', async (fsync) => {
    const o = options({ fsync, defaultPartitions: 3 });
    const acked = new Set<number>();
    let start = 0;
    // Three kill points at different moments, each restart recovering the previous one's tail.
    for (const killAfterMs of [150, 400, 250]) {
      const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'test/fixtures/bus-producer.ts'), o.dir, fsync, String(start)], { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
      let buffered = '';
      child.stdout.on('data', (chunk: Buffer) => {
        buffered += chunk.toString();
        const lines = buffered.split('\n');
        buffered = lines.pop()!;
        for (const line of lines) {
          const m = /^acked (\d+) (\d+)$/.exec(line);
          if (m) for (let i = Number(m[1]); i <= Number(m[2]); i++) acked.add(i);
          if (line === 'ready') setTimeout(() => child.kill('SIGKILL'), killAfterMs);
        }
      });
      await new Promise((resolve) => child.once('close', resolve));
      start = Math.max(start, ...acked) + 1_000_000;
    }
    expect(acked.size).toBeGreaterThan(100);
    const bus = await EmbeddedBus.open(o);
    const stored = (await readTopic(bus, 'kill.test')).map((m) => (JSON.parse(m.value!.toString()) as { n: number }).n);
    await bus.close();
    const counts = new Map<number, number>();
    for (const value of stored) counts.set(value, (counts.get(value) ?? 0) + 1);
    const lost = [...acked].filter((value) => !counts.has(value));
    const duplicated = [...counts].filter(([, count]) => count > 1);
    expect(lost).toEqual([]);
    expect(duplicated).toEqual([]);
  });
});
