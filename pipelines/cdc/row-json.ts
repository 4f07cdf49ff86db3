// A table's row images from the binlog's bytes straight to the JSON of their change events, and
// the event's key beside it: at catch-up every row passes here, and making a row object, its
// strings, JSON.stringify's text and the UTF-8 copy of it cost most of capture's time (mostly in
// the garbage collector). The bytes are those the row object's way gives (column-values.ts's
// final form, CDC_EXCLUDE_COLUMNS left out), which the rows decoder's differential test checks.
import { binaryValue, type SpecialType } from './column-values.js';
import type { EncodedRows } from './encoded-rows.js';
import type { JsonSink } from './json-sink.js';
import { cursor, nullBitmapBytes, uintLE, type TableDecoder } from './rows-decoder.js';

type ValueWriter = (buffer: Buffer, sink: JsonSink) => void;

export interface RowJsonPlan {
  readonly decoder: TableDecoder;
  /** `{"name":` for the first column written, `,"name":` after; undefined for a column left out. */
  readonly names: (Buffer | undefined)[];
  readonly writers: ValueWriter[];
  /** Whether the table has a primary key (else events have no key). */
  readonly keyed: boolean;
  /** The key's columns (in key order, those left out skipped) and their `"name":` text. */
  readonly keyColumns: number[];
  readonly keyNames: string[];
  /** Where each column's value went in the image written last (offsets in the message). */
  readonly valueStarts: Int32Array;
  readonly valueEnds: Int32Array;
}

export interface PlanSchema {
  special: ReadonlyMap<string, SpecialType>;
  primaryKey: readonly string[];
  /** Columns left out of events (CDC_EXCLUDE_COLUMNS). */
  dropped: ReadonlySet<string>;
}

function valueWriter(decoder: TableDecoder, column: number, special: SpecialType | undefined): ValueWriter {
  const read = decoder.readers[column]!;
  if (decoder.binaryColumns.includes(decoder.columnNames[column]!)) {
    return (buffer, sink) => sink.value(binaryValue(read(buffer) as Buffer, special));
  }
  if (!decoder.utf8Text[column]) return (buffer, sink) => sink.value(read(buffer));
  const prefix = -decoder.sizes[column]!;
  return (buffer, sink) => {
    const start = cursor.at + prefix;
    cursor.at = start + uintLE(buffer, start - prefix, prefix);
    sink.utf8Text(buffer, start, cursor.at);
  };
}

export function compileRowJson(decoder: TableDecoder, schema: PlanSchema): RowJsonPlan {
  const names: (Buffer | undefined)[] = [];
  let first = true;
  for (const name of decoder.columnNames) {
    if (schema.dropped.has(name)) {
      names.push(undefined);
      continue;
    }
    names.push(Buffer.from(`${first ? '{' : ','}${JSON.stringify(name)}:`));
    first = false;
  }
  const keyColumns = schema.primaryKey.map((name) => decoder.columnNames.indexOf(name)).filter((index) => index >= 0 && names[index] !== undefined);
  return {
    decoder, names, keyed: schema.primaryKey.length > 0,
    writers: decoder.columnNames.map((name, column) => valueWriter(decoder, column, schema.special.get(name))),
    keyColumns, keyNames: keyColumns.map((column) => `${JSON.stringify(decoder.columnNames[column])}:`),
    valueStarts: new Int32Array(decoder.columnNames.length), valueEnds: new Int32Array(decoder.columnNames.length),
  };
}

/** Writes image `image` of `rows` as a JSON object, as JSON.stringify writes the row object. */
export function writeRowJson(plan: RowJsonPlan, sink: JsonSink, rows: EncodedRows, image: number): void {
  const { names, writers, valueStarts, valueEnds } = plan;
  const { readers } = plan.decoder;
  const buffer = rows.bytes;
  const present = rows.presentOf(image);
  const nullsAt = rows.starts[image]!;
  cursor.at = nullsAt + nullBitmapBytes(present);
  let wrote = false;
  for (let i = 0, nullBit = 0; i < names.length; i++) {
    const name = names[i];
    const held = (present[i >> 3]! & (1 << (i & 7))) !== 0;
    const isNull = !held || (buffer[nullsAt + (nullBit >> 3)]! & (1 << (nullBit & 7))) !== 0;
    if (held) nullBit++;
    if (name === undefined) {
      if (!isNull) readers[i]!(buffer);
      continue;
    }
    sink.bytes(name);
    wrote = true;
    valueStarts[i] = sink.written;
    if (isNull) sink.ascii('null');
    else writers[i]!(buffer, sink);
    valueEnds[i] = sink.written;
  }
  sink.ascii(wrote ? '}' : '{}');
  if (cursor.at !== rows.starts[image + 1]) {
    throw new Error(`CDC: a row of ${plan.decoder.database}.${plan.decoder.table} (binlog position ${rows.pos}) did not end where its columns' sizes said; its rows cannot be trusted`);
  }
}

/** The key of the image written last, as rowKey gives it ({"id":42}); null without key columns. */
export function writtenKey(plan: RowJsonPlan, sink: JsonSink): string | null {
  if (!plan.keyed) return null;
  let key = '{';
  for (let k = 0; k < plan.keyColumns.length; k++) {
    const column = plan.keyColumns[k]!;
    key += `${k > 0 ? ',' : ''}${plan.keyNames[k]}${sink.textAt(plan.valueStarts[column]!, plan.valueEnds[column]!)}`;
  }
  return `${key}}`;
}
