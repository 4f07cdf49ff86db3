// What change capture's thread and the process's main thread say to each other. The thread reads
// and decodes the binlog and shapes the events; the main thread owns the bus (one embedded log
// per process) and the process's logger. A batch crosses as transferred chunks of values (no
// copy) with its keys beside them, so the main thread only frames and appends it.
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

/**
 * Messages of one publish, packed: every value's bytes in chunks, value i ending at ends[i] in its
 * chunk and starting where the value before it in that chunk ended (a chunk's first at 0).
 */
export interface PackedMessages {
  keys: (string | null)[];
  /** -1: a null value. */
  ends: Int32Array;
  chunks: ArrayBuffer[];
  /** The message each chunk after the first starts with. */
  chunkStarts: number[];
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

/**
 * Chunks of about a megabyte: a larger allocation is given back to the system when freed, and
 * the next one pays a page fault per 4 KB touched (measured here at ~3 µs per KB copied, 25 times
 * the copy), where chunks this size are reused by the allocator.
 */
const CHUNK_BYTES = 1 << 20;

export function packMessages(messages: readonly OutgoingMessage[]): { packed: PackedMessages; transfer: ArrayBuffer[] } {
  let chunk = Buffer.allocUnsafeSlow(CHUNK_BYTES);
  let at = 0;
  const chunks: ArrayBuffer[] = [];
  const chunkStarts: number[] = [];
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
    // A UTF-8 character takes at most 3 bytes per UTF-16 unit: measured only when that may not fit.
    let size = typeof value === 'string' ? value.length * 3 : value.length;
    if (at + size > chunk.length && typeof value === 'string') size = Buffer.byteLength(value, 'utf8');
    if (at + size > chunk.length) {
      chunks.push(chunk.buffer as ArrayBuffer);
      chunkStarts.push(i);
      chunk = Buffer.allocUnsafeSlow(Math.max(CHUNK_BYTES, size));
      at = 0;
    }
    at += typeof value === 'string' ? chunk.write(value, at, 'utf8') : value.copy(chunk, at);
    ends[i] = at;
  }
  chunks.push(chunk.buffer as ArrayBuffer);
  const packed: PackedMessages = { keys, ends, chunks, chunkStarts };
  if (headers) packed.headers = headers;
  if (partitions) packed.partitions = partitions;
  if (timestamps) packed.timestamps = timestamps;
  return { packed, transfer: chunks };
}

/** The messages again, each value a view of its transferred chunk. */
export function unpackMessages(packed: PackedMessages): OutgoingMessage[] {
  const messages: OutgoingMessage[] = new Array(packed.keys.length);
  let chunk = 0;
  let start = 0;
  for (let i = 0; i < packed.keys.length; i++) {
    if (packed.chunkStarts[chunk] === i) {
      chunk++;
      start = 0;
    }
    const end = packed.ends[i]!;
    const message: OutgoingMessage = { key: packed.keys[i]!, value: end < 0 ? null : Buffer.from(packed.chunks[chunk]!, start, end - start) };
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
