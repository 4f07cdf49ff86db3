// Change capture when things go wrong: the reader killed with -9 mid-snapshot and mid-stream,
// the source restarting, binlogs purged past the saved position, binlog history restarting.
// These run on a private server of their own, since they purge and reset its binlog.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { caughtUp, fold, openTestBus, readTopic, replicaId, startTestReader, tableRows } from '../../test/fixtures/cdc.js';
import { startCli } from '../../test/fixtures/run-cli.js';
import { tempDir } from '../../test/fixtures/temp-dir.js';
import { silentLogger } from '../../core/log.js';
import { connectMysql, createMysqlPool, withDatabase, type Pool, type RowDataPacket } from '../../marketplace/mysql/connection.js';
import { LocalMysqlServer } from '../../marketplace/mysql/local-server.js';
import { seed } from '../../marketplace/sample-data/seed.js';
import { simulate } from '../../marketplace/sample-data/simulate.js';
import { migrate } from '../../marketplace/schema/migrate.js';
import type { ChangeEnvelope } from './envelope.js';
import { eventVersion } from './event-version.js';
import { CdcReader } from './reader.js';
import { FileStateStore } from './reader-state.js';
import { TableFilter } from './topics.js';

const dir = tempDir();
const quiet = () => ({ update() {}, finish() {} });
let server: LocalMysqlServer;
let databases = 0;

beforeAll(async () => {
  server = await LocalMysqlServer.open({ dataDir: join(dir.path, 'mysql'), log: silentLogger() });
});
afterAll(async () => {
  await server?.stop();
  dir.remove();
});

async function database(): Promise<{ url: string; pool: Pool; name: string }> {
  const name = `recovery_${++databases}`;
  const url = withDatabase(server.url(), name);
  await migrate(url);
  return { url, name, pool: await createMysqlPool(url, { connectionLimit: 12 }) };
}

async function serverGtidSeq(url: string): Promise<number> {
  const connection = await connectMysql(url);
  const [[row]] = await connection.query<RowDataPacket[]>('SELECT @@gtid_binlog_pos AS g');
  await connection.end();
  return Number(String(row!.g).split('-')[2] ?? 0);
}

async function until(check: () => boolean | Promise<boolean>, what: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function expectCopiesEqualMysql(busDir: string, url: string, name: string, tables: string[]): Promise<void> {
  const bus = await openTestBus(busDir);
  try {
    for (const table of tables) expect(fold(await readTopic(bus, `sl.${name}.${table}`)), table).toEqual(await tableRows(url, table));
  } finally {
    await bus.close();
  }
}

describe('change capture under faults', () => {
  it('resumes after kill -9 during the snapshot and during streaming, losing no event', async () => {
    const db = await database();
    await seed(db.pool, { users: 200, listings: 12_000, seed: 11, progress: quiet });
    const dataDir = join(dir.path, 'killed');
    const statePath = join(dataDir, 'cdc', 'reader-state.json');
    const state = () => (existsSync(statePath) ? JSON.parse(readFileSync(statePath, 'utf8')) : undefined);
    const env = {
      MYSQL_URL: db.url, DATA_DIR: dataDir, CDC_SERVER_ID: String(replicaId()), TOPIC_PREFIX: 'sl',
      CDC_SNAPSHOT_CHUNK_ROWS: '250', BUS_PARTITIONS: '3', BUS_FSYNC: 'never', LOG_LEVEL: 'info',
    };
    const kill = async (child: ReturnType<typeof startCli>) => {
      child.child.kill('SIGKILL');
      await child.exited;
    };

    // 1. Killed in the middle of the listings table.
    const first = startCli(['cdc'], env);
    await until(() => state()?.snapshot?.lastKey?.table === 'listings' && state().snapshot.lastKey.values[0] > 3000, 'the snapshot to be inside listings');
    await kill(first);

    // 2. Resumes the snapshot while the marketplace keeps writing; killed again while streaming.
    const writing = simulate(db.pool, { ratePerSecond: 300, durationMs: 4000, concurrency: 6, seed: 2, progress: quiet });
    const second = startCli(['cdc'], env);
    await until(() => state() !== undefined && state().snapshot === undefined, 'the snapshot to finish');
    await new Promise((r) => setTimeout(r, 700));
    await kill(second);

    // 3. Runs to the end.
    const third = startCli(['cdc'], env);
    // Its ready line comes once it handles signals: SIGINT before that would kill it outright.
    await third.waitFor(/change capture running/);
    expect((await writing).errors).toBe(0);
    const target = await serverGtidSeq(db.url);
    await until(() => Number(String(state()?.gtid ?? '').split('-')[2] ?? 0) >= target, 'the reader to catch up');
    third.child.kill('SIGINT');
    expect(await third.exited).toBe(0);

    await expectCopiesEqualMysql(join(dataDir, 'bus'), db.url, db.name, ['users', 'listings', 'orders', 'messages']);
  });

  it('reconnects when the source restarts mid-stream and picks up where it was', async () => {
    const db = await database();
    const reader = await startTestReader(db.url, join(dir.path, 'restart'));
    try {
      await seed(db.pool, { users: 50, listings: 500, progress: quiet });
      await caughtUp(db.url, reader.reader);
      const port = server.port;
      await db.pool.end();
      await server.stop();
      await new Promise((r) => setTimeout(r, 500));
      server = await LocalMysqlServer.open({ dataDir: join(dir.path, 'mysql'), port, log: silentLogger() });
      const pool = await createMysqlPool(db.url);
      await seed(pool, { users: 20, listings: 300, seed: 9, progress: quiet });
      await pool.end();
      await caughtUp(db.url, reader.reader, 90_000);
      for (const table of ['users', 'listings']) expect(fold(await readTopic(reader.bus, `sl.${db.name}.${table}`)), table).toEqual(await tableRows(db.url, table));
    } finally {
      await reader.stop();
    }
  });

  it('waits out a source restart during the snapshot, then resumes the snapshot where it was', async () => {
    const db = await database();
    await seed(db.pool, { users: 100, listings: 12_000, seed: 12, progress: quiet });
    const bus = await openTestBus(join(dir.path, 'restart-snapshot', 'bus'));
    const store = new FileStateStore(join(dir.path, 'restart-snapshot', 'cdc'));
    const reader = CdcReader.start({
      url: db.url, bus, store, topicPrefix: 'sl',
      filter: new TableFilter({ database: db.name, include: [], exclude: ['schema_migrations'], excludeColumns: [] }),
      replicaServerId: replicaId(), snapshotChunkRows: 250, onMissingBinlog: 'fail', log: silentLogger(), progress: quiet,
    });
    try {
      await until(async () => { const state = await store.load(); return state?.snapshot?.lastKey?.table === 'listings'; }, 'the snapshot to be inside listings');
      const port = server.port;
      await db.pool.end();
      await server.stop();
      await new Promise((r) => setTimeout(r, 500));
      expect(reader.stats().phase).not.toBe('failed');
      server = await LocalMysqlServer.open({ dataDir: join(dir.path, 'mysql'), port, log: silentLogger() });
      await until(() => reader.stats().phase === 'streaming' || reader.stats().phase === 'failed', 'the snapshot to finish', 90_000);
      expect(reader.stats().phase).toBe('streaming');
      await caughtUp(db.url, reader);
      for (const table of ['users', 'listings']) expect(fold(await readTopic(bus, `sl.${db.name}.${table}`)), table).toEqual(await tableRows(db.url, table));
    } finally {
      await reader.stop();
      await bus.close();
    }
  });

  it('stops with a clear error when the binlog it needs was purged, and re-snapshots when told to', async () => {
    const db = await database();
    const readerDir = join(dir.path, 'purged');
    const first = await startTestReader(db.url, readerDir);
    await seed(db.pool, { users: 20, listings: 100, progress: quiet });
    await caughtUp(db.url, first.reader);
    await first.stop();
    const saved = JSON.parse(readFileSync(join(readerDir, 'cdc', 'reader-state.json'), 'utf8')) as { file: string; pos: number };

    await seed(db.pool, { users: 5, listings: 50, seed: 4, progress: quiet });
    await db.pool.query('FLUSH BINARY LOGS');
    const [[newest]] = await db.pool.query<RowDataPacket[]>('SHOW MASTER STATUS');
    // MariaDB keeps a binlog until InnoDB's checkpoint passed it: purge until it is really gone.
    await until(async () => {
      await db.pool.query(`PURGE BINARY LOGS TO '${newest!.File}'`);
      const [logs] = await db.pool.query<RowDataPacket[]>('SHOW BINARY LOGS');
      return logs.length === 1;
    }, 'the old binlogs to be purged', 20_000);

    const refused = await startTestReader(db.url, readerDir).then(async (r) => { await r.stop(); return undefined; }, (error: unknown) => error);
    expect(refused).toBeInstanceOf(Error);
    expect((refused as Error).message).toBe(
      `CDC: the saved position ${saved.file}:${saved.pos} is no longer on the server (oldest binlog: ${newest!.File}); the changes in between are gone. Set CDC_ON_MISSING_BINLOG=resnapshot to take a new snapshot, or restore the missing binlogs`,
    );

    const again = await startTestReader(db.url, readerDir, { onMissingBinlog: 'resnapshot' });
    try {
      await caughtUp(db.url, again.reader);
      for (const table of ['users', 'listings']) expect(fold(await readTopic(again.bus, `sl.${db.name}.${table}`)), table).toEqual(await tableRows(db.url, table));
    } finally {
      await again.stop();
    }
    await db.pool.end();
  });

  it('keeps versions growing when the binlog starts over (RESET MASTER), though file and position go back', async () => {
    const db = await database();
    const readerDir = join(dir.path, 'reset');
    const first = await startTestReader(db.url, readerDir, { onMissingBinlog: 'resnapshot' });
    await seed(db.pool, { users: 30, listings: 200, progress: quiet });
    await caughtUp(db.url, first.reader);
    await first.stop();
    const bus = await openTestBus(join(readerDir, 'bus'));
    const beforeMessages = await readTopic(bus, `sl.${db.name}.listings`);
    const seen = new Set(beforeMessages.map((m) => m.value!.toString()));
    const before = beforeMessages.map((m) => JSON.parse(m.value!.toString()) as ChangeEnvelope);
    await bus.close();
    const maxBefore = before.map(eventVersion).reduce((a, b) => (a > b ? a : b));
    const maxPosBefore = Math.max(...before.map((e) => e.source.pos));

    await db.pool.query('RESET MASTER');
    await db.pool.query("UPDATE listings SET price_amount = price_amount + 100 WHERE id <= 10");
    const again = await startTestReader(db.url, readerDir, { onMissingBinlog: 'resnapshot' });
    await db.pool.query("UPDATE listings SET name = CONCAT(name, ' (reduced)') WHERE id <= 5");
    try {
      await caughtUp(db.url, again.reader);
      const after = (await readTopic(again.bus, `sl.${db.name}.listings`))
        .filter((m) => !seen.has(m.value!.toString()))
        .map((m) => JSON.parse(m.value!.toString()) as ChangeEnvelope);
      expect(after.filter((e) => e.op === 'r')).toHaveLength(200);
      const streamed = after.filter((e) => e.op === 'u');
      expect(streamed).toHaveLength(5);
      expect(streamed.every((e) => e.source.file === 'binlog.000001' && e.source.pos < maxPosBefore)).toBe(true);
      expect(after.every((e) => eventVersion(e) > maxBefore)).toBe(true);
      expect(fold(await readTopic(again.bus, `sl.${db.name}.listings`))).toEqual(await tableRows(db.url, 'listings'));
    } finally {
      await again.stop();
      await db.pool.end();
    }
  });
});
