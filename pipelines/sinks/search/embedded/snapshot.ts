// A snapshot of the memory index in one file beside the SQLite file, written when the index
// closes and as it is written (listing-index.ts says how often): the next open maps it back in
// and replays only the changes stored after it, instead of re-reading and re-analysing every
// document. Any doubt about the file (format, a newer change
// number than the store has, a short read) and the index is rebuilt from the store instead.
import { closeSync, openSync, readFileSync, renameSync, rmSync, writevSync } from 'node:fs';
import type { MemoryImage } from './memory-index.js';

const MAGIC = 'steveslist-search-snapshot';
const FORMAT = 1;

interface Header {
  magic: string;
  format: number;
  seq: number;
  ordinals: number;
  tokenTotal: number;
  codes: MemoryImage['codes'];
  terms: [stem: string, length: number][];
  surface: MemoryImage['surface'];
}

type Column = keyof MemoryImage['columns'];
const COLUMNS: [Column, { BYTES_PER_ELEMENT: number }][] = [
  ['ids', Float64Array], ['price', Float64Array], ['created', Float64Array], ['latitude', Float64Array], ['longitude', Float64Array],
  ['category', Int32Array], ['city', Int32Array], ['country', Int32Array], ['tokens', Int32Array], ['state', Uint8Array],
];

const padded = (bytes: number) => Math.ceil(bytes / 8) * 8;
const ZEROS = new Uint8Array(8);
const WRITE_PIECES = 1024;

/** writev until every byte is written (a call may write less than asked). */
function writeAll(fd: number, pieces: Uint8Array[]): void {
  let rest = pieces;
  while (rest.length > 0) {
    let written = writevSync(fd, rest);
    let i = 0;
    while (i < rest.length && written >= rest[i]!.byteLength) written -= rest[i++]!.byteLength;
    rest = rest.slice(i);
    if (written > 0) rest[0] = rest[0]!.subarray(written);
  }
}

/** Writes the image as of change `seq`, atomically (a temp file renamed over the old one). */
export function writeSnapshot(path: string, image: MemoryImage, seq: number): void {
  const header: Header = {
    magic: MAGIC, format: FORMAT, seq, ordinals: image.ordinals, tokenTotal: image.tokenTotal, codes: image.codes,
    terms: image.terms.map((t) => [t.stem, t.docs.length]), surface: image.surface,
  };
  const headerBytes = Buffer.from(JSON.stringify(header));
  const tmp = `${path}.${process.pid}.tmp`;
  const fd = openSync(tmp, 'w');
  try {
    // Written as the index goes (listing-index.ts): one call per thousand pieces, not two per
    // term (an index has hundreds of thousands of terms).
    const pieces: Uint8Array[] = [];
    const flush = () => {
      for (let i = 0; i < pieces.length; i += WRITE_PIECES) writeAll(fd, pieces.slice(i, i + WRITE_PIECES));
      pieces.length = 0;
    };
    const blob = (array: ArrayBufferView) => {
      pieces.push(new Uint8Array(array.buffer, array.byteOffset, array.byteLength));
      const padding = padded(array.byteLength) - array.byteLength;
      if (padding > 0) pieces.push(ZEROS.subarray(0, padding));
      if (pieces.length >= WRITE_PIECES * 16) flush();
    };
    const lead = Buffer.alloc(8);
    lead.writeUInt32LE(headerBytes.length, 0);
    pieces.push(lead);
    blob(headerBytes);
    for (const [column] of COLUMNS) blob(image.columns[column]);
    for (const term of image.terms) blob(term.docs);
    for (const term of image.terms) blob(term.impacts);
    flush();
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, path);
}

/** The image and its change number, or undefined when there is no usable snapshot. */
export function readSnapshot(path: string): { image: MemoryImage; seq: number } | undefined {
  let file: Buffer;
  try {
    file = readFileSync(path);
  } catch {
    return undefined;
  }
  try {
    // Typed views need their element alignment: a small file's buffer may sit at any offset of a
    // shared pool, so it is copied into a buffer of its own.
    const data = file.byteOffset % 8 === 0 ? file : Buffer.from(new Uint8Array(file).buffer);
    const headerLength = data.readUInt32LE(0);
    const header = JSON.parse(data.subarray(8, 8 + headerLength).toString('utf8')) as Header;
    if (header.magic !== MAGIC || header.format !== FORMAT) return undefined;
    let offset = 8 + padded(headerLength);
    const take = <T>(make: new (buffer: ArrayBufferLike, byteOffset: number, length: number) => T, bytesPer: number, length: number): T => {
      if (offset + length * bytesPer > data.byteLength) throw new Error('short snapshot');
      const view = new make(data.buffer, data.byteOffset + offset, length);
      offset += padded(length * bytesPer);
      return view;
    };
    const n = header.ordinals;
    const columns = {} as Record<Column, unknown>;
    for (const [column, type] of COLUMNS) columns[column] = take(type as never, type.BYTES_PER_ELEMENT, n);
    const docs = header.terms.map(([, length]) => take(Int32Array, 4, length));
    const impacts = header.terms.map(([, length]) => take(Float32Array, 4, length));
    return {
      seq: header.seq,
      image: {
        ordinals: n, tokenTotal: header.tokenTotal, codes: header.codes, surface: header.surface,
        columns: columns as MemoryImage['columns'],
        terms: header.terms.map(([stem], i) => ({ stem, docs: docs[i]!, impacts: impacts[i]! })),
      },
    };
  } catch {
    return undefined;
  }
}

export function removeSnapshot(path: string): void {
  rmSync(path, { force: true });
}
