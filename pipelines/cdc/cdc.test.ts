import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { caughtUp, ddlStatements, envelopes, fold, readTopic, startTestReader, tableRows, type TestReader } from '../../test/fixtures/cdc.js';
import { createTestDatabase, type TestDatabase } from '../../test/fixtures/database.js';
import { tempDir } from '../../test/fixtures/temp-dir.js';
import { until } from '../../test/fixtures/eventually.js';
import { capturedLog } from '../../test/fixtures/captured-log.js';
import { rowMetadataSources } from '../../test/fixtures/row-metadata.js';
import { silentLogger } from '../../core/log.js';
import { createListing } from '../../marketplace/domain/listings.js';
import { placeOrder } from '../../marketplace/domain/orders.js';
import { createUser } from '../../marketplace/domain/users.js';
import { seed } from '../../marketplace/sample-data/seed.js';
import { simulate } from '../../marketplace/sample-data/simulate.js';
import { createWarehouseClient, type ClickHouseClient } from '../../warehouse/client.js';
import { startWarehouseLoader } from '../../warehouse/loader.js';
import type { DomainEventMessage } from './outbox-router.js';

const dir = tempDir();
const quiet = () => ({ update() {}, finish() {} });
const open: { db?: TestDatabase; reader?: TestReader }[] = [];
afterEach(async () => {
  for (const { reader, db } of open.splice(0)) {
    await reader?.stop();
    await db?.close();
  }
});
const servers = rowMetadataSources(dir.path);
// chDB allows one data folder per process: the label tests share it.
let warehouse: ClickHouseClient | undefined;
afterAll(async () => {
  await warehouse?.close();
  await servers.stop();
  dir.remove();
});

async function setUp(name: string, prepare?: (db: TestDatabase) => Promise<void>, serverUrl?: string) {
  const db = await createTestDatabase('cdc', serverUrl);
  await prepare?.(db);
  const reader = await startTestReader(db.url, `${dir.path}/${name}`);
  open.push({ db, reader });
  return { db, reader, topic: (table: string) => `sl.${db.name}.${table}` };
}

/**
 * A reader that was stopped while `writes` ran, started again (with a captured log): it decodes
 * their rows only now, when the tables may have changed since.
 */
async function readerBehind(name: string, serverUrl: string, prepare: string[], writes: string[], untilStreaming = true) {
  const { db, reader } = await setUp(name, async (d) => {
    for (const sql of prepare) await d.pool.query(sql);
  }, serverUrl);
  await reader.reader.stop();
  for (const sql of writes) await db.pool.query(sql);
  await reader.bus.close();
  const logged = capturedLog('info');
  const again = await startTestReader(db.url, `${dir.path}/${name}`, { log: logged.log }, untilStreaming);
  open.push({ reader: again });
  return { db, again, logged };
}

const TYPES_TABLE = `CREATE TABLE types (
  id BIGINT UNSIGNED PRIMARY KEY, big BIGINT, ubig BIGINT UNSIGNED, small SMALLINT, d DECIMAL(20,6), f FLOAT, dbl DOUBLE,
  dt DATETIME(6), ts TIMESTAMP(3) NULL, dte DATE, tm TIME(6), yr YEAR, js JSON, en ENUM('a','b,c','d'), st SET('x','y','z'),
  bl BLOB, vb VARBINARY(16), txt TEXT, ch CHAR(3), u UUID, ip INET6, ip4 INET4, bt BIT(5), tiny TINYINT(1), latin VARCHAR(10) CHARACTER SET latin1, maybe VARCHAR(5) NULL
)`;
const FULL_ROW = `(1, -9007199254740993, 18446744073709551615, -32768, '12345678901234.123456', 3.14, 2.718281828459045,
  '2026-11-23 15:00:01.123456', '2026-11-23 15:00:02.123', '2026-02-28', '-12:34:56.789012', 2026, '{"a": [1, 2, {"b": 12345678901234567890}]}', 'b,c', 'x,z',
  0x00FF10, 0xDEADBEEF, 'héllo wörld 🚀', 'ab', '6ccd780c-baba-1026-9564-5b8c656024db', '2001:db8::1', '192.168.0.1', b'10101', 1, 'café', NULL)`;

const LABELS_TABLE = `CREATE TABLE labels (
  id INT PRIMARY KEY, en ENUM('a','b,c','d''e','f\\\\g','(x)','',' ,y','h"i'), st SET('x','w''q','b\\\\s','p"q')
)`;
const LABEL_ROWS = [
  "(1, 'a', 'x')", "(2, 'b,c', 'w''q')", "(3, 'd''e', 'x,w''q,b\\\\s')",
  "(4, 'f\\\\g', 'p\"q')", "(5, '(x)', '')", "(6, '', NULL)", "(7, ' ,y', 'b\\\\s,p\"q')", "(8, 'h\"i', 'x,p\"q')",
];
/** What MySQL holds at the end, label by label. */
const LABEL_VALUES: Record<number, [string | null, string | null]> = {
  2: ["d'e", 'w\'q,p"q'], 3: ["d'e", "x,w'q,b\\s"], 4: ['f\\g', 'p"q'], 5: ['b,c', ''], 6: ['', null], 7: [' ,y', 'b\\s,p"q'], 8: ['h"i', 'x,p"q'],
};

describe.each(servers.sources)('column values with binlog_row_metadata=$metadata', ({ metadata, serverUrl }) => {
  it('turns inserts, updates and deletes of every column type into envelopes that match what SELECT returns', async () => {
    const { db, reader, topic } = await setUp(`types-${metadata}`, async (d) => { await d.pool.query(TYPES_TABLE); }, await serverUrl());
    await db.pool.query(`INSERT INTO types VALUES ${FULL_ROW}`);
    await db.pool.query('INSERT INTO types (id, maybe) VALUES (2, \'\')');
    const selected = await tableRows(db.url, 'types');
    await db.pool.query("UPDATE types SET f = 1.5, txt = '', maybe = NULL, st = 'y' WHERE id = 1");
    await db.pool.query('DELETE FROM types WHERE id = 2');
    await caughtUp(db.url, reader.reader);

    const events = envelopes(await readTopic(reader.bus, topic('types')));
    expect(events.map((e) => [e.op, (e.after ?? e.before)!.id])).toEqual([['c', 1], ['c', 2], ['u', 1], ['d', 2]]);
    const [insert1, insert2, update, remove] = events;
    // The binlog's view and the snapshot's SELECT agree value for value.
    expect(insert1!.after).toEqual(selected.get('{"id":1}'));
    expect(insert2!.after).toEqual(selected.get('{"id":2}'));
    expect(insert1!.after).toEqual({
      id: 1, big: '-9007199254740993', ubig: '18446744073709551615', small: -32768, d: '12345678901234.123456', f: 3.14, dbl: 2.718281828459045,
      dt: '2026-11-23T15:00:01.123456Z', ts: '2026-11-23T15:00:02.123Z', dte: '2026-02-28', tm: '-12:34:56.789012', yr: 2026,
      js: '{"a": [1, 2, {"b": 12345678901234567890}]}', en: 'b,c', st: 'x,z', bl: 'AP8Q', vb: '3q2+7w==', txt: 'héllo wörld 🚀', ch: 'ab',
      u: '6ccd780c-baba-1026-9564-5b8c656024db', ip: '2001:db8::1', ip4: '192.168.0.1', bt: 21, tiny: 1, latin: 'café', maybe: null,
    });
    expect(insert2!.after).toMatchObject({ id: 2, big: null, maybe: '' });
    expect(update!.before).toEqual(insert1!.after);
    expect(update!.after).toEqual({ ...insert1!.after, f: 1.5, txt: '', maybe: null, st: 'y' });
    expect(remove!.before).toEqual(insert2!.after);
    expect(remove!.after).toBeNull();
    expect(insert1!.source).toMatchObject({ connector: 'mysql', name: 'sl', db: db.name, table: 'types', snapshot: 'false', row: 0 });
    expect(insert1!.source.gtid).toMatch(/^\d+-\d+-\d+$/);
    expect(insert1!.transaction).toMatchObject({ id: insert1!.source.gtid, total_order: 1 });
    expect(events.map((e) => e.source.pos)).toEqual([...events.map((e) => e.source.pos)].sort((a, b) => a - b));
  });

  it('keeps ENUM and SET labels holding commas, quotes and backslashes exactly, snapshotted and streamed', async () => {
    const { db, reader, topic } = await setUp(`labels-${metadata}`, async (d) => {
      await d.pool.query(LABELS_TABLE);
      await d.pool.query(`INSERT INTO labels VALUES ${LABEL_ROWS.slice(0, 3).join(', ')}`);
    }, await serverUrl());
    await db.pool.query(`INSERT INTO labels VALUES ${LABEL_ROWS.slice(3).join(', ')}`);
    await db.pool.query("UPDATE labels SET en = 'd''e', st = 'w''q,p\"q' WHERE id = 2");
    await db.pool.query("UPDATE labels SET en = 'b,c' WHERE id = 5");
    await db.pool.query('DELETE FROM labels WHERE id = 1');
    await caughtUp(db.url, reader.reader);

    const events = envelopes(await readTopic(reader.bus, topic('labels')));
    expect(events.map((e) => e.op)).toEqual(['r', 'r', 'r', 'c', 'c', 'c', 'c', 'c', 'u', 'u', 'd']);
    const expected = new Map(Object.entries(LABEL_VALUES).map(([id, [en, st]]) => [`{"id":${id}}`, { id: Number(id), en, st }]));
    expect(fold(await readTopic(reader.bus, topic('labels')))).toEqual(expected);
    expect(await tableRows(db.url, 'labels')).toEqual(expected);
    // Before-images come through the same labels.
    expect(events.find((e) => e.op === 'u' && e.after!.id === 2)!.before).toEqual({ id: 2, en: 'b,c', st: "w'q" });
    expect(events.find((e) => e.op === 'd')!.before).toEqual({ id: 1, en: 'a', st: 'x' });

    // The warehouse loader takes the labels as they are.
    warehouse ??= createWarehouseClient({ path: join(dir.path, 'warehouse') });
    await warehouse.command({ query: 'DROP TABLE IF EXISTS raw.labels' });
    const loader = startWarehouseLoader({ bus: reader.bus, client: warehouse, pool: db.pool, database: db.name, topicPrefix: 'sl', log: silentLogger() });
    await loader.start();
    try {
      const loaded = async () => (await warehouse!.query({ query: 'SELECT id, en, st FROM raw.labels FINAL WHERE _is_deleted = 0 ORDER BY id', format: 'JSONEachRow' })).json();
      expect(await until(() => loaded().catch(() => []), (rows) => rows.length === expected.size, 30_000)).toEqual([...expected.values()]);
    } finally {
      await loader.stop();
    }
  });

  it('passes over rows of a table dropped before capture read them when the binlog cannot name their columns, and goes on', async () => {
    const { db, again, logged } = await readerBehind(`dropped-table-${metadata}`, await serverUrl(), [], [
      'CREATE TABLE fleeting (id INT PRIMARY KEY, v VARCHAR(5))', "INSERT INTO fleeting VALUES (1, 'gone')", 'DROP TABLE fleeting',
    ]);
    await caughtUp(db.url, again.reader);
    // A table of that name again: its rows are captured.
    await db.pool.query('CREATE TABLE fleeting (id INT PRIMARY KEY, w INT)');
    await db.pool.query('INSERT INTO fleeting VALUES (2, 20)');
    await caughtUp(db.url, again.reader);
    const after = envelopes(await readTopic(again.bus, `sl.${db.name}.fleeting`)).map((e) => e.after);
    // FULL names the dropped table's columns; otherwise its row is passed over, with a warning.
    expect(after).toEqual(metadata === 'FULL' ? [{ id: 1, v: 'gone' }, { id: 2, w: 20 }] : [{ id: 2, w: 20 }]);
    expect(/rows of a table dropped or renamed since/.test(logged.text())).toBe(metadata !== 'FULL');
  });

  it('decodes rows written before a column was dropped, or stops naming the setting when the binlog cannot tell their columns', async () => {
    // The reader is behind: it decodes the first row only after the column is gone.
    const { db, again, logged } = await readerBehind(`dropped-column-${metadata}`, await serverUrl(), ['CREATE TABLE shrinking (id INT PRIMARY KEY, a VARCHAR(5), b VARCHAR(5))'], [
      "INSERT INTO shrinking VALUES (1, 'a1', 'b1')", 'ALTER TABLE shrinking DROP COLUMN a', "INSERT INTO shrinking VALUES (2, 'b2')",
    ], false);
    const topic = `sl.${db.name}.shrinking`;
    const warned = () => /binlog_row_metadata is not FULL/.test(logged.text());
    if (metadata === 'FULL') {
      await caughtUp(db.url, again.reader);
      expect(envelopes(await readTopic(again.bus, topic)).map((e) => e.after)).toEqual([{ id: 1, a: 'a1', b: 'b1' }, { id: 2, b: 'b2' }]);
      expect(warned()).toBe(false);
    } else {
      await expect(again.reader.done).rejects.toThrow(/rows of .*\.shrinking .*binlog_row_metadata=FULL/);
      // Nothing after the rows it could not decode went out, so nothing was skipped.
      expect(await readTopic(again.bus, topic)).toEqual([]);
      // Said at start, before any such row was met.
      expect(warned()).toBe(true);
    }
  });
});

describe('change capture', () => {
  it('delivers an UPDATE of 10,000 rows in one statement complete and in order', async () => {
    const { db, reader, topic } = await setUp('big-update', async (d) => {
      await d.pool.query('CREATE TABLE counters (id INT PRIMARY KEY, n INT NOT NULL, note VARCHAR(40))');
      await d.pool.query('INSERT INTO counters (id, n) SELECT seq, 0 FROM seq_1_to_10000');
    });
    await caughtUp(db.url, reader.reader);
    await db.pool.query("UPDATE counters SET n = n + 1, note = CONCAT('row ', id)");
    await caughtUp(db.url, reader.reader);
    const updates = envelopes(await readTopic(reader.bus, topic('counters'))).filter((e) => e.op === 'u');
    expect(updates).toHaveLength(10_000);
    expect(new Set(updates.map((e) => e.transaction!.id)).size).toBe(1);
    const order = updates.map((e) => e.transaction!.total_order).sort((a, b) => a - b);
    expect(order).toEqual(Array.from({ length: 10_000 }, (_, i) => i + 1));
    for (const e of updates) expect(e.after).toEqual({ id: e.before!.id, n: 1, note: `row ${e.before!.id}` });
    expect(fold(await readTopic(reader.bus, topic('counters')))).toEqual(await tableRows(db.url, 'counters'));
  });

  it('hands over from the snapshot to the binlog with no gap and no double, while writers keep writing', async () => {
    const db = await createTestDatabase('cdc');
    open.push({ db });
    await seed(db.pool, { users: 300, listings: 6000, seed: 3, progress: quiet });
    // Writers run while the snapshot reads the tables in small chunks.
    const writing = simulate(db.pool, { ratePerSecond: 400, durationMs: 2500, concurrency: 6, progress: quiet, seed: 5 });
    const reader = await startTestReader(db.url, `${dir.path}/handover`, { snapshotChunkRows: 200 });
    open.push({ reader });
    // What a start is timed by (up's startup steps): reading the source began with the snapshot, streaming after it.
    await reader.reader.reading;
    await reader.reader.streaming;
    expect(reader.reader.stats().snapshotRows).toBeGreaterThanOrEqual(6000);
    const result = await writing;
    expect(result.errors).toBe(0);
    await caughtUp(db.url, reader.reader);
    for (const table of ['users', 'listings', 'orders', 'messages']) {
      const messages = await readTopic(reader.bus, `sl.${db.name}.${table}`);
      expect(fold(messages), table).toEqual(await tableRows(db.url, table));
    }
    const listingEvents = envelopes(await readTopic(reader.bus, `sl.${db.name}.listings`));
    expect(listingEvents.filter((e) => e.op === 'r').length).toBeGreaterThanOrEqual(6000);
    expect(listingEvents.some((e) => e.op !== 'r')).toBe(true);
  });

  it('carries the new column in events after ALTER TABLE ADD COLUMN mid-stream', async () => {
    const { db, reader, topic } = await setUp('alter', async (d) => {
      await d.pool.query('CREATE TABLE gadgets (id INT PRIMARY KEY, name VARCHAR(20))');
    });
    await db.pool.query("INSERT INTO gadgets VALUES (1, 'before')");
    await db.pool.query("ALTER TABLE gadgets ADD COLUMN color VARCHAR(10) NOT NULL DEFAULT 'red'");
    await db.pool.query("INSERT INTO gadgets VALUES (2, 'after', 'blue')");
    await db.pool.query("UPDATE gadgets SET color = 'green' WHERE id = 1");
    await caughtUp(db.url, reader.reader);
    const events = envelopes(await readTopic(reader.bus, topic('gadgets')));
    expect(events.map((e) => e.after)).toEqual([
      { id: 1, name: 'before' },
      { id: 2, name: 'after', color: 'blue' },
      { id: 1, name: 'before', color: 'green' },
    ]);
    const ddl = await ddlStatements(reader.bus);
    expect(ddl.some((sql) => /ALTER TABLE gadgets ADD COLUMN color/.test(sql))).toBe(true);
  });

  it('emits a truncate event consumers can act on', async () => {
    const { db, reader, topic } = await setUp('truncate', async (d) => {
      await d.pool.query('CREATE TABLE scratch (id INT PRIMARY KEY)');
    });
    await db.pool.query('INSERT INTO scratch VALUES (1), (2)');
    await db.pool.query('TRUNCATE TABLE scratch');
    await caughtUp(db.url, reader.reader);
    const events = envelopes(await readTopic(reader.bus, topic('scratch')));
    expect(events.map((e) => e.op)).toEqual(['c', 'c', 't', 't', 't']);
    expect(events[2]).toMatchObject({ before: null, after: null, source: { table: 'scratch' } });
  });

  it('captures awkward tables: no primary key, 200 columns, a 16 MB JSON value, zero dates', async () => {
    const wide = Array.from({ length: 200 }, (_, i) => `c${i} VARCHAR(8) NULL`).join(', ');
    const { db, reader, topic } = await setUp('awkward', async (d) => {
      await d.pool.query('CREATE TABLE keyless (a INT, b VARCHAR(10))');
      await d.pool.query(`CREATE TABLE wide (id INT PRIMARY KEY, ${wide})`);
      await d.pool.query('CREATE TABLE blobs (id INT PRIMARY KEY, doc JSON, at DATETIME NULL, day DATE NULL)');
    });
    await db.pool.query("INSERT INTO keyless VALUES (1, 'x'), (1, 'x')");
    await db.pool.query(`INSERT INTO wide (id, c0, c199) VALUES (1, 'first', 'last')`);
    const big = JSON.stringify({ text: 'é'.repeat(8 * 1024 * 1024) });
    const connection = await db.pool.getConnection();
    try {
      // Zero dates need a lenient sql_mode; MariaDB then stores them as given.
      await connection.query("SET SESSION sql_mode = ''");
      await connection.query("INSERT INTO blobs VALUES (1, ?, '0000-00-00 00:00:00', '0000-00-00')", [big]);
    } finally {
      connection.release();
    }
    await caughtUp(db.url, reader.reader);

    const keyless = await readTopic(reader.bus, topic('keyless'));
    expect(keyless.map((m) => m.key)).toEqual([null, null]);
    const [wideEvent] = envelopes(await readTopic(reader.bus, topic('wide')));
    expect(Object.keys(wideEvent!.after!)).toHaveLength(201);
    expect(wideEvent!.after).toMatchObject({ id: 1, c0: 'first', c1: null, c199: 'last' });
    const [blob] = envelopes(await readTopic(reader.bus, topic('blobs')));
    expect((blob!.after!.doc as string).length).toBe(big.length);
    expect(blob!.after).toMatchObject({ id: 1, at: null, day: null });
  });

  it('routes outbox rows to domain-event topics keyed by aggregate, and keeps secrets off the bus', async () => {
    const { db, reader, topic } = await setUp('outbox');
    const seller = await createUser(db.pool, { email: 's@example.com', name: 'Seller', passwordHash: 'scrypt$secret-hash' });
    const buyer = await createUser(db.pool, { email: 'b@example.com', name: 'Buyer', passwordHash: 'scrypt$secret-hash' });
    const listingId = await createListing(db.pool, {
      sellerId: seller.id, name: 'Sofa', description: 'Comfy', category: 'furniture', country: 'GB', city: 'Leeds', priceAmount: 12000, priceCurrency: 'gbp',
    });
    const order = await placeOrder(db.pool, listingId, buyer.id);
    await caughtUp(db.url, reader.reader);

    const [placed, ...others] = (await readTopic(reader.bus, 'sl.events.order')).map((m) => ({ key: m.key, headers: m.headers, value: JSON.parse(m.value!.toString()) as DomainEventMessage }));
    expect(others).toEqual([]);
    expect(placed!.key).toBe(JSON.stringify(String(order.id)));
    expect(placed!.headers).toEqual({ id: placed!.value.id, type: 'order.placed' });
    expect(placed!.value).toMatchObject({
      type: 'order.placed', aggregate_type: 'order', aggregate_id: String(order.id),
      payload: { id: order.id, listing_id: listingId, buyer_id: buyer.id, seller_id: seller.id, amount: 12000, currency: 'gbp' },
    });
    expect(placed!.value.created_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
    expect((await readTopic(reader.bus, 'sl.events.user')).map((m) => JSON.parse(m.value!.toString()).type)).toEqual(['user.signed_up', 'user.signed_up']);
    expect(await reader.bus.partitions(topic('outbox'))).toBe(0);

    const credentials = await readTopic(reader.bus, topic('user_credentials'));
    expect(credentials).toHaveLength(2);
    for (const m of credentials) expect(m.value!.toString()).not.toContain('secret-hash');
  });
});
