// The consumer runner every sink shares: it hands batches to the sink, retries retriable
// failures with backoff, isolates the message that keeps failing and sends it to the group's
// dead-letter topic with the error, then lets the group move on. The bus commits a batch only
// after the runner returned, so a crash anywhere here means redelivery, never a skip.
import { sleepUnlessAborted } from '../../core/abortable-sleep.js';
import { errorCode, isRetriable } from '../../core/errors.js';
import { silentLogger, type Logger } from '../../core/log.js';
import type { RoleReporter } from '../../core/role-health.js';
import type { Batch, Bus, BusMessage, Subscription } from '../bus/port.js';
import { deadLetterTopic, toDeadLetter } from './dead-letter.js';
import { backoffMs } from '../../core/retry-schedule.js';

/** A sink's write of a batch; must be idempotent, since batches can be delivered again. */
export type SinkHandler = (messages: BusMessage[], batch: Batch) => Promise<void>;

export interface RunnerOptions {
  bus: Bus;
  group: string;
  topics: readonly (string | RegExp)[];
  topicPrefix: string;
  handler: SinkHandler;
  log?: Logger;
  maxBatchSize?: number;
  /** Attempts for a retriable failure before the message is dead-lettered. */
  maxAttempts?: number;
  initialBackoffMs?: number;
  maxBackoffMs?: number;
  /** Told of every failing batch and every dead letter, so /health shows the group degraded. */
  health?: RoleReporter;
  /** What the sink still runs beside its batches (the loader's sweep of tables): stop() waits for it too. */
  inFlight?: () => Promise<unknown>;
}

export interface RunnerStats {
  group: string;
  handled: number;
  deadLettered: number;
  retries: number;
  /** Messages handled per second since the previous stats() call. */
  ratePerSecond: number;
  /** Messages published but not yet handled, over all partitions. */
  lag: number;
}

class Stopping extends Error {}

/** A batch's partition, as the runner keeps the failing ones. */
const partitionOf = (batch: Batch) => `${batch.topic}/${batch.partition}`;

export class ConsumerRunner {
  private subscription: Subscription | undefined;
  private readonly stopping = new AbortController();
  private readonly log: Logger;
  private handled = 0;
  private deadLettered = 0;
  private retries = 0;
  private lastSample = { at: Date.now(), handled: 0 };
  /**
   * Partitions whose batch is failing now: the group is healthy again only once none is. A
   * partition that kept failing while others flowed was reported recovered by their next batch.
   */
  private readonly failing = new Set<string>();

  constructor(private readonly options: RunnerOptions) {
    this.log = (options.log ?? silentLogger()).child({ group: options.group });
  }

  get deadLetterTopic(): string {
    return deadLetterTopic(this.options.topicPrefix, this.options.group);
  }

  async start(): Promise<void> {
    this.subscription = await this.options.bus.subscribe(
      { group: this.options.group, topics: this.options.topics, maxBatchSize: this.options.maxBatchSize },
      (batch) => this.handleBatch(batch),
    );
  }

  /** Finishes the batch in hand (a retry wait is cut short and the batch left for redelivery). */
  async stop(): Promise<void> {
    this.stopping.abort();
    await this.subscription?.stop();
    await this.options.inFlight?.();
  }

  async stats(): Promise<RunnerStats> {
    const now = Date.now();
    const seconds = Math.max((now - this.lastSample.at) / 1000, 0.001);
    const ratePerSecond = Math.round((this.handled - this.lastSample.handled) / seconds);
    this.lastSample = { at: now, handled: this.handled };
    const lag = (await this.options.bus.lag(this.options.group)).reduce((sum, partition) => sum + partition.lag, 0);
    return { group: this.options.group, handled: this.handled, deadLettered: this.deadLettered, retries: this.retries, ratePerSecond, lag };
  }

  private async handleBatch(batch: Batch): Promise<void> {
    const partition = partitionOf(batch);
    try {
      await this.attempt(batch.messages, batch, 'batch');
    } catch (error) {
      if (error instanceof Stopping) {
        // Left for redelivery to whoever has the group next; this runner stops.
        this.failing.delete(partition);
        throw error;
      }
      // The batch as a whole keeps failing: find the message(s) responsible, one by one.
      const letters: { message: BusMessage; error: unknown }[] = [];
      for (const message of batch.messages) {
        try {
          await this.attempt([message], batch, 'message');
        } catch (messageError) {
          if (messageError instanceof Stopping) throw messageError;
          letters.push({ message, error: messageError });
        }
      }
      await this.deadLetter(batch, letters, error);
    }
    this.failing.delete(partition);
    if (this.failing.size === 0) this.options.health?.succeeded();
    this.handled += batch.messages.length;
  }

  /**
   * Runs the handler, retrying retriable errors up to the limit; a fatal error ends at once, so a
   * failing batch gets split and only the message at fault is dead-lettered. A whole batch's
   * failures are reported and logged (one line each, no stack); a lone message's retries while
   * splitting are not, or a batch of thousands would log thousands of lines.
   */
  private async attempt(messages: BusMessage[], batch: Batch, scope: 'batch' | 'message'): Promise<void> {
    const maxAttempts = this.options.maxAttempts ?? 8;
    for (let attempt = 1; ; attempt++) {
      try {
        await this.options.handler(messages, batch);
        return;
      } catch (error) {
        const health = scope === 'batch' ? this.options.health : undefined;
        if (scope === 'batch') this.failing.add(partitionOf(batch));
        if (!isRetriable(error) || attempt >= maxAttempts) {
          // Split next, and dead-lettered with a line of its own if it stays failing.
          health?.failed(error);
          (error as { attempts?: number }).attempts = attempt;
          throw error;
        }
        this.retries++;
        const waitMs = backoffMs(attempt, this.options.initialBackoffMs ?? 200, this.options.maxBackoffMs ?? 30_000);
        const line = { message: 'sink failed (retriable); retrying', fields: { topic: batch.topic, partition: batch.partition, size: messages.length, attempt, waitMs, code: errorCode(error) } };
        // Reported, the reporter logs the batch's one line (the first of a run with its stack).
        if (health) health.failed(error, line);
        else this.log[scope === 'batch' ? 'warn' : 'debug']({ ...line.fields, error: messageOf(error) }, line.message);
        await this.sleep(waitMs);
      }
    }
  }

  private sleep(ms: number): Promise<void> {
    return sleepUnlessAborted(ms, this.stopping.signal, () => new Stopping());
  }

  /**
   * Sends the batch's failed messages to the dead-letter topic in one publish, which must succeed
   * before the group moves past them, and logs one line for the batch with the count and the
   * first error's message.
   */
  private async deadLetter(batch: Batch, letters: { message: BusMessage; error: unknown }[], batchError: unknown): Promise<void> {
    const where = { topic: batch.topic, partition: batch.partition, offsets: `${batch.messages[0]?.offset}-${batch.messages.at(-1)?.offset}`, size: batch.messages.length };
    if (letters.length === 0) {
      this.log.warn({ ...where, error: messageOf(batchError), code: errorCode(batchError) }, 'batch failed as a whole, but each of its messages succeeded alone');
      return;
    }
    await this.options.bus.publish(this.deadLetterTopic, letters.map(({ message, error }) =>
      toDeadLetter(message, this.options.group, error, (error as { attempts?: number }).attempts ?? 1)));
    this.deadLettered += letters.length;
    const first = letters[0]!.error;
    this.options.health?.deadLettered(letters.length, first);
    this.log.error({ ...where, deadLettered: letters.length, dlq: this.deadLetterTopic, error: messageOf(first), code: errorCode(first) },
      `${letters.length} of ${batch.messages.length} messages dead-lettered; the group moves on`);
  }
}

/** An error's first line: the log keeps one line per failing batch, the dead letter the whole message. */
function messageOf(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).split('\n')[0]!.slice(0, 500);
}
