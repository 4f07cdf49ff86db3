// The embedded bus: Kafka's model (topics, partitions, offsets, consumer groups) on local disk,
// for the one-machine mode. One process owns a bus folder at a time.
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { setMaxListeners } from 'node:events';
import { join } from 'node:path';
import { EnvironmentError, UsageError } from '../../../core/errors.js';
import { silentLogger, type Logger } from '../../../core/log.js';
import { ownerAlive, ownerId } from '../../../core/process-control.js';
import { partitionOfBytes } from '../partitioner.js';
import type { Batch, BatchHandler, Bus, BusMessage, OutgoingMessage, PartitionLag, SubscribeOptions, Subscription } from '../port.js';
import { GroupOffsets } from './group-offsets.js';
import { OffsetOutOfRange, PartitionLog, RECENT_BYTES, type AppendRecord, type PartitionLogOptions } from './partition-log.js';
import { RecentBudget } from './recent-records.js';
import type { StoredRecord } from './record-format.js';

export interface EmbeddedBusOptions extends PartitionLogOptions {
  dir: string;
  defaultPartitions: number;
  log?: Logger;
  /** Pause before a failed batch is delivered again. */
  redeliveryDelayMs?: number;
  /**
   * How long after open the sealed segments' records are read through and checked, in the
   * background (default 10 s): not while the platform starts, which needs the CPU.
   */
  verifyDelayMs?: number;
}

interface Topic {
  name: string;
  partitions: PartitionLog[];
}

const TOPIC_NAME = /^[A-Za-z0-9._-]{1,249}$/;
const GROUPS_DIR = '_groups';

function toMessage(topic: string, partition: number, record: StoredRecord): BusMessage {
  return {
    topic, partition, offset: record.offset, key: record.key ? record.key.toString('utf8') : null,
    value: record.value, headers: record.headers, timestampMs: record.timestampMs,
  };
}

function matches(topic: string, patterns: readonly (string | RegExp)[]): boolean {
  return patterns.some((p) => (typeof p === 'string' ? p === topic : p.test(topic)));
}

/**
 * Every partition loop of a subscription waits on its stop signal, one listener each (removed when
 * the wait ends): more than ten partitions is no leak, so no limit (Node warns above ten).
 */
function abortController(): AbortController {
  const controller = new AbortController();
  setMaxListeners(0, controller.signal);
  return controller;
}

class GroupSubscription implements Subscription {
  private readonly stopping = abortController();
  private readonly loops = new Map<string, Promise<void>>();

  constructor(
    private readonly bus: EmbeddedBus,
    readonly options: SubscribeOptions,
    private readonly handler: BatchHandler,
    private readonly offsets: GroupOffsets,
    private readonly log: Logger,
    private readonly redeliveryDelayMs: number,
  ) {}

  attach(topic: Topic): void {
    if (this.stopping.signal.aborted || !matches(topic.name, this.options.topics)) return;
    topic.partitions.forEach((log, partition) => {
      const key = `${topic.name}/${partition}`;
      if (!this.loops.has(key)) this.loops.set(key, this.run(topic.name, partition, log));
    });
  }

  private async run(topic: string, partition: number, log: PartitionLog): Promise<void> {
    const signal = this.stopping.signal;
    let offset = this.offsets.get(topic, partition) ?? (this.options.fromBeginning === false ? log.endOffset : log.startOffset);
    const max = this.options.maxBatchSize ?? 500;
    while (!signal.aborted) {
      await log.waitFor(offset, signal);
      if (signal.aborted) break;
      let records: StoredRecord[];
      try {
        records = await log.read(offset, max);
      } catch (error) {
        if (!(error instanceof OffsetOutOfRange)) throw error;
        this.log.warn({ group: this.options.group, topic, partition, lost: error.startOffset - offset },
          'consumer group fell behind retention: messages were deleted before it read them');
        offset = error.startOffset;
        continue;
      }
      if (records.length === 0) continue;
      const batch: Batch = { topic, partition, messages: records.map((r) => toMessage(topic, partition, r)), highWatermark: log.endOffset };
      // The batch in hand is always finished, even when stop() was called meanwhile.
      for (let attempt = 1; ; attempt++) {
        try {
          await this.handler(batch);
          break;
        } catch (error) {
          // Refused while stopping, it is not committed: the group's next subscriber gets it (a replay leaves what it did not reach that way).
          if (signal.aborted) {
            this.log.debug({ err: error, group: this.options.group, topic, partition, offset }, 'batch not finished before stop; the group gets it again');
            return;
          }
          this.log.error({ err: error, group: this.options.group, topic, partition, offset, attempt }, 'batch handler failed; delivering the batch again');
          await new Promise((r) => setTimeout(r, Math.min(this.redeliveryDelayMs * attempt, 30_000)));
        }
      }
      offset = records[records.length - 1]!.offset + 1;
      this.offsets.commit(topic, partition, offset);
    }
  }

  async stop(): Promise<void> {
    this.stopping.abort();
    await Promise.allSettled(this.loops.values());
    await this.offsets.close();
    this.bus.forget(this);
  }
}

export class EmbeddedBus implements Bus {
  readonly kind = 'embedded' as const;
  private readonly topics = new Map<string, Topic>();
  private readonly opening = new Map<string, Promise<Topic>>();
  private readonly subscriptions = new Set<GroupSubscription>();
  private readonly roundRobin = new Map<string, number>();
  private readonly log: Logger;
  private retentionTimer: NodeJS.Timeout | undefined;
  private verifyTimer: NodeJS.Timeout | undefined;
  private verifying: Promise<EnvironmentError[]> | undefined;
  private closing = false;
  /** One budget of newest records in memory for every partition of the bus. */
  private readonly recent: RecentBudget;

  private constructor(private readonly options: EmbeddedBusOptions) {
    this.recent = new RecentBudget(options.recentBytes ?? RECENT_BYTES);
    this.log = options.log ?? silentLogger();
  }

  static async open(options: EmbeddedBusOptions): Promise<EmbeddedBus> {
    mkdirSync(join(options.dir, GROUPS_DIR), { recursive: true });
    const lock = join(options.dir, '.lock');
    if (existsSync(lock)) {
      const owner = readFileSync(lock, 'utf8');
      const pid = Number(owner.split(':')[0]);
      if (pid !== process.pid && ownerAlive(owner)) {
        throw new EnvironmentError(`BUS_DIR: ${options.dir} is in use by process ${pid}; one process owns the embedded bus (set KAFKA_BROKERS to share a bus between processes, or run them all in one process with steveslist up)`);
      }
    }
    writeFileSync(lock, ownerId());
    const bus = new EmbeddedBus(options);
    for (const name of readdirSync(options.dir)) {
      if (existsSync(join(options.dir, name, 'topic.json'))) await bus.openTopic(name);
    }
    bus.retentionTimer = setInterval(() => void bus.enforceRetention(), 60_000);
    bus.retentionTimer.unref();
    bus.verifyTimer = setTimeout(() => void bus.verifySealed(), options.verifyDelayMs ?? 10_000);
    bus.verifyTimer.unref();
    return bus;
  }

  /**
   * Checks the records of every sealed segment opened from its mark (each once per open), logging
   * each damaged one as an error; resolves with them. A damaged record's read fails the same way.
   */
  verifySealed(): Promise<EnvironmentError[]> {
    this.verifying ??= (async () => {
      const problems: EnvironmentError[] = [];
      for (const topic of this.topics.values()) {
        for (const log of topic.partitions) {
          if (this.closing) return problems;
          for (const problem of await log.verifySealed()) {
            this.log.error({ err: problem }, 'embedded bus: a sealed segment is damaged');
            problems.push(problem);
          }
        }
      }
      return problems;
    })();
    return this.verifying;
  }

  private async openTopic(name: string, partitions?: number): Promise<Topic> {
    const existing = this.topics.get(name);
    if (existing) return existing;
    let opening = this.opening.get(name);
    if (!opening) {
      opening = (async () => {
        const dir = join(this.options.dir, name);
        const metaPath = join(dir, 'topic.json');
        let count = partitions ?? this.options.defaultPartitions;
        if (existsSync(metaPath)) {
          count = (JSON.parse(readFileSync(metaPath, 'utf8')) as { partitions: number }).partitions;
        } else {
          mkdirSync(dir, { recursive: true });
          writeFileSync(metaPath, JSON.stringify({ partitions: count }));
        }
        const logs = await Promise.all(Array.from({ length: count }, (_, p) => PartitionLog.open(join(dir, String(p)), this.options, this.recent)));
        const topic = { name, partitions: logs };
        this.topics.set(name, topic);
        for (const subscription of this.subscriptions) subscription.attach(topic);
        return topic;
      })();
      this.opening.set(name, opening);
    }
    try {
      return await opening;
    } finally {
      this.opening.delete(name);
    }
  }

  async ensureTopic(topic: string, partitions?: number): Promise<void> {
    if (!TOPIC_NAME.test(topic) || topic === GROUPS_DIR) throw new UsageError(`topic "${topic}": names use letters, digits, ".", "_" and "-" (at most 249)`);
    await this.openTopic(topic, partitions);
  }

  async publish(topicName: string, messages: readonly OutgoingMessage[]): Promise<void> {
    if (messages.length === 0) return;
    await this.ensureTopic(topicName);
    const topic = this.topics.get(topicName)!;
    const count = topic.partitions.length;
    const byPartition = new Map<number, AppendRecord[]>();
    const now = Date.now();
    for (const message of messages) {
      // The key's bytes once, for the partitioner and the record; the value is written into the record as it is.
      const key = message.key === null ? null : Buffer.from(message.key, 'utf8');
      let partition: number;
      if (message.partition !== undefined) {
        if (message.partition < 0 || message.partition >= count) throw new UsageError(`partition ${message.partition} does not exist in ${topicName} (${count} partitions)`);
        partition = message.partition;
      } else if (key !== null) {
        partition = partitionOfBytes(key, count);
      } else {
        partition = (this.roundRobin.get(topicName) ?? 0) % count;
        this.roundRobin.set(topicName, partition + 1);
      }
      const record: AppendRecord = { key, value: message.value, headers: message.headers, timestampMs: message.timestampMs ?? now };
      const list = byPartition.get(partition);
      if (list) list.push(record);
      else byPartition.set(partition, [record]);
    }
    await Promise.all([...byPartition].map(([partition, list]) => topic.partitions[partition]!.append(list)));
  }

  async subscribe(options: SubscribeOptions, handler: BatchHandler): Promise<Subscription> {
    if ([...this.subscriptions].some((s) => s.options.group === options.group)) {
      throw new UsageError(`consumer group "${options.group}" is already subscribed in this process`);
    }
    const offsets = new GroupOffsets(GroupOffsets.pathFor(join(this.options.dir, GROUPS_DIR), options.group));
    const subscription = new GroupSubscription(this, options, handler, offsets, this.log, this.options.redeliveryDelayMs ?? 1000);
    this.subscriptions.add(subscription);
    for (const topic of this.topics.values()) subscription.attach(topic);
    return subscription;
  }

  /** Called by a subscription that stopped. */
  forget(subscription: GroupSubscription): void {
    this.subscriptions.delete(subscription);
  }

  async lag(group: string): Promise<PartitionLag[]> {
    const active = [...this.subscriptions].find((s) => s.options.group === group);
    const path = GroupOffsets.pathFor(join(this.options.dir, GROUPS_DIR), group);
    const committed = new GroupOffsets(path);
    const out: PartitionLag[] = [];
    for (const topic of this.topics.values()) {
      const subscribed = active ? matches(topic.name, active.options.topics) : false;
      topic.partitions.forEach((log, partition) => {
        const offset = committed.get(topic.name, partition);
        if (offset === undefined && !subscribed) return;
        const base = offset ?? log.startOffset;
        out.push({ topic: topic.name, partition, committed: base, highWatermark: log.endOffset, lag: log.endOffset - base });
      });
    }
    return out;
  }

  async read(topic: string, partition: number, fromOffset: number, maxMessages: number): Promise<BusMessage[]> {
    const t = this.topics.get(topic);
    const log = t?.partitions[partition];
    if (!log) return [];
    const from = Math.max(fromOffset, log.startOffset);
    return (await log.read(from, maxMessages)).map((r) => toMessage(topic, partition, r));
  }

  async partitions(topic: string): Promise<number> {
    return this.topics.get(topic)?.partitions.length ?? 0;
  }

  async listTopics(): Promise<string[]> {
    return [...this.topics.keys()].sort();
  }

  private async enforceRetention(): Promise<void> {
    for (const topic of this.topics.values()) {
      for (const log of topic.partitions) await log.enforceRetention();
    }
  }

  async close(): Promise<void> {
    this.closing = true;
    if (this.retentionTimer) clearInterval(this.retentionTimer);
    if (this.verifyTimer) clearTimeout(this.verifyTimer);
    await this.verifying;
    await Promise.all([...this.subscriptions].map((s) => s.stop()));
    for (const topic of this.topics.values()) await Promise.all(topic.partitions.map((log) => log.close()));
    rmSync(join(this.options.dir, '.lock'), { force: true });
  }
}
