// `steveslist dlq list|replay <group>`: inspect a group's dead letters and send them back to the
// topics they came from (the replay position is itself a consumer group, so a replay is never
// repeated and can be resumed).
import type { Bus, BusMessage } from '../bus/port.js';
import { readTopic } from '../bus/read-topic.js';
import { deadLetterTopic, fromDeadLetter } from './dead-letter.js';

/** A dead letter as people read it (the admin service's answer, the CLI's lines). */
export interface DeadLetterEntry {
  failed_at: string;
  /** Where it came from: topic, partition, offset. */
  topic: string;
  partition: number;
  offset: number;
  key: string | null;
  error_code: string;
  error: string;
  retriable: boolean;
  attempts: number;
  /** The message's value as UTF-8 text (change events are JSON). */
  value: string | null;
}

export function describeDeadLetter(message: BusMessage): DeadLetterEntry {
  const h = message.headers;
  return {
    failed_at: h['dlq.failed_at'] ?? new Date(message.timestampMs).toISOString(),
    topic: h['dlq.topic'] ?? message.topic,
    partition: Number(h['dlq.partition'] ?? message.partition),
    offset: Number(h['dlq.offset'] ?? message.offset),
    key: message.key,
    error_code: h['dlq.error.code'] ?? '',
    error: h['dlq.error'] ?? '',
    retriable: h['dlq.retriable'] === 'true',
    attempts: Number(h['dlq.attempts'] ?? 0),
    value: message.value === null ? null : message.value.toString('utf8'),
  };
}

export async function listDeadLetters(bus: Bus, prefix: string, group: string, max = 1000): Promise<BusMessage[]> {
  const letters = await readTopic(bus, deadLetterTopic(prefix, group), max);
  return letters.sort((a, b) => a.timestampMs - b.timestampMs);
}

/** Thrown for a batch the replay leaves to the next one: rejecting keeps it uncommitted. */
class ReplayFinished extends Error {}

/**
 * Republishes every dead letter not replayed yet; resolves with how many were sent back. It stops
 * where each partition ended when the replay reached it: while the platform runs, a replayed
 * message that fails again is dead-lettered again, and chasing the end would send it round for
 * ever. What came after that end stays for the next replay.
 */
export async function replayDeadLetters(bus: Bus, prefix: string, group: string): Promise<number> {
  const topic = deadLetterTopic(prefix, group);
  const replayGroup = `${group}.dlq-replay`;
  if ((await bus.partitions(topic)) === 0) return 0;
  let replayed = 0;
  const ends = new Map<number, number>();
  const done = new Set<number>();
  let finish!: () => void;
  const finished = new Promise<void>((resolve) => { finish = resolve; });
  const subscription = await bus.subscribe({ group: replayGroup, topics: [topic] }, async (batch) => {
    if (done.has(batch.partition)) {
      // Held until the replay stops, then refused, so it is neither replayed now nor committed.
      await finished;
      throw new ReplayFinished('replay finished');
    }
    if (!ends.has(batch.partition)) ends.set(batch.partition, batch.highWatermark);
    for (const message of batch.messages) {
      const original = fromDeadLetter(message);
      await bus.publish(original.topic, [original.message]);
      replayed++;
    }
    if (batch.messages[batch.messages.length - 1]!.offset + 1 >= ends.get(batch.partition)!) done.add(batch.partition);
  });
  try {
    for (;;) {
      const lag = (await bus.lag(replayGroup)).filter((l) => l.topic === topic);
      if (lag.length > 0 && lag.every((l) => done.has(l.partition) || l.lag === 0)) break;
      await new Promise((r) => setTimeout(r, 50));
    }
  } finally {
    // stop() marks the subscription stopping at once, so a held batch refused next is not delivered again now.
    const stopping = subscription.stop();
    finish();
    await stopping;
  }
  return replayed;
}
