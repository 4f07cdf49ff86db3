// The main thread's side of change capture on its own thread (reader-thread.ts): the same surface
// as the reader (done, reading, streaming, stats, stop), the bus calls the thread makes answered
// here, and the thread's log lines written through this process's logger.
import type { Worker } from 'node:worker_threads';
import type { Logger } from '../../../core/log.js';
import type { Bus } from '../../bus/port.js';
import type { CdcStats } from '../reader.js';
import { crossError, reviveError } from '../../../core/threads/crossing-errors.js';
import { startThread } from '../../../core/threads/start-thread.js';
import { unpackMessages, type FromThread, type ThreadData, type ThreadReaderSettings, type ToThread } from './thread-protocol.js';

/** What the platform's roles need of a running change capture, on this thread or another. */
export interface CaptureReader {
  readonly done: Promise<void>;
  readonly reading: Promise<void>;
  readonly streaming: Promise<void>;
  stats(): CdcStats;
  stop(): Promise<void>;
}

export class ThreadedCdcReader implements CaptureReader {
  readonly done: Promise<void>;
  readonly reading: Promise<void>;
  readonly streaming: Promise<void>;
  private readonly worker: Worker;
  private lastStats: CdcStats = {
    phase: 'starting', snapshotRows: 0, changesPublished: 0, transactions: 0, lastCommitMs: undefined, position: undefined, incrementalSnapshot: undefined,
  };
  private ended = false;

  private constructor(settings: ThreadReaderSettings, private readonly bus: Bus, private readonly log: Logger) {
    let nowReading!: () => void;
    let nowStreaming!: () => void;
    let finish!: (error?: Error) => void;
    this.reading = new Promise((resolve) => { nowReading = resolve; });
    this.streaming = new Promise((resolve) => { nowStreaming = resolve; });
    this.done = new Promise<void>((resolve, reject) => {
      finish = (error) => (error ? reject(error) : resolve());
    });
    // The caller awaits `done`; keep an early failure from also surfacing as unhandled.
    this.done.catch(() => undefined);
    this.worker = startThread(new URL('./reader-thread.ts', import.meta.url), 'cdc-reader-thread', { workerData: { ...settings, busKind: bus.kind } satisfies ThreadData });
    const end = (error?: Error) => {
      if (this.ended) return;
      this.ended = true;
      if (error) this.lastStats = { ...this.lastStats, phase: 'failed' };
      finish(error);
      void this.worker.terminate();
    };
    this.worker.on('message', (message: FromThread) => {
      switch (message.type) {
        case 'publish':
          this.answer(message.id, () => this.bus.publish(message.topic, unpackMessages(message.messages)));
          return;
        case 'ensureTopic':
          this.answer(message.id, () => this.bus.ensureTopic(message.topic));
          return;
        case 'partitions':
          this.answer(message.id, () => this.bus.partitions(message.topic));
          return;
        case 'log':
          this.writeLog(message);
          return;
        case 'stats':
          this.lastStats = message.stats;
          return;
        case 'reading':
          nowReading();
          return;
        case 'streaming':
          nowStreaming();
          return;
        case 'ended':
          end(message.error && reviveError(message.error));
      }
    });
    // A failure outside the reader (the thread could not load its code, ran out of memory).
    this.worker.on('error', (error) => end(error));
    this.worker.on('exit', (code) => end(new Error(`change capture's thread stopped unexpectedly (exit code ${code})`)));
  }

  static start(settings: ThreadReaderSettings, bus: Bus, log: Logger): ThreadedCdcReader {
    return new ThreadedCdcReader(settings, bus, log);
  }

  stats(): CdcStats {
    return this.lastStats;
  }

  /** Stops reading, publishes what was read completely, saves the position (on the thread). */
  async stop(): Promise<void> {
    if (!this.ended) this.worker.postMessage({ type: 'stop' } satisfies ToThread);
    await this.done.catch(() => undefined);
  }

  private answer(id: number, work: () => Promise<unknown>): void {
    work().then(
      (value) => this.reply({ type: 'reply', id, value }),
      (error: unknown) => this.reply({ type: 'reply', id, error: crossError(error) }),
    );
  }

  private reply(message: ToThread): void {
    if (!this.ended) this.worker.postMessage(message);
  }

  private writeLog(message: Extract<FromThread, { type: 'log' }>): void {
    const fields: Record<string, unknown> = { ...message.bindings };
    for (const [name, value] of Object.entries(message.fields)) {
      fields[name] = name === 'err' && value && typeof value === 'object' && 'message' in value ? reviveError(value as never) : value;
    }
    this.log[message.level](fields, message.message);
  }
}
