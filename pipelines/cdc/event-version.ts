// The row version sinks order changes by (search: external version, warehouse: _version).
//
// The built-in reader keeps a clock: each transaction gets max(previous + 1, commit time in ms),
// and a change's version is clock * 2^20 + its order in the transaction. Taking the commit time
// as a floor makes the clock grow where binlog coordinates do not: after a failover to another
// server, a re-snapshot, or a source rebuilt from a backup (their binlog file names and GTID
// sequence numbers start over; time does not). Replaying from a saved position re-assigns the
// same clock values, so redelivered events carry the same versions.
import type { ChangeEnvelope } from './envelope.js';

export const ORDER_BITS = 20n;
const ORDER_SPAN = 1n << ORDER_BITS;

/** The clock of the next transaction: later than the previous one and not before its commit time. */
export function nextClock(previous: bigint, commitTimeMs: number, eventsInPrevious = 1): bigint {
  // A transaction with more than 2^20 changes spills into the following clock values.
  const spill = BigInt(Math.max(1, Math.ceil(eventsInPrevious / Number(ORDER_SPAN))));
  const byTime = BigInt(Math.max(0, Math.floor(commitTimeMs)));
  const byOrder = previous + spill;
  return byTime > byOrder ? byTime : byOrder;
}

/** Version of the change with 1-based `order` in a transaction stamped `clock` (0 for snapshot rows). */
export function versionOf(clock: bigint, order: number): bigint {
  return clock * ORDER_SPAN + BigInt(order);
}

/**
 * The version of any envelope: ours carry it in source.sequence; Debezium's are ordered by GTID
 * sequence number (MariaDB d-s-n, MySQL uuid:n) and transaction order, else by binlog file/pos/row.
 */
export function eventVersion(envelope: ChangeEnvelope): bigint {
  const { source, transaction } = envelope;
  if (source.sequence && /^\d+$/.test(source.sequence)) return BigInt(source.sequence);
  const order = BigInt(transaction?.total_order ?? source.row + 1);
  const gtid = source.gtid ?? '';
  const mariadb = /^\d+-\d+-(\d+)$/.exec(gtid);
  const mysql = /:(\d+)$/.exec(gtid);
  const sequence = mariadb?.[1] ?? mysql?.[1];
  if (sequence) return BigInt(sequence) * ORDER_SPAN + order;
  return positionVersion(source.file, source.pos, source.row);
}

/** The version of a binlog position (file, pos, row in the event): how Debezium's MariaDB events order. */
export function positionVersion(file: string, pos: number, row = 0): bigint {
  const fileIndex = BigInt(/\.(\d+)$/.exec(file)?.[1] ?? '0');
  return (fileIndex << 43n) + (BigInt(pos) << 11n) + BigInt(Math.min(row, 2047));
}
