// Warehouse: commit-to-warehouse latency under load, loader throughput, and the marts over 1M
// listings and 10M generated orders (refresh cost; the GMV query and every dashboard query that
// reads a mart, over the materialized mart beside the plain view it replaced). The process's one
// chDB folder (warehouse-at-scale.ts), shared with the dashboards bench.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { silentLogger } from '../core/log.js';
import { createListing } from '../marketplace/domain/listings.js';
import { createMysqlPool, parseMysqlUrl, type Pool } from '../marketplace/mysql/connection.js';
import type { LocalMysqlServer } from '../marketplace/mysql/local-server.js';
import { sampleListing } from '../marketplace/sample-data/generate.js';
import { Random } from '../marketplace/sample-data/random.js';
import { seed } from '../marketplace/sample-data/seed.js';
import { migrate } from '../marketplace/schema/migrate.js';
import { EmbeddedBus } from '../pipelines/bus/embedded/index.js';
import { CdcReader } from '../pipelines/cdc/reader.js';
import { FileStateStore } from '../pipelines/cdc/reader-state.js';
import { TableFilter } from '../pipelines/cdc/topics.js';
import { createWarehouseClient, type ClickHouseClient } from '../warehouse/client.js';
import { startWarehouseLoader } from '../warehouse/loader.js';
import { DASHBOARD_QUERIES } from '../reports/export/export-marts.js';
import { DEFAULT_MART_REFRESH_SECONDS, ensureMarts, MARTS, martTable, refreshMarts } from '../warehouse/marts.js';
import { ensureRawDatabase, readSourceTable, syncTable } from '../warehouse/raw-schema.js';
import { insertTsv } from '../warehouse/raw-insert.js';
import { changeImages } from '../warehouse/raw-rows.js';
import { syncedAtText, TsvBody, TsvRows } from '../warehouse/raw-tsv.js';
import { eventVersion } from '../pipelines/cdc/event-version.js';
import { debeziumColumns } from '../pipelines/cdc/debezium/builtin-row.js';
import type { ChangeEnvelope } from '../pipelines/cdc/envelope.js';
import type { BusMessage } from '../pipelines/bus/port.js';
import { untilGroupHandledAll } from './group-progress.js';
import { observeWarehouse, percentile } from './observe.js';
import { benchWarehouse, fillAtScale, LISTINGS, MESSAGES, ORDERS, queryP50, USERS, withBenchWarehouseClosed } from './warehouse-at-scale.js';
import { pacedWrites } from './paced-writes.js';
import { measure, type BenchResult } from './table.js';

const quiet = () => ({ update() {}, finish() {} });

/** Rounds of the loader over the same backlog (BENCH_LOADER_ROUNDS, default 2). */
const LOADER_ROUNDS = Number(process.env.BENCH_LOADER_ROUNDS ?? 2);

/**
 * The loader's own rate: the CDC snapshot of 100,000 listings waits on the bus whole, then a new
 * consumer group loads it into an emptied raw table, until that group has handled every listing.
 * CPU is the process's (chDB runs in it) per listing row.
 */
async function* loaderRounds(bus: EmbeddedBus, pool: Pool, database: string, client: ClickHouseClient): AsyncGenerator<BenchResult> {
  const topic = `wh.${database}.listings`;
  // As `up` runs it: the sweep of every table and the marts on a session of its own.
  const schemaClient = createWarehouseClient({ path: join(benchWarehouse().dir, 'warehouse') });
  try {
    for (let round = 0; round < LOADER_ROUNDS; round++) yield await loaderRound(round, schemaClient);
  } finally {
    await schemaClient.close();
  }

  async function loaderRound(round: number, schemaClient: ClickHouseClient): Promise<BenchResult> {
    await client.command({ query: 'TRUNCATE TABLE IF EXISTS raw.listings' });
    const group = `warehouse-bench-${round}`;
    const loader = startWarehouseLoader({ bus, pool, database, topicPrefix: 'wh', log: silentLogger(), client, schemaClient, group });
    const load = loadavg()[0]!.toFixed(1);
    const cpu = process.cpuUsage();
    const started = performance.now();
    await loader.start();
    // The loader's start (every captured table's raw table checked, the marts) comes before its
    // first rows: said apart, as a restart pays it again.
    const { handled, firstMs: firstRowsMs, firstHandled: firstRows } = await untilGroupHandledAll(bus, group, topic, started);
    const ms = performance.now() - started;
    const used = process.cpuUsage(cpu);
    await loader.stop();
    return { ...measure(`warehouse loader, backlog of ${handled.toLocaleString('en-US')} listings, round ${round + 1}`, 'rows', handled, ms, 'bus backlog -> loader -> chDB'),
      note: `${((used.user + used.system) / handled).toFixed(1)} µs CPU/row; first rows loaded ${Math.round(firstRowsMs ?? ms)} ms after the start, `
        + `${Math.round((handled - firstRows) / ((ms - (firstRowsMs ?? 0)) / 1000)).toLocaleString('en-US')} rows/s from then on; load average ${load}` };
  }
}

/**
 * Where a loader's time goes, stage by stage over the same backlog (one pass each, no consumer
 * group): µs of process CPU (chDB's threads included) and of wall time per listing row.
 */
async function* loaderStages(bus: EmbeddedBus, pool: Pool, database: string, client: ClickHouseClient): AsyncGenerator<BenchResult> {
  const topic = `wh.${database}.listings`;
  const source = (await readSourceTable(pool, database, 'listings'))!;
  const shape = { primaryKey: source.primaryKey, debezium: debeziumColumns(source.columns) };
  await ensureRawDatabase(client);
  const tsv = new TsvRows(await syncTable(client, source));
  const stage = async <T>(name: string, rows: number, run: () => Promise<T> | T): Promise<T> => {
    const load = loadavg()[0]!.toFixed(1);
    const cpu = process.cpuUsage();
    const started = performance.now();
    const result = await run();
    const ms = performance.now() - started;
    const used = process.cpuUsage(cpu);
    stages.push({ ...measure(`loader stage: ${name}`, 'rows', rows, ms), note: `${((used.user + used.system) / rows).toFixed(1)} µs CPU/row, ${((ms * 1000) / rows).toFixed(1)} µs wall/row; load average ${load}` });
    return result;
  };
  const stages: BenchResult[] = [];
  const batches = await stage('bus fetch (5,000 a read)', 100_000, async () => {
    const read: BusMessage[][] = [];
    for (let partition = 0; partition < await bus.partitions(topic); partition++) {
      for (let offset = 0; ;) {
        const messages = await bus.read(topic, partition, offset, 5000);
        if (messages.length === 0) break;
        read.push(messages);
        offset = messages.at(-1)!.offset + 1;
      }
    }
    return read;
  });
  const count = batches.reduce((sum, batch) => sum + batch.length, 0);
  const parsed = await stage('JSON parse of the envelopes', count, () => batches.map((batch) => batch.map((m) => JSON.parse(m.value!.toString('utf8')) as ChangeEnvelope)));
  const bodies = await stage('TabSeparated rows of the parsed envelopes (raw-tsv.ts)', count, () => parsed.map((batch) => {
    const syncedAt = syncedAtText(Date.now());
    const body = new TsvBody();
    for (const envelope of batch) {
      const version = eventVersion(envelope).toString();
      for (const { row, deleted } of changeImages(envelope, shape)) body.add(tsv.line(row, version, deleted, syncedAt));
    }
    return body.take();
  }));
  await client.command({ query: 'TRUNCATE TABLE raw.listings' });
  await stage('chDB insert of the TabSeparated rows', count, async () => {
    for (const body of bodies) await insertTsv(client, 'listings', tsv.names, body);
  });
  await stage('truncations check after an insert (one query a batch)', count, async () => {
    for (let i = 0; i < batches.length; i++) await client.query({ query: "SELECT max(below) AS below FROM raw._truncations WHERE `table` = 'listings'", format: 'JSONEachRow' }).then((r) => r.json());
  });
  await client.command({ query: 'TRUNCATE TABLE raw.listings' });
  yield* stages;
}

async function pipeline(url: string, pool: Pool, client: ClickHouseClient, dir: string): Promise<BenchResult[]> {
  const results: BenchResult[] = [];
  const bus = await EmbeddedBus.open({ dir: join(dir, 'bus'), defaultPartitions: 4, segmentBytes: 64 << 20, fsync: 'always', fsyncIntervalMs: 100, retentionBytes: 1 << 40, retentionMs: 1e12 });
  const database = parseMysqlUrl(url).database;
  const reader = CdcReader.start({
    url, bus, store: new FileStateStore(join(dir, 'cdc')), topicPrefix: 'wh',
    filter: new TableFilter({ database, include: [], exclude: [], excludeColumns: [] }),
    replicaServerId: 77_020, snapshotChunkRows: 5000, onMissingBinlog: 'fail', log: silentLogger(), progress: quiet,
  });
  // Loader throughput: the snapshot of 100,000 listings on the bus whole before a loader starts.
  while (reader.stats().phase !== 'streaming') await new Promise((r) => setTimeout(r, 10));
  for await (const result of loaderStages(bus, pool, database, client)) {
    results.push(result);
    process.stderr.write(`  ${result.name}: ${result.note}\n`);
  }
  for await (const result of loaderRounds(bus, pool, database, client)) {
    results.push(result);
    process.stderr.write(`  ${result.name}: ${Math.round(result.perSecond)} ${result.unit}/s (${result.note})\n`);
  }

  const inserted = new Map<number, number>();
  const loader = startWarehouseLoader({
    bus, pool, database, topicPrefix: 'wh', log: silentLogger(),
    client: observeWarehouse(client, (ids) => { const now = performance.now(); for (const id of ids) if (!inserted.has(id)) inserted.set(id, now); }),
  });
  await loader.start();
  while (inserted.size < 100_000) await new Promise((r) => setTimeout(r, 20));
  const committed = new Map<number, number>();
  const rng = new Random(31);
  const total = 8000;
  const t = Date.now();
  await pacedWrites({ total, ratePerSecond: 1000, workers: 16 }, async () => {
    const { createdAt: _ignored, ...listing } = sampleListing(rng, { id: rng.int(1, 2000) }, new Date());
    const id = await createListing(pool, listing);
    committed.set(id, performance.now());
  });
  const writeMs = Date.now() - t;
  while ([...committed.keys()].some((id) => !inserted.has(id))) await new Promise((r) => setTimeout(r, 20));
  const lags = [...committed].map(([id, at]) => Math.max(0, inserted.get(id)! - at)).sort((a, b) => a - b);
  await reader.stop();
  await loader.stop();
  await bus.close();
  return [...results, {
    ...measure('commit -> warehouse at 1,000 new listings/s', 'listings', total, writeMs),
    note: `p50 ${percentile(lags, 0.5).toFixed(0)} ms, p99 ${percentile(lags, 0.99).toFixed(0)} ms`,
  }];
}

/**
 * The marts over 1M listings and 10M orders: what each refresh costs (it runs every
 * MART_REFRESH_SECONDS), and every dashboard query that reads a mart, over the mart and over the
 * plain view it replaced (the mart's defining query as a view: FINAL and a join per load).
 */
async function* martsAtScale(client: ClickHouseClient): AsyncGenerator<BenchResult> {
  const fillMs = await fillAtScale(client);
  if (fillMs > 0) yield measure('generate 200k users, 1M listings, 10M orders (+ updates, refunds, deletes), 1M messages in ClickHouse', 'rows', USERS + LISTINGS + ORDERS + MESSAGES, fillMs, 'INSERT ... SELECT FROM numbers()');
  expectNoFailures(await ensureMarts(client, { refresh: false }));
  for (const name of Object.keys(MARTS)) {
    const started = performance.now();
    expectNoFailures(await refreshMarts(client, [name]));
    const ms = performance.now() - started;
    yield { ...measure(`refresh of mart ${name} (1M listings, 10M orders)`, 'refreshes', 1, ms), note: `${ms.toFixed(0)} ms, rebuilt whole and swapped in; default every 30 s` };
  }
  await client.command({ query: 'CREATE DATABASE IF NOT EXISTS plain_views' });
  for (const [name, definition] of Object.entries(MARTS)) await client.command({ query: `CREATE OR REPLACE VIEW plain_views.${name} AS ${definition.select}` });
  const gmv = `SELECT day, category, currency, sum(orders) AS orders, sum(gmv_minor) AS gmv_minor FROM marts.orders_daily
    WHERE day >= today() - 90 GROUP BY day, category, currency`;
  const queries: [string, string][] = [['GMV per day/category/currency, last 90 days', gmv],
    ...Object.entries(DASHBOARD_QUERIES).filter(([, sql]) => /\bmarts\./.test(sql)).map(([name, sql]): [string, string] => [`dashboard query ${name}`, sql])];
  // The timings are the queries' own: the marts' background refreshes (above) are paused meanwhile.
  await client.command({ query: 'SYSTEM STOP VIEWS' });
  try {
    for (const [label, sql] of queries) {
      const view = await queryP50(client, sql.replace(/\bmarts\./g, 'plain_views.'), 3);
      const mart = await queryP50(client, sql, 20);
      yield { ...measure(`${label}: plain view (before)`, 'queries', 3, view.totalMs), note: `p50 ${view.p50.toFixed(0)} ms (FINAL + join per query, 10M orders)` };
      yield { ...measure(`${label}: materialized mart`, 'queries', 20, mart.totalMs), note: `p50 ${mart.p50.toFixed(1)} ms` };
    }
  } finally {
    await client.command({ query: 'SYSTEM START VIEWS' });
  }
  yield* reopenedAtScale();
}

/**
 * What a restart costs the warehouse at this scale: the folder opened again in a new process, as
 * the loader's start finds it, until every mart has refreshed since the open (chDB refreshes them
 * all as it opens a folder), beside the same with each mart also asked to refresh (the loader's
 * start until 2026-12-07), alternated twice. CPU is the new process's, chDB's threads included.
 */
async function* reopenedAtScale(): AsyncGenerator<BenchResult> {
  // An hour apart, no scheduled refresh falls in a run (the one at the open is due on any schedule).
  const every = async (seconds: number) => {
    // The shared client is opened again after the runs: asked for each time.
    for (const name of Object.keys(MARTS)) await benchWarehouse().client.command({ query: `ALTER TABLE ${martTable(name)} MODIFY REFRESH EVERY ${seconds} SECOND` });
  };
  await every(3600);
  for (const name of Object.keys(MARTS)) await benchWarehouse().client.command({ query: `SYSTEM WAIT VIEW ${martTable(name)}` });
  const runs = await withBenchWarehouseClosed(async (path) => {
    const results: { mode: string; ms: number; cpuMs: number; marts: number }[] = [];
    for (const mode of ['start', 'asked', 'start', 'asked']) {
      const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', join(import.meta.dirname, 'warehouse-reopen.ts'), path, mode]);
      results.push({ mode, ...JSON.parse(stdout.trim().split('\n').at(-1)!) });
    }
    return results;
  });
  await every(DEFAULT_MART_REFRESH_SECONDS);
  for (const run of runs) {
    const label = run.mode === 'start' ? 'as a start finds them' : 'each also asked to refresh (the loader\'s start before)';
    yield { ...measure(`warehouse opened again, marts over 1M listings and 10M orders, ${label}`, 'marts', run.marts, run.ms),
      note: `${(run.cpuMs / 1000).toFixed(1)} s CPU until every mart refreshed since the open; load average ${loadavg()[0]!.toFixed(1)}` };
  }
}

function expectNoFailures(failed: { name: string; error: string }[]): void {
  if (failed.length > 0) throw new Error(`marts failed: ${failed.map((f) => `${f.name}: ${f.error}`).join('; ')}`);
}

export async function* warehouseBenches(server: LocalMysqlServer): AsyncGenerator<BenchResult> {
  const dir = mkdtempSync(join(tmpdir(), 'steveslist-bench-wh-pipeline-'));
  const url = server.url('bench_wh');
  await migrate(url);
  const pool = await createMysqlPool(url, { connectionLimit: 24 });
  const { client } = benchWarehouse();
  try {
    // BENCH_WAREHOUSE=marts measures the marts alone, on raw tables made from the schema as the loader makes them.
    if (process.env.BENCH_WAREHOUSE === 'marts') {
      await ensureRawDatabase(client);
    } else {
      await seed(pool, { users: 2000, listings: 100_000, progress: quiet });
      yield* await pipeline(url, pool, client, dir);
      // BENCH_WAREHOUSE=loader stops after the loader's rows.
      if (process.env.BENCH_WAREHOUSE === 'loader') return;
    }
    // The tables the marts read, as the loader makes them (it makes a table on its first change).
    for (const table of ['users', 'listings', 'orders', 'messages']) await syncTable(client, (await readSourceTable(pool, 'bench_wh', table))!);
    yield* martsAtScale(client);
  } finally {
    await pool.end();
    rmSync(dir, { recursive: true, force: true });
  }
}
