// Saved-search alerts: commit-to-alert-queued latency with 100,000 saved searches while listings
// are written at 1,000 a second (MariaDB, change capture, the embedded bus, the percolator, and
// the transaction that records matches, their webhook events and due digest emails).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { silentLogger } from '../core/log.js';
import { createListing } from '../marketplace/domain/listings.js';
import { createMysqlPool, parseMysqlUrl, type Pool, type RowDataPacket } from '../marketplace/mysql/connection.js';
import type { LocalMysqlServer } from '../marketplace/mysql/local-server.js';
import { sampleListing } from '../marketplace/sample-data/generate.js';
import { Random } from '../marketplace/sample-data/random.js';
import { seed } from '../marketplace/sample-data/seed.js';
import { CATEGORIES, COUNTRIES } from '../marketplace/sample-data/vocabulary.js';
import { migrate } from '../marketplace/schema/migrate.js';
import { EmbeddedBus } from '../pipelines/bus/embedded/index.js';
import { CdcReader } from '../pipelines/cdc/reader.js';
import { FileStateStore } from '../pipelines/cdc/reader-state.js';
import { TableFilter } from '../pipelines/cdc/topics.js';
import { words } from '../pipelines/sinks/search/query-terms.js';
import { SEARCH_ALERTS_GROUP, SearchAlertsWorker } from '../pipelines/sinks/search-alerts/alert-worker.js';
import { EmbeddedPercolator } from '../pipelines/sinks/search-alerts/embedded-percolator.js';
import { percentile } from './observe.js';
import { pacedWrites } from './paced-writes.js';
import { measure, type BenchResult } from './table.js';

const quiet = () => ({ update() {}, finish() {} });
const SAVED_SEARCHES = 100_000;
/** Searches for the sample catalogue's goods; the rest stand for the long tail of words people save. */
const CATALOGUE_SHARE = 0.2;

/** Saved searches as people make them: a word or two of what they want, in one city, often with a price cap. */
function savedSearchRows(rng: Random, users: number): unknown[][] {
  // Words people search for: what the thing is, not the joining words every description has.
  const joining = new Set(['with', 'and', 'for', 'the', 'size', 'new', 'near', 'in']);
  const items = Object.entries(CATEGORIES).flatMap(([category, { items: names }]) => names.map((name) => ({ category, words: words(name).filter((w) => w.length > 2 && !joining.has(w)) })));
  const cities = COUNTRIES.flatMap((country) => country.cities.map((city) => ({ city, country: country.code })));
  return Array.from({ length: SAVED_SEARCHES }, () => {
    const place = rng.pick(cities);
    const item = rng.pick(items);
    const q = rng.chance(CATALOGUE_SHARE) && item.words.length > 0
      ? (rng.chance(0.5) && item.words.length > 1 ? item.words.slice(0, 2) : [rng.pick(item.words)]).join(' ')
      : `model${rng.int(1, 60_000)}`;
    const maxPrice = rng.chance(0.5) ? rng.int(50, 5000) * 100 : null;
    // Alerts are for a place, as the seed's "TVs in the Bay Area": a search without one, on a
    // catalogue word, matched every listing of that word (26 matches per listing with 15% of them).
    return [rng.int(1, users), q, place.country, place.city, null, null, maxPrice, 'http://localhost:3000'];
  });
}

async function commitToAlertQueued(server: LocalMysqlServer, dir: string): Promise<BenchResult[]> {
  const url = server.url('bench_search_alerts');
  await migrate(url);
  const pool = await createMysqlPool(url, { connectionLimit: 24 });
  const users = 1000;
  await seed(pool, { users, listings: 0, progress: quiet });
  const rng = new Random(24);
  const rows = savedSearchRows(rng, users);
  for (let i = 0; i < rows.length; i += 5000) {
    await pool.query('INSERT INTO saved_searches (user_id, q, country, city, category, min_price, max_price, site_url) VALUES ?', [rows.slice(i, i + 5000)]);
  }
  const bus = await EmbeddedBus.open({ dir: join(dir, 'bus'), defaultPartitions: 4, segmentBytes: 64 << 20, fsync: 'always', fsyncIntervalMs: 100, retentionBytes: 1 << 40, retentionMs: 1e12 });
  const percolator = new EmbeddedPercolator();
  const committedAt = new Map<number, number>();
  const queuedAt = new Map<number, number>();
  const receivedAt = new Map<number, number>();
  const worker = new SearchAlertsWorker({
    bus, pool, percolator, database: 'bench_search_alerts', topicPrefix: 'bench', log: silentLogger(),
    onQueued: (ids) => { const now = performance.now(); for (const id of ids) if (!queuedAt.has(id)) queuedAt.set(id, now); },
    onReceived: (ids) => { const now = performance.now(); for (const id of ids) if (!receivedAt.has(id)) receivedAt.set(id, now); },
  });
  const loadStarted = performance.now();
  await worker.start();
  const loadMs = performance.now() - loadStarted;
  const reader = CdcReader.start({
    url, bus, store: new FileStateStore(join(dir, 'cdc')), topicPrefix: 'bench',
    filter: new TableFilter({ database: parseMysqlUrl(url).database, include: [], exclude: [], excludeColumns: [] }),
    replicaServerId: 77_024, snapshotChunkRows: 5000, onMissingBinlog: 'fail', log: silentLogger(), progress: quiet,
  });
  while (reader.stats().phase !== 'streaming') await new Promise((r) => setTimeout(r, 10));

  const ratePerSecond = 1000;
  const seconds = 8;
  const total = ratePerSecond * seconds;
  const start = await pacedWrites({ total, ratePerSecond, workers: 16 }, async () => {
    const { createdAt: _ignored, ...listing } = sampleListing(rng, { id: rng.int(1, users) }, new Date());
    const id = await createListing(pool, listing);
    committedAt.set(id, performance.now());
  });
  const writeSeconds = (performance.now() - start) / 1000;
  // Every listing that matches is queued; wait until the matches stop growing, then read which matched.
  let before = -1;
  const waitUntil = Date.now() + 120_000;
  for (;;) {
    const [[row]] = await pool.query<RowDataPacket[]>('SELECT COUNT(*) AS n FROM saved_search_matches');
    const now = Number(row!.n);
    if ((now === before && queuedAt.size > 0) || Date.now() > waitUntil) break;
    before = now;
    await new Promise((r) => setTimeout(r, 2000));
  }
  const [matched] = await pool.query<RowDataPacket[]>('SELECT listing_id, COUNT(*) AS n FROM saved_search_matches GROUP BY listing_id');
  const [[emails]] = await pool.query<RowDataPacket[]>("SELECT COUNT(*) AS n FROM email_messages WHERE template = 'search_alert'");
  const missing = matched.filter((row) => !queuedAt.has(Number(row.listing_id))).length;
  if (missing > 0) throw new Error(`${missing} matched listings were never reported queued`);
  const lags = matched.map((row) => Math.max(0, queuedAt.get(Number(row.listing_id))! - committedAt.get(Number(row.listing_id))!)).sort((a, b) => a - b);
  const matches = matched.reduce((sum, row) => sum + Number(row.n), 0);
  // The delay split: commit to the worker's consuming it (change capture and the bus), then to queued.
  const split = (from: Map<number, number>, to: Map<number, number>) => matched
    .map((row) => Number(row.listing_id)).filter((id) => from.has(id) && to.has(id)).map((id) => Math.max(0, to.get(id)! - from.get(id)!)).sort((a, b) => a - b);
  const delivered = split(committedAt, receivedAt);
  const handled = split(receivedAt, queuedAt);
  const stages = worker.stages();
  const perBatch = (ms: number) => (ms / Math.max(1, stages.batches)).toFixed(1);
  await worker.stop();
  await percolator.close();
  const catchUp = await backlogRate(pool, bus, reader, rng, users);
  await reader.stop();
  await bus.close();
  await pool.end();
  return [catchUp, {
    ...measure(`commit -> alert queued (${SAVED_SEARCHES.toLocaleString('en-US')} saved searches, CDC, bus, percolator)`, 'listings', total, writeSeconds * 1000),
    note: `p50 ${percentile(lags, 0.5).toFixed(1)} ms, p99 ${percentile(lags, 0.99).toFixed(1)} ms, max ${lags[lags.length - 1]!.toFixed(1)} ms; `
      + `commit -> consumed p50 ${percentile(delivered, 0.5).toFixed(0)} / p99 ${percentile(delivered, 0.99).toFixed(0)} ms, consumed -> queued p50 ${percentile(handled, 0.5).toFixed(0)} / p99 ${percentile(handled, 0.99).toFixed(0)} ms; `
      + `${matched.length} listings matched ${matches} times, ${Number(emails!.n)} digests; percolator loaded in ${(loadMs / 1000).toFixed(1)} s; `
      + `${stages.batches} batches of ${(stages.listings / Math.max(1, stages.batches)).toFixed(0)} changes, per batch ms: parse ${perBatch(stages.parseMs)}, `
      + `match ${perBatch(stages.matchMs)}, queue ${perBatch(stages.queueMs)}, slowest ${stages.maxBatchMs.toFixed(0)}`,
  }];
}

const lagOf = async (bus: EmbeddedBus) => (await bus.lag(SEARCH_ALERTS_GROUP)).reduce((sum, partition) => sum + partition.lag, 0);

/**
 * The worker's capacity apart from the writers: listings written while it is stopped (their
 * changes captured to the bus), then the time a new worker takes to match and queue that backlog,
 * from its first batch until its lag is zero. The searches were mostly mailed in the run before,
 * so most matches wait for a later digest, as they do in a steady state.
 */
async function backlogRate(pool: Pool, bus: EmbeddedBus, reader: CdcReader, rng: Random, users: number): Promise<BenchResult> {
  const backlog = 8000;
  await pacedWrites({ total: backlog, ratePerSecond: 1_000_000, workers: 16 }, async () => {
    const { createdAt: _ignored, ...listing } = sampleListing(rng, { id: rng.int(1, users) }, new Date());
    await createListing(pool, listing);
  });
  // Wait until change capture has put every one on the bus: the lag stops growing.
  let lag = -1;
  for (let now = await lagOf(bus); now !== lag || reader.stats().phase !== 'streaming'; now = await lagOf(bus)) {
    lag = now;
    await new Promise((r) => setTimeout(r, 1000));
  }
  const percolator = new EmbeddedPercolator();
  let firstBatchAt = 0;
  const worker = new SearchAlertsWorker({
    bus, pool, percolator, database: 'bench_search_alerts', topicPrefix: 'bench', log: silentLogger(),
    onReceived: () => { firstBatchAt ||= performance.now(); },
  });
  await worker.start();
  while ((await lagOf(bus)) > 0) await new Promise((r) => setTimeout(r, 50));
  const ms = performance.now() - firstBatchAt;
  const stages = worker.stages();
  await worker.stop();
  await percolator.close();
  return {
    ...measure(`alert queueing, a backlog of ${backlog.toLocaleString('en-US')} new listings (${SAVED_SEARCHES.toLocaleString('en-US')} saved searches)`, 'listings', backlog, ms),
    note: `${stages.batches} batches of ${(stages.listings / Math.max(1, stages.batches)).toFixed(0)} changes, per batch ms: match ${(stages.matchMs / Math.max(1, stages.batches)).toFixed(1)}, `
      + `queue ${(stages.queueMs / Math.max(1, stages.batches)).toFixed(1)}`,
  };
}

async function percolateRate(): Promise<BenchResult> {
  const rng = new Random(7);
  const percolator = new EmbeddedPercolator();
  await percolator.upsert(savedSearchRows(rng, 1000).map((row, i) => ({
    id: i + 1, userId: Number(row[0]), q: row[1] as string, country: row[2] as string | null, city: row[3] as string | null, category: null, minPrice: null, maxPrice: row[6] as number | null, near: null,
  })));
  const now = new Date().toISOString();
  const docs = Array.from({ length: 20_000 }, (_, i) => {
    const sample = sampleListing(rng, { id: 1 }, new Date());
    return { id: i + 1, seller_id: 1, seller_name: null, name: sample.name, description: sample.description, category: sample.category, country: sample.country, city: sample.city, latitude: null, longitude: null, price_amount: sample.priceAmount, price_currency: sample.priceCurrency, status: 'active' as const, created_at: now, updated_at: now };
  });
  const started = performance.now();
  for (let i = 0; i < docs.length; i += 500) await percolator.match(docs.slice(i, i + 500));
  return measure(`percolate (in memory, ${SAVED_SEARCHES.toLocaleString('en-US')} saved searches)`, 'listings', docs.length, performance.now() - started);
}

export async function* searchAlertBenches(server: LocalMysqlServer): AsyncGenerator<BenchResult> {
  const dir = mkdtempSync(join(tmpdir(), 'steveslist-bench-alerts-'));
  try {
    yield await percolateRate();
    const [catchUp, live] = await commitToAlertQueued(server, dir);
    yield live!;
    yield catchUp!;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
