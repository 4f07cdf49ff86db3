// Replaying dead letters while the group's consumer still runs and fails them again.
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { PoisonMessage } from '../../core/errors.js';
import { openTestBus, readTopic } from '../../test/fixtures/cdc.js';
import { until } from '../../test/fixtures/eventually.js';
import { tempDir } from '../../test/fixtures/temp-dir.js';
import { deadLetterTopic, toDeadLetter } from './dead-letter.js';
import { replayDeadLetters } from './dead-letter-tools.js';

const dir = tempDir();
afterAll(() => dir.remove());

describe('replayDeadLetters', () => {
  it('stops at the letters there when it began, though the running consumer dead-letters each replayed one again', async () => {
    const bus = await openTestBus(join(dir.path, 'bus'));
    const topic = 'sl.shop.things';
    const dlq = deadLetterTopic('sl', 'things');
    try {
      const failing = { topic, partition: 0, offset: 0, key: 'k', value: Buffer.from('poison'), headers: {}, timestampMs: 0 };
      await bus.publish(dlq, [toDeadLetter(failing, 'things', new PoisonMessage('still poison'), 1)]);
      // The group's consumer, still broken: whatever reaches the topic goes straight back to the dead-letter topic.
      await bus.ensureTopic(topic);
      const consumer = await bus.subscribe({ group: 'things', topics: [topic] }, async (batch) => {
        await bus.publish(dlq, batch.messages.map((m) => toDeadLetter(m, 'things', new PoisonMessage('still poison'), 1)));
      });
      try {
        expect(await replayDeadLetters(bus, 'sl', 'things')).toBe(1);
        await until(() => readTopic(bus, dlq), (letters) => letters.length === 2);
        // What failed again meanwhile waits for the next replay, which also sends it back once.
        expect(await replayDeadLetters(bus, 'sl', 'things')).toBe(1);
        await until(() => readTopic(bus, dlq), (letters) => letters.length === 3);
      } finally {
        await consumer.stop();
      }
    } finally {
      await bus.close();
    }
  });
});
