// Debezium when its Kafka Connect worker dies: a private worker (its own group, port and state
// topics, so the shared one other suites use is untouched) is killed with -9 while the
// marketplace writes, then started again. Connect saved the binlog offset every second, so the
// connector replays from there: events may come twice, none may be missing. Needs the engines.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../core/config/index.js';
import { silentLogger } from '../../../core/log.js';
import { freePort } from '../../../core/ports.js';
import { spawnConnectWorker, untilConnectReady } from '../../../deploy/engines/connect-worker.js';
import { seed } from '../../../marketplace/sample-data/seed.js';
import { simulate } from '../../../marketplace/sample-data/simulate.js';
import { fold, replicaId, tableRows } from '../../../test/fixtures/cdc.js';
import { createTestDatabase, type TestDatabase } from '../../../test/fixtures/database.js';
import { ROOT } from '../../../test/fixtures/run-cli.js';
import { tempDir } from '../../../test/fixtures/temp-dir.js';
import { readSourceTable } from '../../../warehouse/raw-schema.js';
import { KafkaBus } from '../../bus/kafka.js';
import { readTopic } from '../../bus/read-topic.js';
import type { Row } from '../envelope.js';
import { asBuiltinRow, debeziumColumns } from './builtin-row.js';
import { KafkaConnectClient } from './connect-client.js';
import { debeziumTarget, registerDebezium } from './index.js';

const brokers = process.env.KAFKA_BROKERS;
const home = join(process.env.ENGINES_DIR ?? join(ROOT, '.data', 'engines'), 'connect');
const runnable = Boolean(brokers && process.env.KAFKA_CONNECT_URL && existsSync(join(home, 'lib')));
if (!runnable) console.log('debezium faults: needs the engines; run `npm run engines:start` and set KAFKA_BROKERS=127.0.0.1:19092 KAFKA_CONNECT_URL=http://127.0.0.1:18083 to include it');

const dir = tempDir();
const quiet = () => ({ update() {}, finish() {} });
const TABLES = ['users', 'listings', 'orders', 'messages'];
let db: TestDatabase | undefined;
let worker: ReturnType<typeof spawnConnectWorker> | undefined;
let kafka: KafkaBus | undefined;
let connectUrl = '';
const prefix = `dbzfault${Date.now()}`;

afterAll(async () => {
  if (db && connectUrl) await new KafkaConnectClient(connectUrl).delete(`${prefix}-${db.name}`).catch(() => undefined);
  worker?.child.kill('SIGKILL');
  await kafka?.close();
  await db?.close();
  dir.remove();
});

async function until(what: string, check: () => Promise<boolean>, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check().catch(() => false))) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** The topics folded as a sink would, in the built-in representation, against MySQL's rows now. */
async function differences(): Promise<string[]> {
  const out: string[] = [];
  for (const table of TABLES) {
    const columns = debeziumColumns((await readSourceTable(db!.pool, db!.name, table))!.columns);
    const folded = new Map([...fold(await readTopic(kafka!, `${prefix}.${db!.name}.${table}`))].map(([key, row]) => [key, asBuiltinRow(row, columns)]));
    const mysql = await tableRows(db!.url, table);
    const same = (a: Row | undefined, b: Row | undefined) => JSON.stringify(a) === JSON.stringify(b);
    const missing = [...mysql.keys()].filter((key) => !same(folded.get(key), mysql.get(key)));
    const extra = [...folded.keys()].filter((key) => !mysql.has(key));
    if (missing.length + extra.length > 0) out.push(`${table}: ${missing.length} missing or stale (${missing.slice(0, 3).join(' ')}), ${extra.length} extra`);
  }
  return out;
}

describe.skipIf(!runnable)('Debezium through a Kafka Connect worker killed with -9', () => {
  it('loses no change: after the worker is killed mid-stream and started again, the topics fold to MySQL\'s rows', async () => {
    db = await createTestDatabase('dbzfault');
    await seed(db.pool, { users: 50, listings: 400, seed: 31, progress: quiet });
    const port = await freePort();
    connectUrl = `http://127.0.0.1:${port}`;
    const start = async () => {
      worker = spawnConnectWorker({
        home, dir: join(dir.path, 'connect'), port, brokers: brokers!, groupId: prefix, stateTopics: `_${prefix}`, heap: '256m', detached: false,
      });
      await untilConnectReady(port, worker.child, worker.logFile);
    };
    await start();
    const config = loadConfig({
      KAFKA_BROKERS: brokers, KAFKA_CONNECT_URL: connectUrl, CDC_ENGINE: 'debezium', TOPIC_PREFIX: prefix, BUS_PARTITIONS: '3',
      KAFKA_REPLICATION_FACTOR: '1', CDC_SERVER_ID: String(replicaId()), CDC_INCLUDE_TABLES: TABLES.join(','),
    }, { dotEnv: false, cwd: dir.path });
    expect(await registerDebezium(debeziumTarget(config, db.url), silentLogger())).toBe('created');
    kafka = await KafkaBus.connect({ brokers: brokers!.split(','), clientId: 'debezium-faults-test', defaultPartitions: 3, replicationFactor: 1, topicRefreshMs: 1000, groupPrefix: `${prefix}.` });

    // The fault is a crash while streaming. (A crash during Debezium's snapshot makes it snapshot
    // again from a later position, and rows deleted in between keep their first 'r' events: see
    // RELIABILITY.md.)
    await until('the snapshot to finish', async () => {
      for (const table of TABLES) {
        const events = await readTopic(kafka!, `${prefix}.${db!.name}.${table}`);
        if (events.some((m) => (JSON.parse(m.value!.toString()) as { source: { snapshot?: string } }).source.snapshot === 'last')) return true;
      }
      return false;
    });
    const writing = simulate(db.pool, { ratePerSecond: 200, durationMs: 8000, concurrency: 4, seed: 32, progress: quiet });
    await new Promise((r) => setTimeout(r, 3000));
    const exited = new Promise((resolve) => worker!.child.once('exit', resolve));
    worker!.child.kill('SIGKILL');
    await exited;
    await new Promise((r) => setTimeout(r, 1500));
    await start();
    expect((await writing).errors).toBe(0);

    const deadline = Date.now() + 120_000;
    let left = await differences();
    while (left.length > 0 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 1000));
      left = await differences();
    }
    expect(left).toEqual([]);
  }, 300_000);
});
