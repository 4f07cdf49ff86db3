// Change capture on a thread of its own: reading the binlog, decoding rows and shaping envelopes
// cost the reader about two thirds of its time, and on the main thread they took turns with the
// search index, the warehouse loader and every other consumer. Here the reader runs whole (its
// snapshot, signals and saved position as they are); only the bus is the main thread's, reached
// by publish, ensureTopic and partitions calls that the main thread answers.
import { parentPort, workerData } from 'node:worker_threads';
import type { Bus } from '../../bus/port.js';
import { CdcReader } from '../reader.js';
import { FileStateStore } from '../reader-state.js';
import { TableFilter } from '../topics.js';
import { forwardingLogger } from './forwarding-logger.js';
import { crossError, reviveError } from '../../../core/threads/crossing-errors.js';
import { announceOsThread } from '../../../core/threads/thread-cpu.js';
import { packMessages, type FromThread, type ThreadData, type ToThread } from './thread-protocol.js';

const STATS_EVERY_MS = 100;

const port = parentPort!;
const settings = workerData as ThreadData;
announceOsThread();
const post = (message: FromThread, transfer?: ArrayBuffer[]) => port.postMessage(message, transfer);

let nextCall = 1;
const calls = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void }>();
function call<T>(message: FromThread, transfer?: ArrayBuffer[]): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    calls.set((message as { id: number }).id, { resolve: resolve as (value: unknown) => void, reject });
    post(message, transfer);
  });
}

/** The bus as far as the reader uses it: each call answered by the main thread. */
const bus = {
  kind: settings.busKind,
  publish(topic, messages) {
    const { packed, transfer } = packMessages(messages);
    return call<void>({ type: 'publish', id: nextCall++, topic, messages: packed }, transfer);
  },
  ensureTopic(topic) {
    return call<void>({ type: 'ensureTopic', id: nextCall++, topic });
  },
  partitions(topic) {
    return call<number>({ type: 'partitions', id: nextCall++, topic });
  },
} as Pick<Bus, 'kind' | 'publish' | 'ensureTopic' | 'partitions'> as Bus;

const reader = CdcReader.start({
  url: settings.url,
  bus,
  store: new FileStateStore(settings.stateDir),
  topicPrefix: settings.topicPrefix,
  sourceName: settings.sourceName,
  filter: new TableFilter(settings.filter),
  replicaServerId: settings.replicaServerId,
  snapshotChunkRows: settings.snapshotChunkRows,
  onMissingBinlog: settings.onMissingBinlog,
  signalTable: settings.signalTable,
  rowsDecoder: settings.rowsDecoder,
  maxBatchEvents: settings.maxBatchEvents,
  log: forwardingLogger((message) => post(message)),
});

port.on('message', (message: ToThread) => {
  if (message.type === 'stop') {
    void reader.stop();
    return;
  }
  const pending = calls.get(message.id);
  if (!pending) return;
  calls.delete(message.id);
  if (message.error) pending.reject(reviveError(message.error));
  else pending.resolve(message.value);
});

// The main thread answers stats() from the last copy sent: sent when it changed, a few times a second.
let lastStats = '';
const sendStats = () => {
  const stats = reader.stats();
  const text = JSON.stringify(stats);
  if (text === lastStats) return;
  lastStats = text;
  post({ type: 'stats', stats });
};
const statsTimer = setInterval(sendStats, STATS_EVERY_MS);
void reader.reading.then(() => {
  sendStats();
  post({ type: 'reading' });
});
void reader.streaming.then(() => {
  sendStats();
  post({ type: 'streaming' });
});
reader.done.then(
  () => ended(),
  (error: unknown) => ended(error),
);

function ended(error?: unknown): void {
  clearInterval(statsTimer);
  sendStats();
  // The main thread ends the thread once it has this (and every line posted before it).
  post(error === undefined ? { type: 'ended' } : { type: 'ended', error: crossError(error) });
}
