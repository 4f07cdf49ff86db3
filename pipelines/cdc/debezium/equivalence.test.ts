// The same writes captured by the built-in reader and by Debezium on Kafka Connect, compared
// field by field. Every difference must be one listed in envelope-differences.ts, and every
// listed one must still occur. Needs the engines (CI starts them): `npm run engines:start`, then
// KAFKA_BROKERS and KAFKA_CONNECT_URL.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../core/config/index.js';
import { parseMysqlUrl, type RowDataPacket } from '../../../marketplace/mysql/connection.js';
import { capturedLog } from '../../../test/fixtures/captured-log.js';
import { caughtUp, replicaId, startTestReader, type TestReader } from '../../../test/fixtures/cdc.js';
import { createTestDatabase, type TestDatabase } from '../../../test/fixtures/database.js';
import { tempDir } from '../../../test/fixtures/temp-dir.js';
import { KafkaBus } from '../../bus/kafka.js';
import type { BusMessage } from '../../bus/port.js';
import { readTopic } from '../../bus/read-topic.js';
import type { ChangeEnvelope, Row } from '../envelope.js';
import { eventVersion } from '../event-version.js';
import { TableFilter } from '../topics.js';
import { asBuiltinRow, debeziumColumns, type DebeziumColumn } from './builtin-row.js';
import { ENVELOPE_DIFFERENCES, microTimestampText } from './envelope-differences.js';
import { silentLogger } from '../../../core/log.js';
import type { Bus } from '../../bus/port.js';
import { createWarehouseClient, type ClickHouseClient } from '../../../warehouse/client.js';
import { startWarehouseLoader } from '../../../warehouse/loader.js';
import { EmbeddedSearch } from '../../sinks/search/embedded/index.js';
import { startSearchIndexer } from '../../sinks/search/indexer.js';
import { reindex } from '../../sinks/search/rebuild.js';
import { backfill } from '../../../warehouse/backfill.js';
import { startWebhookEnqueuer } from '../../sinks/webhooks/webhook-worker.js';
import { EVENTS_TABLE, RAW_DATABASE, readSourceTable, TRUNCATIONS_TABLE } from '../../../warehouse/raw-schema.js';
import { debeziumStatus, debeziumTarget, registerDebezium, type DebeziumTarget } from './index.js';

const brokers = process.env.KAFKA_BROKERS;
const connectUrl = process.env.KAFKA_CONNECT_URL;
if (!brokers || !connectUrl) {
  console.log('debezium equivalence: needs Kafka and Kafka Connect; run `npm run engines:start` and set KAFKA_BROKERS=127.0.0.1:19092 KAFKA_CONNECT_URL=http://127.0.0.1:18083 to include it');
}

const KINDS = `CREATE TABLE kinds (
  id INT PRIMARY KEY, price DECIMAL(12,2), at DATETIME(6), day DATE, ts TIMESTAMP(3) NULL, doc JSON,
  state ENUM('draft','live','sold'), data BLOB, note VARCHAR(40) NULL, big BIGINT, secret VARCHAR(40)
)`;
// The other column types of the backbone's list (MariaDB's UUID, INET4 and INET6 aside: Debezium's
// DDL parser does not know them; see the alien table below).
const MORE_KINDS = `CREATE TABLE more_kinds (
  id BIGINT UNSIGNED PRIMARY KEY, ubig BIGINT UNSIGNED, small SMALLINT, f FLOAT, dbl DOUBLE, tm TIME(6), yr YEAR,
  en ENUM('a','b,c','d'), st SET('x','y','z'), vb VARBINARY(16), txt TEXT, ch CHAR(3), bt BIT(5), tiny TINYINT(1),
  latin VARCHAR(10) CHARACTER SET latin1, dt0 DATETIME, maybe VARCHAR(5) NULL
)`;
const MORE_ROW = `(1, 18446744073709551615, -32768, 3.14, 2.718281828459045, '-12:34:56.789012', 2026, 'b,c', 'x,z', 0xDEADBEEF,
  'héllo wörld 🚀', 'ab', b'10101', 1, 'café', '2026-11-23 15:00:01', NULL)`;
const EXCLUDED_COLUMNS = ['kinds.secret'];

interface Captured { key: string | null; headers: Record<string, string>; envelope: ChangeEnvelope & Record<string, unknown> }

const byVersion = (messages: BusMessage[]): Captured[] => messages
  .map((m) => ({ key: m.key, headers: m.headers, envelope: JSON.parse(m.value!.toString()) as Captured['envelope'] }))
  // Debezium's delete and create of a primary-key change share a position: the delete is first.
  .sort((a, b) => {
    const d = eventVersion(a.envelope) - eventVersion(b.envelope);
    return d < 0n ? -1 : d > 0n ? 1 : (a.envelope.op === 'd' ? -1 : 1);
  });

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 120_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

describe.skipIf(!brokers || !connectUrl)('Debezium on Kafka Connect beside the built-in reader', () => {
  const dir = tempDir();
  const prefix = `eq${Date.now()}`;
  const logged = capturedLog('info');
  let db: TestDatabase;
  let reader: TestReader;
  let kafka: KafkaBus;
  let target: DebeziumTarget;
  let ours: Captured[];
  let theirs: Captured[];
  let oursMore: Captured[];
  let theirsMore: Captured[];
  /** Per table, the columns whose Debezium values differ. */
  const columns = new Map<string, Map<string, DebeziumColumn>>();
  let oursEvents: BusMessage[];
  let theirsEvents: BusMessage[];
  const used = new Set<string>();
  let listingA: number;
  let hookOwner: number;
  let listingB: number;

  beforeAll(async () => {
    db = await createTestDatabase('eq');
    // A user with a webhook endpoint: the outbox event below is theirs, so it becomes a delivery.
    const [owner] = await db.pool.query<{ insertId: number } & RowDataPacket[]>("INSERT INTO users (email, name) VALUES ('hooks@example.com', 'Hook Owner')");
    hookOwner = owner.insertId;
    await db.pool.query("INSERT INTO webhook_endpoints (user_id, url, event_types, secret) VALUES (?, 'https://hooks.example.com/in', '[\"listing.created\"]', 'whsec_x')", [hookOwner]);
    await db.pool.query(KINDS);
    await db.pool.query(MORE_KINDS);
    // Present before either engine starts: both snapshot it.
    await db.pool.query("INSERT INTO kinds (id, note, secret) VALUES (-1, 'before', 'hunter1')");
    // An event of the past: neither engine's snapshot may send it again.
    await db.pool.query('INSERT INTO outbox (id, aggregate_type, aggregate_id, type, payload) VALUES (?, ?, ?, ?, ?)',
      [randomUUID(), 'listing', '41', 'listing.created', '{"title": "old"}']);
    reader = await startTestReader(db.url, `${dir.path}/builtin`, {
      topicPrefix: prefix,
      filter: new TableFilter({ database: db.name, include: [], exclude: ['schema_migrations'], excludeColumns: EXCLUDED_COLUMNS }),
    });
    const config = loadConfig({
      KAFKA_BROKERS: brokers, KAFKA_CONNECT_URL: connectUrl, CDC_ENGINE: 'debezium', TOPIC_PREFIX: prefix, BUS_PARTITIONS: '3',
      KAFKA_REPLICATION_FACTOR: '1', CDC_SERVER_ID: String(replicaId()), CDC_EXCLUDE_TABLES: 'schema_migrations', CDC_EXCLUDE_COLUMNS: EXCLUDED_COLUMNS.join(','),
    }, { dotEnv: false, cwd: dir.path });
    target = debeziumTarget(config, db.url);
    expect(await registerDebezium(target, logged.log)).toBe('created');
    kafka = await KafkaBus.connect({ brokers: brokers!.split(','), clientId: 'equivalence-test', defaultPartitions: 3, replicationFactor: 1, topicRefreshMs: 1000, groupPrefix: `${prefix}.` });
    const topic = `${prefix}.${db.name}.kinds`;
    // Once Debezium has snapshotted the row, it streams everything written after.
    await until('Debezium to snapshot the kinds table', async () => ((await readTopic(kafka, topic)).length > 0 ? true : undefined));
    // The snapshot row goes: the warehouse must not keep it, whichever partition each engine used.
    await db.pool.query('TRUNCATE TABLE kinds');

    await db.pool.query(`INSERT INTO kinds VALUES
      (1, 1234.50, '2026-11-23 15:00:01.123456', '2026-02-28', '2026-11-23 15:00:02.123', '{"a": [1, 2]}', 'live', 0x00FF10, 'héllo', -9007199254740991, 'hunter2'),
      (2, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL)`);
    await db.pool.query("UPDATE kinds SET price = 99.99, at = '2026-11-24 00:00:00.000000', day = '1969-12-31', state = 'sold' WHERE id = 1");
    await db.pool.query('UPDATE kinds SET id = 20 WHERE id = 2');
    const connection = await db.pool.getConnection();
    try {
      await connection.query('START TRANSACTION');
      await connection.query("INSERT INTO kinds (id, note, data) VALUES (3, 'three', ''), (4, 'four', 0xDEADBEEF)");
      await connection.query("UPDATE kinds SET note = 'one', secret = 'hunter3' WHERE id = 1");
      await connection.query('DELETE FROM kinds WHERE id = 3');
      await connection.query('INSERT INTO outbox (id, aggregate_type, aggregate_id, type, payload) VALUES (?, ?, ?, ?, ?)',
        [randomUUID(), 'listing', '42', 'listing.created', JSON.stringify({ title: 'bike', price: '12.50', tags: ['a'], seller_id: hookOwner })]);
      await connection.query('COMMIT');
    } finally {
      connection.release();
    }
    await db.pool.query(`INSERT INTO more_kinds VALUES ${MORE_ROW}`);
    await db.pool.query("INSERT INTO more_kinds (id, maybe) VALUES (2, '')");
    await db.pool.query("UPDATE more_kinds SET ubig = 0, f = -0.5, dbl = 1e300, tm = '838:59:59', yr = 1901, st = '', bt = b'0', tiny = -1, dt0 = '1970-01-01 00:00:00' WHERE id = 1");
    await db.pool.query('DELETE FROM more_kinds WHERE id = 2');
    // A column added mid-stream: rows after it carry it, in both engines and in the warehouse.
    await db.pool.query('ALTER TABLE kinds ADD COLUMN extra VARCHAR(20) NULL');
    await db.pool.query("UPDATE kinds SET extra = 'added' WHERE id = 4");
    // Another database on the same server, with types Debezium's DDL parser does not know: not
    // captured, so it must not stop the connector (the writes after it still arrive).
    await db.pool.query(`CREATE DATABASE ${db.name}_other`);
    await db.pool.query(`CREATE TABLE ${db.name}_other.alien (id UUID PRIMARY KEY, ip INET6, ip4 INET4)`);
    await db.pool.query(`DROP DATABASE ${db.name}_other`);
    // Listings for the search index: one edited, one published from a draft and repriced.
    const [seller] = await db.pool.query<{ insertId: number } & RowDataPacket[]>("INSERT INTO users (email, name) VALUES ('eq@example.com', 'Eq Seller')");
    const listing = async (name: string, status: string) => (await db.pool.query<{ insertId: number } & RowDataPacket[]>(
      "INSERT INTO listings (seller_id, name, description, category, country, city, latitude, longitude, price_amount, price_currency, status) VALUES (?, ?, 'x', 'bikes', 'US', 'Austin', 30.26715, -97.74306, 1000, 'usd', ?)",
      [seller.insertId, name, status],
    ))[0].insertId;
    listingA = await listing('Red bike', 'active');
    listingB = await listing('Blue bike', 'draft');
    await db.pool.query("UPDATE listings SET status = 'active' WHERE id = ?", [listingB]);
    await db.pool.query('UPDATE listings SET price_amount = 555 WHERE id = ?', [listingB]);
    await db.pool.query('UPDATE listings SET price_amount = 777 WHERE id = ?', [listingA]);
    await db.pool.query("INSERT INTO kinds (id, note) VALUES (99, 'end')");

    await caughtUp(db.url, reader.reader);
    await until('Debezium to catch up', async () => ((await readTopic(kafka, topic)).some((m) => m.key === '{"id":99}') ? true : undefined));
    ours = oneTruncate(byVersion(await readTopic(reader.bus, `${prefix}.${db.name}.kinds`)));
    theirs = byVersion(await readTopic(kafka, topic));
    oursMore = byVersion(await readTopic(reader.bus, `${prefix}.${db.name}.more_kinds`));
    for (const table of ['kinds', 'more_kinds']) columns.set(table, debeziumColumns((await readSourceTable(db.pool, db.name, table))!.columns));
    theirsMore = byVersion(await readTopic(kafka, `${prefix}.${db.name}.more_kinds`));
    oursEvents = await readTopic(reader.bus, `${prefix}.events.listing`);
    theirsEvents = await until('the routed outbox event', async () => {
      const found = await readTopic(kafka, `${prefix}.events.listing`);
      return found.length > 0 ? found : undefined;
    });
  }, 300_000);

  afterAll(async () => {
    await target?.client.delete(target.name).catch(() => undefined);
    await kafka?.close();
    await reader?.stop();
    await db?.close();
    dir.remove();
  });

  /** The built-in reader's truncate, sent on every partition, as Debezium's single one. */
  function oneTruncate(events: Captured[]): Captured[] {
    const truncates = events.filter((e) => e.envelope.op === 't');
    if (truncates.length > 1) used.add('truncate-partitions');
    return events.filter((e) => e.envelope.op !== 't' || e === truncates[0]);
  }

  /** Debezium's row of `table` in the built-in reader's representation, noting which listed differences that took. */
  const asBuiltin = (table: string) => (row: Row | null): Row | null => row && asBuiltinRow(row, columns.get(table)!, (id) => used.add(id));

  /** Debezium's delete + create of a primary-key change as the built-in reader's single update. */
  function mergeKeyChanges(events: Captured[]): Captured[] {
    const out: Captured[] = [];
    for (let i = 0; i < events.length; i++) {
      const event = events[i]!;
      const next = events[i + 1];
      if (event.headers['__debezium.newkey'] && next?.headers['__debezium.oldkey'] === event.key) {
        out.push({ key: next.key, headers: {}, envelope: { ...next.envelope, op: 'u', before: event.envelope.before } });
        used.add('primary-key-update');
        i++;
      } else {
        out.push(event);
      }
    }
    return out;
  }

  it('captures the same changes: op, key, before and after agree once the listed value differences are applied', () => {
    const shape = (events: Captured[], convert: (row: Row | null) => Row | null) => events.map(({ key, envelope }) => ({
      op: envelope.op, key, before: convert(envelope.before), after: convert(envelope.after),
    }));
    const expected = shape(ours, (row) => row);
    expect(expected.map((e) => `${e.op}${e.key}`)).toEqual([
      'r{"id":-1}', 'tnull', 'c{"id":1}', 'c{"id":2}', 'u{"id":1}', 'u{"id":20}', 'c{"id":3}', 'c{"id":4}', 'u{"id":1}', 'd{"id":3}', 'u{"id":4}', 'c{"id":99}',
    ]);
    expect(shape(mergeKeyChanges(theirs), asBuiltin('kinds'))).toEqual(expected);
  });

  it('captures every other column type the same once the listed value differences are applied', () => {
    const shape = (events: Captured[], convert: (row: Row | null) => Row | null) => events.map(({ key, envelope }) => ({
      op: envelope.op, key, before: convert(envelope.before), after: convert(envelope.after),
    }));
    const expected = shape(oursMore, (row) => row);
    expect(expected.map((e) => `${e.op}${e.key}`)).toEqual(['c{"id":1}', 'c{"id":2}', 'u{"id":1}', 'd{"id":2}']);
    expect(shape(theirsMore, asBuiltin('more_kinds'))).toEqual(expected);
  });

  it('differs in the envelope only where envelope-differences.ts says so, and each listed difference still occurs', () => {
    const unexplained: string[] = [];
    const pairs = [...ours.map((mine, i) => [mine, mergeKeyChanges(theirs)[i]!]), ...oursMore.map((mine, i) => [mine, theirsMore[i]!])];
    for (const [mine, other] of pairs as [Captured, Captured][]) {
      const a = mine.envelope;
      const b = other.envelope;
      const where = `${a.op}${mine.key}`;
      const same = (x: unknown, y: unknown) => JSON.stringify(x) === JSON.stringify(y);
      if (!same(a.transaction, b.transaction)) (b.transaction === null ? used.add('transaction') : unexplained.push(`${where} transaction`));
      // ts_ms is when each engine processed the event: different by definition.
      for (const field of Object.keys(b)) {
        if (['ts_us', 'ts_ns'].includes(field) && !(field in a)) used.add('timestamps');
        else if (!(field in a)) unexplained.push(`${where} ${field} only in Debezium's`);
      }
      for (const field of Object.keys(a)) if (!(field in b)) unexplained.push(`${where} ${field} only in ours`);
      const sourceFields = new Set([...Object.keys(a.source), ...Object.keys(b.source)]);
      for (const field of sourceFields) {
        const x = (a.source as unknown as Record<string, unknown>)[field];
        const y = (b.source as unknown as Record<string, unknown>)[field];
        if (same(x, y)) continue;
        if (field === 'gtid' && y === null) used.add('gtid');
        else if (field === 'sequence' && y === null) used.add('sequence');
        else if (field === 'version') used.add('connector-identity');
        else if ((field === 'ts_us' || field === 'ts_ns') && x === undefined) used.add('timestamps');
        // A snapshot is read at a different moment by each engine: its coordinates are its own.
        else if (a.op === 'r' && ['snapshot', 'server_id'].includes(field)) used.add('snapshot-markers');
        else if (a.op === 'r' && ['file', 'pos', 'ts_ms', 'row'].includes(field)) continue;
        else unexplained.push(`${where} source.${field}: ours ${JSON.stringify(x)}, Debezium's ${JSON.stringify(y)}`);
      }
    }
    expect(unexplained).toEqual([]);
    // The first test marks value and primary-key differences; run it alone and those stay unmarked.
    mergeKeyChanges(theirs).forEach((e) => { asBuiltin('kinds')(e.envelope.before); asBuiltin('kinds')(e.envelope.after); });
    theirsMore.forEach((e) => { asBuiltin('more_kinds')(e.envelope.before); asBuiltin('more_kinds')(e.envelope.after); });
    expect([...used].sort()).toEqual(ENVELOPE_DIFFERENCES.map((d) => d.id).sort());
  });

  it("routes the outbox row to the same events topic with the same key, headers and message", () => {
    expect(oursEvents).toHaveLength(1);
    expect(theirsEvents).toHaveLength(1);
    const [mine] = oursEvents;
    const [other] = theirsEvents;
    expect(other!.key).toBe(mine!.key);
    expect(other!.key).toBe('"42"');
    expect(other!.headers).toEqual(mine!.headers);
    const theirValue = JSON.parse(other!.value!.toString()) as Record<string, unknown>;
    // The listed DATETIME difference: created_at is DATETIME(6).
    expect({ ...theirValue, created_at: microTimestampText(theirValue.created_at as number) }).toEqual(JSON.parse(mine!.value!.toString()));
    expect(theirValue.payload).toEqual({ title: 'bike', price: '12.50', tags: ['a'], seller_id: hookOwner });
  });

  it('leaves the warehouse with the same rows and domain events whichever engine fed it', async () => {
    const warehouse: ClickHouseClient = createWarehouseClient({ path: `${dir.path}/warehouse` });
    /** Loads one engine's topics into the raw layer, then reads back what it holds (versions aside: each engine has its own). */
    const loadFrom = async (bus: Bus) => {
      // The truncate marks too: each engine's versions are its own.
      for (const table of ['kinds', 'more_kinds', EVENTS_TABLE, TRUNCATIONS_TABLE]) await warehouse.command({ query: `TRUNCATE TABLE IF EXISTS ${RAW_DATABASE}.${table}` });
      const loader = startWarehouseLoader({ bus, client: warehouse, pool: db.pool, database: db.name, topicPrefix: prefix, log: silentLogger() });
      await loader.start();
      const read = async (query: string) => (await (await warehouse.query({ query, format: 'JSONEachRow' })).json<Record<string, unknown>>());
      try {
        return await until('the loader to load every row in its last state, and the event', async () => {
          const rows = await read(`SELECT * EXCEPT (_version, _synced_at) FROM ${RAW_DATABASE}.kinds FINAL WHERE _is_deleted = 0 ORDER BY id`).catch(() => []);
          const events = await read(`SELECT * EXCEPT (_synced_at) FROM ${RAW_DATABASE}.${EVENTS_TABLE} FINAL`).catch(() => []);
          const more = await read(`SELECT * EXCEPT (_version, _synced_at) FROM ${RAW_DATABASE}.more_kinds FINAL WHERE _is_deleted = 0 ORDER BY id`).catch(() => []);
          // Every partition loaded: the rows' last states, not only the last row's partition.
          const row = (id: number) => rows.find((r) => Number(r.id) === id);
          const complete = rows.map((r) => Number(r.id)).join() === '1,4,20,99' && row(1)?.note === 'one' && row(4)?.extra === 'added';
          return complete && events.length > 0 && more.length === 1 && more[0]!.tm === '838:59:59.000000' ? { rows, events, more } : undefined;
        });
      } finally {
        await loader.stop();
      }
    };
    try {
      const fromOurs = await loadFrom(reader.bus);
      const fromTheirs = await loadFrom(kafka);
      expect(fromOurs.rows.map((row) => row.id)).toEqual(['1', '4', '20', '99'].map(Number));
      expect(fromOurs.rows.find((row) => row.id === 1)).toMatchObject({ at: '2026-11-24 00:00:00.000000', day: '1969-12-31', note: 'one' });
      expect(fromOurs.rows.find((row) => row.id === 4)).toMatchObject({ extra: 'added' });
      expect(fromOurs.more[0]).toMatchObject({ ubig: 0, en: 'b,c', st: '', bt: 0, tiny: -1, dt0: '1970-01-01 00:00:00.000000', yr: 1901 });
      expect(fromTheirs).toEqual(fromOurs);
    } finally {
      await warehouse.close();
    }
  }, 240_000);

  it('queues the same webhook deliveries whichever engine fed it', async () => {
    const deliveriesFrom = async (bus: Bus) => {
      await db.pool.query('DELETE FROM webhook_deliveries');
      const enqueuer = startWebhookEnqueuer({ bus, pool: db.pool, topicPrefix: prefix, log: silentLogger() });
      await enqueuer.start();
      try {
        return await until('the delivery', async () => {
          const [rows] = await db.pool.query<RowDataPacket[]>('SELECT endpoint_id, event_id, event_type, payload, status, attempts FROM webhook_deliveries ORDER BY id');
          return rows.length > 0 ? rows.map((row) => ({ ...row })) : undefined;
        });
      } finally {
        await enqueuer.stop();
      }
    };
    const fromOurs = await deliveriesFrom(reader.bus);
    const fromTheirs = await deliveriesFrom(kafka);
    expect(fromOurs).toHaveLength(1);
    expect(fromOurs[0]!.payload).toMatchObject({ type: 'listing.created', timestamp: expect.stringMatching(/Z$/), data: { title: 'bike', seller_id: hookOwner } });
    expect(fromTheirs).toEqual(fromOurs);
  }, 120_000);

  it('leaves the search index with the same documents whichever engine fed it', async () => {
    const documentsFrom = async (bus: Bus, name: string) => {
      const search = new EmbeddedSearch(`${dir.path}/search-${name}`);
      await search.ensureIndex();
      const indexer = startSearchIndexer({ bus, search, pool: db.pool, database: db.name, topicPrefix: prefix, log: silentLogger() });
      await indexer.start();
      try {
        return await until(`the ${name} indexer to index both listings as last edited`, async () => {
          const docs = await (await search.serving()).scan(0, 100);
          const price = (id: number) => docs.find((d) => d.doc.id === id)?.doc.price_amount;
          return price(listingA) === 777 && price(listingB) === 555 ? docs.map((d) => d.doc) : undefined;
        });
      } finally {
        await indexer.stop();
        await search.close();
      }
    };
    const fromOurs = await documentsFrom(reader.bus, 'ours');
    const fromTheirs = await documentsFrom(kafka, 'theirs');
    expect(fromOurs).toHaveLength(2);
    expect(fromOurs[0]).toMatchObject({ seller_name: 'Eq Seller', latitude: 30.26715, longitude: -97.74306, created_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT[\d:.]+Z$/) });
    expect(fromTheirs).toEqual(fromOurs);
  }, 240_000);

  it('keeps excluded secret columns out of Kafka, and the database password out of the log', () => {
    for (const { envelope } of [...ours, ...theirs]) {
      for (const row of [envelope.before, envelope.after]) if (row) expect(Object.keys(row)).not.toContain('secret');
    }
    expect(theirs.length).toBeGreaterThan(0);
    const password = parseMysqlUrl(db.url).password;
    expect(password.length).toBeGreaterThan(0);
    expect(logged.text()).toContain('Debezium connector registered');
    expect(logged.text()).not.toContain(password);
  });

  it('registers idempotently and reports the connector running, caught up with the binlog', async () => {
    expect(await registerDebezium(target, logged.log)).toBe('unchanged');
    const status = await until('Debezium to save its position at the binlog end', async () => {
      const now = await debeziumStatus(target, db.url);
      return now.lagBytes !== undefined && now.lagBytes < 2048 ? now : undefined;
    });
    expect(status.connector).toBe('RUNNING');
    expect(status.tasks.map((t) => t.state)).toEqual(['RUNNING']);
    expect(status.position?.file).toBe(status.sourcePosition?.file);
  });

  it('lets later changes win over a search reindex and a warehouse backfill taken while Debezium feeds the sinks', async () => {
    const quiet = () => ({ update() {}, finish() {} });
    const search = new EmbeddedSearch(`${dir.path}/search-reindexed`);
    await search.ensureIndex();
    const warehouse = createWarehouseClient({ path: `${dir.path}/warehouse-backfilled` });
    const indexer = startSearchIndexer({ bus: kafka, search, pool: db.pool, database: db.name, topicPrefix: prefix, log: silentLogger() });
    const loader = startWarehouseLoader({ bus: kafka, client: warehouse, pool: db.pool, database: db.name, topicPrefix: prefix, log: silentLogger() });
    try {
      await indexer.start();
      await loader.start();
      await reindex({ url: db.url, search, engine: 'debezium', progress: quiet });
      await backfill({ url: db.url, pool: db.pool, database: db.name, client: warehouse, tables: ['listings'], engine: 'debezium', progress: quiet });
      // Versioned by time, the snapshot's rows would outrank every later Debezium event (ordered by binlog position).
      await db.pool.query('UPDATE listings SET price_amount = 888 WHERE id = ?', [listingA]);
      await until('the reindexed index to take the later change', async () => {
        const docs = await (await search.serving()).scan(0, 100);
        return docs.find((d) => d.doc.id === listingA)?.doc.price_amount === 888 ? true : undefined;
      });
      await until('the backfilled warehouse to take the later change', async () => {
        const result = await warehouse.query({ query: `SELECT price_amount FROM ${RAW_DATABASE}.listings FINAL WHERE id = ${listingA}`, format: 'JSONEachRow' });
        return Number((await result.json<{ price_amount: number }>())[0]?.price_amount) === 888 ? true : undefined;
      });
    } finally {
      await indexer.stop();
      await loader.stop();
      await search.close();
      await warehouse.close();
    }
  }, 240_000);
});
