import { describe, expect, it } from 'vitest';
import { asBuiltinRow, debeziumBitValue, debeziumColumns, microTimeText } from './builtin-row.js';

describe("Debezium's values in the built-in reader's representation", () => {
  it('writes TIME as MariaDB prints it, negative and past 24 hours included', () => {
    expect(microTimeText(-45_296_789_012)).toBe('-12:34:56.789012');
    expect(microTimeText(3_020_399_000_000)).toBe('838:59:59.000000');
    expect(microTimeText(3_020_399_000_000, 0)).toBe('838:59:59');
    expect(microTimeText(1_500, 3)).toBe('00:00:00.001');
  });

  it('reads BIT bytes least significant first, as a number up to 48 bits', () => {
    expect(debeziumBitValue('FQ==')).toBe(21);
    expect(debeziumBitValue(Buffer.from([0x01, 0x02]).toString('base64'))).toBe(0x0201);
    expect(debeziumBitValue(Buffer.from([1, 0, 0, 0, 0, 0, 0, 0x80]).toString('base64'))).toBe(Buffer.from([0x80, 0, 0, 0, 0, 0, 0, 1]).toString('base64'));
  });

  it('converts only the columns information_schema says need it, and says which difference it undid', () => {
    const columns = debeziumColumns(([
      ['at', 'datetime', 'datetime(6)'], ['at0', 'datetime', 'datetime'], ['day', 'date', 'date'], ['tm', 'time', 'time(6)'], ['bt', 'bit', 'bit(5)'],
      ['en', 'enum', "enum('a','b,c')"], ['plain', 'enum', "enum('a','b')"], ['ub', 'bigint', 'bigint(20) unsigned'], ['n', 'int', 'int(11)'],
      ['quoted', 'enum', "enum('it''s','x\\\\y')"], ['quotedComma', 'enum', "enum('it''s, ok','z')"],
    ] as const).map(([name, dataType, columnType]) => ({ name, dataType, columnType })));
    expect([...columns.keys()]).toEqual(['at', 'at0', 'day', 'tm', 'bt', 'en', 'ub', 'quotedComma']);
    const undid: string[] = [];
    const row = asBuiltinRow(
      { at: 1_795_446_001_123_456, at0: 1_795_446_001_000, day: -1, tm: 0, bt: 'AA==', en: 'b\\,c', plain: 'a', ub: -1, n: -1, none: null },
      columns, (id) => undid.push(id),
    );
    expect(row).toEqual({
      at: '2026-11-23T15:00:01.123456Z', at0: '2026-11-23T15:00:01Z', day: '1969-12-31', tm: '00:00:00.000000', bt: 0, en: 'b,c', plain: 'a',
      ub: '18446744073709551615', n: -1, none: null,
    });
    expect(new Set(undid)).toEqual(new Set(['datetime', 'date', 'time', 'bit', 'enum-comma', 'bigint-unsigned']));
    // The built-in reader's own values pass through unchanged.
    expect(asBuiltinRow({ at: '2026-11-23T15:00:01.123456Z', bt: 21, ub: '18446744073709551615' }, columns)).toEqual({ at: '2026-11-23T15:00:01.123456Z', bt: 21, ub: '18446744073709551615' });
  });
});
