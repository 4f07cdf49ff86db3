// Change capture across a failover: a primary and a replica (GTID replication, log_slave_updates)
// on private servers of their own; capture runs on the primary while the marketplace writes, the
// primary goes away, the replica is promoted, and capture, pointed at it with the same saved state,
// resumes by GTID: the topics end equal to the new primary's tables, nothing lost or doubled.
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { caughtUp, fold, readTopic, startTestReader } from '../../test/fixtures/cdc.js';
import { tableRows } from '../../test/fixtures/cdc.js';
import { tempDir } from '../../test/fixtures/temp-dir.js';
import { silentLogger } from '../../core/log.js';
import { createMysqlPool, parseMysqlUrl, withDatabase, type Pool, type RowDataPacket } from '../../marketplace/mysql/connection.js';
import { LocalMysqlServer } from '../../marketplace/mysql/local-server.js';
import { seed } from '../../marketplace/sample-data/seed.js';
import { simulate } from '../../marketplace/sample-data/simulate.js';
import { migrate } from '../../marketplace/schema/migrate.js';

const dir = tempDir();
const log = silentLogger();
const quiet = () => ({ update() {}, finish() {} });
let primary: LocalMysqlServer | undefined;
let replica: LocalMysqlServer;

beforeAll(async () => {
  primary = await LocalMysqlServer.open({ dataDir: join(dir.path, 'primary'), serverId: 1, database: 'primary_only', log });
  replica = await LocalMysqlServer.open({ dataDir: join(dir.path, 'replica'), serverId: 2, database: 'replica_only', log });
  const { password } = parseMysqlUrl(primary.url());
  // Replication starts from now: the primary's own set-up (its root password) stays its own.
  const source = await createMysqlPool(primary.url(), { connectionLimit: 1 });
  const [[position]] = await source.query<RowDataPacket[]>('SELECT @@gtid_binlog_pos AS gtid');
  await source.end();
  const pool = await createMysqlPool(replica.url(), { connectionLimit: 1 });
  await pool.query('SET GLOBAL gtid_slave_pos = ?', [String(position!.gtid)]);
  await pool.query(
    `CHANGE MASTER TO MASTER_HOST = '127.0.0.1', MASTER_PORT = ?, MASTER_USER = 'root', MASTER_PASSWORD = ?, MASTER_USE_GTID = slave_pos`,
    [primary.port, password],
  );
  await pool.query('START SLAVE');
  await pool.end();
});
afterAll(async () => {
  await primary?.stop();
  await replica?.stop();
  dir.remove();
});

async function replicated(replicaPool: Pool, primaryPool: Pool): Promise<void> {
  const [[{ gtid }]] = await primaryPool.query<RowDataPacket[]>('SELECT @@gtid_binlog_pos AS gtid') as unknown as [[{ gtid: string }]];
  const [[waited]] = await replicaPool.query<RowDataPacket[]>('SELECT MASTER_GTID_WAIT(?, 60) AS result', [gtid]);
  expect(Number(waited!.result), 'the replica to apply the primary\'s transactions').toBe(0);
}

describe('change capture across a failover', () => {
  it('resumes on the promoted replica by GTID and ends equal to its tables', async () => {
    const onPrimary = withDatabase(primary!.url(), 'shop');
    const onReplica = withDatabase(replica.url(), 'shop');
    await migrate(onPrimary);
    const primaryPool = await createMysqlPool(onPrimary, { connectionLimit: 8 });
    await seed(primaryPool, { users: 100, listings: 1000, seed: 3, progress: quiet });
    const readerDir = join(dir.path, 'reader');
    let reader = await startTestReader(onPrimary, readerDir);
    const replicaPool = await createMysqlPool(onReplica, { connectionLimit: 8 });
    try {
      await simulate(primaryPool, { ratePerSecond: 300, durationMs: 2000, concurrency: 4, seed: 5, progress: quiet });
      await caughtUp(onPrimary, reader.reader);
      await replicated(replicaPool, primaryPool);

      // The primary goes; the replica stops replicating and takes the writes.
      await primaryPool.end();
      await primary!.stop();
      primary = undefined;
      await replicaPool.query('STOP SLAVE');
      await replicaPool.query('RESET SLAVE ALL');
      await reader.stop();

      reader = await startTestReader(onReplica, readerDir);
      const result = await simulate(replicaPool, { ratePerSecond: 300, durationMs: 2000, concurrency: 4, seed: 6, progress: quiet });
      expect(result.errors).toBe(0);
      await caughtUp(onReplica, reader.reader);
      for (const table of ['users', 'listings', 'orders', 'messages']) {
        expect(fold(await readTopic(reader.bus, `sl.shop.${table}`)), table).toEqual(await tableRows(onReplica, table));
      }
      // Resumed, not snapshotted again: no snapshot reads after the first.
      const listings = await readTopic(reader.bus, 'sl.shop.listings');
      const snapshotRows = listings.filter((m) => (JSON.parse(m.value!.toString()) as { op: string }).op === 'r');
      expect(snapshotRows).toHaveLength(1000);
      const servers = new Set(listings.map((m) => (JSON.parse(m.value!.toString()) as { source: { server_id: number } }).source.server_id));
      expect([...servers].sort()).toEqual([1, 2]);
    } finally {
      await reader.stop();
      await replicaPool.end();
    }
  }, 300_000);
});
