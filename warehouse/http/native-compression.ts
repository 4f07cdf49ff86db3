// ClickHouse's native compression as its HTTP interface speaks it for `compress=1` (responses) and
// `decompress=1` (request bodies): a stream of blocks, each
//   [16-byte checksum: CityHash128 v1.0.2 of the rest of the block, low 64 bits then high, LE]
//   [method byte: 0x82 LZ4, 0x02 none] [UInt32 LE size of method byte + sizes + payload]
//   [UInt32 LE uncompressed size] [payload].
// The JDBC driver (client-v2) asks for compressed responses by default, verifies every checksum
// and accepts only the LZ4 method, so compressBlocks always writes LZ4.
import { PlatformError } from '../../core/errors.js';

/** What ClickHouse itself answers for a bad compressed body, so the server can reply in kind. */
export type CompressionFault = { code: 40; name: 'CHECKSUM_DOESNT_MATCH' } | { code: 271; name: 'CANNOT_DECOMPRESS' } | { code: 89; name: 'UNKNOWN_COMPRESSION_METHOD' };

export class NativeCompressionError extends PlatformError {
  readonly code = 'NATIVE_COMPRESSION_INVALID';
  readonly retriable = false;

  constructor(readonly kind: CompressionFault, message: string) {
    super(message);
  }
}

const CHECKSUM_BYTES = 16;
const HEADER_BYTES = 9; // method byte + compressed size + uncompressed size
const METHOD_LZ4 = 0x82;
const METHOD_NONE = 0x02;
const METHOD_ZSTD = 0x90;
/** ClickHouse's max_compress_block_size default: the uncompressed bytes in one block. */
export const BLOCK_BYTES = 1 << 20;
/** ClickHouse refuses a block that claims more than this (DBMS_MAX_COMPRESSED_SIZE). */
const MAX_BLOCK_BYTES = 1 << 30;

/** `data` as compressed blocks of at most BLOCK_BYTES each; no blocks for an empty input. */
export function compressBlocks(data: Buffer): Buffer {
  const blocks: Buffer[] = [];
  for (let start = 0; start < data.length; start += BLOCK_BYTES) blocks.push(compressBlock(data.subarray(start, start + BLOCK_BYTES)));
  return Buffer.concat(blocks);
}

/** One block, for a server that streams its response a chunk at a time. */
export function compressBlock(chunk: Buffer): Buffer {
  const payload = lz4Compress(chunk);
  const block = Buffer.allocUnsafe(CHECKSUM_BYTES + HEADER_BYTES + payload.length);
  block[CHECKSUM_BYTES] = METHOD_LZ4;
  block.writeUInt32LE(HEADER_BYTES + payload.length, CHECKSUM_BYTES + 1);
  block.writeUInt32LE(chunk.length, CHECKSUM_BYTES + 5);
  payload.copy(block, CHECKSUM_BYTES + HEADER_BYTES);
  const [low, high] = cityHash128(block.subarray(CHECKSUM_BYTES));
  block.writeBigUInt64LE(low, 0);
  block.writeBigUInt64LE(high, 8);
  return block;
}

/** The uncompressed bytes of a whole compressed body; every block's checksum is verified. */
export function decompressBlocks(data: Buffer, options: { maxBytes?: number } = {}): Buffer {
  const maxBytes = options.maxBytes ?? Number.POSITIVE_INFINITY;
  const parts: Buffer[] = [];
  let total = 0;
  for (let offset = 0; offset < data.length;) {
    if (data.length - offset < CHECKSUM_BYTES + HEADER_BYTES) throw cannotDecompress(`truncated block header at byte ${offset}`);
    const method = data[offset + CHECKSUM_BYTES]!;
    const sizeWithHeader = data.readUInt32LE(offset + CHECKSUM_BYTES + 1);
    const uncompressedSize = data.readUInt32LE(offset + CHECKSUM_BYTES + 5);
    if (sizeWithHeader < HEADER_BYTES || uncompressedSize > MAX_BLOCK_BYTES) throw cannotDecompress(`block at byte ${offset} has impossible sizes (${sizeWithHeader} compressed, ${uncompressedSize} uncompressed)`);
    const end = offset + CHECKSUM_BYTES + sizeWithHeader;
    if (end > data.length) throw cannotDecompress(`block at byte ${offset} claims ${sizeWithHeader} bytes, ${data.length - offset - CHECKSUM_BYTES} left`);
    const checked = data.subarray(offset + CHECKSUM_BYTES, end);
    const [low, high] = cityHash128(checked);
    if (low !== data.readBigUInt64LE(offset) || high !== data.readBigUInt64LE(offset + 8)) {
      throw new NativeCompressionError({ code: 40, name: 'CHECKSUM_DOESNT_MATCH' }, `Checksum doesn't match: corrupted data in the compressed block at byte ${offset}`);
    }
    total += uncompressedSize;
    if (total > maxBytes) throw cannotDecompress(`decompressed body over ${maxBytes} bytes`);
    const payload = checked.subarray(HEADER_BYTES);
    if (method === METHOD_LZ4) parts.push(lz4Decompress(payload, uncompressedSize));
    else if (method === METHOD_NONE) {
      if (payload.length !== uncompressedSize) throw cannotDecompress(`uncompressed block at byte ${offset} holds ${payload.length} bytes, its header says ${uncompressedSize}`);
      parts.push(payload);
    } else {
      const name = method === METHOD_ZSTD ? 'ZSTD' : `0x${method.toString(16)}`;
      throw new NativeCompressionError({ code: 89, name: 'UNKNOWN_COMPRESSION_METHOD' }, `compression method ${name} is not supported here; send LZ4 (0x82) or uncompressed blocks`);
    }
    offset = end;
  }
  return Buffer.concat(parts, total);
}

function cannotDecompress(message: string): NativeCompressionError {
  return new NativeCompressionError({ code: 271, name: 'CANNOT_DECOMPRESS' }, `Cannot decompress: ${message}`);
}

// --- LZ4 block format (https://github.com/lz4/lz4/blob/dev/doc/lz4_Block_format.md) -----------

const MIN_MATCH = 4;
/** The block's last 5 bytes are always literals, and the last match starts 12 or more bytes before the end. */
const LAST_LITERALS = 5;
const MATCH_FIND_LIMIT = 12;
const MAX_OFFSET = 65535;
const HASH_BITS = 16;

function read32(data: Buffer, at: number): number {
  return (data[at]! | (data[at + 1]! << 8) | (data[at + 2]! << 16) | (data[at + 3]! << 24)) >>> 0;
}

/** Greedy single-pass LZ4: one hash-table probe per position, enough for result sets. */
export function lz4Compress(input: Buffer): Buffer {
  const n = input.length;
  const out = Buffer.allocUnsafe(n + Math.ceil(n / 255) + 16);
  let op = 0;
  const writeLength = (rest: number): void => {
    for (; rest >= 255; rest -= 255) out[op++] = 255;
    out[op++] = rest;
  };
  const emit = (literalStart: number, literalEnd: number, offset: number, matchLength: number): void => {
    const literals = literalEnd - literalStart;
    const matchCode = matchLength - MIN_MATCH;
    out[op++] = (Math.min(literals, 15) << 4) | (offset === 0 ? 0 : Math.min(matchCode, 15));
    if (literals >= 15) writeLength(literals - 15);
    op += input.copy(out, op, literalStart, literalEnd);
    if (offset === 0) return;
    out[op++] = offset & 0xff;
    out[op++] = offset >>> 8;
    if (matchCode >= 15) writeLength(matchCode - 15);
  };

  const table = new Int32Array(1 << HASH_BITS).fill(-1);
  const matchEnd = n - LAST_LITERALS;
  let anchor = 0;
  for (let i = 0; i < n - MATCH_FIND_LIMIT;) {
    const sequence = read32(input, i);
    const slot = Math.imul(sequence, 2654435761) >>> (32 - HASH_BITS);
    const candidate = table[slot]!;
    table[slot] = i;
    if (candidate < 0 || i - candidate > MAX_OFFSET || read32(input, candidate) !== sequence) {
      i++;
      continue;
    }
    let length = MIN_MATCH;
    while (i + length < matchEnd && input[candidate + length] === input[i + length]) length++;
    emit(anchor, i, i - candidate, length);
    i += length;
    anchor = i;
  }
  emit(anchor, n, 0, 0);
  return out.subarray(0, op);
}

/** Decodes one LZ4 block that must expand to exactly `size` bytes; never reads or writes out of bounds. */
export function lz4Decompress(input: Buffer, size: number): Buffer {
  const out = Buffer.allocUnsafe(size);
  let ip = 0;
  let op = 0;
  const readLength = (base: number): number => {
    let length = base;
    if (base !== 15) return length;
    for (;;) {
      if (ip >= input.length) throw cannotDecompress('LZ4 length runs past the end of the block');
      const byte = input[ip++]!;
      length += byte;
      if (byte !== 255) return length;
    }
  };
  while (ip < input.length) {
    const token = input[ip++]!;
    const literals = readLength(token >>> 4);
    if (ip + literals > input.length || op + literals > size) throw cannotDecompress('LZ4 literals run past the end of the block');
    op += input.copy(out, op, ip, ip + literals);
    ip += literals;
    if (ip === input.length) break; // the last sequence has literals only
    if (ip + 2 > input.length) throw cannotDecompress('LZ4 match offset cut short');
    const offset = input[ip]! | (input[ip + 1]! << 8);
    ip += 2;
    const length = readLength(token & 15) + MIN_MATCH;
    if (offset === 0 || offset > op) throw cannotDecompress(`LZ4 match offset ${offset} points before the block`);
    if (op + length > size) throw cannotDecompress('LZ4 match runs past the declared size');
    // Byte by byte: a match may overlap the bytes it is producing (offset < length).
    for (let from = op - offset, until = op + length; op < until;) out[op++] = out[from++]!;
  }
  if (op !== size) throw cannotDecompress(`LZ4 block expands to ${op} bytes, its header says ${size}`);
  return out;
}

// --- CityHash128, version 1.0.2 exactly (later versions hash differently) ---------------------

const K0 = 0xc3a5c85c97cb3127n;
const K1 = 0xb492b66fbe98f273n;
const K2 = 0x9ae16a3b2f90404fn;
const K3 = 0xc949d7c7509e6557n;
const K_MUL = 0x9ddfea08eb382d69n;

const u64 = (value: bigint): bigint => BigInt.asUintN(64, value);
const fetch64 = (data: Buffer, at: number): bigint => data.readBigUInt64LE(at);
const fetch32 = (data: Buffer, at: number): bigint => BigInt(data.readUInt32LE(at));
const shiftMix = (value: bigint): bigint => value ^ (value >> 47n);

function rotate(value: bigint, shift: number): bigint {
  if (shift === 0) return value;
  return u64((value >> BigInt(shift)) | (value << BigInt(64 - shift)));
}

function hashLen16(u: bigint, v: bigint): bigint {
  let a = u64((u ^ v) * K_MUL);
  a ^= a >> 47n;
  let b = u64((v ^ a) * K_MUL);
  b ^= b >> 47n;
  return u64(b * K_MUL);
}

function hashLen0to16(data: Buffer, at: number, length: number): bigint {
  if (length > 8) {
    const a = fetch64(data, at);
    const b = fetch64(data, at + length - 8);
    return hashLen16(a, rotate(u64(b + BigInt(length)), length)) ^ b;
  }
  if (length >= 4) {
    const a = fetch32(data, at);
    return hashLen16(u64((a << 3n) + BigInt(length)), fetch32(data, at + length - 4));
  }
  if (length > 0) {
    const y = BigInt(data[at]! + (data[at + (length >> 1)]! << 8));
    const z = BigInt(length + (data[at + length - 1]! << 2));
    return u64(shiftMix(u64(y * K2) ^ u64(z * K3)) * K2);
  }
  return K2;
}

type Pair = [bigint, bigint];

function weakHashLen32WithSeeds(data: Buffer, at: number, seedA: bigint, seedB: bigint): Pair {
  const w = fetch64(data, at);
  const x = fetch64(data, at + 8);
  const y = fetch64(data, at + 16);
  const z = fetch64(data, at + 24);
  let a = u64(seedA + w);
  let b = rotate(u64(seedB + a + z), 21);
  const c = a;
  a = u64(a + x + y);
  b = u64(b + rotate(a, 44));
  return [u64(a + z), u64(b + c)];
}

/** CityHash128WithSeed for inputs under 128 bytes. */
function cityMurmur(data: Buffer, at: number, length: number, seed: Pair): Pair {
  let [a, b] = seed;
  let c: bigint;
  let d: bigint;
  let rest = length - 16;
  if (rest <= 0) {
    a = u64(shiftMix(u64(a * K1)) * K1);
    c = u64(u64(b * K1) + hashLen0to16(data, at, length));
    d = shiftMix(u64(a + (length >= 8 ? fetch64(data, at) : c)));
  } else {
    c = hashLen16(u64(fetch64(data, at + length - 8) + K1), a);
    d = hashLen16(u64(b + BigInt(length)), u64(c + fetch64(data, at + length - 16)));
    a = u64(a + d);
    do {
      a ^= u64(shiftMix(u64(fetch64(data, at) * K1)) * K1);
      a = u64(a * K1);
      b ^= a;
      c ^= u64(shiftMix(u64(fetch64(data, at + 8) * K1)) * K1);
      c = u64(c * K1);
      d ^= c;
      at += 16;
      rest -= 16;
    } while (rest > 0);
  }
  a = hashLen16(a, c);
  b = hashLen16(d, b);
  return [a ^ b, hashLen16(b, a)];
}

function cityHash128WithSeed(data: Buffer, at: number, length: number, seed: Pair): Pair {
  if (length < 128) return cityMurmur(data, at, length, seed);
  let [x, y] = seed;
  let z = u64(BigInt(length) * K1);
  const v0 = u64(rotate(y ^ K1, 49) * K1 + fetch64(data, at));
  let v: Pair = [v0, u64(rotate(v0, 42) * K1 + fetch64(data, at + 8))];
  let w: Pair = [u64(rotate(u64(y + z), 35) * K1 + x), u64(rotate(u64(x + fetch64(data, at + 88)), 53) * K1)];
  // Two rounds of 64 bytes per pass, as the reference unrolls CityHash64's inner loop.
  const round = (): void => {
    x = u64(rotate(u64(x + y + v[0] + fetch64(data, at + 16)), 37) * K1);
    y = u64(rotate(u64(y + v[1] + fetch64(data, at + 48)), 42) * K1);
    x ^= w[1];
    y ^= v[0];
    z = rotate(z ^ w[0], 33);
    v = weakHashLen32WithSeeds(data, at, u64(v[1] * K1), u64(x + w[0]));
    w = weakHashLen32WithSeeds(data, at + 32, u64(z + w[1]), y);
    [z, x] = [x, z];
    at += 64;
  };
  do {
    round();
    round();
    length -= 128;
  } while (length >= 128);
  y = u64(y + u64(rotate(w[0], 37) * K0) + z);
  x = u64(x + u64(rotate(u64(v[0] + z), 49) * K0));
  // Up to four 32-byte chunks from the end of the input.
  for (let tailDone = 0; tailDone < length;) {
    tailDone += 32;
    y = u64(rotate(u64(y - x), 42) * K0 + v[1]);
    w[0] = u64(w[0] + fetch64(data, at + length - tailDone + 16));
    x = u64(rotate(x, 49) * K0 + w[0]);
    w[0] = u64(w[0] + v[0]);
    v = weakHashLen32WithSeeds(data, at + length - tailDone, v[0], v[1]);
  }
  x = hashLen16(x, v[0]);
  y = hashLen16(y, w[0]);
  return [u64(hashLen16(u64(x + v[1]), w[1]) + y), hashLen16(u64(x + w[1]), u64(y + v[1]))];
}

/** CityHash128 v1.0.2 as [low 64 bits, high 64 bits], the pair ClickHouse checksums blocks with. */
export function cityHash128(data: Buffer): Pair {
  const length = data.length;
  if (length >= 16) return cityHash128WithSeed(data, 16, length - 16, [fetch64(data, 0) ^ K3, fetch64(data, 8)]);
  if (length >= 8) return cityHash128WithSeed(data, 0, 0, [fetch64(data, 0) ^ u64(BigInt(length) * K0), fetch64(data, length - 8) ^ K1]);
  return cityHash128WithSeed(data, 0, length, [K0, K1]);
}
