// Envelopes and outbox events written out as text are what JSON.stringify writes, byte for byte.
import { describe, expect, it } from 'vitest';
import { changeEnvelopeText, changeSourceHead, CONNECTOR_VERSION, rowKey, type ChangeEnvelope, type ChangeOp, type Row } from './envelope.js';
import { routeOutboxRow, type DomainEventMessage } from './outbox-router.js';

const awkward = 'quote " backslash \\ newline \n tab \t nul \u0000 emoji 🚀 lone \ud800 é';

function asObject(name: string, db: string, table: string, file: string, gtid: string | null, op: ChangeOp, before: Row | null, after: Row | null): ChangeEnvelope {
  return {
    before, after,
    source: {
      version: CONNECTOR_VERSION, connector: 'mysql', name, db, thread: null, query: null,
      ...{ table, file, pos: 1234, row: 7, gtid, ts_ms: 1_700_000_000_000, snapshot: 'false' as const, sequence: '1782793523712001', server_id: 4_294_967_295 },
    },
    op, ts_ms: 1_700_000_000_123, transaction: { id: gtid ?? `${file}:99`, total_order: 3, data_collection_order: 2 },
  };
}

describe('change envelope text', () => {
  it.each([
    ['plain', 'sl', 'shop', 'listings', 'mysql-bin.000001', '0-1-42'],
    ['awkward names and no GTID', awkward, `db ${awkward}`, `t ${awkward}`, `file ${awkward}`, null],
  ])('writes what JSON.stringify writes: %s', (_case, name, db, table, file, gtid) => {
    const before: Row = { id: 1, big: '18446744073709551615', text: awkward, none: null, n: -0.5, flag: true };
    const after: Row = { ...before, text: 'after' };
    for (const [op, b, a] of [['c', null, after], ['u', before, after], ['d', before, null]] as const) {
      const text = changeEnvelopeText(
        { sourceHead: changeSourceHead(name, db, table, file), gtid, tsMs: 1_700_000_000_000, serverId: 4_294_967_295, now: 1_700_000_000_123, transactionId: gtid ?? `${file}:99` },
        { op, before: b, after: a, pos: 1234, row: 7, sequence: '1782793523712001', totalOrder: 3, tableOrder: 2 },
      );
      expect(text).toBe(JSON.stringify(asObject(name, db, table, file, gtid, op, b, a)));
    }
  });

  it('writes keys as JSON.stringify writes the key columns as an object, leaving out columns the row lacks', () => {
    const row: Row = { id: 42, region: 'eu "west"', missing: undefined, at: null };
    const asObjectKey = (columns: string[]) => JSON.stringify(Object.fromEntries(columns.map((c) => [c, row[c]])));
    for (const columns of [['id'], ['region', 'id'], ['missing', 'id'], ['id', 'missing'], ['at'], ['missing']]) {
      expect(rowKey(columns, row)).toBe(asObjectKey(columns));
    }
    expect(rowKey([], row)).toBeNull();
  });
});

describe('outbox events as text', () => {
  it('writes what JSON.stringify writes of the domain event, whatever the payload holds', () => {
    const rows: Row[] = [
      { id: 'e1', type: 'listing.created', aggregate_type: 'listing', aggregate_id: '42', created_at: '2026-11-23T15:00:01.123456Z', payload: '{"id": 42, "name": "Sofa \\"deluxe\\"", "n": 1e3}' },
      { id: 'e2', type: 'order.paid', aggregate_type: 'order', aggregate_id: 7, created_at: '2026-11-23T15:00:01Z', payload: 'not json' },
      { id: 'e3', type: 't', aggregate_type: 'a b', aggregate_id: 'x', created_at: null, payload: null },
      { id: 'e4', type: 't', aggregate_type: 'a', aggregate_id: 'x', created_at: 'c', payload: '[1, {"b": [true, null]}]' },
    ];
    for (const row of rows) {
      const expected: DomainEventMessage = {
        id: String(row.id), type: String(row.type), aggregate_type: String(row.aggregate_type), aggregate_id: String(row.aggregate_id),
        created_at: String(row.created_at), payload: (() => { try { return typeof row.payload === 'string' ? JSON.parse(row.payload) : row.payload; } catch { return row.payload; } })(),
      };
      const { message } = routeOutboxRow('sl', row);
      expect(message.value).toBe(JSON.stringify(expected));
      expect(message.key).toBe(JSON.stringify(expected.aggregate_id));
      expect(message.headers).toEqual({ id: expected.id, type: expected.type });
    }
  });
});
