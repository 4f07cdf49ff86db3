// The loader's TabSeparated rows against ClickHouse's own JSON reading of the same rows, as a
// differential test: the change events of a MariaDB table with a column of every kind (through the
// real reader and bus), loaded by the loader and inserted as JSON rows (raw-rows.ts changeRows, the
// mapping the loader used before), must end with the same raw rows, versions and deletions included.
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestReader, type TestReader } from '../test/fixtures/cdc.js';
import { createTestDatabase, type TestDatabase } from '../test/fixtures/database.js';
import { tempDir } from '../test/fixtures/temp-dir.js';
import { silentLogger } from '../core/log.js';
import { createWarehouseClient, type ClickHouseClient } from './client.js';
import { startWarehouseLoader } from './loader.js';
import { readSourceTable } from './raw-schema.js';
import { changeRows } from './raw-rows.js';
import { debeziumColumns } from '../pipelines/cdc/debezium/builtin-row.js';
import { envelopes, readTopic } from '../test/fixtures/cdc.js';
import { eventVersion } from '../pipelines/cdc/event-version.js';

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
  await db.pool.query('UPDATE every_kind SET f = 3.25 WHERE id = 1');
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

/**
 * A client that counts the loader's writes to every_kind: TabSeparated bodies, and rows as objects.
 * `holdFirstMs` holds the first TabSeparated insert back that long, as a busy chDB would.
 */
function counting(target: ClickHouseClient, table = 'every_kind', holdFirstMs = 0) {
  const calls = { tsv: 0, rows: 0 };
  const client = new Proxy(target, {
    get(object, property, receiver) {
      const value = Reflect.get(object, property, receiver);
      if (typeof value !== 'function') return value;
      return async (params: { table?: string; query?: string }) => {
        if (property === 'insert' && params.table?.includes(table)) calls.rows++;
        if (property === 'exec' && new RegExp(`^INSERT INTO raw\\.${table} \\(.*\\) FORMAT TabSeparated$`).test(params.query ?? '')) {
          if (++calls.tsv === 1 && holdFirstMs > 0) await new Promise((r) => setTimeout(r, holdFirstMs));
        }
        return value.call(object, params);
      };
    },
  });
  return { client, calls };
}

const everyVersion = (table: string) => client.query({
  query: `SELECT * EXCEPT _synced_at FROM raw.${table} ORDER BY id, _version, _is_deleted`,
  format: 'JSONEachRow', clickhouse_settings: { output_format_json_quote_64bit_integers: 1 },
}).then((result) => result.json<Record<string, unknown>>());

/** Until the group has handled every event of the table's topic. */
async function handledAll(group: string, topic = `sl.${db.name}.every_kind`) {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const lag = (await cdc.bus.lag(group)).filter((p) => p.topic === topic);
    if ((lag.length > 0 && lag.every((p) => p.lag === 0)) || Date.now() > deadline) return;
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('the warehouse loader\'s rows', () => {
  it('writes every column kind, version and deletion as ClickHouse reads the same rows as JSON', async () => {
    const { client: observed, calls } = counting(client);
    const loader = startWarehouseLoader({ bus: cdc.bus, client: observed, pool: db.pool, database: db.name, topicPrefix: 'sl', log: silentLogger(), group: 'tsv' });
    await loader.start();
    await handledAll('tsv');
    await loader.stop();
    const loaded = await everyVersion('every_kind');

    // The reference: the same events as JSON rows, into a table made like the loader's, each
    // version kept (the loader's inserts fold a key's versions within one batch, as ClickHouse does).
    const source = (await readSourceTable(db.pool, db.name, 'every_kind'))!;
    const shape = { primaryKey: source.primaryKey, debezium: debeziumColumns(source.columns) };
    await client.command({ query: 'CREATE TABLE raw.every_kind_json AS raw.every_kind' });
    await client.insert({
      table: 'raw.every_kind_json', format: 'JSONEachRow', clickhouse_settings: { date_time_input_format: 'best_effort', optimize_on_insert: 0 },
      values: envelopes(await readTopic(cdc.bus, `sl.${db.name}.every_kind`)).flatMap((envelope) => changeRows(envelope, shape, Date.now())),
    });
    const reference = await everyVersion('every_kind_json');
    expect(reference.length).toBe(8);
    for (const row of loaded) expect(reference).toContainEqual(row);
    const newestOf = (rows: Record<string, unknown>[]) => [...new Map(rows.map((row) => [row.id, row])).values()];
    expect(newestOf(loaded)).toEqual(newestOf(reference));
    expect(calls.rows).toBe(0);
    expect(calls.tsv).toBeGreaterThan(0);
    // The newest version of each key: the key update ended the old key's row, the deleted row ended.
    const newest = new Map(loaded.map((row) => [row.id, row]));
    expect([...newest].map(([id, row]) => [id, row._is_deleted])).toEqual([['1', 0], ['2', 1], ['3', 0], ['4', 1], ['20', 0]]);
    expect(newest.get('1')).toMatchObject({
      v: 'tab\there, "quoted", back\\slash, newline\nend', f: 3.25, dt: '2026-12-06 10:11:12.123456', e: 'b,c', st: 'x,z', bu: '18446744073709551615',
      tx: 'München 🚲 \'single\'', j: '{"a": [1, 2, {"b": null}]}',
    });
    expect(newest.get('3')).toMatchObject({ tu: null, dt: null, tx: null, v: 'plain', dec2: 0 });
  });

  it('follows a truncate, then a column MySQL gained, and drops the intake tables of earlier versions', async () => {
    // What an earlier version's loader left: a database of Null tables and their views.
    await client.command({ query: 'CREATE DATABASE IF NOT EXISTS raw_intake' });
    await client.command({ query: 'CREATE TABLE IF NOT EXISTS raw_intake.every_kind__0123456789ab (before String, after String, source String, op String) ENGINE = Null' });
    await db.pool.query('TRUNCATE TABLE every_kind');
    await db.pool.query('INSERT INTO every_kind (id, t, i) VALUES (5, 1, 1)');
    await db.pool.query('ALTER TABLE every_kind ADD COLUMN added VARCHAR(10) NULL');
    await db.pool.query("INSERT INTO every_kind (id, t, i, added) VALUES (6, 1, 1, 'new')");
    const loader = startWarehouseLoader({ bus: cdc.bus, client, pool: db.pool, database: db.name, topicPrefix: 'sl', log: silentLogger(), group: 'tsv-ddl' });
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
    } finally {
      await loader.stop();
    }
    const databases = await client.query({ query: "SELECT name FROM system.databases WHERE name = 'raw_intake'", format: 'JSONEachRow' }).then((result) => result.json());
    expect(databases).toEqual([]);
  });

  it('dead-letters only the event whose row ClickHouse refuses, and loads the rest of its batch', async () => {
    const topic = `sl.${db.name}.every_kind`;
    const all = envelopes(await readTopic(cdc.bus, topic));
    const model = all.find((envelope) => envelope.op === 'c')!;
    // Newer than every change so far, the truncate of the test before included.
    const newest = eventVersion(all.at(-1)!);
    const event = (id: number, i: unknown) => JSON.stringify({ ...model, after: { ...model.after, id, i }, source: { ...model.source, sequence: String(newest + BigInt(id)) } });
    // One key, so the three come in order in one batch of one partition.
    await cdc.bus.publish(topic, [{ key: 'k', value: event(100, 1) }, { key: 'k', value: event(101, 'not a number') }, { key: 'k', value: event(102, 3) }]);
    const loader = startWarehouseLoader({ bus: cdc.bus, client, pool: db.pool, database: db.name, topicPrefix: 'sl', log: silentLogger(), group: 'tsv-refused' });
    await loader.start();
    try {
      await handledAll('tsv-refused');
      const rows = await client.query({ query: 'SELECT toString(id) AS id, i FROM raw.every_kind FINAL WHERE every_kind.id >= 100 ORDER BY every_kind.id', format: 'JSONEachRow' }).then((r) => r.json());
      expect(rows).toEqual([{ id: '100', i: 1 }, { id: '102', i: 3 }]);
      const letters = await readTopic(cdc.bus, 'sl.dlq.tsv-refused');
      expect(letters.map((letter) => (JSON.parse(letter.value!.toString()) as { after: { id: number } }).after.id)).toEqual([101]);
      expect(letters[0]!.headers['dlq.error']).toMatch(/warehouse rejected rows for every_kind/);
    } finally {
      await loader.stop();
    }
  });

  it('merges the batches of a table\'s partitions that wait on an insert into the next one', async () => {
    const { events, topic } = await freshTable('merged_kind');
    // Ten rows in each of the three partitions, each partition's in one batch.
    await cdc.bus.publish(topic, [0, 1, 2].flatMap((partition) => Array.from({ length: 10 }, (_, n) => ({ key: null, partition, value: events(300 + partition * 10 + n, 1) }))));
    const { client: slow, calls } = counting(client, 'merged_kind', 500);
    const loader = startWarehouseLoader({ bus: cdc.bus, client: slow, schemaClient: client, pool: db.pool, database: db.name, topicPrefix: 'sl', log: silentLogger(), group: 'tsv-merged' });
    await loader.start();
    try {
      await handledAll('tsv-merged', topic);
      expect(await idsOf('merged_kind')).toEqual(Array.from({ length: 30 }, (_, n) => 300 + n));
      // The first partition's batch alone; the two that came while it was held, in one insert.
      expect(calls.tsv).toBe(2);
    } finally {
      await loader.stop();
    }
  });

  it('loads every other batch of a merged insert ClickHouse refused, and dead-letters only the refused row', async () => {
    const { events, topic } = await freshTable('refused_kind');
    await cdc.bus.publish(topic, [0, 1, 2].flatMap((partition) => Array.from({ length: 10 }, (_, n) => {
      const id = 400 + partition * 10 + n;
      return { key: null, partition, value: events(id, id === 425 ? 'not a number' : 1) };
    })));
    const { client: slow } = counting(client, 'refused_kind', 500);
    const loader = startWarehouseLoader({ bus: cdc.bus, client: slow, schemaClient: client, pool: db.pool, database: db.name, topicPrefix: 'sl', log: silentLogger(), group: 'tsv-merged-refused' });
    await loader.start();
    try {
      await handledAll('tsv-merged-refused', topic);
      expect(await idsOf('refused_kind')).toEqual(Array.from({ length: 30 }, (_, n) => 400 + n).filter((id) => id !== 425));
      // The group read every_kind's history too, with the refused row of the test before.
      const letters = (await readTopic(cdc.bus, 'sl.dlq.tsv-merged-refused')).filter((letter) => letter.headers['dlq.topic'] === topic);
      expect(letters.map((letter) => (JSON.parse(letter.value!.toString()) as { after: { id: number } }).after.id)).toEqual([425]);
    } finally {
      await loader.stop();
    }
  });
});

/** A MariaDB table of two columns whose change events the test writes to its topic itself (the reader captures no row of it). */
async function freshTable(table: string) {
  await db.pool.query(`CREATE TABLE ${table} (id BIGINT NOT NULL PRIMARY KEY, i INT NOT NULL)`);
  const topic = `sl.${db.name}.${table}`;
  const model = envelopes(await readTopic(cdc.bus, `sl.${db.name}.every_kind`)).find((envelope) => envelope.op === 'c')!;
  const events = (id: number, i: unknown) => JSON.stringify({ ...model, before: null, after: { id, i }, source: { ...model.source, table, sequence: String(1_000_000n + BigInt(id)) } });
  return { events, topic };
}

const idsOf = (table: string) => client.query({ query: `SELECT id FROM raw.${table} FINAL ORDER BY id`, format: 'JSONEachRow', clickhouse_settings: { output_format_json_quote_64bit_integers: 0 } })
  .then((r) => r.json<{ id: number }>()).then((rows) => rows.map((row) => row.id));
