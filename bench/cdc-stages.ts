// Where change capture's time goes, stage by stage, over one backlog of inserts, updates and
// deletes: the binlog decode alone, then each step the reader adds (row conversion, envelopes,
// JSON, the bus append with each fsync policy, a consumer group's fetch), and the whole reader
// last. The middle stages run in memory over the decoded transactions, so each is its own cost.
// Where the reader's own rows decoder replaced zongji's, both run, alternating, in the same run.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ZongJi from '@vlasky/zongji';
import { silentLogger } from '../core/log.js';
import { createMysqlPool, parseMysqlUrl, type Pool, type RowDataPacket } from '../marketplace/mysql/connection.js';
import type { LocalMysqlServer } from '../marketplace/mysql/local-server.js';
import { seed } from '../marketplace/sample-data/seed.js';
import { migrate } from '../marketplace/schema/migrate.js';
import { EmbeddedBus } from '../pipelines/bus/embedded/index.js';
import type { FsyncPolicy } from '../pipelines/bus/embedded/partition-log.js';
import type { OutgoingMessage } from '../pipelines/bus/port.js';
import { BinlogStream, type BinlogTransaction, type RowsDecoderChoice } from '../pipelines/cdc/binlog-stream.js';
import { ChangeEvents } from '../pipelines/cdc/change-events.js';
import { normalizeRow } from '../pipelines/cdc/column-values.js';
import { CdcReader } from '../pipelines/cdc/reader.js';
import { FileStateStore } from '../pipelines/cdc/reader-state.js';
import { SchemaCache } from '../pipelines/cdc/table-schema.js';
import { TableFilter } from '../pipelines/cdc/topics.js';
import { measure, type BenchResult } from './table.js';

const quiet = () => ({ update() {}, finish() {} });
const LISTINGS = 40_000;
const UPDATE_CHUNK = 20;
const UPDATES = 20_000;
const DELETES = 10_000;
/** As the reader batches: whole transactions up to this many row changes per bus round trip. */
const BATCH_EVENTS = 20_000;

async function binlogPosition(pool: Pool): Promise<{ file: string; pos: number; seq: number; gtid: string }> {
  const [[status]] = await pool.query<RowDataPacket[]>('SHOW MASTER STATUS');
  const [[gtid]] = await pool.query<RowDataPacket[]>('SELECT @@gtid_binlog_pos AS g');
  return { file: String(status!.File), pos: Number(status!.Position), seq: Number(String(gtid!.g).split('-')[2]), gtid: String(gtid!.g) };
}

const seqOf = (gtid: string | null) => Number(gtid?.split('-')[2] ?? 0);

/** zongji alone, with the reader's decoding options, counting rows. */
async function zongjiOnly(url: string, from: { file: string; pos: number }, rows: number): Promise<number> {
  const target = parseMysqlUrl(url);
  const zongji = new ZongJi({
    host: target.host, port: target.port, user: target.user, password: target.password,
    dateStrings: true, timezone: 'Z', supportBigNumbers: true, bigNumberStrings: false, decimalNumbers: false, jsonStrings: true,
  } as never);
  const t = performance.now();
  let seen = 0;
  await new Promise<void>((resolve) => {
    zongji.on('binlog', (...args: unknown[]) => {
      seen += (args[0] as { rows?: unknown[] }).rows?.length ?? 0;
      if (seen >= rows) resolve();
    });
    zongji.start({ serverId: 77_101, filename: from.file, position: from.pos, includeSchema: { [target.database]: true }, includeEvents: ['rotate', 'tablemap', 'writerows', 'updaterows', 'deleterows', 'query', 'xid', 'mariadbgtid'] });
  });
  const elapsed = performance.now() - t;
  zongji.stop();
  return elapsed;
}

/** The reader's binlog stream (zongji + whole transactions), keeping what it hands over. */
async function streamTransactions(url: string, from: { file: string; pos: number }, endSeq: number, rowsDecoder: RowsDecoderChoice): Promise<{ transactions: BinlogTransaction[]; elapsedMs: number }> {
  const transactions: BinlogTransaction[] = [];
  const t = performance.now();
  let stream!: BinlogStream;
  await new Promise<void>((resolve, reject) => {
    stream = new BinlogStream({
      url, replicaServerId: 77_102, databases: [parseMysqlUrl(url).database], rowsDecoder,
      onTransaction: (transaction) => {
        transactions.push(transaction);
        if (seqOf(transaction.gtid) >= endSeq) resolve();
      },
      onError: reject,
    });
    stream.start(from);
  });
  const elapsedMs = performance.now() - t;
  await stream.stop();
  return { transactions, elapsedMs };
}

function time(run: () => void): number {
  const t = performance.now();
  run();
  return performance.now() - t;
}

/**
 * Runs a stage and adds this process's CPU time per unit to its row: on a shared machine other
 * work moves the wall time far more than it moves the CPU time a stage takes.
 */
async function stage(name: string, unit: string, count: number, run: () => Promise<number> | number, note?: string): Promise<BenchResult> {
  const cpu = process.cpuUsage();
  const elapsedMs = await run();
  const used = process.cpuUsage(cpu);
  return measure(name, unit, count, elapsedMs, [cpuPer(used, count, unit), note].filter(Boolean).join(', '));
}

function cpuPer(used: NodeJS.CpuUsage, count: number, unit: string): string {
  return `cpu ${((used.user + used.system) / count).toFixed(1)} µs/${unit.replace(/s$/, '')}`;
}

async function publishAll(dir: string, fsync: FsyncPolicy, batches: Map<string, OutgoingMessage[]>[]): Promise<{ bus: EmbeddedBus; elapsedMs: number }> {
  const bus = await EmbeddedBus.open({ dir, defaultPartitions: 4, segmentBytes: 64 << 20, fsync, fsyncIntervalMs: 100, retentionBytes: 1 << 40, retentionMs: 1e12 });
  for (const topic of new Set(batches.flatMap((b) => [...b.keys()]))) await bus.ensureTopic(topic);
  const t = performance.now();
  // One batch in flight at a time, its topics in parallel, as the reader publishes.
  for (const batch of batches) await Promise.all([...batch].map(([topic, messages]) => bus.publish(topic, messages)));
  return { bus, elapsedMs: performance.now() - t };
}

async function consumeAll(bus: EmbeddedBus, topics: string[], total: number, parse: boolean): Promise<number> {
  let seen = 0;
  const t = performance.now();
  let done!: () => void;
  const finished = new Promise<void>((resolve) => { done = resolve; });
  const subscription = await bus.subscribe({ group: `stages-${parse}`, topics, fromBeginning: true }, async (batch) => {
    if (parse) for (const m of batch.messages) JSON.parse(m.value!.toString('utf8'));
    seen += batch.messages.length;
    if (seen >= total) done();
  });
  await finished;
  const elapsed = performance.now() - t;
  await subscription.stop();
  return elapsed;
}

export async function* cdcStageBenches(server: LocalMysqlServer): AsyncGenerator<BenchResult> {
  const url = server.url('bench_cdc_stages');
  const database = parseMysqlUrl(url).database;
  await migrate(url);
  const pool = await createMysqlPool(url, { connectionLimit: 8 });
  const dir = mkdtempSync(join(tmpdir(), 'steveslist-bench-cdc-stages-'));
  try {
    await seed(pool, { users: 2000, listings: 0, progress: quiet });
    const from = await binlogPosition(pool);
    await seed(pool, { users: 0, listings: LISTINGS, progress: quiet });
    const [[row]] = await pool.query<RowDataPacket[]>('SELECT MIN(id) AS first FROM listings');
    const firstId = Number(row!.first);
    // Updates as 20-row statements, each its own transaction; deletes in 1,000-row ones.
    for (let at = 0; at < UPDATES; at += UPDATE_CHUNK) {
      await pool.query('UPDATE listings SET price_amount = price_amount + 1 WHERE id BETWEEN ? AND ?', [firstId + at, firstId + at + UPDATE_CHUNK - 1]);
    }
    for (let at = 0; at < DELETES; at += 1000) {
      await pool.query('DELETE FROM listings WHERE id BETWEEN ? AND ?', [firstId + LISTINGS - DELETES + at, firstId + LISTINGS - DELETES + at + 999]);
    }
    const end = await binlogPosition(pool);

    // The first reads are cold (the source reads its binlog from disk, the JIT is not warm): they
    // only collect the transactions; the timed reads come after.
    const { transactions } = await streamTransactions(url, from, end.seq, 'zongji');
    const { transactions: ownTransactions } = await streamTransactions(url, from, end.seq, 'builtin');
    const changes = transactions.flatMap((tx) => tx.changes);
    const rowImages = changes.reduce((n, c) => n + (c.before ? 1 : 0) + (c.after ? 1 : 0), 0);
    const mix = `${changes.filter((c) => c.op === 'c').length} c / ${changes.filter((c) => c.op === 'u').length} u / ${changes.filter((c) => c.op === 'd').length} d, ${transactions.length} tx`;

    yield await stage('stage: zongji decode alone', 'rows', changes.length, () => zongjiOnly(url, from, changes.length), 'reader\'s decoding options, counting rows');
    const streamed: Record<RowsDecoderChoice, BenchResult[]> = { zongji: [], builtin: [] };
    for (const rowsDecoder of ['zongji', 'builtin', 'zongji', 'builtin'] as const) {
      streamed[rowsDecoder].push(await stage(`stage: binlog stream, ${rowsDecoder === 'zongji' ? 'rows by zongji' : 'own rows decoder'}`, 'rows', changes.length,
        async () => (await streamTransactions(url, from, end.seq, rowsDecoder)).elapsedMs, rowsDecoder === 'zongji' ? `${mix}, not normalized` : 'values normalized'));
    }
    yield* streamed.zongji;
    yield* streamed.builtin;

    const schemas = new SchemaCache(pool);
    for (const table of new Set(changes.map((c) => c.table))) await schemas.get(database, table);
    yield await stage('stage: normalizeRow alone (zongji rows only)', 'rows', changes.length, () => time(() => {
      for (const change of changes) {
        const types = { codes: change.columnTypes, special: schemas.cached(change.database, change.table)?.special ?? new Map() };
        if (change.before) normalizeRow(change.before, types);
        if (change.after) normalizeRow(change.after, types);
      }
    }), `${rowImages} row images`);

    const events = new ChangeEvents({
      database, topicPrefix: 'stages', sourceName: 'stages',
      filter: new TableFilter({ database, include: [], exclude: [], excludeColumns: [] }),
      schemaOf: (db, table) => schemas.cached(db, table) ?? schemas.get(db, table),
      forgetSchemas: () => undefined,
      partitionsOf: async () => 4,
    });
    const shape = async (input: BinlogTransaction[]) => {
      const shaped: Map<string, OutgoingMessage[]>[] = [];
      let clock = 0n;
      let count = 0;
      let inBatch = BATCH_EVENTS;
      for (const transaction of input) {
        const items = await events.ofTransaction(transaction, clock);
        clock = items.clock;
        if (inBatch + transaction.changes.length > BATCH_EVENTS) {
          shaped.push(new Map());
          inBatch = 0;
        }
        inBatch += transaction.changes.length;
        const batch = shaped[shaped.length - 1]!;
        for (const { topic, message } of items.messages) {
          const list = batch.get(topic);
          if (list) list.push(message);
          else batch.set(topic, [message]);
          count++;
        }
      }
      return { shaped, count };
    };
    let cpu = process.cpuUsage();
    let t = performance.now();
    await shape(transactions);
    yield measure('stage: ChangeEvents.ofTransaction, zongji rows (normalize + envelope + JSON)', 'rows', changes.length, performance.now() - t, cpuPer(process.cpuUsage(cpu), changes.length, 'rows'));
    cpu = process.cpuUsage();
    t = performance.now();
    const { shaped: batches, count: messageCount } = await shape(ownTransactions);
    yield measure('stage: ChangeEvents.ofTransaction, own decoder\'s rows (envelope + JSON)', 'rows', changes.length, performance.now() - t, `${cpuPer(process.cpuUsage(cpu), changes.length, 'rows')}, ${messageCount} messages`);

    const values = batches.flatMap((b) => [...b.values()].flatMap((list) => list.map((m) => JSON.parse(String(m.value)) as unknown)));
    const bytes = values.reduce<number>((n, v) => n + JSON.stringify(v).length, 0);
    yield await stage('stage: JSON.stringify of the same envelopes', 'msg', values.length, () => time(() => {
      for (const value of values) JSON.stringify(value);
    }), `${Math.round(bytes / values.length)} B/message`);

    const topics = [...new Set(batches.flatMap((b) => [...b.keys()]))];
    for (const fsync of ['always', 'interval', 'never'] as const) {
      cpu = process.cpuUsage();
      const { bus, elapsedMs } = await publishAll(join(dir, `bus-${fsync}`), fsync, batches);
      yield measure(`stage: embedded bus append, fsync ${fsync}`, 'msg', messageCount, elapsedMs, `${cpuPer(process.cpuUsage(cpu), messageCount, 'msg')}, ${batches.length} batches of <= ${BATCH_EVENTS.toLocaleString('en-US')} events, topics in parallel`);
      if (fsync === 'always') {
        yield await stage('stage: consumer group fetch (no parse)', 'msg', messageCount, () => consumeAll(bus, topics, messageCount, false), '500-message batches, 4 partitions per topic');
        yield await stage('stage: consumer group fetch + JSON.parse', 'msg', messageCount, () => consumeAll(bus, topics, messageCount, true));
      }
      await bus.close();
    }

    // The whole reader over the same backlog, from the same position.
    const store = new FileStateStore(join(dir, 'reader-state'));
    await store.save({ file: from.file, pos: from.pos, gtid: from.gtid, clock: '0', sourceServerId: Number((await pool.query<RowDataPacket[]>('SELECT @@server_id AS id'))[0][0]!.id), updatedAt: new Date().toISOString() });
    const whole: Record<RowsDecoderChoice, BenchResult[]> = { zongji: [], builtin: [] };
    let run = 0;
    for (const rowsDecoder of ['zongji', 'builtin', 'zongji', 'builtin'] as const) {
      run++;
      const runBus = await EmbeddedBus.open({ dir: join(dir, `reader-bus-${run}`), defaultPartitions: 4, segmentBytes: 64 << 20, fsync: 'always', fsyncIntervalMs: 100, retentionBytes: 1 << 40, retentionMs: 1e12 });
      const runStore = new FileStateStore(join(dir, `reader-state-${run}`));
      await runStore.save((await store.load())!);
      cpu = process.cpuUsage();
      t = performance.now();
      const reader = CdcReader.start({
        url, bus: runBus, store: runStore, topicPrefix: 'stages', filter: new TableFilter({ database, include: [], exclude: [], excludeColumns: [] }),
        replicaServerId: 77_103, snapshotChunkRows: 5000, onMissingBinlog: 'fail', log: silentLogger(), progress: quiet, rowsDecoder,
      });
      while (seqOf(reader.stats().position?.gtid ?? null) < end.seq) {
        if (reader.stats().phase === 'failed') await reader.done;
        await new Promise((r) => setTimeout(r, 5));
      }
      const readerMs = performance.now() - t;
      const readerCpu = process.cpuUsage(cpu);
      const published = reader.stats().changesPublished;
      await reader.stop();
      await runBus.close();
      whole[rowsDecoder].push(measure(`whole reader: catch-up to the bus, ${rowsDecoder === 'zongji' ? 'rows by zongji' : 'own rows decoder'}`, 'rows', published, readerMs,
        `${cpuPer(readerCpu, published, 'rows')}, embedded bus, fsync always, from a saved position`));
    }
    yield* whole.zongji;
    yield* whole.builtin;
  } finally {
    await pool.end();
    rmSync(dir, { recursive: true, force: true });
  }
}
