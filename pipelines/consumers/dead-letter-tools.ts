// `steveslist dlq list|replay <group>`: inspect a group's dead letters and send them back to the
// topics they came from (the replay position is itself a consumer group, so a replay is never
// repeated and can be resumed).
import type { Bus, BusMessage } from '../bus/port.js';
import { readTopic } from '../bus/read-topic.js';
import { deadLetterTopic, fromDeadLetter } from './dead-letter.js';

export async function listDeadLetters(bus: Bus, prefix: string, group: string, max = 1000): Promise<BusMessage[]> {
  const letters = await readTopic(bus, deadLetterTopic(prefix, group), max);
  return letters.sort((a, b) => a.timestampMs - b.timestampMs);
}

/** Republishes every dead letter not replayed yet; resolves with how many were sent back. */
export async function replayDeadLetters(bus: Bus, prefix: string, group: string): Promise<number> {
  const topic = deadLetterTopic(prefix, group);
  const replayGroup = `${group}.dlq-replay`;
  if ((await bus.partitions(topic)) === 0) return 0;
  let replayed = 0;
  const subscription = await bus.subscribe({ group: replayGroup, topics: [topic] }, async (batch) => {
    for (const message of batch.messages) {
      const original = fromDeadLetter(message);
      await bus.publish(original.topic, [original.message]);
      replayed++;
    }
  });
  try {
    // Done when the replay group has caught up with the dead-letter topic.
    for (;;) {
      const lag = (await bus.lag(replayGroup)).filter((l) => l.topic === topic);
      if (lag.length > 0 && lag.every((l) => l.lag === 0)) break;
      await new Promise((r) => setTimeout(r, 50));
    }
  } finally {
    await subscription.stop();
  }
  return replayed;
}
