// One look at the cluster's topic list per interval for the whole bus, shared by every pattern
// subscription: kafkajs resolves a pattern once, when the consumer subscribes, so a topic created
// later is only consumed once someone notices it and the consumer joins again with it.
import type { Logger } from '../../core/log.js';

export type TopicListener = (topics: readonly string[]) => void | Promise<void>;

export class KafkaTopicWatch {
  private readonly listeners = new Set<TopicListener>();
  private timer: NodeJS.Timeout | undefined;
  private polling = false;

  constructor(private readonly listTopics: () => Promise<string[]>, private readonly intervalMs: number, private readonly log: Logger) {}

  /** Calls `listener` with the whole topic list after every look; returns the unsubscribe. */
  watch(listener: TopicListener): () => void {
    this.listeners.add(listener);
    if (!this.timer) {
      this.timer = setInterval(() => void this.poll(), this.intervalMs);
      this.timer.unref();
    }
    return () => {
      this.listeners.delete(listener);
      if (this.listeners.size === 0 && this.timer) {
        clearInterval(this.timer);
        this.timer = undefined;
      }
    };
  }

  private async poll(): Promise<void> {
    // A slow metadata answer must not pile requests up behind it.
    if (this.polling) return;
    this.polling = true;
    try {
      const topics = await this.listTopics();
      await Promise.all([...this.listeners].map(async (listener) => listener(topics)));
    } catch (error) {
      // The next look tries again; the consumers keep their current topics meanwhile.
      this.log.warn({ err: error }, 'Kafka: looking for new topics failed');
    } finally {
      this.polling = false;
    }
  }

  stop(): void {
    this.listeners.clear();
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }
}
