// The reader's own rows decoder against zongji's: the same binlog read both ways must give the
// same rows, value for value, and the same envelopes, byte for byte, with and without the binlog
// naming the columns (binlog_row_metadata FULL, MINIMAL, NO_LOG).
import { afterAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../test/fixtures/database.js';
import { replicaId } from '../../test/fixtures/cdc.js';
import { rowMetadataSources } from '../../test/fixtures/row-metadata.js';
import { tempDir } from '../../test/fixtures/temp-dir.js';
import type { Pool, RowDataPacket } from '../../marketplace/mysql/connection.js';
import { BinlogStream, type BinlogTransaction, type RowsDecoderChoice } from './binlog-stream.js';
import { ChangeEvents } from './change-events.js';
import { EncodedRowChange } from './encoded-rows.js';
import { normalizeRow } from './column-values.js';
import type { Row } from './envelope.js';
import { finishRow } from './rows-decoder.js';
import { SchemaCache } from './table-schema.js';
import { TableFilter } from './topics.js';

const dir = tempDir();
const servers = rowMetadataSources(dir.path);
afterAll(async () => {
  await servers.stop();
  dir.remove();
});

const fractions = [1, 2, 3, 4, 5, 6];
const EVERY_TYPE = `CREATE TABLE every_type (
  id INT PRIMARY KEY,
  ti TINYINT, tiu TINYINT UNSIGNED, si SMALLINT, siu SMALLINT UNSIGNED, mi MEDIUMINT, miu MEDIUMINT UNSIGNED,
  i INT, iu INT UNSIGNED, bi BIGINT, biu BIGINT UNSIGNED, flag TINYINT(1),
  d DECIMAL(20,6), d0 DECIMAL(5,0), dfrac DECIMAL(30,25), dneg DECIMAL(12,4), f FLOAT, dbl DOUBLE,
  dte DATE, dt DATETIME, ${fractions.map((n) => `dt${n} DATETIME(${n})`).join(', ')},
  ts TIMESTAMP NULL, ${fractions.map((n) => `ts${n} TIMESTAMP(${n}) NULL`).join(', ')},
  tm TIME, tm1 TIME(1), tm3 TIME(3), tm6 TIME(6), yr YEAR,
  c CHAR(10), vc VARCHAR(40), vlong VARCHAR(400), t TEXT, tt TINYTEXT, mt MEDIUMTEXT, lt LONGTEXT,
  l1 VARCHAR(20) CHARACTER SET latin1, l1c CHAR(5) CHARACTER SET latin1, l1t TEXT CHARACTER SET latin1,
  bl BLOB, tb TINYBLOB, lb LONGBLOB, bn BINARY(8), vb VARBINARY(300),
  en ENUM('a','b,c','d''e'), st SET('x','y','z'), bt BIT(5), bt64 BIT(64), js JSON,
  u UUID, ip6 INET6, ip4 INET4
)`;

const latin1 = (hex: string) => `CONVERT(UNHEX('${hex}') USING latin1)`;
const ROWS = [
  `(1, -128, 255, -32768, 65535, -8388608, 16777215, -2147483648, 4294967295, -9223372036854775808, 18446744073709551615, 1,
    '-12345678901234.123456', 99999, '0.0000000000000000000000001', '-0.0001', 3.14, 2.718281828459045,
    '1000-01-01', '1000-01-01 00:00:00', ${fractions.map((n) => `'2026-11-23 15:00:01.${'123456'.slice(0, n)}'`).join(', ')},
    '1970-01-01 00:00:01', ${fractions.map((n) => `'2038-01-19 03:14:07.${'999999'.slice(0, n)}'`).join(', ')},
    '-838:59:59', '-00:00:00.5', '-12:34:56.789', '-12:34:56.789012', 1901,
    'ab', 'héllo wörld 🚀', REPEAT('é', 400), 'text 🚀', 'tiny', 'medium', '{"a": [1, 2, {"b": 12345678901234567890}]}',
    ${latin1('636166e920809f8d')}, 'caf', ${latin1('41e9ff')},
    0x00FF10, 0x00, REPEAT(0xAB, 1000), 0x0102, 0xDEADBEEF00,
    'b,c', 'x,z', b'10101', 0xFFFFFFFFFFFFFFFF, '{"k": "v", "n": null}',
    '6ccd780c-baba-1026-9564-5b8c656024db', '::ffff:1.2.3.4', '192.168.0.1')`,
  `(2, 127, 0, 32767, 0, 8388607, 0, 2147483647, 0, 9223372036854775807, 9007199254740993, 0,
    '12345678901234.123456', -99999, '-0.9999999999999999999999999', '0.0000', -1.5e-10, -1e300,
    '0000-00-00', '0000-00-00 00:00:00', ${fractions.map((n) => `'9999-12-31 23:59:59.${'999999'.slice(0, n)}'`).join(', ')},
    '2038-01-19 03:14:07', ${fractions.map(() => 'NULL').join(', ')},
    '838:59:59', '00:00:00.0', '00:00:00.001', '-00:00:01.000001', 0,
    '', '', '', '', '', '', '[]',
    '', '', '',
    '', '', '', 0x0000000000000000, '',
    '', '', b'0', 0, '"text"',
    '00000000-0000-0000-0000-000000000000', '::1.2.3.4', '0.0.0.0')`,
  `(3, ${Array.from({ length: 60 }, () => 'NULL').join(', ')})`,
  `(4, 1, 2, 3, 4, 5, 6, 7, 8, -9007199254740993, 9007199254740992, NULL,
    '0.000001', 0, '0', '-99999999.9999', 0, 0,
    '2026-02-28', '2026-02-28 12:00:00', ${fractions.map(() => "'2026-02-28 12:00:00'").join(', ')},
    '2026-02-28 12:00:00', ${fractions.map(() => "'2026-02-28 12:00:00'").join(', ')},
    '00:00:00', '01:02:03.4', '-01:02:03.400', '23:59:59.999999', 2155,
    'x', 'y', 'z', 'a', 'b', 'c', 'null',
    'x', 'y', 'z',
    'x', 'y', 'z', 'abcdefgh', 'x',
    'd''e', 'x,y,z', b'11111', 1, '{}',
    'ffffffff-ffff-ffff-ffff-ffffffffffff', '2001:db8::1', '255.255.255.255')`,
];

async function binlogEnd(pool: Pool): Promise<{ file: string; pos: number; seq: number }> {
  const [[status]] = await pool.query<RowDataPacket[]>('SHOW MASTER STATUS');
  const [[gtid]] = await pool.query<RowDataPacket[]>('SELECT @@gtid_binlog_pos AS g');
  const sequences = String(gtid!.g).split(',').map((g) => Number(g.split('-')[2] ?? 0));
  return { file: String(status!.File), pos: Number(status!.Position), seq: Math.max(...sequences) };
}

async function readBinlog(db: TestDatabase, from: { file: string; pos: number }, endSeq: number, rowsDecoder: RowsDecoderChoice): Promise<BinlogTransaction[]> {
  const transactions: BinlogTransaction[] = [];
  let stream!: BinlogStream;
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${rowsDecoder}: the binlog did not reach sequence ${endSeq}`)), 30_000);
    stream = new BinlogStream({
      url: db.url, replicaServerId: replicaId(), databases: [db.name], rowsDecoder,
      onTransaction: (transaction) => {
        transactions.push(transaction);
        if (Number(transaction.gtid?.split('-')[2] ?? 0) >= endSeq) {
          clearTimeout(timer);
          resolve();
        }
      },
      onError: reject,
    });
    stream.start(from);
  });
  await stream.stop();
  return transactions.filter((t) => t.changes.length > 0);
}

/** Every change's before and after images in the reader's normalized form. */
async function normalizedRows(transactions: BinlogTransaction[], schemas: SchemaCache): Promise<(Row | null)[]> {
  const rows: (Row | null)[] = [];
  for (const change of transactions.flatMap((t) => t.changes)) {
    const special = (await schemas.get(change.database, change.table))?.special ?? new Map();
    for (const row of [change.before, change.after]) {
      if (!row) rows.push(null);
      else if (change.binaryColumns) {
        finishRow(row, change.binaryColumns, special);
        rows.push(row);
      } else rows.push(normalizeRow(row, { codes: change.columnTypes, special }));
    }
  }
  return rows;
}

async function envelopesOf(transactions: BinlogTransaction[], db: TestDatabase, schemas: SchemaCache): Promise<string[]> {
  const events = new ChangeEvents({
    database: db.name, topicPrefix: 'sl', sourceName: 'sl',
    filter: new TableFilter({ database: db.name, include: [], exclude: [], excludeColumns: ['every_type.vb', 'every_type.mt'] }),
    schemaOf: (database, table) => schemas.get(database, table), forgetSchemas: () => undefined, partitionsOf: async () => 1, now: () => 0,
  });
  const out: string[] = [];
  let clock = 0n;
  for (const transaction of transactions) {
    const items = await events.ofTransaction(transaction, clock);
    clock = items.clock;
    for (const { topic, message } of items.messages) out.push(`${topic} ${message.key} ${String(message.value)}`);
  }
  return out;
}

describe.each(servers.sources)('the own rows decoder with binlog_row_metadata=$metadata', ({ serverUrl }) => {
  it('decodes every column type to the values and envelopes zongji gives, inserts, updates (full and minimal images) and deletes', async () => {
    const db = await createTestDatabase('rows', await serverUrl());
    try {
      await db.pool.query(EVERY_TYPE);
      const from = await binlogEnd(db.pool);
      // Zero dates and out-of-range labels are what old data holds: write them as a lax server would.
      const connection = await db.pool.getConnection();
      try {
        await connection.query("SET SESSION sql_mode = '', time_zone = '+00:00'");
        await connection.query(`INSERT INTO every_type VALUES ${ROWS.join(', ')}`);
        await connection.query("INSERT INTO every_type (id, en, st) VALUES (5, 'nope', '')");
        // Text JSON escapes: quotes, backslashes, every control character, DEL, U+2028, emoji.
        await connection.query(`INSERT INTO every_type (id, c, vc, vlong, t, mt, l1) VALUES (6, 'q"\\\\', CONCAT('a"b\\\\c', CHAR(127)), ?, ?, ?, 'x"y')`, [
          Array.from({ length: 32 }, (_, code) => String.fromCharCode(code)).join(''), 'line\u2028sep\u2029 🚲 "é"\t', '\\"\n',
        ]);
        await connection.query("UPDATE every_type SET vc = CONCAT(vc, '!'), biu = biu - 1, dt6 = '2000-01-01 00:00:00.000001' WHERE id IN (1, 2, 4)");
        await connection.query('SET SESSION binlog_row_image = MINIMAL');
        await connection.query("UPDATE every_type SET t = 'minimal image' WHERE id = 1");
        await connection.query('DELETE FROM every_type WHERE id IN (2, 3)');
        await connection.query('SET SESSION binlog_row_image = FULL');
        await connection.query('DELETE FROM every_type WHERE id = 4');
        await connection.query('INSERT INTO outbox (id, aggregate_type, aggregate_id, type, payload) VALUES (UUID(), \'listing\', \'7\', \'listing.created\', \'{"id": 7}\')');
      } finally {
        connection.release();
      }
      const end = await binlogEnd(db.pool);

      const byZongji = await readBinlog(db, from, end.seq, 'zongji');
      const byOwn = await readBinlog(db, from, end.seq, 'builtin');
      const changes = byOwn.flatMap((t) => t.changes);
      // Not vacuous: the own decoder decoded every row, of every statement above.
      expect(changes.map((c) => c.op).join('')).toBe('ccccccuuuudddc');
      // Left in the binlog's bytes, written to JSON from there (see row-json.ts).
      expect(changes.every((c) => c instanceof EncodedRowChange)).toBe(true);
      expect(changes.every((c) => c.binaryColumns !== undefined)).toBe(true);
      expect(byZongji.flatMap((t) => t.changes).some((c) => c.binaryColumns !== undefined)).toBe(false);
      expect(byOwn.map(({ changes: _c, ...t }) => t)).toEqual(byZongji.map(({ changes: _c, ...t }) => t));
      expect((changes as EncodedRowChange[]).map(({ before: _b, after: _a, binaryColumns: _n, images: _i, ...c }) => c))
        .toEqual(byZongji.flatMap((t) => t.changes).map(({ before: _b, after: _a, ...c }) => c));

      const schemas = new SchemaCache(db.pool);
      const own = await normalizedRows(byOwn, schemas);
      const zongji = await normalizedRows(byZongji, schemas);
      for (let i = 0; i < zongji.length; i++) expect(own[i], `row image ${i}`).toStrictEqual(zongji[i]);
      expect(own.length).toBe(zongji.length);

      expect(await envelopesOf(byOwn, db, schemas)).toEqual(await envelopesOf(byZongji, db, schemas));
    } finally {
      await db.close();
    }
  });
});
