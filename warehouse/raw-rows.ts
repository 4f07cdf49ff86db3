// What a change event or a domain event becomes in the raw layer: the row images a change writes,
// each with its event's version (the ReplacingMergeTree collapses redeliveries to the newest) and
// whether it ends the row; the loader writes them as TSV (raw-tsv.ts), domain events as JSON rows.
// Truncates and the tables' schema are the loader's. Pure.
import type { ChangeEnvelope, Row } from '../pipelines/cdc/envelope.js';
import { eventVersion } from '../pipelines/cdc/event-version.js';
import { asBuiltinRow, fromDebezium, type DebeziumColumn } from '../pipelines/cdc/debezium/builtin-row.js';
import { datetimeText } from '../pipelines/cdc/debezium/envelope-differences.js';
import type { DomainEventMessage } from '../pipelines/cdc/outbox-router.js';

/** What the mapping needs of a captured table. */
export interface RowShape {
  primaryKey: string[];
  /** Columns whose values Debezium writes differently (times as numbers, BIT as bytes...). */
  debezium: ReadonlyMap<string, DebeziumColumn>;
}

/** ClickHouse's DateTime64 parser wants "YYYY-MM-DD hh:mm:ss.ffffff" (UTC), not ISO's T and Z. */
function toClickHouseTime(value: unknown): unknown {
  return typeof value === 'string' && /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/.test(value) ? value.replace('T', ' ').replace('Z', '') : value;
}

/** A row in the built-in reader's representation as ClickHouse's JSON input takes it. */
export function toRow(row: Row): Row {
  const out: Row = {};
  for (const [column, value] of Object.entries(row)) out[column] = toClickHouseTime(value);
  return out;
}

/** The row image a change carries (the old one for a delete); null for a truncate or an empty change. */
export function changedImage(envelope: ChangeEnvelope): Row | null {
  if (envelope.op === 't') return null;
  return envelope.op === 'd' ? envelope.before : envelope.after;
}

/** A row image a change writes to the raw table, and whether that row ends there. */
export interface RawImage {
  row: Row;
  deleted: boolean;
}

/**
 * The row images one row change (not a truncate) writes, from either engine's envelope, in the
 * built-in reader's representation: one, or two for an update of the primary key.
 */
export function changeImages(envelope: ChangeEnvelope, shape: RowShape): RawImage[] {
  const raw = changedImage(envelope);
  if (!raw) return [];
  const builtin = (row: Row) => (fromDebezium(envelope) ? asBuiltinRow(row, shape.debezium) : row);
  const image = builtin(raw);
  // An UPDATE of the primary key (one 'u' from the built-in reader) also ends the old key's row,
  // as Debezium's 'd' on the old key does.
  const before = envelope.op === 'u' && envelope.before ? builtin(envelope.before) : null;
  const ended = before && shape.primaryKey.some((column) => String(before[column]) !== String(image[column])) ? [{ row: before, deleted: true }] : [];
  return [...ended, { row: image, deleted: envelope.op === 'd' }];
}

/**
 * The raw rows of one row change (not a truncate) as ClickHouse's JSON input takes them: the
 * reference the TSV rows are tested against (raw-tsv-loading.test.ts).
 */
export function changeRows(envelope: ChangeEnvelope, shape: RowShape, syncedAt: number): Row[] {
  const version = eventVersion(envelope).toString();
  return changeImages(envelope, shape).map(({ row, deleted }) => ({ ...toRow(row), _version: version, _is_deleted: deleted ? 1 : 0, _synced_at: syncedAt }));
}

/** A domain event's row in the events table (its payload kept as JSON text). */
export function domainEventRow(event: DomainEventMessage, syncedAt: number): Row {
  return {
    id: event.id, type: event.type, aggregate_type: event.aggregate_type, aggregate_id: event.aggregate_id,
    created_at: toClickHouseTime(datetimeText(event.created_at)), payload: JSON.stringify(event.payload), _synced_at: syncedAt,
  };
}
