// Several sources: two private MariaDB servers hold shards of one marketplace schema (each with
// its own key range). A reader per shard, each with its own position and
// source.name, feeds one bus; one warehouse loader takes both. The topics fold to the union of the
// shards' tables and the warehouse holds every row of both.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { caughtUp, fold, gtidSequence, openTestBus, readTopic, replicaId, tableRows } from '../../test/fixtures/cdc.js';
import { startCli } from '../../test/fixtures/run-cli.js';
import { tempDir } from '../../test/fixtures/temp-dir.js';
import { silentLogger } from '../../core/log.js';
import { createMysqlPool, withDatabase, type Pool, type RowDataPacket } from '../../marketplace/mysql/connection.js';
import { LocalMysqlServer } from '../../marketplace/mysql/local-server.js';
import { seed } from '../../marketplace/sample-data/seed.js';
import { simulate } from '../../marketplace/sample-data/simulate.js';
import { migrate } from '../../marketplace/schema/migrate.js';
import { verifyWarehouse } from '../../warehouse/backfill.js';
import { createWarehouseClient } from '../../warehouse/client.js';
import { startWarehouseLoader } from '../../warehouse/loader.js';
import { KafkaBus } from '../bus/kafka.js';
import type { Bus } from '../bus/port.js';
import { KafkaConnectClient } from './debezium/connect-client.js';
import { CdcReader } from './reader.js';
import { FileStateStore, type ReaderState } from './reader-state.js';
import { TableFilter } from './topics.js';
import type { ChangeEnvelope, Row } from './envelope.js';

const dir = tempDir();
const log = silentLogger();
const quiet = () => ({ update() {}, finish() {} });
const shards: { name: string; server: LocalMysqlServer; url: string; pool: Pool }[] = [];

beforeAll(async () => {
  for (const [index, name] of ['shard-a', 'shard-b'].entries()) {
    const server = await LocalMysqlServer.open({ dataDir: join(dir.path, name), serverId: 21 + index, log });
    const url = withDatabase(server.url(), 'shop');
    await migrate(url);
    // Each shard has its own key range, so rows of the two never share a primary key.
    const pool = await createMysqlPool(url, { connectionLimit: 8 });
    const [tables] = await pool.query<RowDataPacket[]>("SELECT TABLE_NAME AS name FROM information_schema.TABLES WHERE TABLE_SCHEMA = 'shop' AND AUTO_INCREMENT IS NOT NULL");
    for (const { name: table } of tables) await pool.query(`ALTER TABLE \`${table}\` AUTO_INCREMENT = ${1 + index * 1_000_000}`);
    shards.push({ name, server, url, pool });
  }
});
afterAll(async () => {
  for (const shard of shards) {
    await shard.pool.end();
    await shard.server.stop();
  }
  dir.remove();
});

/** Waits until the reader (in another process) saved, in `dir`, a position at the shard's binlog end, its snapshot done. */
async function savedAtBinlogEnd(shard: (typeof shards)[number], dir: string): Promise<void> {
  const seq = (gtid: string | null | undefined) => gtidSequence(gtid) ?? -1n;
  const [[row]] = await shard.pool.query<RowDataPacket[]>('SELECT @@gtid_binlog_pos AS g');
  const target = seq(String(row!.g));
  const deadline = Date.now() + 60_000;
  for (;;) {
    const path = join(dir, 'reader-state.json');
    const state = existsSync(path) ? (JSON.parse(readFileSync(path, 'utf8')) as ReaderState) : undefined;
    if (state && !state.snapshot && seq(state.gtid) >= target) return;
    if (Date.now() > deadline) throw new Error(`${shard.name}: no position at the binlog end saved in ${dir}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const kafkaBrokers = process.env.KAFKA_BROKERS;
const connectUrl = process.env.KAFKA_CONNECT_URL;
if (!kafkaBrokers || !connectUrl) console.log('cdc shards: the Debezium case needs Kafka and Kafka Connect; run `npm run engines:start` and set KAFKA_BROKERS=127.0.0.1:19092 KAFKA_CONNECT_URL=http://127.0.0.1:18083 to include it');

function startReader(bus: Bus, shard: (typeof shards)[number]): CdcReader {
  return CdcReader.start({
    url: shard.url, bus, store: new FileStateStore(join(dir.path, `cdc-${shard.name}`)), topicPrefix: 'sl', sourceName: shard.name,
    filter: new TableFilter({ database: 'shop', include: [], exclude: ['schema_migrations'], excludeColumns: [] }),
    replicaServerId: replicaId(), snapshotChunkRows: 1000, onMissingBinlog: 'fail', log, progress: quiet,
  });
}

describe('change capture from two shards', () => {
  it('feeds one bus and one warehouse from both, each source with its own position and name', async () => {
    for (const [index, shard] of shards.entries()) await seed(shard.pool, { users: 50, listings: 300, seed: 40 + index, progress: quiet });
    const bus = await openTestBus(join(dir.path, 'bus'));
    const readers = shards.map((shard) => startReader(bus, shard));
    const warehouse = createWarehouseClient({ path: join(dir.path, 'warehouse') });
    const loader = startWarehouseLoader({ bus, client: warehouse, pool: shards[0]!.pool, database: 'shop', topicPrefix: 'sl', log });
    try {
      await loader.start();
      await Promise.all(shards.map((shard, index) => simulate(shard.pool, { ratePerSecond: 200, durationMs: 2000, concurrency: 4, seed: 50 + index, progress: quiet })));
      await Promise.all(shards.map((shard, index) => caughtUp(shard.url, readers[index]!)));

      for (const table of ['users', 'listings', 'orders', 'messages']) {
        const union = new Map<string, Row>();
        for (const shard of shards) for (const [key, row] of await tableRows(shard.url, table)) union.set(key, row);
        expect(fold(await readTopic(bus, `sl.shop.${table}`)), table).toEqual(union);
      }
      const names = new Set((await readTopic(bus, 'sl.shop.listings')).map((m) => (JSON.parse(m.value!.toString()) as ChangeEnvelope).source.name));
      expect([...names].sort()).toEqual(['shard-a', 'shard-b']);

      // The warehouse holds both shards' rows: every shard's rows present, none beyond the two.
      const deadline = Date.now() + 60_000;
      for (;;) {
        const reports = await Promise.all(shards.map((shard) => verifyWarehouse({ url: shard.url, pool: shard.pool, database: 'shop', client: warehouse, tables: ['users', 'listings', 'orders'] })));
        const missing = reports.flat().reduce((sum, r) => sum + r.missing.length + r.different.length, 0);
        const perTable = reports[0]!.map((r, i) => ({ table: r.table, warehouse: r.warehouseRows, shards: r.mysqlRows + reports[1]![i]!.mysqlRows }));
        if (missing === 0 && perTable.every((t) => t.warehouse === t.shards)) break;
        if (Date.now() > deadline) throw new Error(`warehouse not caught up: ${JSON.stringify(perTable)}`);
        await new Promise((r) => setTimeout(r, 250));
      }
    } finally {
      await loader.stop();
      await Promise.all(readers.map((reader) => reader.stop()));
      await warehouse.close();
      await bus.close();
    }
  }, 300_000);

  it('reads every source of CDC_SOURCES in one `steveslist cdc` process, each under its own name and position', async () => {
    const env = {
      CDC_SOURCES: shards.map((shard) => `${shard.name}=${shard.url}`).join(','), DATA_DIR: join(dir.path, 'one-process'), TOPIC_PREFIX: 'multi',
      CDC_SERVER_ID: String(replicaId()), LOG_LEVEL: 'info',
    };
    const run = async (write: () => Promise<unknown>) => {
      const cdc = startCli(['cdc'], env);
      try {
        await cdc.waitFor(/change capture running for every source/);
        await write();
        await Promise.all(shards.map((shard) => savedAtBinlogEnd(shard, join(env.DATA_DIR, 'cdc', shard.name))));
      } finally {
        cdc.child.kill('SIGTERM');
        expect(await cdc.exited).toBe(0);
      }
      return cdc.output();
    };
    // First run: both snapshots. Second run: a row on each shard, read from each saved position.
    await run(async () => undefined);
    await run(() => Promise.all(shards.map((shard, index) => shard.pool.query("UPDATE users SET name = ? ORDER BY id LIMIT 1", [`renamed ${index}`]))));
    const bus = await openTestBus(join(dir.path, 'one-process', 'bus'));
    try {
      const users = await readTopic(bus, 'multi.shop.users');
      const bySource = (name: string) => users.map((m) => JSON.parse(m.value!.toString()) as ChangeEnvelope).filter((e) => e.source.name === name);
      for (const [index, shard] of shards.entries()) {
        const events = bySource(shard.name);
        // Each shard's users snapshotted once (the second run resumed, it did not snapshot again), then the rename.
        expect(events.filter((e) => e.op === 'r')).toHaveLength((await tableRows(shard.url, 'users')).size);
        expect(events.filter((e) => e.op === 'u').map((e) => e.after?.name)).toEqual([`renamed ${index}`]);
      }
    } finally {
      await bus.close();
    }
  }, 300_000);

  it.skipIf(!kafkaBrokers || !connectUrl)('registers a Debezium connector per source of CDC_SOURCES, all routed to the same topics', async () => {
    const prefix = `shards${Date.now()}`;
    const env = {
      CDC_SOURCES: shards.map((shard) => `${shard.name}=${shard.url}`).join(','), CDC_ENGINE: 'debezium', KAFKA_BROKERS: kafkaBrokers, KAFKA_CONNECT_URL: connectUrl,
      TOPIC_PREFIX: prefix, BUS_PARTITIONS: '3', KAFKA_REPLICATION_FACTOR: '1', CDC_SERVER_ID: String(replicaId()), DATA_DIR: join(dir.path, 'debezium'), LOG_LEVEL: 'info',
    };
    const cdc = startCli(['cdc'], env);
    const kafka = await KafkaBus.connect({ brokers: kafkaBrokers!.split(','), clientId: 'shards-test', defaultPartitions: 3, replicationFactor: 1, topicRefreshMs: 1000, groupPrefix: `${prefix}.` });
    const client = new KafkaConnectClient(connectUrl!);
    try {
      await cdc.waitFor(/Debezium connector registered; reporting/, 120_000);
      await Promise.all(shards.map((shard, index) => shard.pool.query('UPDATE users SET name = ? ORDER BY id LIMIT 1', [`debezium ${index}`])));
      const union = new Map<string, Row>();
      for (const shard of shards) for (const [key, row] of await tableRows(shard.url, 'users')) union.set(key, row);
      const deadline = Date.now() + 120_000;
      let folded = new Map<string, Row>();
      while (Date.now() < deadline) {
        folded = fold(await readTopic(kafka, `${prefix}.shop.users`));
        if (folded.size === union.size && [...union].every(([key, row]) => folded.get(key)?.name === row.name)) break;
        await new Promise((r) => setTimeout(r, 500));
      }
      expect([...folded.keys()].sort()).toEqual([...union.keys()].sort());
      expect([...folded.values()].filter((row) => String(row.name).startsWith('debezium ')).map((row) => row.name).sort()).toEqual(['debezium 0', 'debezium 1']);
      const names = new Set((await readTopic(kafka, `${prefix}.shop.users`)).map((m) => (JSON.parse(m.value!.toString()) as ChangeEnvelope).source.name));
      expect([...names].sort()).toEqual(shards.map((shard) => `${prefix}_${shard.name}`));
    } finally {
      cdc.child.kill('SIGTERM');
      await cdc.exited;
      for (const shard of shards) await client.delete(`${prefix}-${shard.name}`).catch(() => undefined);
      await kafka.close();
    }
  }, 300_000);
});
