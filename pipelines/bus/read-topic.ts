import type { Bus, BusMessage } from './port.js';

/** Every message of a topic (up to `max`), partition by partition, without a consumer group. */
export async function readTopic(bus: Bus, topic: string, max = Number.MAX_SAFE_INTEGER): Promise<BusMessage[]> {
  const out: BusMessage[] = [];
  const partitions = await bus.partitions(topic);
  for (let p = 0; p < partitions && out.length < max; p++) {
    for (let offset = 0; out.length < max;) {
      const batch = await bus.read(topic, p, offset, Math.min(5000, max - out.length));
      if (batch.length === 0) break;
      out.push(...batch);
      offset = batch[batch.length - 1]!.offset + 1;
    }
  }
  return out;
}
