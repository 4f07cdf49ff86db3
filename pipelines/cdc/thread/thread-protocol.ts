// What change capture's thread and the process's main thread say to each other. The thread reads
// and decodes the binlog and shapes the events; the main thread owns the bus (one embedded log
// per process) and the process's logger. A batch crosses as one transferred buffer of values
// (no copy) with its keys beside it, so the main thread only frames and appends it.
import type { CrossedError } from '../../../core/threads/crossing-errors.js';
import type { Bus, OutgoingMessage } from '../../bus/port.js';
import type { RowsDecoderChoice } from '../binlog-stream.js';
import type { CdcStats } from '../reader.js';
import type { TableFilterOptions } from '../topics.js';

/** The reader's settings, as they cross to its thread (no functions, no instances). */
export interface ThreadReaderSettings {
  url: string;
  /** Folder of the saved position (FileStateStore). */
  stateDir: string;
  topicPrefix: string;
  sourceName?: string;
  filter: TableFilterOptions;
  replicaServerId: number;
  snapshotChunkRows: number;
  onMissingBinlog: 'fail' | 'resnapshot';
  signalTable?: string;
  rowsDecoder?: RowsDecoderChoice;
  maxBatchEvents?: number;
}

/** What the thread starts with: the settings, and which bus the main thread answers for. */
export type ThreadData = ThreadReaderSettings & { busKind: Bus['kind'] };

/** Messages of one publish, packed: every value's bytes in `data`, value i from ends[i-1] to ends[i]. */
export interface PackedMessages {
  keys: (string | null)[];
  /** -1: a null value. */
  ends: Int32Array;
  data: ArrayBuffer;
  /** Only where a message has them (outbox events' headers, truncates' partitions); sparse otherwise. */
  headers?: Record<number, Record<string, string>>;
  partitions?: Record<number, number>;
  timestamps?: Record<number, number>;
}

export type ToThread =
  | { type: 'stop' }
  | { type: 'reply'; id: number; value?: unknown; error?: CrossedError };

export type FromThread =
  | { type: 'publish'; id: number; topic: string; messages: PackedMessages }
  | { type: 'ensureTopic'; id: number; topic: string }
  | { type: 'partitions'; id: number; topic: string }
  | { type: 'log'; level: 'info' | 'warn' | 'error' | 'debug'; bindings: Record<string, unknown>; fields: Record<string, unknown>; message: string }
  | { type: 'stats'; stats: CdcStats }
  | { type: 'reading' }
  | { type: 'streaming' }
  | { type: 'ended'; error?: CrossedError };

export function packMessages(messages: readonly OutgoingMessage[]): { packed: PackedMessages; transfer: ArrayBuffer[] } {
  // Sized exactly: the main thread's bus may keep values as views of this buffer (its records in
  // memory), so room left over would be kept with them.
  let bytes = 0;
  for (const message of messages) {
    const value = message.value;
    if (value !== null) bytes += typeof value === 'string' ? Buffer.byteLength(value, 'utf8') : value.length;
  }
  const data = Buffer.allocUnsafeSlow(bytes);
  let at = 0;
  const ends = new Int32Array(messages.length);
  const keys: (string | null)[] = new Array(messages.length);
  let headers: PackedMessages['headers'];
  let partitions: PackedMessages['partitions'];
  let timestamps: PackedMessages['timestamps'];
  for (let i = 0; i < messages.length; i++) {
    const message = messages[i]!;
    keys[i] = message.key;
    if (message.headers) (headers ??= {})[i] = message.headers;
    if (message.partition !== undefined) (partitions ??= {})[i] = message.partition;
    if (message.timestampMs !== undefined) (timestamps ??= {})[i] = message.timestampMs;
    const value = message.value;
    if (value === null) {
      ends[i] = -1;
      continue;
    }
    at += typeof value === 'string' ? data.write(value, at, 'utf8') : value.copy(data, at);
    ends[i] = at;
  }
  const packed: PackedMessages = { keys, ends, data: data.buffer as ArrayBuffer };
  if (headers) packed.headers = headers;
  if (partitions) packed.partitions = partitions;
  if (timestamps) packed.timestamps = timestamps;
  return { packed, transfer: [packed.data] };
}

/** The messages again, each value a view of the one transferred buffer. */
export function unpackMessages(packed: PackedMessages): OutgoingMessage[] {
  const messages: OutgoingMessage[] = new Array(packed.keys.length);
  let start = 0;
  for (let i = 0; i < packed.keys.length; i++) {
    const end = packed.ends[i]!;
    const message: OutgoingMessage = { key: packed.keys[i]!, value: end < 0 ? null : Buffer.from(packed.data, start, end - start) };
    if (end >= 0) start = end;
    const headers = packed.headers?.[i];
    if (headers) message.headers = headers;
    const partition = packed.partitions?.[i];
    if (partition !== undefined) message.partition = partition;
    const timestampMs = packed.timestamps?.[i];
    if (timestampMs !== undefined) message.timestampMs = timestampMs;
    messages[i] = message;
  }
  return messages;
}

