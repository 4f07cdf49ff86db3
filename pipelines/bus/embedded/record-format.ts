// On-disk record framing of the embedded log. Each record carries its own length and CRC32, so
// recovery after a crash finds exactly where the last complete record ends.
//
//   u32 length of what follows | u32 crc32 of what follows the crc
//   u32+u32 offset (high, low) | u32+u32 timestamp ms (high, low)
//   i32 key length (-1: null)  | key bytes
//   i32 headers length (-1: none) | headers as JSON
//   i32 value length (-1: null)   | value bytes
import { crc32 } from 'node:zlib';

export const LENGTH_PREFIX_BYTES = 8;
const FIXED_BYTES = 16 + 12;
const TWO_32 = 2 ** 32;

export interface StoredRecord {
  offset: number;
  timestampMs: number;
  key: Buffer | null;
  headers: Record<string, string>;
  value: Buffer | null;
}

type Part = Buffer | string | null;

const byteLength = (part: Part) => (part === null ? 0 : typeof part === 'string' ? Buffer.byteLength(part, 'utf8') : part.length);

export interface RecordToEncode {
  key: Part;
  headers?: Record<string, string>;
  value: Part;
  timestampMs: number;
}

/** Records framed for the log, their values not copied (see frameRecords). */
export interface FramedRecords {
  /** Each record's frame (all of it but a value given as bytes), then that value: written in order. */
  parts: Buffer[];
  /** Each record's size in the log. */
  sizes: number[];
  /** The records as decodeRecord reads them back, their values the bytes given. */
  stored: StoredRecord[];
}

/**
 * Records with consecutive offsets from `firstOffset`, framed for the log without copying values
 * given as bytes: the frames share one buffer and such a value goes to the file from the bytes it
 * came in (a copy of every value into a fresh buffer, page faults and all, was most of an
 * append's CPU); the checksum runs over the frame's tail, then on over the value. Those bytes are
 * kept, not copied: they must not change after the append. A text value is written in its frame.
 */
export function frameRecords(firstOffset: number, records: readonly RecordToEncode[]): FramedRecords {
  const count = records.length;
  const keys: (Buffer | null)[] = new Array(count);
  const headerTexts: (string | null)[] = new Array(count);
  /** A text value's UTF-8 length: text is written into its frame, as one buffer of its own per value cost more. */
  const textBytes: number[] = new Array(count);
  const frameSizes: number[] = new Array(count);
  let frameBytes = 0;
  for (let i = 0; i < count; i++) {
    const record = records[i]!;
    const key = typeof record.key === 'string' ? Buffer.from(record.key, 'utf8') : record.key;
    const headers = record.headers && Object.keys(record.headers).length > 0 ? JSON.stringify(record.headers) : null;
    keys[i] = key;
    headerTexts[i] = headers;
    const text = typeof record.value === 'string' ? Buffer.byteLength(record.value, 'utf8') : 0;
    textBytes[i] = text;
    const size = LENGTH_PREFIX_BYTES + FIXED_BYTES + (key?.length ?? 0) + byteLength(headers) + text;
    frameSizes[i] = size;
    frameBytes += size;
  }
  const frames = Buffer.allocUnsafe(frameBytes);
  const parts: Buffer[] = [];
  const sizes: number[] = new Array(count);
  const stored: StoredRecord[] = new Array(count);
  let start = 0;
  for (let i = 0; i < count; i++) {
    const record = records[i]!;
    const key = keys[i]!;
    const offset = firstOffset + i;
    const end = start + frameSizes[i]!;
    let at = start + 8;
    frames.writeUInt32BE(Math.floor(offset / TWO_32), at); at += 4;
    frames.writeUInt32BE(offset % TWO_32, at); at += 4;
    frames.writeUInt32BE(Math.floor(record.timestampMs / TWO_32), at); at += 4;
    frames.writeUInt32BE(record.timestampMs % TWO_32, at); at += 4;
    at = writePart(frames, at, key);
    at = writePart(frames, at, headerTexts[i]!);
    // Bytes stay where they are (written after the frame); text is written in it.
    const bytes = typeof record.value === 'string' ? null : record.value;
    let value: Buffer | null = bytes;
    if (typeof record.value === 'string') {
      at = writePart(frames, at, record.value);
      value = frames.subarray(at - textBytes[i]!, at);
    } else frames.writeInt32BE(bytes === null ? -1 : bytes.length, at);
    const size = frameSizes[i]! + (bytes?.length ?? 0);
    frames.writeUInt32BE(size - 4, start);
    const frameCrc = crc32(frames.subarray(start + 8, end));
    frames.writeUInt32BE(bytes === null ? frameCrc : crc32(bytes, frameCrc), start + 4);
    parts.push(frames.subarray(start, end));
    if (bytes !== null) parts.push(bytes);
    sizes[i] = size;
    stored[i] = { offset, timestampMs: record.timestampMs, key, headers: headerTexts[i] === null ? {} : { ...record.headers }, value };
    start = end;
  }
  return { parts, sizes, stored };
}

/** A part's length (-1: null) and its bytes; where the next part goes. */
function writePart(data: Buffer, at: number, part: Buffer | string | null): number {
  if (part === null) {
    data.writeInt32BE(-1, at);
    return at + 4;
  }
  if (typeof part === 'string') {
    const length = data.write(part, at + 4, 'utf8');
    data.writeInt32BE(length, at);
    return at + 4 + length;
  }
  data.writeInt32BE(part.length, at);
  part.copy(data, at + 4);
  return at + 4 + part.length;
}

export type DecodeResult =
  | { kind: 'record'; record: StoredRecord; size: number }
  | { kind: 'incomplete' }
  | { kind: 'corrupt'; reason: string };

/** Decodes the record at `at`; `incomplete` when the buffer ends inside it. `checked`: verify its CRC. */
export function decodeRecord(buffer: Buffer, at: number, checked = true): DecodeResult {
  if (buffer.length - at < LENGTH_PREFIX_BYTES) return { kind: 'incomplete' };
  const length = buffer.readUInt32BE(at);
  if (length < 4 + FIXED_BYTES) return { kind: 'corrupt', reason: `impossible record length ${length}` };
  if (buffer.length - at < length + 4) return { kind: 'incomplete' };
  const body = buffer.subarray(at + 8, at + 4 + length);
  if (checked && crc32(body) !== buffer.readUInt32BE(at + 4)) return { kind: 'corrupt', reason: 'checksum mismatch' };
  let p = 0;
  const offset = body.readUInt32BE(p) * TWO_32 + body.readUInt32BE(p + 4); p += 8;
  const timestampMs = body.readUInt32BE(p) * TWO_32 + body.readUInt32BE(p + 4); p += 8;
  const parts: (Buffer | null)[] = [];
  for (let i = 0; i < 3; i++) {
    const n = body.readInt32BE(p); p += 4;
    if (n < 0) {
      parts.push(null);
    } else {
      parts.push(body.subarray(p, p + n));
      p += n;
    }
  }
  const [key, headerBytes, value] = parts;
  return {
    kind: 'record',
    size: length + 4,
    record: { offset, timestampMs, key: key!, headers: headerBytes ? JSON.parse(headerBytes.toString('utf8')) : {}, value: value! },
  };
}

/** Reads just the offset of a record whose length prefix was already checked. */
export function peekOffset(buffer: Buffer, at: number): number {
  return buffer.readUInt32BE(at + 8) * TWO_32 + buffer.readUInt32BE(at + 12);
}
