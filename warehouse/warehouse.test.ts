// The warehouse end to end: MariaDB -> change capture -> bus -> loader -> chDB on disk, then the
// marts and analyst SQL. chDB allows one data folder per process: this file uses one.
import { join } from 'node:path';
import { tableFromIPC } from 'apache-arrow';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { capturedLog } from '../test/fixtures/captured-log.js';
import { readTopic, startTestReader, type TestReader } from '../test/fixtures/cdc.js';
import { eventually } from '../test/fixtures/eventually.js';
import { createTestDatabase, type TestDatabase } from '../test/fixtures/database.js';
import { tempDir } from '../test/fixtures/temp-dir.js';
import { buildAdminServer } from '../api/admin/server.js';
import { silentLogger } from '../core/log.js';
import { addAdminUser } from '../marketplace/auth/admin-accounts.js';
import { createListing, removeListing, updateListing } from '../marketplace/domain/listings.js';
import { placeOrder } from '../marketplace/domain/orders.js';
import { createUser } from '../marketplace/domain/users.js';
import type { RowDataPacket } from '../marketplace/mysql/connection.js';
import { seed } from '../marketplace/sample-data/seed.js';
import type { ConsumerRunner } from '../pipelines/consumers/runner.js';
import { inAnalystTerms } from './analyst-errors.js';
import { analystQuery, AnalystQueryError } from './analyst-query.js';
import { createWarehouseClient, type ClickHouseClient } from './client.js';
import { backfill, verifyWarehouse } from './backfill.js';
import { startWarehouseLoader } from './loader.js';
import { refreshMarts } from './marts.js';
import { readSourceTables, syncTables } from './raw-schema.js';

const dir = tempDir();
let db: TestDatabase;
let cdc: TestReader;
let client: ClickHouseClient;
let loader: ConsumerRunner;

beforeAll(async () => {
  db = await createTestDatabase('wh');
  await seed(db.pool, { users: 120, listings: 900, seed: 42, progress: () => ({ update() {}, finish() {} }) });
  cdc = await startTestReader(db.url, join(dir.path, 'cdc'));
  client = createWarehouseClient({ path: join(dir.path, 'warehouse') });
  loader = startWarehouseLoader({ bus: cdc.bus, client, pool: db.pool, database: db.name, topicPrefix: 'sl', log: silentLogger() });
  await loader.start();
});
afterAll(async () => {
  await loader?.stop();
  await client?.close();
  await cdc?.stop();
  await db?.close();
  dir.remove();
});

async function rows<T>(query: string): Promise<T[]> {
  const result = await client.query({ query, format: 'JSONEachRow', clickhouse_settings: { output_format_json_quote_64bit_integers: 0 } });
  return result.json<T>();
}

const mysqlListings = async () => {
  const [result] = await db.pool.query<RowDataPacket[]>('SELECT id, name, price_amount, status FROM listings ORDER BY id');
  return result.map((r) => ({ id: Number(r.id), name: String(r.name), price_amount: Number(r.price_amount), status: String(r.status) }));
};
const warehouseListings = () => rows<{ id: number; name: string; price_amount: number; status: string }>(
  'SELECT id, name, price_amount, status FROM raw.listings FINAL WHERE _is_deleted = 0 ORDER BY id',
);

describe('the warehouse', () => {
  it('reflects inserts, updates and deletes in SELECT ... FINAL', async () => {
    await eventually(warehouseListings, await mysqlListings());
    const seller = await createUser(db.pool, { email: 'wh-seller@example.com', name: 'WH Seller', passwordHash: 'x' });
    const buyer = await createUser(db.pool, { email: 'wh-buyer@example.com', name: 'WH Buyer', passwordHash: 'x' });
    const id = await createListing(db.pool, { sellerId: seller.id, name: 'Warehouse lamp', description: 'Bright', category: 'home-garden', country: 'GB', city: 'Leeds', priceAmount: 4_500, priceCurrency: 'gbp' });
    await updateListing(db.pool, id, { price_amount: 3_900 });
    const gone = await createListing(db.pool, { sellerId: seller.id, name: 'Soon gone', description: 'x', category: 'sports', country: 'GB', city: 'Leeds', priceAmount: 100, priceCurrency: 'gbp' });
    await removeListing(db.pool, gone);
    await placeOrder(db.pool, id, buyer.id);
    await eventually(warehouseListings, await mysqlListings());
    expect(await rows(`SELECT price_amount, status FROM raw.listings FINAL WHERE id = ${id}`)).toEqual([{ price_amount: 3_900, status: 'sold' }]);
    // FINAL leaves deleted rows out; the raw table keeps the last image, marked deleted.
    expect(await rows(`SELECT argMax(_is_deleted, _version) AS deleted, argMax(name, _version) AS name FROM raw.listings WHERE id = ${gone}`)).toEqual([{ deleted: 1, name: 'Soon gone' }]);
    await eventually(() => rows(`SELECT count() AS n FROM raw.domain_events FINAL WHERE type = 'order.placed'`), [{ n: 1 }]);
  });

  it('ends in the right state when events are delivered again and out of order', async () => {
    const before = await mysqlListings();
    const topic = `sl.${db.name}.listings`;
    const old = await readTopic(cdc.bus, topic);
    // Everything again, newest first: versions, not arrival order, decide.
    await cdc.bus.publish(topic, [...old].reverse().map((m) => ({ key: m.key, value: m.value, partition: m.partition })));
    const deadline = Date.now() + 20_000;
    while ((await cdc.bus.lag('warehouse-loader')).some((l) => l.lag > 0) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(await warehouseListings()).toEqual(before);
  });

  it('empties a truncated table and keeps it so when older rows arrive after the truncate', async () => {
    await db.pool.query('CREATE TABLE wh_scratch (id INT PRIMARY KEY, note VARCHAR(20))');
    await db.pool.query("INSERT INTO wh_scratch VALUES (1, 'one'), (2, 'two')");
    const scratch = () => rows<{ id: number }>('SELECT id FROM raw.wh_scratch FINAL WHERE _is_deleted = 0 ORDER BY id');
    await eventually(scratch, [{ id: 1 }, { id: 2 }]);
    const topic = `sl.${db.name}.wh_scratch`;
    const inserts = await readTopic(cdc.bus, topic);
    await db.pool.query('TRUNCATE TABLE wh_scratch');
    await db.pool.query("INSERT INTO wh_scratch VALUES (3, 'three')");
    await eventually(scratch, [{ id: 3 }]);
    // The inserts again, after the truncate: as Debezium's single truncate event leaves it when
    // another partition's consumer is behind.
    await cdc.bus.publish(topic, inserts.map((m) => ({ key: m.key, value: m.value, partition: m.partition })));
    const deadline = Date.now() + 20_000;
    while ((await cdc.bus.lag('warehouse-loader')).some((l) => l.lag > 0) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(await scratch()).toEqual([{ id: 3 }]);
  });

  it('adds a column the source table gained (ALTER TABLE ... ADD COLUMN)', async () => {
    await db.pool.query("ALTER TABLE listings ADD COLUMN condition_grade VARCHAR(20) NULL");
    await db.pool.query("UPDATE listings SET condition_grade = 'mint' WHERE id = 1");
    await eventually(() => rows<{ condition_grade: string | null }>('SELECT condition_grade FROM raw.listings FINAL WHERE id = 1'), [{ condition_grade: 'mint' }]);
    expect(await rows('SELECT count() AS n FROM raw.listings FINAL WHERE condition_grade IS NULL AND _is_deleted = 0')).toEqual([{ n: (await mysqlListings()).length - 1 }]);
  });

  it('answers the marts with the numbers MySQL gives for the same questions', async () => {
    await eventually(warehouseListings, await mysqlListings());
    // The loader makes the marts beside its first batches, and they are recomputed every
    // MART_REFRESH_SECONDS; this waits for them and brings them to the raw layer now.
    await eventually(async () => (await refreshMarts(client)).map((failed) => failed.name), []);
    const [perDay] = await db.pool.query<RowDataPacket[]>("SELECT DATE_FORMAT(created_at, '%Y-%m-%d') AS day, COUNT(*) AS n FROM listings GROUP BY day ORDER BY day");
    const daily = await rows<{ day: string; n: number }>('SELECT toString(day) AS day, toUInt32(sum(listings)) AS n FROM marts.daily_listings GROUP BY day ORDER BY day');
    // MySQL no longer has the deleted listing; the warehouse still counts the day it was listed.
    const expectedDaily = perDay.map((r) => ({ day: String(r.day), n: Number(r.n) }));
    const today = daily.find((d) => d.day === expectedDaily.at(-1)!.day)!;
    expect(daily.filter((d) => d !== today)).toEqual(expectedDaily.slice(0, -1));
    expect(today.n).toBe(expectedDaily.at(-1)!.n + 1);

    const [orders] = await db.pool.query<RowDataPacket[]>('SELECT COUNT(*) AS n, SUM(amount) AS gmv FROM orders');
    expect(await rows('SELECT toUInt32(sum(orders)) AS n, toUInt64(sum(gmv_minor)) AS gmv FROM marts.orders_daily')).toEqual([{ n: Number(orders[0]!.n), gmv: Number(orders[0]!.gmv) }]);

    const [cohorts] = await db.pool.query<RowDataPacket[]>(
      `SELECT DATE_FORMAT(u.created_at, '%Y-%m-01') AS month, COUNT(*) AS users,
              SUM(EXISTS (SELECT 1 FROM listings l WHERE l.seller_id = u.id AND l.created_at <= u.created_at + INTERVAL 90 DAY)) AS listed
       FROM users u GROUP BY month ORDER BY month`,
    );
    expect(await rows('SELECT toString(signup_month) AS month, toUInt32(users) AS users, toUInt32(listed_within_90_days) AS listed FROM marts.user_cohorts ORDER BY month'))
      .toEqual(cohorts.map((c) => ({ month: String(c.month), users: Number(c.users), listed: Number(c.listed) })));
  });

  it('reports rows the warehouse lost, and a backfill from MySQL restores them without undoing newer changes', async () => {
    await eventually(async () => (await verifyWarehouse({ url: db.url, pool: db.pool, database: db.name, client, tables: ['users', 'listings'] })).map((r) => r.missing.length + r.phantom.length + r.different.length), [0, 0]);
    await client.command({ query: 'TRUNCATE TABLE raw.users' });
    const [users] = await verifyWarehouse({ url: db.url, pool: db.pool, database: db.name, client, tables: ['users'] });
    expect(users).toMatchObject({ table: 'users', warehouseRows: 0, phantom: [], different: [] });
    expect(users!.missing).toHaveLength(10);
    const edited = await createUser(db.pool, { email: 'late@example.com', name: 'Late Edit', passwordHash: 'x' });
    const done = await backfill({ url: db.url, pool: db.pool, database: db.name, client, tables: ['users'], chunkRows: 50, progress: () => ({ update() {}, finish() {} }) });
    expect(done[0]!.rows).toBeGreaterThan(100);
    await db.pool.query('UPDATE users SET name = ? WHERE id = ?', ['Late Edit (renamed)', edited.id]);
    await eventually(async () => (await verifyWarehouse({ url: db.url, pool: db.pool, database: db.name, client, tables: ['users'] }))[0]!.missing, []);
    await eventually(() => rows(`SELECT name FROM raw.users FINAL WHERE id = ${edited.id}`), [{ name: 'Late Edit (renamed)' }]);
    // A row the warehouse holds in an older state is reported as different.
    await client.command({ query: `INSERT INTO raw.users (id, email, name, status, created_at, updated_at, _version, _is_deleted, _synced_at) SELECT id, email, name, status, created_at, updated_at - INTERVAL 1 DAY, _version + 1, 0, now64(3) FROM raw.users FINAL WHERE id = 5` });
    expect((await verifyWarehouse({ url: db.url, pool: db.pool, database: db.name, client, tables: ['users'] }))[0]!.different).toEqual(['5']);
  });

  it('holds what change capture lets out and no more: a backfill leaves out excluded tables and columns, and drops a secret an earlier backfill wrote', async () => {
    // Earlier versions' backfill copied every column MySQL has, password hashes too.
    await client.command({ query: "ALTER TABLE raw.user_credentials ADD COLUMN IF NOT EXISTS password_hash String DEFAULT 'an-old-hash'" });
    await backfill({ url: db.url, pool: db.pool, database: db.name, client, progress: () => ({ update() {}, finish() {} }) });
    const columns = async (table: string) => (await rows<{ name: string }>(`SELECT name FROM system.columns WHERE database = 'raw' AND table = '${table}'`)).map((c) => c.name);
    expect(await columns('user_credentials')).not.toContain('password_hash');
    expect(await columns('users')).toContain('email');
    for (const [table, secrets] of [['webhook_endpoints', ['secret', 'previous_secret']], ['admin_users', ['password_hash', 'totp_secret']], ['api_keys', ['key_hash']]] as const) {
      const present = await columns(table);
      expect(present.length).toBeGreaterThan(3);
      expect(present.filter((name) => (secrets as readonly string[]).includes(name))).toEqual([]);
    }
    // Sessions are credentials: no raw table, and asking for one by name says why not.
    expect(await rows("SELECT name FROM system.tables WHERE database = 'raw' AND name IN ('user_sessions', 'admin_sessions', 'schema_migrations', 'outbox')")).toEqual([]);
    await expect(backfill({ url: db.url, pool: db.pool, database: db.name, client, tables: ['user_sessions'] })).rejects.toThrow(/^user_sessions: left out of change capture by CDC_EXCLUDE_TABLES/);
    const compared = (await verifyWarehouse({ url: db.url, pool: db.pool, database: db.name, client })).map((report) => report.table);
    expect(compared).toContain('user_credentials');
    expect(compared.filter((table) => ['user_sessions', 'admin_sessions', 'schema_migrations', 'outbox'].includes(table))).toEqual([]);
  });

  it('answers POST /warehouse/query on the admin server, for logged-in staff only', async () => {
    await addAdminUser(db.pool, 'analyst', 'correct horse battery staple');
    const app = await buildAdminServer({ pool: db.pool, log: silentLogger(), warehouse: client });
    const base = await app.listen({ host: '127.0.0.1', port: 0 });
    try {
      const post = (path: string, body: unknown, token?: string) => fetch(`${base}${path}`, {
        method: 'POST', body: JSON.stringify(body), headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      });
      expect((await post('/warehouse/query', { sql: 'SELECT 1' })).status).toBe(401);
      expect((await post('/admin/session', { username: 'analyst', password: 'wrong' })).status).toBe(401);
      const login = await post('/admin/session', { username: 'analyst', password: 'correct horse battery staple' });
      const { token } = await login.json() as { token: string };
      expect(token).toMatch(/^sla_/);

      const json = await post('/warehouse/query', { sql: 'SELECT id FROM raw.users FINAL ORDER BY id LIMIT 2' }, token);
      expect(json.headers.get('content-type')).toBe('application/x-ndjson');
      expect((await json.text()).trim().split('\n').map((l) => JSON.parse(l))).toEqual([{ id: '1' }, { id: '2' }]);
      const csv = await post('/warehouse/query', { sql: 'SELECT 1 AS one', format: 'CSV' }, token);
      expect(await csv.text()).toBe('"one"\n1\n');
      const arrow = await post('/warehouse/query', { sql: 'SELECT id FROM raw.users FINAL ORDER BY id LIMIT 3', format: 'Arrow' }, token);
      expect(arrow.headers.get('content-type')).toBe('application/vnd.apache.arrow.stream');
      expect(tableFromIPC(new Uint8Array(await arrow.arrayBuffer())).numRows).toBe(3);

      const refused = await post('/warehouse/query', { sql: 'DROP TABLE raw.users' }, token);
      expect(refused.status).toBe(400);
      expect(await refused.json()).toMatchObject({ error: 'query_failed', field: 'sql', message: expect.stringMatching(/read-only/) });
      const bad = await post('/warehouse/query', { sql: 'SELECT 1', format: 'Parquet' }, token);
      expect(await bad.json()).toMatchObject({ error: 'invalid_request', field: 'format' });
    } finally {
      await app.close();
    }
  });

  it('refuses writes and DDL through analyst SQL, naming the statement', async () => {
    for (const statement of ['DROP TABLE raw.users', "INSERT INTO raw.users (id, email, name) VALUES (1, 'x', 'y')", 'CREATE TABLE raw.x (a UInt8) ENGINE = Memory']) {
      const error = await analystQuery(client, statement, { format: 'json' }).catch((e: unknown) => e);
      expect(error, statement).toBeInstanceOf(AnalystQueryError);
      expect((error as Error).message).toMatch(/^the warehouse is read-only for analyst SQL: (DROP|INSERT|CREATE) is not allowed/);
    }
    const tooMany = await analystQuery(client, 'SELECT number FROM numbers(1000)', { format: 'csv', maxRows: 10 }).catch((e: unknown) => e);
    expect((tooMany as Error).message).toMatch(/Limit for result exceeded|TOO_MANY_ROWS/i);
    const syntax = await analystQuery(client, 'SELEC 1', { format: 'csv' }).catch((e: unknown) => e);
    expect((syntax as Error).message).toMatch(/Syntax error/);
    // Where ClickHouse quotes the query, the analyst reads their own, not the guard's wrapper or appended clauses.
    const incomplete = await analystQuery(client, 'SELECT 1 +', { format: 'csv' }).catch((e: unknown) => e);
    expect((incomplete as Error).message).toMatch(/Syntax error[\s\S]*In scope SELECT 1 \+\.$/);
    expect((incomplete as Error).message).not.toMatch(/hex|formatQuery|FORMAT|SETTINGS/);
    // A failed query leaves nothing behind for the next one.
    expect((await analystQuery(client, 'SELECT 7 AS seven', { format: 'csv' })).toString()).toBe('"seven"\n7\n');
  });

  it('tells an engine message that quotes the statement sent in terms of the analyst\'s query', () => {
    const appended = "\nFORMAT CSVWithNames\nSETTINGS max_result_rows = 10, readonly = 2";
    const sent = { text: `SELECT nope${appended}`, analyst: 'select nope;\n', appended };
    expect(inAnalystTerms(`Unknown identifier nope in query: SELECT nope${appended}. `, sent)).toBe('Unknown identifier nope in query: select nope;.');
    expect(inAnalystTerms(`Syntax error: failed at position 12 (line 2, col 1): ${appended.trim()}`, sent)).toBe('Syntax error: failed at position 12 (line 2, col 1):');
  });

  it('answers in CSV, JSON, an aligned table and Arrow IPC that apache-arrow reads back', async () => {
    const query = "SELECT id, email FROM raw.users FINAL WHERE id <= 3 ORDER BY id";
    const csv = (await analystQuery(client, query, { format: 'csv' })).toString();
    expect(csv.split('\n')[0]).toBe('"id","email"');
    expect(csv.trim().split('\n')).toHaveLength(4);
    const json = (await analystQuery(client, query, { format: 'json' })).toString().trim().split('\n').map((l) => JSON.parse(l));
    expect(json.map((r) => r.id)).toEqual(['1', '2', '3']);
    expect((await analystQuery(client, query, { format: 'table' })).toString()).toMatch(/^id \| email\n-+-\+-+\n1 +\| /);
    const table = tableFromIPC(await analystQuery(client, query, { format: 'arrow' }));
    expect(table.numRows).toBe(3);
    expect(table.schema.fields.map((f) => f.name)).toEqual(['id', 'email']);
    expect(table.toArray().map((r) => Number(r.toJSON().id))).toEqual([1, 2, 3]);
  });
});

/** The client, recording the statements sent with command() (DDL and SYSTEM statements go there). */
function recordingCommands(inner: ClickHouseClient): { client: ClickHouseClient; commands: string[] } {
  const commands: string[] = [];
  const client = new Proxy(inner, {
    get(target, property) {
      if (property === 'command') {
        return (params: Parameters<ClickHouseClient['command']>[0]) => {
          commands.push(params.query.replace(/\s+/g, ' '));
          return target.command(params);
        };
      }
      const value = Reflect.get(target, property) as unknown;
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
  return { client, commands };
}

describe('the loader\'s start', () => {
  it('checks every captured table in a few queries: a restart with no schema change sends no DDL and leaves the marts to their schedule', async () => {
    const { client: recording, commands } = recordingCommands(client);
    const restarted = startWarehouseLoader({ bus: cdc.bus, client: recording, pool: db.pool, database: db.name, topicPrefix: 'sl', log: silentLogger(), group: 'wh-restarted' });
    await restarted.start();
    try {
      await eventually(async () => (await cdc.bus.lag('wh-restarted')).some((l) => l.committed > 0), true);
    } finally {
      // A stop waits for the start's sweep of every table and the marts.
      await restarted.stop();
    }
    expect(commands.some((query) => query.includes('marts._refreshes'))).toBe(true);
    const tables = commands.filter((query) => /^ALTER|^CREATE TABLE IF NOT EXISTS raw\.`(?!_truncations|domain_events)/.test(query));
    expect(tables).toEqual([]);
    // chDB refreshes every mart as it opens the folder: asked again then, each ran twice.
    expect(commands.filter((query) => /^SYSTEM (REFRESH|WAIT) VIEW/.test(query))).toEqual([]);
  });

  it('names a raw table of an excluded table that holds rows (an earlier backfill copied sessions), leaving it in place', async () => {
    await client.command({ query: 'CREATE TABLE IF NOT EXISTS raw.user_sessions (token_hash String, user_id UInt64) ENGINE = MergeTree ORDER BY token_hash' });
    await client.command({ query: "INSERT INTO raw.user_sessions VALUES ('0f3a', 7)" });
    const { log, text } = capturedLog('info');
    const restarted = startWarehouseLoader({ bus: cdc.bus, client, pool: db.pool, database: db.name, topicPrefix: 'sl', log, group: 'wh-excluded' });
    await restarted.start();
    try {
      await eventually(async () => (await cdc.bus.lag('wh-excluded')).some((l) => l.committed > 0), true);
    } finally {
      await restarted.stop();
    }
    const warnings = text().trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>).filter((line) => line.level === 40);
    expect(warnings.filter((line) => line.table === 'raw.user_sessions')).toMatchObject([{ rows: 1, msg: expect.stringMatching(/^the warehouse holds rows of user_sessions, which CDC_EXCLUDE_TABLES leaves out .*: drop the table if they should not$/) }]);
    // This file's capture reads every table (the platform's leaves sessions out): the loader refuses them.
    expect(await rows("SELECT name FROM system.tables WHERE database = 'raw' AND name = 'admin_sessions'")).toEqual([]);
    await client.command({ query: 'DROP TABLE raw.user_sessions' });
  });

  it('widens only the table MySQL changed meanwhile, and the running loader writes the new column', async () => {
    await db.pool.query('CREATE TABLE wh_restart (id INT PRIMARY KEY, note VARCHAR(20))');
    await db.pool.query("INSERT INTO wh_restart VALUES (1, 'one')");
    await eventually(() => rows('SELECT id, note FROM raw.wh_restart FINAL'), [{ id: 1, note: 'one' }]);
    const { client: recording, commands } = recordingCommands(client);
    const sources = await readSourceTables(db.pool, db.name, ['wh_restart', 'users']);
    expect(sources.map((source) => [source.table, source.primaryKey, source.columns.length])).toEqual([['users', ['id'], expect.any(Number)], ['wh_restart', ['id'], 2]]);
    await syncTables(recording, sources);
    expect(commands).toEqual([]);

    await db.pool.query('ALTER TABLE wh_restart ADD COLUMN extra INT NULL');
    const widened = await readSourceTables(db.pool, db.name, ['wh_restart', 'users']);
    await syncTables(recording, widened);
    expect(commands).toEqual(['ALTER TABLE raw.`wh_restart` ADD COLUMN IF NOT EXISTS `extra` Nullable(Int32)']);
    // The running loader knows the table without the column: its next row has it.
    await db.pool.query("INSERT INTO wh_restart VALUES (2, 'two', 7)");
    await eventually(() => rows('SELECT id, note, extra FROM raw.wh_restart FINAL ORDER BY id'), [{ id: 1, note: 'one', extra: null }, { id: 2, note: 'two', extra: 7 }]);
  });
});
