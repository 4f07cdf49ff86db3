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

/**
 * Records with consecutive offsets from `firstOffset`, framed one after the other in a single
 * buffer (one allocation for the lot, not one per record), and each one's size in it. Strings
 * are written as UTF-8 straight into the buffer: no buffer of their own to copy from.
 */
export function encodeRecords(firstOffset: number, records: readonly RecordToEncode[]): { data: Buffer; sizes: number[] } {
  const parts = records.map((r) => [r.key, r.headers && Object.keys(r.headers).length > 0 ? JSON.stringify(r.headers) : null, r.value] as const);
  const lengths = parts.map((list) => list.map(byteLength));
  const sizes = lengths.map(([key, headers, value]) => LENGTH_PREFIX_BYTES + FIXED_BYTES + key! + headers! + value!);
  const data = Buffer.allocUnsafe(sizes.reduce((sum, size) => sum + size, 0));
  let start = 0;
  records.forEach((record, i) => {
    const offset = firstOffset + i;
    let at = start + 8;
    data.writeUInt32BE(Math.floor(offset / TWO_32), at); at += 4;
    data.writeUInt32BE(offset % TWO_32, at); at += 4;
    data.writeUInt32BE(Math.floor(record.timestampMs / TWO_32), at); at += 4;
    data.writeUInt32BE(record.timestampMs % TWO_32, at); at += 4;
    parts[i]!.forEach((part, p) => {
      if (part === null) {
        data.writeInt32BE(-1, at); at += 4;
      } else {
        const length = lengths[i]![p]!;
        data.writeInt32BE(length, at); at += 4;
        if (typeof part === 'string') data.write(part, at, length, 'utf8');
        else part.copy(data, at);
        at += length;
      }
    });
    const size = sizes[i]!;
    data.writeUInt32BE(size - 4, start);
    data.writeUInt32BE(crc32(data.subarray(start + 8, start + size)), start + 4);
    start += size;
  });
  return { data, sizes };
}

export function encodeRecord(offset: number, timestampMs: number, key: Part, headers: Record<string, string> | undefined, value: Part): Buffer {
  return encodeRecords(offset, [{ key, headers, value, timestampMs }]).data;
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
