// The bus on Apache Kafka through kafkajs: idempotent producer with acks=all, topics created with
// the configured partitions and replication factor, consumer groups that commit by hand only
// after the handler succeeded (a failed batch is fetched again from the committed offset).
import { randomUUID } from 'node:crypto';
import { Kafka, logLevel, Partitioners, type Admin, type Consumer, type KafkaConfig, type Producer, type SASLOptions } from 'kafkajs';
import { DEFAULT_KAFKA_MAX_REQUEST_BYTES } from '../../core/config/index.js';
import { PlatformError, ServiceUnavailable } from '../../core/errors.js';
import { silentLogger, type Logger } from '../../core/log.js';
import { recordBytes, splitIntoRequests } from './kafka-requests.js';
import { KafkaTopicWatch } from './kafka-topic-watch.js';
import type { BatchHandler, Bus, BusMessage, OutgoingMessage, PartitionLag, SubscribeOptions, Subscription } from './port.js';

export interface KafkaBusOptions {
  brokers: string[];
  clientId: string;
  defaultPartitions: number;
  replicationFactor: number;
  ssl?: boolean;
  sasl?: { mechanism: 'plain' | 'scram-sha-256' | 'scram-sha-512'; username: string; password: string };
  log?: Logger;
  /** How often pattern subscriptions look for new matching topics (one metadata request for the whole bus). */
  topicRefreshMs?: number;
  /**
   * Longest a fetch waits on the broker when there is nothing to read. Leaving the group (a stop,
   * or joining again with a new topic) waits for the fetch in hand, and so does noticing that
   * another member asked for a rebalance: kafkajs's 5 s default made both cost seconds.
   */
  fetchMaxWaitMs?: number;
  /** How often a member tells the group it is alive, and so how soon it hears of a rebalance. */
  heartbeatIntervalMs?: number;

  /**
   * Put before every consumer group's name in Kafka (the platform passes `<TOPIC_PREFIX>.`).
   * kafkajs's assignor hands every topic of a group to all its members, whatever each subscribed
   * to: two deployments sharing a cluster and a group name would take each other's partitions.
   */
  groupPrefix?: string;
  /** Largest produce request (KAFKA_MAX_REQUEST_BYTES): a publish is split into requests of at most this. */
  maxRequestBytes?: number;
}

/** The broker refused a record batch as too big: no retry can pass it, a setting has to change. */
export class MessageTooLarge extends PlatformError {
  readonly code = 'MESSAGE_TOO_LARGE';
  readonly retriable = false;
}

function headersOf(raw: Record<string, Buffer | string | (Buffer | string)[] | undefined> | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(raw ?? {})) {
    if (value === undefined) continue;
    out[name] = (Array.isArray(value) ? value[value.length - 1]! : value).toString();
  }
  return out;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

class KafkaSubscription implements Subscription {
  private consumer: Consumer | undefined;
  private subscribedTopics = new Set<string>();
  private unwatch: (() => void) | undefined;
  private rejoining: Promise<void> | undefined;
  private stopped = false;

  constructor(private readonly bus: KafkaBus, private readonly options: SubscribeOptions, private readonly handler: BatchHandler) {}

  async start(): Promise<void> {
    await this.joinWithRetries();
    if (this.options.topics.some((t) => t instanceof RegExp)) this.unwatch = this.bus.topicWatch.watch((topics) => this.onTopics(topics));
  }

  /**
   * A topic another process has just created may not be known to every broker yet ("does not
   * host this topic-partition"): kafkajs marks that retriable, and it passes.
   */
  private async joinWithRetries(): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        await this.join();
        return;
      } catch (error) {
        if (!(error as { retriable?: boolean }).retriable || this.stopped) throw error;
        if (attempt >= 10) throw new ServiceUnavailable(`Kafka: subscribing ${this.options.group} failed after ${attempt} tries: ${(error as Error).message}`, { cause: error });
        await sleep(300 * attempt);
      }
    }
  }

  private matching(all: readonly string[]): string[] {
    return all.filter((topic) => this.options.topics.some((p) => (typeof p === 'string' ? p === topic : p.test(topic))));
  }

  /**
   * kafkajs resolves patterns once, at subscribe time: a matching topic created since is taken by
   * joining the group again with it. The platform creates every topic it knows of before its
   * consumers subscribe, so this is for topics nobody knew at start-up.
   */
  private async onTopics(all: readonly string[]): Promise<void> {
    if (this.stopped || this.rejoining) return;
    const fresh = this.matching(all).filter((t) => !this.subscribedTopics.has(t));
    if (fresh.length === 0) return;
    this.rejoining = this.rejoin(fresh).finally(() => { this.rejoining = undefined; });
    await this.rejoining;
  }

  private async rejoin(fresh: string[]): Promise<void> {
    const startedAt = Date.now();
    try {
      await this.joinWithRetries();
      this.bus.log.info({ group: this.options.group, topics: fresh, ms: Date.now() - startedAt }, 'Kafka: joined the group again to consume new topics');
    } catch (error) {
      // The next look at the topic list tries again; a consumer left without one must not stay so.
      this.bus.log.error({ err: error, group: this.options.group, topics: fresh }, 'Kafka: joining the group with new topics failed');
    }
  }

  private async join(): Promise<void> {
    await this.consumer?.disconnect();
    this.consumer = undefined;
    if (this.stopped) return;
    const topics = this.matching(await this.bus.listTopics());
    const explicit = this.options.topics.filter((t): t is string => typeof t === 'string');
    for (const topic of explicit) if (!topics.includes(topic)) await this.bus.ensureTopic(topic);
    const all = [...new Set([...topics, ...explicit])];
    this.subscribedTopics = new Set(all);
    const consumer = this.bus.consumer(this.bus.groupId(this.options.group));
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
    this.unwatch?.();
    await this.rejoining;
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
  private readonly creating = new Map<string, Promise<void>>();
  private createQueue: { topic: string; numPartitions: number; replicationFactor: number }[] = [];
  private createBatch: Promise<void> | undefined;
  private readonly subscriptions = new Set<KafkaSubscription>();
  readonly topicWatch: KafkaTopicWatch;
  readonly log: Logger;

  private constructor(private readonly options: KafkaBusOptions) {
    const log = options.log ?? silentLogger();
    this.log = log;
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
    // Named, not left to kafkajs's default: the same partitioner (Java's murmur2, as partitioner.ts
    // computes for the embedded log), without the warning kafkajs logs at every start otherwise.
    this.producer = this.kafka.producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false, createPartitioner: Partitioners.DefaultPartitioner });
    this.admin = this.kafka.admin();
    this.topicWatch = new KafkaTopicWatch(() => this.listTopics(), options.topicRefreshMs ?? 1000, log);
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

  /** Calls made together (the platform's known topics at start-up, a snapshot's tables) share one request. */
  ensureTopic(topic: string, partitions?: number): Promise<void> {
    if (this.known.has(topic)) return Promise.resolve();
    const inFlight = this.creating.get(topic);
    if (inFlight) return inFlight;
    this.createQueue.push({ topic, numPartitions: partitions ?? this.options.defaultPartitions, replicationFactor: this.options.replicationFactor });
    this.createBatch ??= new Promise((resolve) => setImmediate(resolve)).then(() => this.createQueued());
    const created = this.createBatch.then(() => { this.known.add(topic); }).finally(() => this.creating.delete(topic));
    this.creating.set(topic, created);
    return created;
  }

  private async createQueued(): Promise<void> {
    const queued = this.createQueue;
    this.createQueue = [];
    this.createBatch = undefined;
    // Only those missing: asking for existing ones makes kafkajs log "Topic creation errors" at
    // error level, at every start of every process.
    const existing = new Set(await this.admin.listTopics());
    const topics = queued.filter((t) => !existing.has(t.topic));
    if (topics.length === 0) return;
    const createdAll = await this.admin.createTopics({ waitForLeaders: true, topics });
    // false: another process made some of them meanwhile, and kafkajs then skips waiting for the others' leaders.
    if (!createdAll) await this.waitForLeaders(topics.map((t) => t.topic));
  }

  private async waitForLeaders(topics: string[]): Promise<void> {
    for (let attempt = 0; attempt < 50; attempt++) {
      const metadata = await this.admin.fetchTopicMetadata({ topics }).catch(() => undefined);
      if (metadata?.topics.every((t) => t.partitions.length > 0 && t.partitions.every((p) => p.leader >= 0))) return;
      await sleep(100);
    }
  }

  /** A consumer of the group, with the fetch wait and heartbeat that keep joins and rebalances short. */
  consumer(groupId: string): Consumer {
    return this.kafka.consumer({
      groupId, allowAutoTopicCreation: false, maxBytesPerPartition: 4 * 1024 * 1024,
      maxWaitTimeInMs: this.options.fetchMaxWaitMs ?? 250, heartbeatInterval: this.options.heartbeatIntervalMs ?? 500,
    });
  }

  async publish(topic: string, messages: readonly OutgoingMessage[]): Promise<void> {
    if (messages.length === 0) return;
    await this.ensureTopic(topic);
    // In order, one at a time: the idempotent producer keeps each partition's order across them.
    for (const request of splitIntoRequests(messages, this.options.maxRequestBytes)) await this.send(topic, request);
  }

  private async send(topic: string, messages: readonly OutgoingMessage[]): Promise<void> {
    await this.producer.send({
      topic,
      acks: -1,
      messages: messages.map((m) => ({
        key: m.key, value: m.value, headers: m.headers, partition: m.partition,
        timestamp: m.timestampMs === undefined ? undefined : String(m.timestampMs),
      })),
    }).catch((error: unknown) => {
      if ((error as { type?: unknown }).type === 'MESSAGE_TOO_LARGE') throw this.tooLarge(topic, messages, error);
      // kafkajs marks transient failures (leader moved, broker down) as retriable.
      if ((error as { retriable?: boolean }).retriable || /Connection|Timeout|NotLeader/i.test((error as Error).name)) {
        throw new ServiceUnavailable(`Kafka: publishing to ${topic} failed: ${(error as Error).message}`, { cause: error });
      }
      throw error;
    });
  }

  private tooLarge(topic: string, messages: readonly OutgoingMessage[], cause: unknown): MessageTooLarge {
    const max = this.options.maxRequestBytes ?? DEFAULT_KAFKA_MAX_REQUEST_BYTES;
    if (messages.length === 1) {
      return new MessageTooLarge(`Kafka: a record of about ${recordBytes(messages[0]!)} bytes to ${topic} is larger than the broker accepts; raise the topic's max.message.bytes (and the broker's message.max.bytes) above it`, { cause });
    }
    return new MessageTooLarge(`Kafka: a request of ${messages.length} records (at most ${max} bytes, KAFKA_MAX_REQUEST_BYTES) to ${topic} is larger than the broker accepts; set KAFKA_MAX_REQUEST_BYTES to at most the topic's max.message.bytes`, { cause });
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
    const consumer = this.consumer(groupId);
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
    this.topicWatch.stop();
    await Promise.all([...this.subscriptions].map((s) => s.stop()));
    await this.producer.disconnect();
    await this.admin.disconnect();
  }
}
