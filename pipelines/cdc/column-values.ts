// One representation for every column value, whether it came from the binlog (zongji) or from a
// snapshot SELECT (mysql2), so a row reads the same in both: integers as numbers (64-bit ones
// beyond 2^53 as exact strings), DECIMAL as exact strings, DATETIME/TIMESTAMP as ISO 8601 UTC,
// DATE as YYYY-MM-DD, JSON as its text, BLOB/BINARY as base64, ENUM/SET as their labels.

/** MySQL protocol column type codes (binlog TableMap and result-set metadata use the same ones). */
export const TYPE = {
  FLOAT: 4, TIMESTAMP: 7, DATE: 10, DATETIME: 12, NEWDATE: 14, BIT: 16, TIMESTAMP2: 17, DATETIME2: 18, JSON: 245,
} as const;

/** Types the wire does not tell apart from plain binary; the schema names them. */
export type SpecialType = 'uuid' | 'inet4' | 'inet6' | 'bit';

const DATETIME_TYPES = new Set<number>([TYPE.TIMESTAMP, TYPE.DATETIME, TYPE.TIMESTAMP2, TYPE.DATETIME2]);
const DATE_TYPES = new Set<number>([TYPE.DATE, TYPE.NEWDATE]);

/** The shortest decimal that reads back as the same float32: 3.140000104904175 -> 3.14. */
export function float32(value: number): number {
  if (!Number.isFinite(value)) return value;
  const target = Math.fround(value);
  for (let digits = 1; digits <= 9; digits++) {
    const candidate = Number(value.toPrecision(digits));
    if (Math.fround(candidate) === target) return candidate;
  }
  return value;
}

/** The 8-4-4-4-12 text of sixteen bytes. */
export function uuidText(bytes: Buffer): string {
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** Dotted-quad text of four bytes. */
export function inet4Text(bytes: Buffer): string {
  return `${bytes[0]}.${bytes[1]}.${bytes[2]}.${bytes[3]}`;
}

/** RFC 5952 text, as MariaDB prints INET6 (IPv4-mapped addresses as ::ffff:a.b.c.d). */
export function inet6Text(bytes: Buffer): string {
  if (bytes.subarray(0, 10).every((b) => b === 0) && bytes[10] === 0xff && bytes[11] === 0xff) {
    return `::ffff:${[...bytes.subarray(12)].join('.')}`;
  }
  const groups = Array.from({ length: 8 }, (_, i) => bytes.readUInt16BE(i * 2));
  let bestStart = -1;
  let bestLength = 0;
  for (let i = 0; i < 8;) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLength && j - i >= 2) {
      bestStart = i;
      bestLength = j - i;
    }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart < 0) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLength).join(':')}`;
}

/** A BIT(n) value from its bytes, most significant first: a number up to 48 bits, else base64. */
export function bitValue(value: Buffer): number | string {
  return value.length <= 6 ? value.readUIntBE(0, Math.max(value.length, 1)) : value.toString('base64');
}

/** A binary column's bytes as the events carry them, by the schema's type name for it. */
export function binaryValue(value: Buffer, special: SpecialType | undefined): string | number {
  switch (special) {
    case 'uuid':
      return value.length === 16 ? uuidText(value) : value.toString('utf8');
    case 'inet6':
      return value.length === 16 ? inet6Text(value) : value.toString('utf8');
    case 'inet4':
      return value.length === 4 ? inet4Text(value) : value.toString('utf8');
    case 'bit':
      return bitValue(value);
    default:
      return value.toString('base64');
  }
}

export function normalizeValue(value: unknown, typeCode: number | undefined, special?: SpecialType): unknown {
  // Strings and numbers first: they are most values, and every row of every change passes here.
  if (typeof value === 'string') {
    if (typeCode !== undefined && DATETIME_TYPES.has(typeCode)) {
      return value.startsWith('0000-00-00') ? null : `${value.replace(' ', 'T')}Z`;
    }
    if (typeCode !== undefined && DATE_TYPES.has(typeCode)) return value.startsWith('0000-00-00') ? null : value;
    return value;
  }
  if (typeof value === 'number') return typeCode === TYPE.FLOAT ? float32(value) : value;
  if (value === null || value === undefined) return null;
  if (Buffer.isBuffer(value)) return binaryValue(value, special);
  if (typeof value === 'bigint') return Number.isSafeInteger(Number(value)) ? Number(value) : value.toString();
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? null : value.toISOString();
  // MySQL's binary JSON comes back parsed; keep JSON columns as their text, as MariaDB sends them.
  if (typeCode === TYPE.JSON) return JSON.stringify(value);
  if (Array.isArray(value)) return value.join(',');
  return value;
}

export interface ColumnTypes {
  /** Column name -> type code, from the binlog TableMap or the result set's fields. */
  codes: Map<string, number>;
  special: Map<string, SpecialType>;
}

export function normalizeRow(row: Record<string, unknown>, types: ColumnTypes): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  // Keys, not entries: no [column, value] pair allocated per column of every row.
  const special = types.special.size > 0 ? types.special : undefined;
  for (const column of Object.keys(row)) {
    out[column] = normalizeValue(row[column], types.codes.get(column), special?.get(column));
  }
  return out;
}
