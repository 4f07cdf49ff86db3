// One suite for the bus port, run against every adapter available: the embedded log always,
// Kafka when KAFKA_BROKERS is set.
import { randomBytes } from 'node:crypto';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { tempDir } from '../../test/fixtures/temp-dir.js';
import { silentLogger } from '../../core/log.js';
import { EmbeddedBus } from './embedded/index.js';
import { KafkaBus } from './kafka.js';
import type { Batch, Bus, BusMessage, Subscription } from './port.js';

const dir = tempDir();
afterAll(() => dir.remove());

interface Adapter {
  name: string;
  open(): Promise<Bus>;
}

const adapters: Adapter[] = [{
  name: 'embedded',
  open: () => EmbeddedBus.open({
    dir: `${dir.path}/${randomBytes(4).toString('hex')}`, defaultPartitions: 3, segmentBytes: 64 * 1024, fsync: 'always',
    fsyncIntervalMs: 100, retentionBytes: 1 << 30, retentionMs: 3_600_000, redeliveryDelayMs: 50,
  }),
}];
if (process.env.KAFKA_BROKERS) {
  adapters.push({
    name: 'kafka',
    open: () => KafkaBus.connect({
      brokers: process.env.KAFKA_BROKERS!.split(','), clientId: 'contract-test', defaultPartitions: 3, replicationFactor: 1, topicRefreshMs: 1000,
    }),
  });
}

const topicName = (label: string) => `contract.${label}.${randomBytes(4).toString('hex')}`;

/** Collects what a group receives until `count` messages arrived. */
function collector(count: number) {
  const received: BusMessage[] = [];
  const batches: Batch[] = [];
  let done!: () => void;
  const finished = new Promise<void>((resolve) => { done = resolve; });
  return {
    received,
    batches,
    finished,
    handler: async (batch: Batch) => {
      batches.push(batch);
      received.push(...batch.messages);
      if (received.length >= count) done();
    },
  };
}

function within<T>(promise: Promise<T>, ms = 30_000): Promise<T> {
  return Promise.race([promise, new Promise<T>((_, reject) => setTimeout(() => reject(new Error(`not within ${ms} ms`)), ms))]);
}

describe.each(adapters)('bus contract: $name', (adapter) => {
  const open: Bus[] = [];
  const subs: Subscription[] = [];
  afterEach(async () => {
    await Promise.all(subs.splice(0).map((s) => s.stop()));
    await Promise.all(open.splice(0).map((b) => b.close()));
  });
  const bus = async () => {
    const b = await adapter.open();
    open.push(b);
    return b;
  };

  it('delivers every message of a key in order, in one partition', async () => {
    const b = await bus();
    const topic = topicName('order');
    await b.ensureTopic(topic, 3);
    const messages = Array.from({ length: 300 }, (_, i) => ({ key: `row-${i % 7}`, value: JSON.stringify({ i }), headers: { n: String(i) } }));
    for (let i = 0; i < messages.length; i += 50) await b.publish(topic, messages.slice(i, i + 50));
    const c = collector(300);
    subs.push(await b.subscribe({ group: `g-${topic}`, topics: [topic] }, c.handler));
    await within(c.finished);
    const byKey = new Map<string, number[]>();
    const partitionOf = new Map<string, Set<number>>();
    for (const m of c.received) {
      byKey.set(m.key!, [...(byKey.get(m.key!) ?? []), JSON.parse(m.value!.toString()).i]);
      partitionOf.set(m.key!, (partitionOf.get(m.key!) ?? new Set()).add(m.partition));
      expect(m.headers.n).toBe(String(JSON.parse(m.value!.toString()).i));
    }
    for (const [key, order] of byKey) {
      expect(order).toEqual([...order].sort((x, y) => x - y));
      expect(partitionOf.get(key)!.size).toBe(1);
    }
    expect(c.received).toHaveLength(300);
  });

  it('takes one publish far larger than a broker takes in one request (a backlog caught up at once), every message in order', async () => {
    const b = await bus();
    const topic = topicName('large');
    await b.ensureTopic(topic, 3);
    // ~9 MB, ~3 MB a partition: Kafka's default max.message.bytes is 1 MB a record batch.
    const filler = 'x'.repeat(1500);
    const messages = Array.from({ length: 6000 }, (_, i) => ({ key: `row-${i % 5}`, value: JSON.stringify({ i, filler }) }));
    await b.publish(topic, messages);
    const c = collector(messages.length);
    subs.push(await b.subscribe({ group: `g-${topic}`, topics: [topic], maxBatchSize: 1000 }, c.handler));
    await within(c.finished, 60_000);
    const byKey = new Map<string, number[]>();
    for (const m of c.received) byKey.set(m.key!, [...(byKey.get(m.key!) ?? []), (JSON.parse(m.value!.toString()) as { i: number }).i]);
    for (const [key, order] of byKey) expect(order, key).toEqual(Array.from({ length: 1200 }, (_, n) => n * 5 + Number(key.slice(4))));
  });

  it('resumes a group from its committed offset: nothing handled twice, nothing skipped', async () => {
    const b = await bus();
    const topic = topicName('resume');
    await b.publish(topic, Array.from({ length: 40 }, (_, i) => ({ key: String(i), value: String(i) })));
    const first = collector(40);
    const sub = await b.subscribe({ group: `g-${topic}`, topics: [topic] }, first.handler);
    await within(first.finished);
    await sub.stop();
    await b.publish(topic, Array.from({ length: 10 }, (_, i) => ({ key: String(100 + i), value: String(100 + i) })));
    const second = collector(10);
    subs.push(await b.subscribe({ group: `g-${topic}`, topics: [topic] }, second.handler));
    await within(second.finished);
    await new Promise((r) => setTimeout(r, 300));
    expect(second.received.map((m) => Number(m.value!.toString())).sort((x, y) => x - y)).toEqual(Array.from({ length: 10 }, (_, i) => 100 + i));
  });

  it('delivers a batch again when its handler failed', async () => {
    const b = await bus();
    const topic = topicName('redeliver');
    await b.ensureTopic(topic, 1);
    await b.publish(topic, [{ key: 'a', value: '1' }, { key: 'a', value: '2' }]);
    let failures = 0;
    const seen: string[] = [];
    let done!: () => void;
    const finished = new Promise<void>((r) => { done = r; });
    subs.push(await b.subscribe({ group: `g-${topic}`, topics: [topic] }, async (batch) => {
      if (failures < 2) {
        failures++;
        throw new Error('sink unavailable');
      }
      seen.push(...batch.messages.map((m) => m.value!.toString()));
      if (seen.length >= 2) done();
    }));
    await within(finished);
    expect(failures).toBe(2);
    expect(seen).toEqual(['1', '2']);
  });

  it('gives every group all messages', async () => {
    const b = await bus();
    const topic = topicName('groups');
    await b.publish(topic, Array.from({ length: 25 }, (_, i) => ({ key: String(i), value: String(i) })));
    const one = collector(25);
    const two = collector(25);
    subs.push(await b.subscribe({ group: `a-${topic}`, topics: [topic] }, one.handler));
    subs.push(await b.subscribe({ group: `b-${topic}`, topics: [topic] }, two.handler));
    await within(Promise.all([one.finished, two.finished]));
    expect(one.received).toHaveLength(25);
    expect(two.received).toHaveLength(25);
  });

  it('reports a group\'s lag per partition', async () => {
    const b = await bus();
    const topic = topicName('lag');
    await b.ensureTopic(topic, 2);
    await b.publish(topic, Array.from({ length: 10 }, (_, i) => ({ key: String(i), value: 'x' })));
    const c = collector(10);
    const sub = await b.subscribe({ group: `g-${topic}`, topics: [topic] }, c.handler);
    await within(c.finished);
    await sub.stop();
    await b.publish(topic, Array.from({ length: 6 }, (_, i) => ({ key: String(i), value: 'y' })));
    const lag = (await b.lag(`g-${topic}`)).filter((l) => l.topic === topic);
    expect(lag.reduce((sum, l) => sum + l.lag, 0)).toBe(6);
    expect(lag.reduce((sum, l) => sum + l.highWatermark, 0)).toBe(16);
  });

  it('picks up topics created after subscribing when they match a pattern', async () => {
    const b = await bus();
    const prefix = topicName('pattern');
    await b.publish(`${prefix}.one`, [{ key: 'k', value: '1' }]);
    const c = collector(2);
    subs.push(await b.subscribe({ group: `g-${prefix}`, topics: [new RegExp(`^${prefix.replace(/\./g, '\\.')}\\.`)] }, c.handler));
    await b.publish(`${prefix}.two`, [{ key: 'k', value: '2' }]);
    await within(c.finished);
    expect(c.received.map((m) => m.topic).sort()).toEqual([`${prefix}.one`, `${prefix}.two`]);
  });

  it('reads a partition from an offset without a group', async () => {
    const b = await bus();
    const topic = topicName('read');
    await b.ensureTopic(topic, 1);
    await b.publish(topic, Array.from({ length: 5 }, (_, i) => ({ key: null, value: String(i) })));
    const messages = await b.read(topic, 0, 2, 10);
    expect(messages.map((m) => [m.offset, m.value!.toString()])).toEqual([[2, '2'], [3, '3'], [4, '4']]);
  });
});
