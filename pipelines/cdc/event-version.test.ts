import { describe, expect, it } from 'vitest';
import type { ChangeEnvelope } from './envelope.js';
import { eventVersion, nextClock, versionOf } from './event-version.js';

const envelope = (source: Partial<ChangeEnvelope['source']>, order?: number): ChangeEnvelope => ({
  before: null, after: {}, op: 'u', ts_ms: 0,
  transaction: order === undefined ? null : { id: 'x', total_order: order, data_collection_order: order },
  source: { version: '', connector: 'mysql', name: 'p', ts_ms: 0, snapshot: 'false', db: 'd', sequence: null, table: 't', server_id: 1, gtid: null, file: 'binlog.000001', pos: 4, row: 0, thread: null, query: null, ...source },
});

describe('row versions', () => {
  it('advance by one per transaction, and jump to the commit time when that is later', () => {
    expect(nextClock(100n, 50)).toBe(101n);
    expect(nextClock(100n, 5000)).toBe(5000n);
    // A transaction of more than 2^20 changes takes more than one clock value.
    expect(nextClock(100n, 0, 3 * 2 ** 20)).toBe(103n);
  });

  it('orders changes within a transaction after the transaction\'s clock', () => {
    expect(versionOf(7n, 0) < versionOf(7n, 1)).toBe(true);
    expect(versionOf(7n, 2 ** 20 - 1) < versionOf(8n, 0)).toBe(true);
  });

  it('reads ours from source.sequence and Debezium\'s from GTID and transaction order', () => {
    expect(eventVersion(envelope({ sequence: '123456789' }))).toBe(123456789n);
    expect(eventVersion(envelope({ gtid: '0-1-42' }, 3))).toBe(42n * 2n ** 20n + 3n);
    expect(eventVersion(envelope({ gtid: '3E11FA47-71CA-11E1-9E33-C80AA9429562:77' }, 1))).toBe(77n * 2n ** 20n + 1n);
    const older = eventVersion(envelope({ file: 'binlog.000003', pos: 9000, row: 1 }));
    const newer = eventVersion(envelope({ file: 'binlog.000004', pos: 4, row: 0 }));
    expect(older < newer).toBe(true);
  });
});
