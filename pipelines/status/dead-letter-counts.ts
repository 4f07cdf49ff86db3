// Dead letters per dead-letter topic, counted with nothing but the bus port's read(). The count
// is kept between calls and only new messages are read, so a frequent scrape stays cheap.
import type { Bus } from '../bus/port.js';

export interface DeadLetterCount {
  topic: string;
  /** The consumer group whose dead letters these are. */
  group: string;
  count: number;
}

interface PartitionCount {
  /** Offset of the oldest retained letter. */
  first: number;
  /** Offset after the newest letter counted. */
  next: number;
  firstCheckedAt: number;
}

const READ_CHUNK = 5000;
/** Retention drops old letters; how often the oldest retained offset is looked up again. */
const RECHECK_FIRST_MS = 10 * 60_000;

export class DeadLetterCounter {
  private readonly partitions = new Map<string, PartitionCount>();
  private running: Promise<unknown> = Promise.resolve();

  constructor(private readonly bus: Bus, private readonly topicPrefix: string) {}

  /** Every dead-letter topic of the prefix, with the letters it holds. */
  count(): Promise<DeadLetterCount[]> {
    // One count at a time: two overlapping ones would both add the same new letters.
    const next = this.running.then(() => this.countNow(), () => this.countNow());
    this.running = next.catch(() => undefined);
    return next;
  }

  private async countNow(): Promise<DeadLetterCount[]> {
    const prefix = `${this.topicPrefix}.dlq.`;
    const topics = (await this.bus.listTopics()).filter((topic) => topic.startsWith(prefix)).sort();
    const out: DeadLetterCount[] = [];
    for (const topic of topics) {
      let count = 0;
      const partitions = await this.bus.partitions(topic);
      for (let partition = 0; partition < partitions; partition++) count += await this.countPartition(topic, partition);
      out.push({ topic, group: topic.slice(prefix.length), count });
    }
    return out;
  }

  private async countPartition(topic: string, partition: number): Promise<number> {
    const key = `${topic}\u0000${partition}`;
    let state = this.partitions.get(key);
    const now = Date.now();
    if (!state || now - state.firstCheckedAt >= RECHECK_FIRST_MS) {
      const [oldest] = await this.bus.read(topic, partition, 0, 1);
      const first = oldest?.offset ?? state?.next ?? 0;
      state = { first, next: Math.max(state?.next ?? 0, first), firstCheckedAt: now };
      this.partitions.set(key, state);
    }
    for (;;) {
      const batch = await this.bus.read(topic, partition, state.next, READ_CHUNK);
      if (batch.length === 0) break;
      state.next = batch[batch.length - 1]!.offset + 1;
    }
    return state.next - state.first;
  }
}
