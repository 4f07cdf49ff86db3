// Change capture on its own thread, as `steveslist up` and `steveslist cdc` run it: a real
// MariaDB, the reader's thread, and this thread's embedded bus and logger.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { isRetriable, stopsThePlatform } from '../../../core/errors.js';
import { createListing, updateListing } from '../../../marketplace/domain/listings.js';
import type { RowDataPacket } from '../../../marketplace/mysql/connection.js';
import { seed } from '../../../marketplace/sample-data/seed.js';
import { caughtUp, fold, openTestBus, readTopic, replicaId, tableRows } from '../../../test/fixtures/cdc.js';
import { capturedLog } from '../../../test/fixtures/captured-log.js';
import { createTestDatabase, type TestDatabase } from '../../../test/fixtures/database.js';
import { tempDir } from '../../../test/fixtures/temp-dir.js';
import type { Bus } from '../../bus/port.js';
import type { DomainEventMessage } from '../outbox-router.js';
import { ThreadedCdcReader } from './threaded-reader.js';

const dir = tempDir();
const quiet = () => ({ update() {}, finish() {} });
const open: { stop(): Promise<void> }[] = [];
afterEach(async () => {
  for (const item of open.splice(0).reverse()) await item.stop();
});
afterAll(() => dir.remove());

function startThreaded(db: TestDatabase, bus: Bus, name: string, log = capturedLog('info')) {
  const reader = ThreadedCdcReader.start({
    url: db.url, stateDir: join(dir.path, name, 'cdc'), topicPrefix: 'sl',
    filter: { database: db.name, include: [], exclude: ['schema_migrations'], excludeColumns: ['user_credentials.password_hash'] },
    replicaServerId: replicaId(), snapshotChunkRows: 500, onMissingBinlog: 'fail',
  }, bus, log.log);
  open.push({ stop: () => reader.stop() });
  return { reader, log };
}

async function database(): Promise<TestDatabase> {
  const db = await createTestDatabase('cdcthread');
  open.push({ stop: () => db.close() });
  return db;
}

describe('change capture on its own thread', () => {
  it('snapshots, then streams every change into this thread\'s bus, and logs through this thread\'s logger', async () => {
    const db = await database();
    await seed(db.pool, { users: 30, listings: 200, progress: quiet });
    const bus = await openTestBus(join(dir.path, 'a', 'bus'));
    open.push({ stop: () => bus.close() });
    const { reader, log } = startThreaded(db, bus, 'a');
    await reader.streaming;
    expect(reader.stats().phase).toBe('streaming');
    expect(reader.stats().snapshotRows).toBeGreaterThanOrEqual(230);

    const [[seller]] = await db.pool.query<RowDataPacket[]>('SELECT id FROM users ORDER BY id LIMIT 1');
    const id = await createListing(db.pool, {
      sellerId: Number(seller!.id), name: 'Bike with a "quoted" name, tab\there', description: 'emoji 🚲 and ünïcode, a back\\slash',
      category: 'sports', country: 'GB', city: 'Leeds', priceAmount: 12_000, priceCurrency: 'gbp',
    });
    await updateListing(db.pool, id, { price_amount: 11_000 });
    await db.pool.query('DELETE FROM listings WHERE id = (SELECT MIN(id) FROM listings)');
    await caughtUp(db.url, reader);

    // Every table's topic folds to what MySQL holds: values crossed the threads byte for byte.
    for (const table of ['listings', 'users']) {
      const folded = fold(await readTopic(bus, `sl.${db.name}.${table}`));
      expect(folded).toEqual(await tableRows(db.url, table));
    }
    // Outbox rows went out as domain events, with their headers.
    const events = await readTopic(bus, 'sl.events.listing');
    const created = events.find((m) => (JSON.parse(m.value!.toString()) as DomainEventMessage).aggregate_id === String(id));
    expect(created?.headers.type).toBe('listing.created');
    // The password column stays out, as configured.
    const users = await readTopic(bus, `sl.${db.name}.user_credentials`);
    expect(users.length).toBeGreaterThan(0);
    expect(users.every((m) => !m.value!.toString().includes('password_hash'))).toBe(true);

    const published = reader.stats().changesPublished;
    expect(published).toBeGreaterThanOrEqual(3);
    await reader.stop();
    expect(reader.stats().phase).toBe('stopped');
    // The thread's lines came out here, in this process's format.
    const lines = log.text().trim().split('\n').map((line) => JSON.parse(line) as { msg: string; level: number });
    expect(lines.some((line) => /snapshot/i.test(line.msg))).toBe(true);
  }, 120_000);

  it('resumes on a new thread where the stopped one saved its position: nothing lost, nothing twice', async () => {
    const db = await database();
    await seed(db.pool, { users: 10, listings: 20, progress: quiet });
    const bus = await openTestBus(join(dir.path, 'b', 'bus'));
    open.push({ stop: () => bus.close() });
    const first = startThreaded(db, bus, 'b').reader;
    await first.streaming;
    await db.pool.query("UPDATE listings SET name = CONCAT(name, ' (1)') ORDER BY id LIMIT 5");
    await caughtUp(db.url, first);
    await first.stop();

    // Written while nothing captures.
    await db.pool.query("UPDATE listings SET name = CONCAT(name, ' (2)') ORDER BY id LIMIT 7");
    const second = startThreaded(db, bus, 'b').reader;
    await second.streaming;
    expect(second.stats().snapshotRows).toBe(0);
    await caughtUp(db.url, second);
    const messages = await readTopic(bus, `sl.${db.name}.listings`);
    expect(fold(messages)).toEqual(await tableRows(db.url, 'listings'));
    // 20 snapshot reads, 5 updates, then 7: each once.
    expect(messages.length).toBe(20 + 5 + 7);
  }, 120_000);

  it('fails with the source\'s own error, still fatal and not retriable, when the saved binlog is gone', async () => {
    const db = await database();
    const bus = await openTestBus(join(dir.path, 'c', 'bus'));
    open.push({ stop: () => bus.close() });
    const [[server]] = await db.pool.query<RowDataPacket[]>('SELECT @@server_id AS id');
    const state = { sourceServerId: Number(server!.id), file: 'gone-bin.000001', pos: 4, gtid: null, clock: '1', updatedAt: new Date().toISOString() };
    const stateDir = join(dir.path, 'c', 'cdc');
    mkdirSync(stateDir, { recursive: true });
    writeFileSync(join(stateDir, 'reader-state.json'), JSON.stringify(state));
    const { reader } = startThreaded(db, bus, 'c');
    const error = await reader.done.then(() => undefined, (e: unknown) => e as Error & { code?: string });
    expect(error?.message).toMatch(/gone-bin\.000001.*CDC_ON_MISSING_BINLOG=resnapshot/s);
    expect(error?.code).toBe('BINLOG_PURGED');
    expect(stopsThePlatform(error)).toBe(true);
    expect(reader.stats().phase).toBe('failed');
  }, 60_000);

  it('fails with the platform\'s error naming the setting when the source refuses the login, stopping the platform', async () => {
    const db = await database();
    const bus = await openTestBus(join(dir.path, 'd', 'bus'));
    open.push({ stop: () => bus.close() });
    const wrong = new URL(db.url);
    wrong.username = 'nobody_here';
    wrong.password = 'wrong-secret';
    const log = capturedLog('info');
    const reader = ThreadedCdcReader.start({
      url: wrong.toString(), stateDir: join(dir.path, 'd', 'cdc'), topicPrefix: 'sl',
      filter: { database: db.name, include: [], exclude: [], excludeColumns: [] },
      replicaServerId: replicaId(), snapshotChunkRows: 500, onMissingBinlog: 'fail',
    }, bus, log.log);
    open.push({ stop: () => reader.stop() });
    const error = await reader.done.then(() => undefined, (e: unknown) => e as Error & { code?: string });
    // Named as the platform names it on the main thread: the setting, the user, no password.
    expect(error?.code).toBe('ENVIRONMENT');
    expect(error?.message).toMatch(/^MYSQL_URL: access denied for mysql:\/\/nobody_here:\*\*\*@/);
    expect(error?.message).not.toContain('wrong-secret');
    expect(isRetriable(error)).toBe(false);
    expect(stopsThePlatform(error)).toBe(true);
    expect(log.text()).not.toContain('wrong-secret');
  }, 60_000);
});
