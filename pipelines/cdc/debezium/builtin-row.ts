// A row of a Debezium change event in the built-in reader's representation, for sinks that read
// either engine's topics and must end with the same contents. Only the column kinds whose values
// Debezium writes differently are touched (envelope-differences.ts says why each differs); the
// kinds come from information_schema, since Debezium's JSON without schema does not carry them.
import { bitValue } from '../column-values.js';
import { enumSetLabels } from '../enum-labels.js';
import { CONNECTOR_VERSION, type ChangeEnvelope, type Row } from '../envelope.js';
import { epochDayText, microTimestampText } from './envelope-differences.js';

export type DebeziumColumn =
  | { kind: 'datetime'; digits: number }
  | { kind: 'date' }
  | { kind: 'time'; digits: number }
  | { kind: 'bit' }
  | { kind: 'enum' }
  | { kind: 'ubigint' };

/** Whether the envelope came from Debezium (the built-in reader names itself in source.version). */
export function fromDebezium(envelope: ChangeEnvelope): boolean {
  return envelope.source.version !== CONNECTOR_VERSION;
}

/** What a column needs, from information_schema's DATA_TYPE and COLUMN_TYPE; undefined: nothing. */
export function debeziumColumn(dataType: string, columnType: string): DebeziumColumn | undefined {
  const digits = Number(/\((\d+)\)/.exec(columnType)?.[1] ?? 0);
  switch (dataType.toLowerCase()) {
    case 'datetime': return { kind: 'datetime', digits };
    case 'date': return { kind: 'date' };
    case 'time': return { kind: 'time', digits };
    case 'bit': return { kind: 'bit' };
    // Only an ENUM with a comma inside one of its quoted values.
    case 'enum': return enumSetLabels(columnType)?.labels.some((label) => label.includes(',')) ? { kind: 'enum' } : undefined;
    case 'bigint': return /unsigned/i.test(columnType) ? { kind: 'ubigint' } : undefined;
    default: return undefined;
  }
}

/** The columns of a table (as information_schema lists them) that need converting, by name. */
export function debeziumColumns(columns: readonly { name: string; dataType: string; columnType: string }[]): Map<string, DebeziumColumn> {
  const out = new Map<string, DebeziumColumn>();
  for (const column of columns) {
    const kind = debeziumColumn(column.dataType, column.columnType);
    if (kind) out.set(column.name, kind);
  }
  return out;
}

const pad = (n: number) => String(n).padStart(2, '0');

/** TIME as Debezium writes it (signed µs, up to ±838 hours) as text, with the column's digits. */
export function microTimeText(micros: number, digits = 6): string {
  const magnitude = Math.abs(micros);
  const seconds = Math.floor(magnitude / 1_000_000);
  const fraction = String(magnitude - seconds * 1_000_000).padStart(6, '0').slice(0, digits);
  const clock = `${pad(Math.floor(seconds / 3600))}:${pad(Math.floor((seconds % 3600) / 60))}:${pad(seconds % 60)}`;
  return `${micros < 0 ? '-' : ''}${clock}${fraction ? `.${fraction}` : ''}`;
}

/** BIT(n) as Debezium writes it (base64 of the bytes, least significant first) as the built-in reader's value. */
export function debeziumBitValue(base64: string): number | string {
  return bitValue(Buffer.from(base64, 'base64').reverse());
}

/**
 * The row with Debezium's values turned into the built-in reader's; `undid` hears the id of each
 * listed difference it undid (the equivalence test checks every listed one still occurs).
 */
export function asBuiltinRow(row: Row, columns: ReadonlyMap<string, DebeziumColumn>, undid: (id: string) => void = () => undefined): Row {
  const out: Row = { ...row };
  for (const [name, column] of columns) {
    const value = out[name];
    if (value === null || value === undefined) continue;
    if (column.kind === 'datetime' && typeof value === 'number') {
      // DATETIME(0..3) comes as ms since the epoch, DATETIME(4..6) as µs.
      out[name] = microTimestampText(column.digits <= 3 ? value * 1000 : value, column.digits);
      undid('datetime');
    } else if (column.kind === 'date' && typeof value === 'number') {
      out[name] = epochDayText(value);
      undid('date');
    } else if (column.kind === 'time' && typeof value === 'number') {
      out[name] = microTimeText(value, column.digits);
      undid('time');
    } else if (column.kind === 'bit' && typeof value === 'string') {
      out[name] = debeziumBitValue(value);
      undid('bit');
    } else if (column.kind === 'ubigint' && typeof value === 'number' && value < 0) {
      // Wrapped past 2^63; exact only while the wrapped value is (it is, within 2^53 of 2^64).
      out[name] = (BigInt(value) + (1n << 64n)).toString();
      undid('bigint-unsigned');
    } else if (column.kind === 'enum' && typeof value === 'string' && value.includes('\\,')) {
      out[name] = value.replace(/\\,/g, ',');
      undid('enum-comma');
    }
  }
  return out;
}
