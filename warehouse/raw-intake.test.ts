// The loader's intake against the JavaScript mapping it replaces, as a differential test: the same
// change events (a MariaDB table with a column of every kind, through the real reader and bus)
// loaded once each way must end with the same raw rows, versions and deletions included.
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestReader, type TestReader } from '../test/fixtures/cdc.js';
import { createTestDatabase, type TestDatabase } from '../test/fixtures/database.js';
import { tempDir } from '../test/fixtures/temp-dir.js';
import { silentLogger } from '../core/log.js';
import { createWarehouseClient, type ClickHouseClient } from './client.js';
import { startWarehouseLoader } from './loader.js';

const dir = tempDir();
let db: TestDatabase;
let cdc: TestReader;
let client: ClickHouseClient;

/** Every column kind the raw layer maps (type-mapping.ts), nullable and not. */
const EVERY_KIND = `CREATE TABLE every_kind (
  id BIGINT UNSIGNED NOT NULL PRIMARY KEY,
  t TINYINT NOT NULL, tu TINYINT UNSIGNED NULL, s SMALLINT NULL, m MEDIUMINT NULL, i INT NOT NULL, iu INT UNSIGNED NULL,
  b BIGINT NULL, bu BIGINT UNSIGNED NULL, bits BIT(10) NULL, y YEAR NULL, f FLOAT NULL, d DOUBLE NULL,
  dec1 DECIMAL(12,2) NULL, dec2 DECIMAL(30,10) NOT NULL DEFAULT 0,
  dt DATETIME(6) NULL, dt0 DATETIME NULL, ts TIMESTAMP(3) NULL, dd DATE NULL, tm TIME(3) NULL,
  e ENUM('a', 'b,c', 'd') NULL, st SET('x', 'y', 'z') NULL,
  v VARCHAR(100) NOT NULL DEFAULT '', tx TEXT NULL, j JSON NULL, bin VARBINARY(16) NULL, bl BLOB NULL, ch CHAR(3) NULL
)`;

const ROWS = [
  `(1, -128, 255, -32768, -8388608, -2147483648, 4294967295, -9223372036854775808, 18446744073709551615, b'1010101010', 1901, 1.5, -2.25e300,
    -1234567890.12, 12345678901234567890.0123456789, '2026-12-06 10:11:12.123456', '1970-01-01 00:00:00', '2038-01-19 03:14:07.999', '1000-01-01', '-838:59:59.000',
    'b,c', 'x,z', 'tab\\there, "quoted", back\\\\slash, newline\\nend', 'München 🚲 ''single''', '{"a": [1, 2, {"b": null}]}', X'00FF10', X'DEADBEEF', 'abc')`,
  `(2, 127, 0, 32767, 8388607, 2147483647, 0, 9223372036854775807, 0, b'0', 2155, -0.0, 0,
    0.01, -0.0000000001, '9999-12-31 23:59:59.999999', '2026-03-01 00:00:01', '1970-01-01 00:00:01.000', '9999-12-31', '838:59:59.999',
    'a', '', '', '', 'null', X'', X'', '')`,
  `(3, 0, NULL, NULL, NULL, 0, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, 0, NULL, NULL, NULL, NULL, NULL, NULL, NULL, 'plain', NULL, NULL, NULL, NULL, NULL)`,
];

beforeAll(async () => {
  db = await createTestDatabase('intake');
  await db.pool.query(EVERY_KIND);
  await db.pool.query(`INSERT INTO every_kind VALUES ${ROWS.slice(0, 2).join(', ')}`);
  cdc = await startTestReader(db.url, join(dir.path, 'cdc'));
  // Streamed after the snapshot: an insert, updates (one of the primary key), a delete.
  await db.pool.query(`INSERT INTO every_kind VALUES ${ROWS[2]}`);
  await db.pool.query("UPDATE every_kind SET v = 'changed', f = 3.25 WHERE id = 1");
  await db.pool.query('UPDATE every_kind SET id = 20 WHERE id = 2');
  await db.pool.query('INSERT INTO every_kind (id, t, i) VALUES (4, 1, 1)');
  await db.pool.query('DELETE FROM every_kind WHERE id = 4');
  client = createWarehouseClient({ path: join(dir.path, 'warehouse') });
  // Every version of every row is compared: no merge may fold them meanwhile.
  await client.command({ query: 'SYSTEM STOP MERGES' });
});
afterAll(async () => {
  await client?.close();
  await cdc?.stop();
  await db?.close();
  dir.remove();
});

/** A client that counts the loader's inserts into every_kind: as rows (JavaScript) or through the intake. */
function counting(target: ClickHouseClient) {
  const calls = { rows: 0, intake: 0 };
  const client = new Proxy(target, {
    get(object, property, receiver) {
      const value = Reflect.get(object, property, receiver);
      if (typeof value !== 'function') return value;
      return (params: { table?: string; query?: string }) => {
        if (property === 'insert' && params.table?.includes('every_kind')) calls.rows++;
        if (property === 'exec' && /^INSERT INTO raw_intake\.every_kind__/.test(params.query ?? '')) calls.intake++;
        return value.call(object, params);
      };
    },
  });
  return { client, calls };
}

/** Loads the topics with a new group one way or the other, into an emptied raw table, and reads every version of every row. */
async function load(intake: boolean, group: string) {
  await client.command({ query: 'CREATE DATABASE IF NOT EXISTS raw' });
  await client.command({ query: 'TRUNCATE TABLE IF EXISTS raw.every_kind' });
  const { client: observed, calls } = counting(client);
  const loader = startWarehouseLoader({ bus: cdc.bus, client: observed, pool: db.pool, database: db.name, topicPrefix: 'sl', log: silentLogger(), group, intake });
  await loader.start();
  // Until the group has handled every event of the table's topic.
  const topic = `sl.${db.name}.every_kind`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    const lag = (await cdc.bus.lag(group)).filter((p) => p.topic === topic);
    if ((lag.length > 0 && lag.every((p) => p.lag === 0)) || Date.now() > deadline) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  const rows = await client.query({
    query: 'SELECT * EXCEPT _synced_at FROM raw.every_kind ORDER BY id, _version, _is_deleted',
    format: 'JSONEachRow', clickhouse_settings: { output_format_json_quote_64bit_integers: 1 },
  }).then((result) => result.json<Record<string, unknown>>());
  await loader.stop();
  return { rows, calls };
}

describe('the warehouse loader\'s intake', () => {
  it('writes every column kind, version and deletion as the JavaScript mapping does', async () => {
    const before = await load(false, 'intake-js');
    const after = await load(true, 'intake-fast');
    expect(after.rows).toEqual(before.rows);
    expect(before.calls.intake).toBe(0);
    expect(after.calls).toEqual({ rows: 0, intake: after.calls.intake });
    expect(after.calls.intake).toBeGreaterThan(0);
    // The newest version of each key (rows of one key in one insert may already be folded into it):
    // the key update ended the old key's row, the deleted row ended.
    const newest = new Map(after.rows.map((row) => [row.id, row]));
    expect([...newest].map(([id, row]) => [id, row._is_deleted])).toEqual([['1', 0], ['2', 1], ['3', 0], ['4', 1], ['20', 0]]);
    expect(newest.get('1')).toMatchObject({ v: 'changed', f: 3.25, dt: '2026-12-06 10:11:12.123456', e: 'b,c', bu: '18446744073709551615' });
  });

  it('leaves a batch it cannot map to the JavaScript path: a truncate, then a column MySQL gained', async () => {
    await db.pool.query('TRUNCATE TABLE every_kind');
    await db.pool.query('INSERT INTO every_kind (id, t, i) VALUES (5, 1, 1)');
    await db.pool.query('ALTER TABLE every_kind ADD COLUMN added VARCHAR(10) NULL');
    await db.pool.query("INSERT INTO every_kind (id, t, i, added) VALUES (6, 1, 1, 'new')");
    const loader = startWarehouseLoader({ bus: cdc.bus, client, pool: db.pool, database: db.name, topicPrefix: 'sl', log: silentLogger(), group: 'intake-ddl' });
    await loader.start();
    try {
      const deadline = Date.now() + 30_000;
      let rows: { id: string; added: string | null }[] = [];
      while (Date.now() < deadline) {
        rows = await client.query({ query: 'SELECT toString(id) AS id, added FROM raw.every_kind FINAL WHERE _is_deleted = 0 ORDER BY id', format: 'JSONEachRow' })
          .then((result) => result.json<{ id: string; added: string | null }>()).catch(() => []);
        if (rows.length === 2 && rows[1]!.added === 'new') break;
        await new Promise((r) => setTimeout(r, 50));
      }
      expect(rows).toEqual([{ id: '5', added: null }, { id: '6', added: 'new' }]);
      // The intake for the columns before ADD COLUMN is gone; the one for the new columns and its views stay.
      const intakes = await client.query({ query: "SELECT name FROM system.tables WHERE database = 'raw_intake' AND startsWith(name, 'every_kind__') ORDER BY name", format: 'JSONEachRow' })
        .then((result) => result.json<{ name: string }>());
      expect(intakes.map((row) => row.name.replace(/[0-9a-f]{12}/, 'HASH'))).toEqual(['every_kind__HASH', 'every_kind__HASH__old_keys', 'every_kind__HASH__rows']);
      expect(new Set(intakes.map((row) => row.name.slice(0, 'every_kind__'.length + 12))).size).toBe(1);
    } finally {
      await loader.stop();
    }
  });
});
