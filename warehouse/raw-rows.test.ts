// The raw layer's rows for each kind of change, from both engines' envelopes; no server needed.
import { describe, expect, it } from 'vitest';
import { debeziumColumns } from '../pipelines/cdc/debezium/builtin-row.js';
import { CONNECTOR_VERSION, type ChangeEnvelope, type ChangeOp, type Row } from '../pipelines/cdc/envelope.js';
import { changedImage, changeRows, domainEventRow, toRow, type RowShape } from './raw-rows.js';

const SYNCED_AT = 1_760_000_000_000;
const LISTINGS: RowShape = {
  primaryKey: ['id'],
  debezium: debeziumColumns([
    { name: 'id', dataType: 'bigint', columnType: 'bigint(20)' },
    { name: 'name', dataType: 'varchar', columnType: 'varchar(200)' },
    { name: 'updated_at', dataType: 'datetime', columnType: 'datetime(6)' },
  ]),
};

/** An envelope of the built-in reader (its version in source.sequence) or of Debezium (ordered by GTID). */
function envelope(op: ChangeOp, before: Row | null, after: Row | null, engine: 'builtin' | 'debezium' = 'builtin'): ChangeEnvelope {
  return {
    before, after, op, ts_ms: 0,
    transaction: engine === 'debezium' ? { id: '0-1-42', total_order: 3, data_collection_order: 1 } : null,
    source: {
      version: engine === 'builtin' ? CONNECTOR_VERSION : '2.7.3.Final', connector: 'mysql', name: 'steveslist', ts_ms: 0,
      snapshot: 'false', db: 'marketplace', sequence: engine === 'builtin' ? '1048577' : null, table: 'listings',
      server_id: 1, gtid: engine === 'debezium' ? '0-1-42' : null, file: 'binlog.000001', pos: 4, row: 0, thread: null, query: null,
    },
  };
}

describe('raw rows', () => {
  it('writes an insert as the new row with its version, in ClickHouse\'s time format', () => {
    const rows = changeRows(envelope('c', null, { id: 7, name: 'Bike', updated_at: '2026-03-01T10:00:00.123456Z' }), LISTINGS, SYNCED_AT);
    expect(rows).toEqual([{ id: 7, name: 'Bike', updated_at: '2026-03-01 10:00:00.123456', _version: '1048577', _is_deleted: 0, _synced_at: SYNCED_AT }]);
  });

  it('ends a deleted row with its last image', () => {
    const rows = changeRows(envelope('d', { id: 7, name: 'Bike', updated_at: '2026-03-01T10:00:00Z' }, null), LISTINGS, SYNCED_AT);
    expect(rows).toEqual([{ id: 7, name: 'Bike', updated_at: '2026-03-01 10:00:00', _version: '1048577', _is_deleted: 1, _synced_at: SYNCED_AT }]);
  });

  it('ends the old key\'s row when an update changes the primary key, and keeps one row otherwise', () => {
    const rekeyed = changeRows(envelope('u', { id: 7, name: 'Bike' }, { id: 8, name: 'Bike' }), LISTINGS, SYNCED_AT);
    expect(rekeyed.map((row) => [row.id, row._is_deleted])).toEqual([[7, 1], [8, 0]]);
    const edited = changeRows(envelope('u', { id: 7, name: 'Bike' }, { id: 7, name: 'Cargo bike' }), LISTINGS, SYNCED_AT);
    expect(edited).toEqual([{ id: 7, name: 'Cargo bike', _version: '1048577', _is_deleted: 0, _synced_at: SYNCED_AT }]);
  });

  it('turns Debezium\'s values into the built-in reader\'s, so both engines load the same rows', () => {
    const micros = Date.UTC(2026, 2, 1, 10) * 1000 + 123_456;
    const [row] = changeRows(envelope('c', null, { id: 7, name: 'Bike', updated_at: micros }, 'debezium'), LISTINGS, SYNCED_AT);
    expect(row).toMatchObject({ id: 7, updated_at: '2026-03-01 10:00:00.123456', _is_deleted: 0 });
    // Debezium's envelope carries no sequence: the version comes from the GTID and the order in the transaction.
    expect(BigInt(String(row!._version))).toBe(42n * 2n ** 20n + 3n);
  });

  it('has no row for a truncate or a change without an image', () => {
    expect(changedImage(envelope('t', null, null))).toBeNull();
    expect(changeRows(envelope('t', null, null), LISTINGS, SYNCED_AT)).toEqual([]);
    expect(changeRows(envelope('d', null, null), LISTINGS, SYNCED_AT)).toEqual([]);
  });

  it('keeps a domain event\'s payload as JSON text and its time in ClickHouse\'s format', () => {
    const row = domainEventRow({
      id: 'evt-1', type: 'listing.created', aggregate_type: 'listing', aggregate_id: '7',
      created_at: '2026-03-01T10:00:00.5Z', payload: { price: { amount: 1200 } },
    }, SYNCED_AT);
    expect(row).toEqual({
      id: 'evt-1', type: 'listing.created', aggregate_type: 'listing', aggregate_id: '7',
      created_at: '2026-03-01 10:00:00.5', payload: '{"price":{"amount":1200}}', _synced_at: SYNCED_AT,
    });
  });

  it('leaves values that are not ISO times as they are', () => {
    expect(toRow({ note: '2026-03-01', at: '2026-03-01T10:00:00Z', n: 5, none: null })).toEqual({ note: '2026-03-01', at: '2026-03-01 10:00:00', n: 5, none: null });
  });
});
