// What still differs between Debezium's envelopes (MySQL connector 2.7 on MariaDB, configured by
// connector-config.ts) and the built-in reader's, each with its reason. The equivalence test
// feeds the same writes through both and fails on any difference that is not listed here, and
// on any listed one that no longer occurs, so this list stays true.
// Removed by configuration, so not listed: DECIMAL (decimal.handling.mode=string), BLOB
// (binary.handling.mode=base64), secret columns (column.exclude.list), delete tombstones
// (tombstones.on.delete=false), JSON without schema (converters), the outbox (EventRouter
// with every column placed in the value, JSON payload expanded, id/type headers), the outbox key
// (both write it as a JSON string), source.pos (both: where the rows event starts).

export interface EnvelopeDifference {
  id: string;
  /** Where in the envelope (or message) it shows. */
  field: string;
  debezium: string;
  builtin: string;
  reason: string;
}

export const ENVELOPE_DIFFERENCES: readonly EnvelopeDifference[] = [
  {
    id: 'datetime',
    field: 'before/after: DATETIME columns (and the outbox created_at)',
    debezium: 'a number since the epoch: microseconds for DATETIME(4..6) (io.debezium.time.MicroTimestamp), milliseconds for DATETIME(0..3) (io.debezium.time.Timestamp)',
    builtin: 'ISO 8601 UTC text, e.g. 2026-11-23T15:00:01.123456Z',
    reason: 'Debezium has no text representation for DATETIME (time.precision.mode only picks ms or µs numbers); a custom converter would have to be Java code deployed on the Connect worker.',
  },
  {
    id: 'date',
    field: 'before/after: DATE columns',
    debezium: 'days since the epoch as a number (io.debezium.time.Date)',
    builtin: 'YYYY-MM-DD text',
    reason: 'As for DATETIME: no text mode for DATE in the connector.',
  },
  {
    id: 'time',
    field: 'before/after: TIME columns',
    debezium: 'signed microseconds as a number (io.debezium.time.MicroTime)',
    builtin: "text as MariaDB prints it, e.g. -12:34:56.789012 or 838:59:59",
    reason: 'As for DATETIME: no text mode for TIME in the connector. Sinks convert (builtin-row.ts).',
  },
  {
    id: 'bit',
    field: 'before/after: BIT(n) columns',
    debezium: 'base64 of the bytes, least significant first',
    builtin: 'a number up to BIT(48), else base64 of the bytes most significant first',
    reason: "Debezium writes BIT(n>1) as bytes and binary.handling.mode only picks their encoding. Sinks convert (builtin-row.ts).",
  },
  {
    id: 'enum-comma',
    field: 'before/after: an ENUM value that contains a comma',
    debezium: 'the comma escaped with a backslash, e.g. b\\,c',
    builtin: 'the value as stored, e.g. b,c',
    reason: "Debezium takes the ENUM's values from its DDL parser, which keeps the escape. Sinks unescape for ENUM columns (builtin-row.ts).",
  },
  {
    id: 'bigint-unsigned',
    field: 'before/after: BIGINT UNSIGNED values of 2^63 and above',
    debezium: 'wrapped to a negative number (bigint.unsigned.handling.mode=long)',
    builtin: 'the exact digits as a string (past 2^53)',
    reason: "'precise' would write every BIGINT UNSIGNED as a string, and the platform's ids, keys included, are BIGINT UNSIGNED. Sinks add 2^64 back (exact while the wrapped value is within 2^53).",
  },
  {
    id: 'primary-key-update',
    field: 'op and key of an UPDATE that changes the primary key',
    debezium: "a 'd' on the old key (header __debezium.newkey) and a 'c' on the new key (header __debezium.oldkey)",
    builtin: "one 'u' on the new key whose before has the old key",
    reason: "Debezium's fixed behaviour. Sinks end the same either way: they delete the old key on 'd', and on a 'u' whose before key differs.",
  },
  {
    id: 'transaction',
    field: 'transaction',
    debezium: 'null',
    builtin: '{id: GTID, total_order, data_collection_order}',
    reason: "Debezium's MySQL connector builds transaction metadata from MySQL GTIDs only; MariaDB's domain-server-sequence GTIDs are not recognised, even with provide.transaction.metadata=true.",
  },
  {
    id: 'gtid',
    field: 'source.gtid',
    debezium: 'null',
    builtin: "MariaDB's GTID of the transaction, e.g. 0-1-54",
    reason: 'Same cause: the connector reads MariaDB by binlog file and position. Sinks then order its events by file/pos/row (event-version.ts).',
  },
  {
    id: 'sequence',
    field: 'source.sequence',
    debezium: 'null',
    builtin: 'the row version clock as a decimal string',
    reason: 'The clock is ours: it keeps versions growing across failover and re-snapshot (event-version.ts). Debezium leaves the field null for MySQL.',
  },
  {
    id: 'timestamps',
    field: 'ts_us, ts_ns, source.ts_us, source.ts_ns',
    debezium: 'present (Debezium 2.6+)',
    builtin: 'absent (ts_ms only)',
    reason: 'Nanoseconds since the epoch do not fit a JSON number that JavaScript reads exactly; ts_ms carries the same instant.',
  },
  {
    id: 'connector-identity',
    field: 'source.version',
    debezium: "Debezium's version, e.g. 2.7.4.Final",
    builtin: '1.0.0-steveslist',
    reason: 'Each names the software that wrote the event.',
  },
  {
    id: 'snapshot-markers',
    field: "source.snapshot and source.server_id of snapshot ('r') events",
    debezium: "'first'/'true'/'last' marks and server_id 0",
    builtin: "'true' on every snapshot row and the source's server_id",
    reason: 'Debezium marks where its snapshot begins and ends; the built-in reader resumes an interrupted snapshot by chunk and has no single last row. Sinks ignore both fields.',
  },
  {
    id: 'truncate-partitions',
    field: "the 't' (TRUNCATE) event",
    debezium: 'one event, on one partition of the table topic (skipped.operations=none)',
    builtin: 'the same event on every partition of the table topic',
    reason: "Debezium's fixed behaviour. Sinks end the same either way: the search index and the warehouse keep a per-table truncate mark and refuse rows older than it, whichever partition brings them later.",
  },
];

/**
 * DATETIME as Debezium writes it (µs since the epoch) in the built-in reader's text form, which
 * keeps the column's fractional digits (DATETIME(6): six, DATETIME: none).
 */
export function microTimestampText(micros: number, fractionDigits = 6): string {
  const seconds = Math.floor(micros / 1_000_000);
  const fraction = String(micros - seconds * 1_000_000).padStart(6, '0').slice(0, fractionDigits);
  return `${new Date(seconds * 1000).toISOString().slice(0, 19)}${fraction ? `.${fraction}` : ''}Z`;
}

/** DATE as Debezium writes it (days since the epoch) as YYYY-MM-DD. */
export function epochDayText(days: number): string {
  return new Date(days * 86_400_000).toISOString().slice(0, 10);
}

/**
 * A DATETIME(6) value from either engine as the built-in reader's text: consumers that know a
 * column is a time read Debezium's topics with this.
 */
export function datetimeText(value: unknown): string {
  return typeof value === 'number' ? microTimestampText(value) : String(value);
}
