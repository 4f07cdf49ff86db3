// The bus port: what change capture and every consumer need from a log of keyed messages.
// Adapters: embedded/ (a durable log on disk, one process) and kafka.ts (Apache Kafka).

export interface OutgoingMessage {
  /** All messages with one key land in one partition, in order. Null spreads by round robin. */
  key: string | null;
  /** Bytes given here may be kept by the bus (the embedded one serves them from memory): never change them after publishing. */
  value: string | Buffer | null;
  headers?: Record<string, string>;
  timestampMs?: number;
  /** Overrides partitioning by key (e.g. a truncate event copied to every partition). */
  partition?: number;
}

export interface BusMessage {
  topic: string;
  partition: number;
  offset: number;
  key: string | null;
  value: Buffer | null;
  headers: Record<string, string>;
  timestampMs: number;
}

/** Messages of one partition, in offset order. */
export interface Batch {
  topic: string;
  partition: number;
  messages: BusMessage[];
  /** Offset the next published message of this partition will get. */
  highWatermark: number;
}

/**
 * Handles one batch. Resolving commits the group's offset past the batch; rejecting makes the
 * bus deliver the same batch again after a pause, so nothing is skipped. Dead-lettering is the
 * consumer runner's decision, not the bus's.
 */
export type BatchHandler = (batch: Batch) => Promise<void>;

export interface SubscribeOptions {
  group: string;
  /** Topic names or patterns; topics created later that match a pattern are picked up too. */
  topics: readonly (string | RegExp)[];
  /** Where a group with no committed offset starts (default: the beginning). */
  fromBeginning?: boolean;
  maxBatchSize?: number;
}

export interface Subscription {
  /** Finishes the batch in hand, commits it and stops. */
  stop(): Promise<void>;
}

export interface PartitionLag {
  topic: string;
  partition: number;
  committed: number;
  highWatermark: number;
  lag: number;
}

export interface Bus {
  readonly kind: 'embedded' | 'kafka';
  ensureTopic(topic: string, partitions?: number): Promise<void>;
  /** Resolves once every message is durably stored (acknowledged); only then is it delivered. */
  publish(topic: string, messages: readonly OutgoingMessage[]): Promise<void>;
  subscribe(options: SubscribeOptions, handler: BatchHandler): Promise<Subscription>;
  lag(group: string): Promise<PartitionLag[]>;
  /** Reads without a group (tools: dead-letter listing, checks). */
  read(topic: string, partition: number, fromOffset: number, maxMessages: number): Promise<BusMessage[]>;
  partitions(topic: string): Promise<number>;
  listTopics(): Promise<string[]>;
  close(): Promise<void>;
}
