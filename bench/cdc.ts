// Change capture throughput against a backlog written just before (the catch-up case, the
// hardest for a binlog reader), and the snapshot rate, with the MariaDB write rate of the run.
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ZongJi from '@vlasky/zongji';
import { silentLogger } from '../core/log.js';
import { createListing } from '../marketplace/domain/listings.js';
import { createMysqlPool, parseMysqlUrl, type Pool, type RowDataPacket } from '../marketplace/mysql/connection.js';
import type { LocalMysqlServer } from '../marketplace/mysql/local-server.js';
import { sampleListing } from '../marketplace/sample-data/generate.js';
import { Random } from '../marketplace/sample-data/random.js';
import { seed } from '../marketplace/sample-data/seed.js';
import { migrate } from '../marketplace/schema/migrate.js';
import { EmbeddedBus } from '../pipelines/bus/embedded/index.js';
import type { RowsDecoderChoice } from '../pipelines/cdc/binlog-stream.js';
import { CdcReader } from '../pipelines/cdc/reader.js';
import { FileStateStore } from '../pipelines/cdc/reader-state.js';
import { ThreadedCdcReader, type CaptureReader } from '../pipelines/cdc/thread/threaded-reader.js';
import { TableFilter } from '../pipelines/cdc/topics.js';
import { pacedWrites } from './paced-writes.js';
import { busiestThreads, threadCpu } from './thread-cpu.js';
import { measure, type BenchResult } from './table.js';

const quiet = () => ({ update() {}, finish() {} });
const BULK_ROWS = 100_000;
const SINGLE_ROW_TX = 10_000;

async function binlogPosition(pool: Pool): Promise<{ file: string; pos: number; seq: number }> {
  const [[status]] = await pool.query<RowDataPacket[]>('SHOW MASTER STATUS');
  const [[gtid]] = await pool.query<RowDataPacket[]>('SELECT @@gtid_binlog_pos AS g');
  return { file: String(status!.File), pos: Number(status!.Position), seq: Number(String(gtid!.g).split('-')[2]) };
}

/** zongji alone over the backlog: the decode rate without envelopes or the bus. */
async function decodeOnly(url: string, from: { file: string; pos: number }, rows: number): Promise<number> {
  const target = parseMysqlUrl(url);
  const zongji = new ZongJi({ host: target.host, port: target.port, user: target.user, password: target.password, dateStrings: true } as never);
  const t = Date.now();
  let seen = 0;
  await new Promise<void>((resolve) => {
    zongji.on('binlog', (...args: unknown[]) => {
      const event = args[0] as { rows?: unknown[] };
      seen += event.rows?.length ?? 0;
      if (seen >= rows) resolve();
    });
    zongji.start({ serverId: 77_001, filename: from.file, position: from.pos, includeEvents: ['tablemap', 'writerows', 'updaterows', 'deleterows', 'xid', 'mariadbgtid', 'rotate'] });
  });
  const elapsed = Date.now() - t;
  zongji.stop();
  return elapsed;
}

interface CatchUpRun {
  elapsedMs: number;
  changes: number;
  /** The whole process's CPU (every thread). */
  cpuUs: number;
  /** The main thread's CPU. */
  mainUs: number;
  /** The busiest other thread's CPU: capture's, when it has a thread of its own. */
  otherUs: number;
}

/**
 * The reader from its saved position until it has published up to `targetSeq`: on a thread of
 * its own as `steveslist up` and `steveslist cdc` run it, or on this thread as the tests do.
 */
async function catchUp(url: string, dir: string, targetSeq: number, options: { rowsDecoder?: RowsDecoderChoice; thread?: boolean } = {}): Promise<CatchUpRun> {
  const { rowsDecoder = 'builtin', thread = true } = options;
  const bus = await EmbeddedBus.open({ dir: join(dir, 'bus'), defaultPartitions: 4, segmentBytes: 64 << 20, fsync: 'always', fsyncIntervalMs: 100, retentionBytes: 1 << 40, retentionMs: 1e12 });
  const t = Date.now();
  const cpu = process.cpuUsage();
  const threads = threadCpu();
  const filter = { database: parseMysqlUrl(url).database, include: [], exclude: [], excludeColumns: [] };
  const reader: CaptureReader = thread
    ? ThreadedCdcReader.start({ url, stateDir: join(dir, 'cdc'), topicPrefix: 'bench', filter, replicaServerId: 77_002, snapshotChunkRows: 5000, onMissingBinlog: 'fail', rowsDecoder }, bus, silentLogger())
    : CdcReader.start({
      url, bus, store: new FileStateStore(join(dir, 'cdc')), topicPrefix: 'bench', filter: new TableFilter(filter),
      replicaServerId: 77_002, snapshotChunkRows: 5000, onMissingBinlog: 'fail', log: silentLogger(), progress: quiet, rowsDecoder,
    });
  while (Number(reader.stats().position?.gtid?.split('-')[2] ?? 0) < targetSeq) {
    if (reader.stats().phase === 'failed') await reader.done;
    await new Promise((r) => setTimeout(r, 5));
  }
  const elapsedMs = Date.now() - t;
  const used = process.cpuUsage(cpu);
  const { mainUs, otherUs } = busiestThreads(threads);
  const changes = reader.stats().changesPublished + reader.stats().snapshotRows;
  await reader.stop();
  await bus.close();
  return { elapsedMs, changes, cpuUs: used.user + used.system, mainUs, otherUs };
}

/** Commit reply to delivery to a consumer group, for single-row writes at a steady rate. */
async function liveLag(url: string, pool: Pool, dir: string): Promise<{ p50: number; p99: number; max: number; count: number }> {
  const bus = await EmbeddedBus.open({ dir: join(dir, 'bus'), defaultPartitions: 4, segmentBytes: 64 << 20, fsync: 'always', fsyncIntervalMs: 100, retentionBytes: 1 << 40, retentionMs: 1e12 });
  const reader = CdcReader.start({
    url, bus, store: new FileStateStore(join(dir, 'cdc')), topicPrefix: 'lag',
    filter: new TableFilter({ database: parseMysqlUrl(url).database, include: ['listings'], exclude: [], excludeColumns: [] }),
    replicaServerId: 77_003, snapshotChunkRows: 5000, onMissingBinlog: 'fail', log: silentLogger(), progress: quiet,
  });
  while (reader.stats().phase !== 'streaming') await new Promise((r) => setTimeout(r, 10));
  const committedAt = new Map<number, number>();
  // By id, since a change can arrive before its commit reply does (then its lag counts as 0):
  // matching only changes whose reply came first waited forever for the others.
  const arrivedAt = new Map<number, number>();
  const subscription = await bus.subscribe({ group: 'lag', topics: [`lag.${parseMysqlUrl(url).database}.listings`], fromBeginning: false }, async (batch) => {
    const now = performance.now();
    for (const m of batch.messages) {
      const id = (JSON.parse(m.value!.toString()) as { after: { id: number } | null }).after?.id;
      if (id !== undefined && !arrivedAt.has(id)) arrivedAt.set(id, now);
    }
  });
  const rng = new Random(8);
  const writes = 1000;
  const ratePerSecond = 200;
  await pacedWrites({ total: writes, ratePerSecond, workers: 4 }, async () => {
    const { createdAt: _ignored, ...listing } = sampleListing(rng, { id: rng.int(1, 2000) }, new Date());
    const id = await createListing(pool, listing);
    committedAt.set(id, performance.now());
  });
  while ([...committedAt.keys()].some((id) => !arrivedAt.has(id))) await new Promise((r) => setTimeout(r, 10));
  const lags = [...committedAt].map(([id, at]) => Math.max(0, arrivedAt.get(id)! - at));
  await subscription.stop();
  await reader.stop();
  await bus.close();
  lags.sort((a, b) => a - b);
  const at = (q: number) => lags[Math.min(lags.length - 1, Math.floor(q * lags.length))]!;
  return { p50: at(0.5), p99: at(0.99), max: lags[lags.length - 1]!, count: lags.length };
}

export async function* cdcBenches(server: LocalMysqlServer): AsyncGenerator<BenchResult> {
  const url = server.url('bench_cdc');
  await migrate(url);
  const pool = await createMysqlPool(url, { connectionLimit: 16 });
  const dir = mkdtempSync(join(tmpdir(), 'steveslist-bench-cdc-'));
  try {
    await seed(pool, { users: 2000, listings: 0, progress: quiet });
    // The reader starts on an empty-ish database and stops: the backlog comes after.
    await catchUp(url, join(dir, 'a'), (await binlogPosition(pool)).seq);
    const from = await binlogPosition(pool);

    let t = Date.now();
    await seed(pool, { users: 0, listings: BULK_ROWS, progress: quiet });
    yield measure('MariaDB write: listings in 1,000-row transactions', 'rows', BULK_ROWS, Date.now() - t, 'each row + its outbox row');

    const rng = new Random(5);
    let next = 0;
    t = Date.now();
    await Promise.all(Array.from({ length: 8 }, async () => {
      while (next++ < SINGLE_ROW_TX) {
        const { createdAt: _ignored, ...listing } = sampleListing(rng, { id: rng.int(1, 2000) }, new Date());
        await createListing(pool, listing);
      }
    }));
    yield measure('MariaDB write: one listing per transaction', 'tx', SINGLE_ROW_TX, Date.now() - t, '8 connections, durable commits');
    const end = await binlogPosition(pool);
    const backlogRows = 2 * (BULK_ROWS + SINGLE_ROW_TX);

    const decodeMs = await decodeOnly(url, from, backlogRows);
    yield measure('binlog decode only (zongji), catch-up', 'rows', backlogRows, decodeMs, 'listing + outbox row events');

    // The same backlog from the same saved position: on the reader's own thread (as the platform
    // runs it), on the main thread, and with zongji's rows decoding, to compare.
    cpSync(join(dir, 'a', 'cdc'), join(dir, 'm', 'cdc'), { recursive: true });
    cpSync(join(dir, 'a', 'cdc'), join(dir, 'z', 'cdc'), { recursive: true });
    const second = await catchUp(url, join(dir, 'a'), end.seq);
    const perRow = (run: CatchUpRun) => `cpu ${(run.cpuUs / run.changes).toFixed(1)} µs/row, of it the main thread ${(run.mainUs / run.changes).toFixed(1)}, the busiest other ${(run.otherUs / run.changes).toFixed(1)}`;
    yield measure('CDC catch-up to the bus (decode + envelope + publish)', 'rows', second.changes, second.elapsedMs, `reader on its own thread, embedded bus, fsync always, ${perRow(second)}`);
    const inMain = await catchUp(url, join(dir, 'm'), end.seq, { thread: false });
    yield measure('CDC catch-up to the bus, reader on the main thread', 'rows', inMain.changes, inMain.elapsedMs, `as above, ${perRow(inMain)}`);
    const byZongji = await catchUp(url, join(dir, 'z'), end.seq, { rowsDecoder: 'zongji' });
    yield measure('CDC catch-up to the bus, rows decoded by zongji', 'rows', byZongji.changes, byZongji.elapsedMs, `on its own thread, ${perRow(byZongji)}`);

    const snapshot = await catchUp(url, join(dir, 'b'), end.seq);
    yield measure('CDC snapshot to the bus', 'rows', snapshot.changes, snapshot.elapsedMs, '5,000-row primary-key chunks');

    const lag = await liveLag(url, pool, join(dir, 'c'));
    yield {
      ...measure('live lag: commit reply -> consumer (200 tx/s)', 'tx', lag.count, lag.count * 5),
      note: `p50 ${lag.p50.toFixed(1)} ms, p99 ${lag.p99.toFixed(1)} ms, max ${lag.max.toFixed(1)} ms`,
    };
  } finally {
    await pool.end();
    rmSync(dir, { recursive: true, force: true });
  }
}
