// Decodes the rows of a binlog rows event straight into the reader's normalized form (see
// column-values.ts), with the column decoders chosen once per table map instead of per value.
// It reads the same table description zongji built from the TableMap (and information_schema
// when the binlog names no columns), and gives every value exactly as zongji's value after
// normalizeValue, which a differential test checks type by type. Binary columns stay bytes: their
// text depends on the type name only the table's schema knows (UUID, INET, BIT), see finishRow.
import type { Row } from './envelope.js';
import { binaryValue, bitValue, float32, inet4Text, inet6Text, uuidText, type SpecialType } from './column-values.js';

/** A column as zongji describes it after a TableMap (its `tableMap[id].columns[i]`). */
export interface DescribedColumn {
  name: string;
  charset: string | null;
  type: number;
  metadata?: { size?: number; max_length?: number; bits?: number; precision?: number; decimals?: number; length_size?: number };
}

/** What zongji keeps of a column's definition (information_schema's row, or one built from FULL metadata). */
export interface DescribedSchema {
  COLUMN_TYPE: string;
  UNSIGNED?: boolean;
  ENUM_VALUES?: string[];
  SET_VALUES?: string[];
}

export interface DescribedTable {
  parentSchema: string;
  tableName: string;
  columns?: DescribedColumn[];
  columnSchemas: DescribedSchema[];
}

/** Reads one value at `cursor.at` and moves past it. */
type ColumnReader = (buffer: Buffer) => unknown;

export interface TableDecoder {
  readonly database: string;
  readonly table: string;
  readonly columnNames: string[];
  /** Column name -> MySQL type code, as the TableMap states them. */
  readonly columnTypes: Map<string, number>;
  /** Columns whose values are left as bytes (Buffer) for finishRow. */
  readonly binaryColumns: string[];
  readonly readers: ColumnReader[];
  /** Each column's bytes in a row image: > 0 a fixed width, < 0 minus the width of its length prefix. */
  readonly sizes: number[];
  /** Columns of UTF-8 text, whose bytes can go to JSON as they are (see row-json.ts). */
  readonly utf8Text: boolean[];
}

const T = {
  DECIMAL: 0, TINY: 1, SHORT: 2, LONG: 3, FLOAT: 4, DOUBLE: 5, NULL: 6, TIMESTAMP: 7, LONGLONG: 8, INT24: 9, DATE: 10, TIME: 11,
  DATETIME: 12, YEAR: 13, NEWDATE: 14, VARCHAR: 15, BIT: 16, TIMESTAMP2: 17, DATETIME2: 18, TIME2: 19, JSON: 245, NEWDECIMAL: 246,
  ENUM: 247, SET: 248, TINY_BLOB: 249, MEDIUM_BLOB: 250, LONG_BLOB: 251, BLOB: 252, VAR_STRING: 253, STRING: 254, GEOMETRY: 255,
} as const;

/**
 * Where the next value starts: shared by the column readers so none returns an offset object.
 * Every read is synchronous, so one cursor serves the stream and the later JSON writing alike.
 */
export const cursor = { at: 0 };

const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);
const MIN_SAFE = BigInt(Number.MIN_SAFE_INTEGER);

/** The last `size` digits of `value`, zero-padded (zongji's zeroPad, which also truncates). */
function pad(value: number, size: number): string {
  const text = String(value);
  if (text.length === size) return text;
  if (text.length > size) return text.slice(text.length - size);
  return '0'.repeat(size - text.length) + text;
}

// MySQL's latin1 is Windows-1252: 0x80-0x9F are printable characters, five of them undefined.
const CP1252_HIGH = [
  0x20ac, 0xfffd, 0x201a, 0x0192, 0x201e, 0x2026, 0x2020, 0x2021, 0x02c6, 0x2030, 0x0160, 0x2039, 0x0152, 0xfffd, 0x017d, 0xfffd,
  0xfffd, 0x2018, 0x2019, 0x201c, 0x201d, 0x2022, 0x2013, 0x2014, 0x02dc, 0x2122, 0x0161, 0x203a, 0x0153, 0xfffd, 0x017e, 0x0178,
];

function latin1Text(buffer: Buffer, start: number, end: number): string {
  let plain = true;
  for (let i = start; i < end; i++) {
    const byte = buffer[i]!;
    if (byte >= 0x80 && byte <= 0x9f) {
      plain = false;
      break;
    }
  }
  if (plain) return buffer.toString('latin1', start, end);
  let text = '';
  for (let i = start; i < end; i++) {
    const byte = buffer[i]!;
    text += String.fromCharCode(byte >= 0x80 && byte <= 0x9f ? CP1252_HIGH[byte - 0x80]! : byte);
  }
  return text;
}

const utf8Text = (buffer: Buffer, start: number, end: number): string => buffer.toString('utf8', start, end);

/** Text in the column's charset, or undefined when this decoder does not know the charset. */
function textReader(charset: string | null | undefined): ((buffer: Buffer, start: number, end: number) => string) | undefined {
  switch (charset) {
    case null:
    case undefined:
    case 'utf8':
    case 'utf8mb3':
    case 'utf8mb4':
      return utf8Text;
    case 'latin1':
      return latin1Text;
    default:
      return undefined;
  }
}

/** A little-endian unsigned integer of `bytes` bytes (lengths, ENUM/SET values). */
export function uintLE(buffer: Buffer, at: number, bytes: number): number {
  return bytes === 1 ? buffer[at]! : bytes === 2 ? buffer.readUInt16LE(at) : buffer.readUIntLE(at, bytes);
}

/** A big-endian signed integer of 1 to 4 bytes (zongji's readIntBE). */
function intBE(buffer: Buffer, at: number, bytes: number): number {
  switch (bytes) {
    case 1: return buffer.readInt8(at);
    case 2: return buffer.readInt16BE(at);
    case 3: return (buffer.readInt8(at) << 16) + buffer.readUInt16BE(at + 1);
    default: return buffer.readInt32BE(at);
  }
}

/** The integer after the decimal point of the fraction read last by fractionText. */
let fractionValue = 0;

/** The fraction of a second after a TIME2/DATETIME2/TIMESTAMP2 value, as text ('' without one). */
function fractionText(buffer: Buffer, precision: number): string {
  fractionValue = 0;
  if (!precision) return '';
  const bytes = Math.ceil(precision / 2);
  let value = intBE(buffer, cursor.at, bytes);
  cursor.at += bytes;
  if (precision % 2 !== 0) value /= 10;
  if (value < 0) value *= -1;
  fractionValue = value;
  return `.${pad(value, precision)}`;
}

/** YYYY-MM-DD, or null for MySQL's zero date (as normalizeValue reads zongji's text). */
function dateText(year: number, month: number, day: number): string | null {
  const text = `${pad(year, 4)}-${pad(month, 2)}-${pad(day, 2)}`;
  return text === '0000-00-00' ? null : text;
}

function dateTimeText(year: number, month: number, day: number, hour: number, minute: number, second: number, fraction: string): string | null {
  const date = dateText(year, month, day);
  return date === null ? null : `${date}T${pad(hour, 2)}:${pad(minute, 2)}:${pad(second, 2)}${fraction}Z`;
}

function timestampText(seconds: number, fraction: string, fractionOf: number, milliseconds: number): string | null {
  if (seconds === 0 && fractionOf === 0) return null;
  const date = new Date(seconds * 1000 + milliseconds);
  return dateTimeText(date.getUTCFullYear(), date.getUTCMonth() + 1, date.getUTCDate(), date.getUTCHours(), date.getUTCMinutes(), date.getUTCSeconds(), fraction);
}

function fractionMilliseconds(value: number, precision: number): number {
  if (precision > 3) return Math.floor(value / 10 ** (precision - 3));
  if (precision < 3) return value * 10 ** (3 - precision);
  return value;
}

function int64(buffer: Buffer, unsigned: boolean): number | string {
  const low = buffer.readUInt32LE(cursor.at);
  const high = buffer.readUInt32LE(cursor.at + 4);
  cursor.at += 8;
  if (high < 0x200000) return high * 0x100000000 + low;
  let value = (BigInt(high) << 32n) | BigInt(low);
  if (!unsigned) value = BigInt.asIntN(64, value);
  return value >= MIN_SAFE && value <= MAX_SAFE ? Number(value) : value.toString();
}

const DECIMAL_BYTES = [0, 1, 1, 2, 2, 3, 3, 4, 4, 4];

function decimalLayout(precision: number, scale: number) {
  const integral = precision - scale;
  const wholeIntegral = Math.floor(integral / 9);
  const wholeFractional = Math.floor(scale / 9);
  const leadIntegral = integral - wholeIntegral * 9;
  const tailFractional = scale - wholeFractional * 9;
  const size = wholeIntegral * 4 + DECIMAL_BYTES[leadIntegral]! + wholeFractional * 4 + DECIMAL_BYTES[tailFractional]!;
  return { wholeIntegral, wholeFractional, leadIntegral, tailFractional, size };
}

function decimalReader(precision: number, scale: number): ColumnReader {
  const { wholeIntegral, wholeFractional, leadIntegral, tailFractional, size } = decimalLayout(precision, scale);
  return (buffer) => {
    const start = cursor.at;
    cursor.at += size;
    const positive = (buffer[start]! & 0x80) === 0x80;
    const mask = positive ? 0 : -1;
    let at = start;
    let digits = '';
    const leadBytes = DECIMAL_BYTES[leadIntegral]!;
    if (leadBytes > 0) {
      digits += (signedGroup(buffer, start, at, leadBytes) ^ mask).toString(10);
      at += leadBytes;
    }
    for (let i = 0; i < wholeIntegral; i++, at += 4) digits += pad(signedGroup(buffer, start, at, 4) ^ mask, 9);
    digits = digits.replace(/^0+(?=\d)/, '');
    if (digits === '') digits = '0';
    let fraction = '';
    for (let i = 0; i < wholeFractional; i++, at += 4) fraction += pad(signedGroup(buffer, start, at, 4) ^ mask, 9);
    const tailBytes = DECIMAL_BYTES[tailFractional]!;
    if (tailBytes > 0) fraction += pad(signedGroup(buffer, start, at, tailBytes) ^ mask, tailFractional);
    return (positive ? '' : '-') + digits + (scale > 0 ? `.${fraction}` : '');
  };
}

/**
 * A big-endian signed group of a DECIMAL's digits, read as if its first byte's sign bit were
 * flipped (the stored form flips it so values sort as bytes), without copying the value.
 */
function signedGroup(buffer: Buffer, start: number, at: number, bytes: number): number {
  let first = buffer[at]!;
  if (at === start) first ^= 0x80;
  let value = first >= 0x80 ? first - 0x100 : first;
  for (let i = 1; i < bytes; i++) value = value * 256 + buffer[at + i]!;
  return value;
}

function parseLabels(type: string, prefix: number): string[] {
  // zongji's fallback when neither the binlog nor the reader gave the labels.
  return type.substr(prefix, type.length - prefix - 1).split(',').map((label) => (label[0] === '"' || label[0] === "'" ? label.substr(1, label.length - 2) : label));
}

/** MariaDB's own INET6 text, as zongji gives it (IPv4-compatible addresses dotted too). */
function zongjiInet6Text(bytes: Buffer): string {
  if (bytes.subarray(0, 10).every((b) => b === 0) && bytes[10] === 0 && bytes[11] === 0 && bytes.readUInt32BE(12) > 1) {
    return `::${inet4Text(bytes.subarray(12))}`;
  }
  return inet6Text(bytes);
}

/** The bytes of a fixed-width binary value: the row image drops trailing zero bytes. */
function fixedWidth(buffer: Buffer, size: number, width: number): Buffer {
  const padded = Buffer.alloc(width, 0);
  buffer.copy(padded, 0, cursor.at, cursor.at + Math.min(size, width));
  cursor.at += size;
  return padded;
}

/** The reader of one column, or undefined for a type this decoder leaves to zongji. */
function columnReader(column: DescribedColumn, schema: DescribedSchema): { read: ColumnReader; binary?: true; utf8?: boolean } | undefined {
  const metadata = column.metadata ?? {};
  const definition = schema.COLUMN_TYPE ?? '';
  const unsigned = schema.UNSIGNED !== undefined ? schema.UNSIGNED : definition.includes('unsigned');
  switch (column.type) {
    case T.TINY:
      return { read: unsigned ? (b) => b[cursor.at++] : (b) => b.readInt8(cursor.at++) };
    case T.SHORT:
      return { read: unsigned ? (b) => { const v = b.readUInt16LE(cursor.at); cursor.at += 2; return v; } : (b) => { const v = b.readInt16LE(cursor.at); cursor.at += 2; return v; } };
    case T.INT24:
      return { read: unsigned ? (b) => { const v = b.readUIntLE(cursor.at, 3); cursor.at += 3; return v; } : (b) => { const v = b.readIntLE(cursor.at, 3); cursor.at += 3; return v; } };
    case T.LONG:
      return { read: unsigned ? (b) => { const v = b.readUInt32LE(cursor.at); cursor.at += 4; return v; } : (b) => { const v = b.readInt32LE(cursor.at); cursor.at += 4; return v; } };
    case T.LONGLONG:
      return { read: (b) => int64(b, unsigned) };
    case T.FLOAT:
      return { read: (b) => { const v = b.readFloatLE(cursor.at); cursor.at += 4; return float32(v); } };
    case T.DOUBLE:
      return { read: (b) => { const v = b.readDoubleLE(cursor.at); cursor.at += 8; return v; } };
    case T.NEWDECIMAL:
      return { read: decimalReader(metadata.precision ?? 0, metadata.decimals ?? 0) };
    case T.YEAR:
      return { read: (b) => b[cursor.at++]! + 1900 };
    case T.DATE:
      return {
        read: (b) => {
          const raw = b.readUIntLE(cursor.at, 3);
          cursor.at += 3;
          return dateText(raw >> 9, (raw >> 5) & 0xf, raw & 0x1f);
        },
      };
    case T.DATETIME2: {
      const precision = metadata.decimals ?? 0;
      return {
        read: (b) => {
          const high = b.readInt32BE(cursor.at);
          const low = b.readInt32BE(cursor.at + 1);
          cursor.at += 5;
          const fraction = fractionText(b, precision);
          const yearMonth = (high >> 14) & 0x1ffff;
          return dateTimeText(Math.floor(yearMonth / 13), yearMonth % 13, (low >> 17) & 0x1f, (low >> 12) & 0x1f, (low >> 6) & 0x3f, low & 0x3f, fraction);
        },
      };
    }
    case T.TIMESTAMP2: {
      const precision = metadata.decimals ?? 0;
      return {
        read: (b) => {
          const seconds = b.readInt32BE(cursor.at);
          cursor.at += 4;
          const fraction = fractionText(b, precision);
          return timestampText(seconds, fraction, fractionValue, precision ? fractionMilliseconds(fractionValue, precision) : 0);
        },
      };
    }
    case T.TIME2: {
      const precision = metadata.decimals ?? 0;
      return {
        read: (b) => {
          let raw = intBE(b, cursor.at, 3);
          cursor.at += 3;
          const fraction = fractionText(b, precision);
          const negative = (raw & (1 << 23)) === 0;
          if (negative) raw ^= (1 << 24) - 1;
          const hour = (raw >> 12) & 0x3ff;
          let second = raw & 0x3f;
          if (negative && fractionValue === 0) second++;
          return `${negative ? '-' : ''}${pad(hour, hour > 99 ? 3 : 2)}:${pad((raw >> 6) & 0x3f, 2)}:${pad(second, 2)}${fraction}`;
        },
      };
    }
    // Before MySQL 5.6 / MariaDB 10.1 formats; a MariaDB 5.3 "hires" column shares their codes.
    case T.TIMESTAMP:
      if (/^timestamp\(\d\)/.test(definition)) return undefined;
      return { read: (b) => { const seconds = b.readUInt32LE(cursor.at); cursor.at += 4; return timestampText(seconds, '', 0, 0); } };
    case T.DATETIME:
      if (/^datetime\(\d\)/.test(definition)) return undefined;
      return {
        read: (b) => {
          const raw = b.readUInt32LE(cursor.at + 4) * 0x100000000 + b.readUInt32LE(cursor.at);
          cursor.at += 8;
          const date = Math.floor(raw / 1000000), time = raw % 1000000;
          return dateTimeText(Math.floor(date / 10000), Math.floor((date % 10000) / 100), date % 100, Math.floor(time / 10000), Math.floor((time % 10000) / 100), time % 100, '');
        },
      };
    case T.TIME:
      if (/^time\(\d\)/.test(definition)) return undefined;
      return {
        read: (b) => {
          let raw = b.readUIntLE(cursor.at, 3);
          cursor.at += 3;
          const negative = (raw & (1 << 23)) !== 0;
          if (negative) raw ^= (1 << 24) - 1;
          const hour = Math.floor(raw / 10000);
          const second = (raw % 100) + (negative ? 1 : 0);
          return `${negative ? '-' : ''}${pad(hour, hour > 99 ? 3 : 2)}:${pad(Math.floor((raw % 10000) / 100), 2)}:${pad(second, 2)}`;
        },
      };
    case T.BIT: {
      const size = Math.floor(((metadata.bits ?? 0) + 7) / 8);
      return { read: (b) => { const v = b.subarray(cursor.at, cursor.at + size); cursor.at += size; return v; }, binary: true };
    }
    case T.ENUM: {
      const size = metadata.size ?? 1;
      const labels = schema.ENUM_VALUES ?? parseLabels(definition, 5);
      return { read: (b) => { const index = uintLE(b, cursor.at, size); cursor.at += size; return labels[index - 1] ?? null; } };
    }
    case T.SET: {
      const size = metadata.size ?? 1;
      const labels = schema.SET_VALUES ?? parseLabels(definition, 4);
      return {
        read: (b) => {
          let low: number, high = 0;
          if (size === 8) {
            low = b.readUInt32LE(cursor.at);
            high = b.readUInt32LE(cursor.at + 4);
          } else {
            low = uintLE(b, cursor.at, size);
          }
          cursor.at += size;
          let text = '';
          for (let i = 0; low >= 2 ** i; i++) if (low & 2 ** i) text += `${labels[i]},`;
          for (let i = 0; high >= 2 ** i; i++) if (high & 2 ** i) text += `${labels[i + 32]},`;
          return text.length > 0 ? text.slice(0, -1) : text;
        },
      };
    }
    case T.VARCHAR:
    case T.STRING: {
      const prefix = (metadata.max_length ?? 0) > 255 ? 2 : 1;
      const lengthAt = (b: Buffer) => {
        const size = prefix === 1 ? b[cursor.at]! : b.readUInt16LE(cursor.at);
        cursor.at += prefix;
        return size;
      };
      if (definition === 'uuid') return { read: (b) => uuidText(fixedWidth(b, lengthAt(b), 16)) };
      if (definition === 'inet4') return { read: (b) => inet4Text(fixedWidth(b, lengthAt(b), 4)) };
      if (definition === 'inet6') return { read: (b) => zongjiInet6Text(fixedWidth(b, lengthAt(b), 16)) };
      const head = definition.substr(0, 6);
      if (head === 'vector') return undefined;
      if (head === 'binary') {
        const width = parseInt(definition.substr(7, definition.length - 2), 10);
        return { read: (b) => fixedWidth(b, lengthAt(b), width), binary: true };
      }
      if (head === 'varbin') return { read: (b) => { const size = lengthAt(b); const v = b.subarray(cursor.at, cursor.at + size); cursor.at += size; return v; }, binary: true };
      const text = textReader(column.charset);
      if (!text) return undefined;
      return { read: (b) => { const size = lengthAt(b); const start = cursor.at; cursor.at += size; return text(b, start, cursor.at); }, utf8: text === utf8Text };
    }
    case T.TINY_BLOB:
    case T.MEDIUM_BLOB:
    case T.LONG_BLOB:
    case T.BLOB: {
      const lengthBytes = metadata.length_size ?? 2;
      const length = (b: Buffer) => { const size = uintLE(b, cursor.at, lengthBytes); cursor.at += lengthBytes; return size; };
      if (column.charset === null) return { read: (b) => { const size = length(b); const v = b.subarray(cursor.at, cursor.at + size); cursor.at += size; return v; }, binary: true };
      const text = textReader(column.charset);
      if (!text) return undefined;
      return { read: (b) => { const size = length(b); const start = cursor.at; cursor.at += size; return text(b, start, cursor.at); }, utf8: text === utf8Text };
    }
    default:
      // MySQL's binary JSON, GEOMETRY, MariaDB's COMPRESSED columns, VECTOR, pre-5.0 DECIMAL.
      return undefined;
  }
}

/** How many bytes a column's value takes in a row image (see TableDecoder.sizes); the readers above read as much. */
function columnSize(column: DescribedColumn): number {
  const metadata = column.metadata ?? {};
  const fraction = Math.ceil((metadata.decimals ?? 0) / 2);
  switch (column.type) {
    case T.TINY: case T.YEAR: return 1;
    case T.SHORT: return 2;
    case T.INT24: case T.DATE: case T.TIME: return 3;
    case T.LONG: case T.FLOAT: case T.TIMESTAMP: return 4;
    case T.LONGLONG: case T.DOUBLE: case T.DATETIME: return 8;
    case T.NEWDECIMAL: return decimalLayout(metadata.precision ?? 0, metadata.decimals ?? 0).size;
    case T.DATETIME2: return 5 + fraction;
    case T.TIMESTAMP2: return 4 + fraction;
    case T.TIME2: return 3 + fraction;
    case T.BIT: return Math.floor(((metadata.bits ?? 0) + 7) / 8);
    case T.ENUM: case T.SET: return metadata.size ?? 1;
    case T.VARCHAR: case T.STRING: return (metadata.max_length ?? 0) > 255 ? -2 : -1;
    default: return -(metadata.length_size ?? 2);
  }
}

/**
 * The decoder of a table as zongji described it, or undefined when a column has a type or
 * charset it does not decode (zongji then decodes that table's rows, as before).
 */
export function compileTableDecoder(table: DescribedTable): TableDecoder | undefined {
  const columns = table.columns;
  if (!columns || table.columnSchemas.length < columns.length) return undefined;
  const readers: ColumnReader[] = [];
  const binaryColumns: string[] = [];
  const utf8Text: boolean[] = [];
  for (let i = 0; i < columns.length; i++) {
    const reader = columnReader(columns[i]!, table.columnSchemas[i]!);
    if (!reader) return undefined;
    readers.push(reader.read);
    utf8Text.push(reader.utf8 === true);
    if (reader.binary) binaryColumns.push(columns[i]!.name);
  }
  return {
    database: table.parentSchema, table: table.tableName, columnNames: columns.map((c) => c.name),
    columnTypes: new Map(columns.map((c) => [c.name, c.type])), binaryColumns, readers, sizes: columns.map(columnSize), utf8Text,
  };
}

const BIT_COUNT = Uint8Array.from({ length: 256 }, (_, byte) => {
  let bits = 0;
  for (let b = byte; b; b >>= 1) bits += b & 1;
  return bits;
});

/** Bytes of the NULL bitmap that opens a row image: a bit per column the image holds. */
export function nullBitmapBytes(present: Buffer): number {
  let count = 0;
  for (let i = 0; i < present.length; i++) count += BIT_COUNT[present[i]!]!;
  return (count + 7) >> 3;
}

/** The image at `at` as values; `present` says which columns it holds (the others read null). */
export function decodeRowImage(decoder: TableDecoder, buffer: Buffer, at: number, present: Buffer): Row {
  const { readers, columnNames } = decoder;
  const nullsAt = at;
  cursor.at = at + nullBitmapBytes(present);
  const row: Row = {};
  for (let i = 0, nullBit = 0; i < columnNames.length; i++) {
    const name = columnNames[i]!;
    if ((present[i >> 3]! & (1 << (i & 7))) === 0) {
      row[name] = null;
      continue;
    }
    row[name] = (buffer[nullsAt + (nullBit >> 3)]! & (1 << (nullBit & 7))) !== 0 ? null : readers[i]!(buffer);
    nullBit++;
  }
  return row;
}

/** Where the image at `at` ends, found from the columns' sizes without reading their values. */
export function skipRowImage(decoder: TableDecoder, buffer: Buffer, at: number, present: Buffer): number {
  const { sizes } = decoder;
  const nullsAt = at;
  let p = at + nullBitmapBytes(present);
  for (let i = 0, nullBit = 0; i < sizes.length; i++) {
    if ((present[i >> 3]! & (1 << (i & 7))) === 0) continue;
    const isNull = (buffer[nullsAt + (nullBit >> 3)]! & (1 << (nullBit & 7))) !== 0;
    nullBit++;
    if (isNull) continue;
    const size = sizes[i]!;
    p += size > 0 ? size : -size + uintLE(buffer, p, -size);
  }
  return p;
}

/** Finishes a decoded row's binary columns with the schema's type names (see normalizeValue). */
export function finishRow(row: Row, binaryColumns: readonly string[], special: Map<string, SpecialType>): void {
  for (const column of binaryColumns) {
    const value = row[column];
    if (Buffer.isBuffer(value)) row[column] = binaryValue(value, special.get(column));
  }
}
