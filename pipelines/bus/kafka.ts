// The bus on Apache Kafka through kafkajs: idempotent producer with acks=all, topics created with
// the configured partitions and replication factor, consumer groups that commit by hand only
// after the handler succeeded (a failed batch is fetched again from the committed offset).
import { randomUUID } from 'node:crypto';
import { Kafka, logLevel, type Admin, type Consumer, type KafkaConfig, type Producer, type SASLOptions } from 'kafkajs';
import { ServiceUnavailable } from '../../core/errors.js';
import { silentLogger, type Logger } from '../../core/log.js';
import type { BatchHandler, Bus, BusMessage, OutgoingMessage, PartitionLag, SubscribeOptions, Subscription } from './port.js';

export interface KafkaBusOptions {
  brokers: string[];
  clientId: string;
  defaultPartitions: number;
  replicationFactor: number;
  ssl?: boolean;
  sasl?: { mechanism: 'plain' | 'scram-sha-256' | 'scram-sha-512'; username: string; password: string };
  log?: Logger;
  /** How often a pattern subscription looks for new matching topics. */
  topicRefreshMs?: number;
  /**
   * Put before every consumer group's name in Kafka (the platform passes `<TOPIC_PREFIX>.`).
   * kafkajs's assignor hands every topic of a group to all its members, whatever each subscribed
   * to: two deployments sharing a cluster and a group name would take each other's partitions.
   */
  groupPrefix?: string;
}

function headersOf(raw: Record<string, Buffer | string | (Buffer | string)[] | undefined> | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(raw ?? {})) {
    if (value === undefined) continue;
    out[name] = (Array.isArray(value) ? value[value.length - 1]! : value).toString();
  }
  return out;
}

class KafkaSubscription implements Subscription {
  private consumer: Consumer | undefined;
  private subscribedTopics = new Set<string>();
  private refreshTimer: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(private readonly bus: KafkaBus, private readonly options: SubscribeOptions, private readonly handler: BatchHandler) {}

  async start(): Promise<void> {
    // A topic another process has just created may not be known to every broker yet
    // ("does not host this topic-partition"): kafkajs marks that retriable, and it passes.
    for (let attempt = 1; ; attempt++) {
      try {
        await this.restart();
        break;
      } catch (error) {
        if (!(error as { retriable?: boolean }).retriable) throw error;
        if (attempt >= 10) throw new ServiceUnavailable(`Kafka: subscribing ${this.options.group} failed after ${attempt} tries: ${(error as Error).message}`, { cause: error });
        await new Promise((resolve) => setTimeout(resolve, 300 * attempt));
      }
    }
    if (this.options.topics.some((t) => t instanceof RegExp)) {
      this.refreshTimer = setInterval(() => void this.refresh(), this.bus.topicRefreshMs);
      this.refreshTimer.unref();
    }
  }

  private async matchingTopics(): Promise<string[]> {
    const all = await this.bus.listTopics();
    return all.filter((topic) => this.options.topics.some((p) => (typeof p === 'string' ? p === topic : p.test(topic))));
  }

  /** kafkajs resolves patterns once, at subscribe time: pick up topics created since. */
  private async refresh(): Promise<void> {
    if (this.stopped) return;
    const topics = await this.matchingTopics().catch(() => undefined);
    if (topics && topics.some((t) => !this.subscribedTopics.has(t))) await this.restart();
  }

  private async restart(): Promise<void> {
    await this.consumer?.disconnect();
    const topics = await this.matchingTopics();
    const explicit = this.options.topics.filter((t): t is string => typeof t === 'string');
    for (const topic of explicit) if (!topics.includes(topic)) await this.bus.ensureTopic(topic);
    const all = [...new Set([...topics, ...explicit])];
    this.subscribedTopics = new Set(all);
    const consumer = this.bus.kafka.consumer({ groupId: this.bus.groupId(this.options.group), allowAutoTopicCreation: false, maxBytesPerPartition: 4 * 1024 * 1024 });
    this.consumer = consumer;
    await consumer.connect();
    if (all.length > 0) await consumer.subscribe({ topics: all, fromBeginning: this.options.fromBeginning !== false });
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      eachBatch: async ({ batch, resolveOffset, heartbeat, isRunning, isStale }) => {
        if (!isRunning() || isStale() || batch.messages.length === 0) return;
        const max = this.options.maxBatchSize ?? 500;
        for (let i = 0; i < batch.messages.length; i += max) {
          const slice = batch.messages.slice(i, i + max);
          const messages: BusMessage[] = slice.map((m) => ({
            topic: batch.topic, partition: batch.partition, offset: Number(m.offset),
            key: m.key ? m.key.toString('utf8') : null, value: m.value, headers: headersOf(m.headers), timestampMs: Number(m.timestamp),
          }));
          await this.handler({ topic: batch.topic, partition: batch.partition, messages, highWatermark: Number(batch.highWatermark) });
          const last = slice[slice.length - 1]!.offset;
          resolveOffset(last);
          await consumer.commitOffsets([{ topic: batch.topic, partition: batch.partition, offset: String(Number(last) + 1) }]);
          await heartbeat();
          if (!isRunning() || isStale()) return;
        }
      },
    });
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.refreshTimer) clearInterval(this.refreshTimer);
    // disconnect() waits for the batch in hand to finish.
    await this.consumer?.disconnect();
  }
}

export class KafkaBus implements Bus {
  readonly kind = 'kafka' as const;
  readonly kafka: Kafka;
  private readonly producer: Producer;
  private readonly admin: Admin;
  private readonly known = new Set<string>();
  private readonly subscriptions = new Set<KafkaSubscription>();
  readonly topicRefreshMs: number;

  private constructor(private readonly options: KafkaBusOptions) {
    const log = options.log ?? silentLogger();
    const config: KafkaConfig = {
      clientId: options.clientId,
      brokers: options.brokers,
      ssl: options.ssl,
      sasl: options.sasl as SASLOptions | undefined,
      logLevel: logLevel.WARN,
      logCreator: () => ({ level, log: entry }) => {
        const { message, ...rest } = entry;
        if (level <= logLevel.ERROR) log.error({ kafka: rest }, message);
        else log.warn({ kafka: rest }, message);
      },
    };
    this.kafka = new Kafka(config);
    this.producer = this.kafka.producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false });
    this.admin = this.kafka.admin();
    this.topicRefreshMs = options.topicRefreshMs ?? 10_000;
  }

  static async connect(options: KafkaBusOptions): Promise<KafkaBus> {
    const bus = new KafkaBus(options);
    try {
      await bus.admin.connect();
      await bus.producer.connect();
    } catch (error) {
      throw new ServiceUnavailable(`KAFKA_BROKERS: cannot reach Kafka at ${options.brokers.join(',')}: ${(error as Error).message}`, { cause: error });
    }
    return bus;
  }

  async ensureTopic(topic: string, partitions?: number): Promise<void> {
    if (this.known.has(topic)) return;
    await this.admin.createTopics({
      waitForLeaders: true,
      topics: [{ topic, numPartitions: partitions ?? this.options.defaultPartitions, replicationFactor: this.options.replicationFactor }],
    });
    this.known.add(topic);
  }

  async publish(topic: string, messages: readonly OutgoingMessage[]): Promise<void> {
    if (messages.length === 0) return;
    await this.ensureTopic(topic);
    await this.producer.send({
      topic,
      acks: -1,
      messages: messages.map((m) => ({
        key: m.key, value: m.value, headers: m.headers, partition: m.partition,
        timestamp: m.timestampMs === undefined ? undefined : String(m.timestampMs),
      })),
    }).catch((error: unknown) => {
      // kafkajs marks transient failures (leader moved, broker down) as retriable.
      if ((error as { retriable?: boolean }).retriable || /Connection|Timeout|NotLeader/i.test((error as Error).name)) {
        throw new ServiceUnavailable(`Kafka: publishing to ${topic} failed: ${(error as Error).message}`, { cause: error });
      }
      throw error;
    });
  }

  async subscribe(options: SubscribeOptions, handler: BatchHandler): Promise<Subscription> {
    const subscription = new KafkaSubscription(this, options, handler);
    await subscription.start();
    this.subscriptions.add(subscription);
    return { stop: async () => { this.subscriptions.delete(subscription); await subscription.stop(); } };
  }

  /** The group's name in Kafka. */
  groupId(group: string): string {
    return `${this.options.groupPrefix ?? ''}${group}`;
  }

  async lag(group: string): Promise<PartitionLag[]> {
    const committed = await this.admin.fetchOffsets({ groupId: this.groupId(group) });
    const out: PartitionLag[] = [];
    for (const { topic, partitions } of committed) {
      const high = await this.admin.fetchTopicOffsets(topic);
      for (const p of partitions) {
        const highWatermark = Number(high.find((h) => h.partition === p.partition)?.high ?? 0);
        const offset = Number(p.offset) < 0 ? Number(high.find((h) => h.partition === p.partition)?.low ?? 0) : Number(p.offset);
        out.push({ topic, partition: p.partition, committed: offset, highWatermark, lag: highWatermark - offset });
      }
    }
    return out;
  }

  /** Reads with a throwaway group that seeks to `fromOffset` (kafkajs has no group-less assign). */
  async read(topic: string, partition: number, fromOffset: number, maxMessages: number): Promise<BusMessage[]> {
    const offsets = await this.admin.fetchTopicOffsets(topic).catch(() => []);
    const high = Number(offsets.find((o) => o.partition === partition)?.high ?? 0);
    if (fromOffset >= high) return [];
    const want = Math.min(maxMessages, high - fromOffset);
    const groupId = `steveslist-reader-${randomUUID()}`;
    const consumer = this.kafka.consumer({ groupId });
    const out: BusMessage[] = [];
    try {
      await consumer.connect();
      await consumer.subscribe({ topics: [topic], fromBeginning: true });
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => resolve(), 15_000);
        consumer.run({
          autoCommit: false,
          eachMessage: async ({ partition: p, message }) => {
            if (p !== partition || Number(message.offset) < fromOffset || out.length >= want) return;
            out.push({
              topic, partition, offset: Number(message.offset), key: message.key ? message.key.toString('utf8') : null,
              value: message.value, headers: headersOf(message.headers), timestampMs: Number(message.timestamp),
            });
            if (out.length >= want) {
              clearTimeout(timer);
              resolve();
            }
          },
        }).catch(reject);
        consumer.seek({ topic, partition, offset: String(fromOffset) });
      });
    } finally {
      await consumer.disconnect();
      await this.admin.deleteGroups([groupId]).catch(() => undefined);
    }
    return out.sort((a, b) => a.offset - b.offset);
  }

  async partitions(topic: string): Promise<number> {
    const metadata = await this.admin.fetchTopicMetadata({ topics: [topic] }).catch(() => undefined);
    return metadata?.topics[0]?.partitions.length ?? 0;
  }

  async listTopics(): Promise<string[]> {
    return (await this.admin.listTopics()).filter((t) => !t.startsWith('__')).sort();
  }

  async close(): Promise<void> {
    await Promise.all([...this.subscriptions].map((s) => s.stop()));
    await this.producer.disconnect();
    await this.admin.disconnect();
  }
}
