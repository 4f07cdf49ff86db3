import { join } from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { tempDir } from '../../test/fixtures/temp-dir.js';
import { PoisonMessage, SinkUnavailable } from '../../core/errors.js';
import { RoleHealth, type RoleReporter } from '../../core/role-health.js';
import { capturedLog } from '../../test/fixtures/captured-log.js';
import { EmbeddedBus } from '../bus/embedded/index.js';
import type { BusMessage } from '../bus/port.js';
import { listDeadLetters, replayDeadLetters } from './dead-letter-tools.js';
import { backoffMs } from '../../core/retry-schedule.js';
import { ConsumerRunner } from './runner.js';

const dir = tempDir();
afterAll(() => dir.remove());
let bus: EmbeddedBus;
let n = 0;
beforeEach(async () => {
  bus = await EmbeddedBus.open({
    dir: join(dir.path, `bus-${n++}`), defaultPartitions: 2, segmentBytes: 1 << 20, fsync: 'never', fsyncIntervalMs: 100,
    retentionBytes: 1 << 30, retentionMs: 3_600_000, redeliveryDelayMs: 20,
  });
});
afterEach(async () => bus.close());

/** A sink that keeps the latest value per key, like an upserting index. */
function memorySink() {
  const rows = new Map<string, string>();
  return { rows, write: (messages: BusMessage[]) => { for (const m of messages) rows.set(m.key!, m.value!.toString()); } };
}

async function until(check: () => boolean | Promise<boolean>, timeoutMs = 10_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('the consumer runner', () => {
  it('dead-letters a poison message with its error and coordinates, and the group moves on', async () => {
    const sink = memorySink();
    await bus.publish('t', Array.from({ length: 20 }, (_, i) => ({ key: `k${i}`, value: i === 7 ? 'poison' : `v${i}` })));
    const runner = new ConsumerRunner({
      bus, group: 'search', topics: ['t'], topicPrefix: 'sl',
      handler: async (messages) => {
        if (messages.some((m) => m.value!.toString() === 'poison')) throw new PoisonMessage('mapper_parsing_exception: price is not a number');
        sink.write(messages);
      },
    });
    await runner.start();
    await until(() => sink.rows.size === 19);
    await until(async () => (await bus.lag('search')).every((l) => l.lag === 0));
    await runner.stop();
    const [dead, ...more] = await listDeadLetters(bus, 'sl', 'search');
    expect(more).toEqual([]);
    expect(dead!.key).toBe('k7');
    expect(dead!.headers).toMatchObject({
      'dlq.error': 'mapper_parsing_exception: price is not a number', 'dlq.error.code': 'POISON_MESSAGE', 'dlq.retriable': 'false',
      'dlq.group': 'search', 'dlq.topic': 't',
    });
    expect(await runner.stats()).toMatchObject({ handled: 20, deadLettered: 1, lag: 0 });
  });

  it('retries retriable failures with backoff and loses nothing', async () => {
    const sink = memorySink();
    let failures = 3;
    await bus.publish('t', Array.from({ length: 10 }, (_, i) => ({ key: `k${i}`, value: `v${i}` })));
    const runner = new ConsumerRunner({
      bus, group: 'warehouse', topics: ['t'], topicPrefix: 'sl', initialBackoffMs: 5,
      handler: async (messages) => {
        if (failures-- > 0) throw new SinkUnavailable('503 from the sink');
        sink.write(messages);
      },
    });
    await runner.start();
    await until(() => sink.rows.size === 10);
    await runner.stop();
    expect(await listDeadLetters(bus, 'sl', 'warehouse')).toEqual([]);
    expect((await runner.stats()).retries).toBeGreaterThanOrEqual(3);
  });

  it('dead-letters after the retry limit, and a replay after the fix delivers the message', async () => {
    const sink = memorySink();
    let broken = true;
    await bus.publish('t', [{ key: 'a', value: 'fine' }, { key: 'b', value: 'needs-fix' }]);
    const runner = new ConsumerRunner({
      bus, group: 'email', topics: ['t'], topicPrefix: 'sl', initialBackoffMs: 1, maxBackoffMs: 5, maxAttempts: 3,
      handler: async (messages) => {
        if (broken && messages.some((m) => m.value!.toString() === 'needs-fix')) throw new SinkUnavailable('SMTP 451 try later');
        sink.write(messages);
      },
    });
    await runner.start();
    await until(async () => (await listDeadLetters(bus, 'sl', 'email')).length === 1);
    expect(sink.rows.get('a')).toBe('fine');
    const [dead] = await listDeadLetters(bus, 'sl', 'email');
    expect(dead!.headers['dlq.retriable']).toBe('true');
    expect(dead!.headers['dlq.attempts']).toBe('3');

    broken = false;
    expect(await replayDeadLetters(bus, 'sl', 'email')).toBe(1);
    await until(() => sink.rows.get('b') === 'needs-fix');
    // A second replay sends nothing again.
    expect(await replayDeadLetters(bus, 'sl', 'email')).toBe(0);
    await runner.stop();
  });
});

describe('a sink that keeps failing', () => {
  const reporterOf = (health: RoleHealth, role: string): RoleReporter => ({
    failed: (error) => health.failed(role, error).delayMs,
    succeeded: () => void health.succeeded(role),
    deadLettered: (count, error) => void health.deadLettered(role, count, error),
  });

  it('logs one line per failing batch with the count and the first error, and shows the group degraded until the window passes', async () => {
    const { log, text } = capturedLog('info');
    let now = Date.now();
    const health = new RoleHealth({ deadLetterWindowMs: 60_000, clock: () => now });
    let broken = true;
    await bus.publish('t', Array.from({ length: 300 }, (_, i) => ({ key: `k${i}`, value: `v${i}`, partition: 0 })));
    const runner = new ConsumerRunner({
      bus, group: 'warehouse-loader', topics: ['t'], topicPrefix: 'sl', maxBatchSize: 100, log, health: reporterOf(health, 'warehouse-loader'),
      handler: async () => {
        if (broken) throw new PoisonMessage('Table raw.orders does not exist. (UNKNOWN_TABLE)\n    at stack line');
      },
    });
    await runner.start();
    await until(async () => (await runner.stats()).deadLettered === 300);
    expect(health.list()).toMatchObject([{ role: 'warehouse-loader', status: 'degraded', error: 'Table raw.orders does not exist. (UNKNOWN_TABLE)', dead_letters: 300 }]);

    const lines = text().trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
    const perBatch = lines.filter((line) => line.msg === '100 of 100 messages dead-lettered; the group moves on');
    expect(perBatch).toHaveLength(3);
    expect(perBatch[0]).toMatchObject({ group: 'warehouse-loader', deadLettered: 100, error: 'Table raw.orders does not exist. (UNKNOWN_TABLE)', code: 'POISON_MESSAGE' });
    expect(lines).toHaveLength(3);
    expect(text()).not.toContain('at stack line');

    // Fixed: the next batches succeed, and once no dead letter is younger than the window the group is ok.
    broken = false;
    await bus.publish('t', [{ key: 'fine', value: 'v', partition: 0 }]);
    await until(async () => (await runner.stats()).handled === 301);
    expect(health.list()[0]!.status).toBe('degraded');
    now += 60_000;
    expect(health.list()[0]).toMatchObject({ status: 'ok', dead_letters: 300 });
    await runner.stop();
  });
});

describe('a group whose one partition keeps failing', () => {
  it('stays degraded however its other partitions flow, and is ok once that partition\'s batch goes through', async () => {
    const health = new RoleHealth({ deadLetterWindowMs: 60_000 });
    const reporter: RoleReporter = {
      failed: (error) => health.failed('webhooks', error).delayMs,
      succeeded: () => void health.succeeded('webhooks'),
      deadLettered: (count, error) => void health.deadLettered('webhooks', count, error),
    };
    let broken = true;
    const handled = [0, 0];
    const runner = new ConsumerRunner({
      bus, group: 'webhooks', topics: ['t'], topicPrefix: 'sl', health: reporter, initialBackoffMs: 20, maxBackoffMs: 50, maxAttempts: 1000,
      handler: async (messages, batch) => {
        if (batch.partition === 0 && broken) throw new SinkUnavailable('webhook endpoint answered 503');
        handled[batch.partition]! += messages.length;
      },
    });
    await runner.start();
    await bus.publish('t', [{ key: 'stuck', value: 'v', partition: 0 }]);
    await until(() => health.list()[0]?.status === 'degraded');
    // Partition 1 keeps flowing meanwhile: each of its batches succeeds.
    for (let i = 0; i < 5; i++) {
      await bus.publish('t', [{ key: `k${i}`, value: 'v', partition: 1 }]);
      await until(() => handled[1] === i + 1);
    }
    expect(health.list()[0]).toMatchObject({ status: 'degraded', error: 'webhook endpoint answered 503' });
    broken = false;
    await until(() => handled[0] === 1);
    expect(health.list()[0]!.status).toBe('ok');
    await runner.stop();
  });
});

describe('retry schedule', () => {
  it('doubles up to the cap, with jitter in the upper half', () => {
    expect([1, 2, 3, 4, 10].map((a) => backoffMs(a, 100, 1000, () => 1))).toEqual([100, 200, 400, 800, 1000]);
    expect([1, 2, 3].map((a) => backoffMs(a, 100, 1000, () => 0))).toEqual([50, 100, 200]);
  });
});
