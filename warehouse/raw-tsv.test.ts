// The TabSeparated encoder on its own: what a person reading a raw row would check first
// (escaping, NULL against a missing value, the events' times), without a warehouse.
import { describe, expect, it } from 'vitest';
import { syncedAtText, tsvText, TsvRows } from './raw-tsv.js';

const COLUMNS = [
  { name: 'id', type: 'UInt64' }, { name: 'note', type: 'Nullable(String)' }, { name: 'label', type: 'String' },
  { name: 'at', type: "DateTime64(6, 'UTC')" }, { name: 'day', type: 'Date32' }, { name: 'price', type: 'Decimal(12, 2)' },
  { name: 'state', type: 'LowCardinality(Nullable(String))' },
  { name: '_version', type: 'UInt64' }, { name: '_is_deleted', type: 'UInt8' }, { name: '_synced_at', type: "DateTime64(3, 'UTC')" },
];

describe('TabSeparated raw rows', () => {
  const rows = new TsvRows(COLUMNS);

  it('names the table\'s columns with the loader\'s own last', () => {
    expect(rows.names).toEqual(['id', 'note', 'label', 'at', 'day', 'price', 'state', '_version', '_is_deleted', '_synced_at']);
    expect(new TsvRows([{ name: '_version', type: 'UInt64' }, { name: 'id', type: 'UInt64' }, { name: 'added', type: 'Nullable(String)' }]).names)
      .toEqual(['id', 'added', '_version', '_is_deleted', '_synced_at']);
  });

  it('writes one line a row: values by type, NULL as \\N, the events\' UTC times as DateTime64 reads them', () => {
    const line = rows.line({ id: 7, note: null, label: 'Bike', at: '2026-03-01T10:00:00.123456Z', day: '2026-03-01', price: '12.50', state: 'active' }, '42', false, '2026-12-07 09:00:00.000');
    expect(line).toBe('7\t\\N\tBike\t2026-03-01 10:00:00.123456\t2026-03-01\t12.50\tactive\t42\t0\t2026-12-07 09:00:00.000\n');
  });

  it('escapes backslash, tab, newline, carriage return and NUL, and nothing else', () => {
    expect(tsvText('plain "quoted" München 🚲')).toBe('plain "quoted" München 🚲');
    expect(tsvText('a\\b\tc\nd\re\0f')).toBe('a\\\\b\\tc\\nd\\re\\0f');
    expect(tsvText('\\N')).toBe('\\\\N');
  });

  it('gives a column the row does not carry NULL where it may be, else its type\'s default', () => {
    const line = rows.line({ id: 1 }, '1', true, '2026-12-07 09:00:00.000');
    expect(line.split('\t')).toEqual(['1', '\\N', '', '1970-01-01 00:00:00', '1970-01-01', '0', '\\N', '1', '1', '2026-12-07 09:00:00.000\n']);
  });

  it('tells a row with a column the table lacks', () => {
    expect(rows.fits({ id: 1, note: 'x' })).toBe(true);
    expect(rows.fits({ id: 1, added: 'x' })).toBe(false);
  });

  it('writes the sync time with milliseconds', () => {
    expect(syncedAtText(Date.UTC(2026, 11, 7, 9, 5, 3, 21))).toBe('2026-12-07 09:05:03.021');
  });
});
