// Raw rows as ClickHouse's TabSeparated input, written straight from the change events' row images
// by the raw table's own column types. ClickHouse reads TSV for a fraction of what JSON costs it
// (the named tuples of the envelopes' JSON were two thirds of the warehouse's CPU a row), and the
// column types tell the encoder what each value is, so no value is guessed at. Pure.
import type { Row } from '../pipelines/cdc/envelope.js';
import type { RawColumn } from './raw-schema.js';

/** The loader's own columns, last in every raw table: the row images carry the others. */
export const LOADER_COLUMNS = ['_version', '_is_deleted', '_synced_at'] as const;

const NULL = '\\N';
const SPECIAL = /[\\\t\n\r\0]/;
const ESCAPES: Record<string, string> = { '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r', '\0': '\\0' };

/** A text value escaped as TabSeparated wants it (backslash, tab, newline, CR and NUL). */
export function tsvText(value: string): string {
  return SPECIAL.test(value) ? value.replace(/[\\\t\n\r\0]/g, (c) => ESCAPES[c]!) : value;
}

/** "2026-03-01T10:00:00.123456Z" -> "2026-03-01 10:00:00.123456": the events' UTC times as DateTime64 reads them. */
function dateTimeText(value: string): string {
  return value.length >= 20 && value.charCodeAt(10) === 84 /* T */ && value.charCodeAt(value.length - 1) === 90 /* Z */
    ? `${value.slice(0, 10)} ${value.slice(11, -1)}`
    : tsvText(value);
}

/** The field for a value the row does not carry: NULL where the column takes it, else the type's default. */
function missingField(type: string): string {
  if (/^(LowCardinality\()?Nullable\(/.test(type)) return NULL;
  if (/^(U?Int|Float|Decimal)/.test(type)) return '0';
  if (/^DateTime/.test(type)) return '1970-01-01 00:00:00';
  if (/^Date/.test(type)) return '1970-01-01';
  return '';
}

/** One value's field: `time` for a DateTime64 column, `missing` for a value the row does not carry. */
function field(value: unknown, time: boolean, missing: string): string {
  if (typeof value === 'string') return time ? dateTimeText(value) : tsvText(value);
  if (typeof value === 'number' || typeof value === 'bigint') return String(value);
  if (value === null) return NULL;
  if (value === undefined) return missing;
  if (typeof value === 'boolean') return value ? '1' : '0';
  // Not a value the built-in reader writes; kept whole as JSON text rather than lost.
  return tsvText(JSON.stringify(value));
}

/** A batch's lines written as they come into one growing buffer: one flat copy a line, no text of the whole batch. */
export class TsvBody {
  #buffer = Buffer.allocUnsafe(1 << 16);
  #length = 0;

  get length(): number {
    return this.#length;
  }

  add(line: string): void {
    // UTF-8 takes at most three bytes for each UTF-16 unit.
    const most = line.length * 3;
    if (this.#buffer.length - this.#length < most) {
      const grown = Buffer.allocUnsafe(Math.max(this.#buffer.length * 2, this.#length + most));
      this.#buffer.copy(grown, 0, 0, this.#length);
      this.#buffer = grown;
    }
    this.#length += this.#buffer.write(line, this.#length);
  }

  /** The lines so far (a view of the buffer), and a fresh start. */
  take(): Buffer {
    const body = this.#buffer.subarray(0, this.#length);
    this.#buffer = Buffer.allocUnsafe(1 << 16);
    this.#length = 0;
    return body;
  }
}

/**
 * Writes raw rows of one table: `columns` are its columns in order, the loader's own last (`names`
 * is the order of every line's fields).
 */
export class TsvRows {
  readonly names: readonly string[];
  readonly #own: readonly string[];
  readonly #time: readonly boolean[];
  readonly #missing: readonly string[];
  readonly #known: Set<string>;

  constructor(columns: readonly RawColumn[]) {
    const own = columns.filter((c) => !(LOADER_COLUMNS as readonly string[]).includes(c.name));
    this.#own = own.map((c) => c.name);
    this.#time = own.map((c) => /DateTime64/.test(c.type));
    this.#missing = own.map((c) => missingField(c.type));
    this.names = [...this.#own, ...LOADER_COLUMNS];
    this.#known = new Set(this.#own);
  }

  /** Whether every column the row names is one of the table's (else the table needs widening first). */
  fits(row: Row): boolean {
    for (const name in row) if (!this.#known.has(name)) return false;
    return true;
  }

  /** One row's line: `syncedAt` is "YYYY-MM-DD hh:mm:ss.fff" (UTC). */
  line(row: Row, version: string, deleted: boolean, syncedAt: string): string {
    let line = '';
    for (let i = 0; i < this.#own.length; i++) line += `${field(row[this.#own[i]!], this.#time[i]!, this.#missing[i]!)}\t`;
    return `${line}${version}\t${deleted ? 1 : 0}\t${syncedAt}\n`;
  }
}

/** A millisecond time as DateTime64(3)'s text. */
export function syncedAtText(ms: number): string {
  return new Date(ms).toISOString().replace('T', ' ').slice(0, 23);
}
