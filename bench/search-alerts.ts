// Saved-search alerts: commit-to-alert-queued latency with 100,000 saved searches while listings
// are offered at 1,000 a second (MariaDB, change capture, the embedded bus, the percolator, and
// the transaction that records matches, their webhook events and due digest emails).
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { silentLogger } from '../core/log.js';
import { insertListings } from '../marketplace/domain/listings.js';
import { unsubscribeLinkKey } from '../marketplace/domain/saved-searches.js';
import { withTransaction } from '../marketplace/domain/transaction.js';
import { createMysqlPool, parseMysqlUrl, type Pool, type RowDataPacket } from '../marketplace/mysql/connection.js';
import type { LocalMysqlServer } from '../marketplace/mysql/local-server.js';
import { worldCities } from '../marketplace/places/geonames-gazetteer.js';
import { sampleListing } from '../marketplace/sample-data/generate.js';
import { Random } from '../marketplace/sample-data/random.js';
import { seed } from '../marketplace/sample-data/seed.js';
import { CATEGORIES, COUNTRIES } from '../marketplace/sample-data/vocabulary.js';
import { migrate } from '../marketplace/schema/migrate.js';
import { EmbeddedBus } from '../pipelines/bus/embedded/index.js';
import { CdcReader } from '../pipelines/cdc/reader.js';
import { FileStateStore } from '../pipelines/cdc/reader-state.js';
import { TableFilter } from '../pipelines/cdc/topics.js';
import { toDocument } from '../pipelines/sinks/search/listing-changes.js';
import { words } from '../pipelines/sinks/search/query-terms.js';
import { DIGEST_INTERVAL_MS, noQueueTimings, queueAlerts, type QueueTimings } from '../pipelines/sinks/search-alerts/alert-queue.js';
import { learnListingWords, loadSavedSearches, SEARCH_ALERTS_GROUP, SearchAlertsWorker, type SearchAlertStages } from '../pipelines/sinks/search-alerts/alert-worker.js';
import { EmbeddedPercolator } from '../pipelines/sinks/search-alerts/embedded-percolator.js';
import { percentile } from './observe.js';
import { pacedWrites } from './paced-writes.js';
import { measure, type BenchResult } from './table.js';

const quiet = () => ({ update() {}, finish() {} });
const SAVED_SEARCHES = 100_000;
/** Searches for the sample catalogue's goods; the rest stand for the long tail of words people save. */
const CATALOGUE_SHARE = 0.2;
/**
 * The offered load: 1,000 listings a second in transactions of ten on eight connections, as API
 * servers write them. One listing per transaction, the writers in this process managed ~300 a
 * second here, which measured the writers instead of the alerts.
 */
const OFFERED_PER_SECOND = 1000;
/**
 * Owners with a webhook endpoint taking `search_alert.matched`: their matches also write an
 * outbox event. Endpoints are an integrator's tool, so a tenth stands for "some" here.
 */
const ENDPOINT_SHARE = Number(process.env.BENCH_ALERT_ENDPOINT_SHARE ?? 0.1);
const LISTINGS_PER_WRITE = 10;
const WRITERS = 8;

const load = () => loadavg().map((n) => n.toFixed(1)).join(' ');

/** CPU seconds a process has used (user + system), from /proc: MariaDB's share of the work. */
function processCpuSeconds(pid: number): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return Number.NaN;
  }
}

/** CPU time of this process and of MariaDB over a stretch of the bench. */
function cpuMeter(server: LocalMysqlServer) {
  const node = process.cpuUsage();
  const mysql = processCpuSeconds(server.pid);
  return (count: number, unit: string) => {
    const used = process.cpuUsage(node);
    const perNode = (used.user + used.system) / 1000 / count;
    const perMysql = ((processCpuSeconds(server.pid) - mysql) * 1000) / count;
    return `CPU per ${unit}: this process ${perNode.toFixed(2)} ms, MariaDB ${perMysql.toFixed(2)} ms`;
  };
}

/** The queueing transaction's steps, in ms per transaction. */
function queueSteps(timings: QueueTimings): string {
  const per = (ms: number) => (ms / Math.max(1, timings.transactions)).toFixed(1);
  const steps = timings.lockMs + timings.existingMs + timings.digestReadMs + timings.matchRowsMs + timings.outboxMs + timings.digestWriteMs;
  return `${timings.transactions} transactions (${timings.reruns} run again), each in ms: lock ${per(timings.lockMs)}, existing ${per(timings.existingMs)}, digest read ${per(timings.digestReadMs)}, match rows ${per(timings.matchRowsMs)}, `
    + `outbox ${per(timings.outboxMs)}, digest write ${per(timings.digestWriteMs)}, connection + commit ${per(timings.totalMs - steps)}`;
}

function batchSteps(stages: SearchAlertStages): string {
  const perBatch = (ms: number) => (ms / Math.max(1, stages.batches)).toFixed(1);
  return `${stages.batches} batches of ${(stages.listings / Math.max(1, stages.batches)).toFixed(0)} changes, per batch ms: parse ${perBatch(stages.parseMs)}, `
    + `match ${perBatch(stages.matchMs)}, queue ${perBatch(stages.queueMs)} (wait included); ${queueSteps(stages.queue)}, slowest ${stages.maxBatchMs.toFixed(0)}`;
}

async function writeListings(pool: Pool, rng: Random, users: number, count: number): Promise<number[]> {
  const listings = Array.from({ length: count }, () => {
    const { createdAt: _ignored, ...listing } = sampleListing(rng, { id: rng.int(1, users) }, new Date());
    return listing;
  });
  return withTransaction(pool, (connection) => insertListings(connection, listings));
}

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
  const endpoints = Array.from({ length: Math.round(users * ENDPOINT_SHARE) }, (_, i) => [i + 1, 'https://hooks.example/alerts', '["search_alert.matched"]', 'whsec_bench']);
  if (endpoints.length > 0) await pool.query('INSERT INTO webhook_endpoints (user_id, url, event_types, secret) VALUES ?', [endpoints]);
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

  // The gazetteer loads on its first use: not inside the first timed transaction.
  await worldCities().locate('Boston', 'US');
  const seconds = 8;
  const total = OFFERED_PER_SECOND * seconds;
  const run = async (label: string): Promise<BenchResult> => {
    committedAt.clear();
    queuedAt.clear();
    receivedAt.clear();
    worker.resetStages();
    const [[emailsBefore]] = await pool.query<RowDataPacket[]>('SELECT COALESCE(MAX(id), 0) AS id FROM email_messages');
    const loadBefore = load();
    const cpu = cpuMeter(server);
    const start = await pacedWrites({ total: total / LISTINGS_PER_WRITE, ratePerSecond: OFFERED_PER_SECOND / LISTINGS_PER_WRITE, workers: WRITERS }, async () => {
      const ids = await writeListings(pool, rng, users, LISTINGS_PER_WRITE);
      const now = performance.now();
      for (const id of ids) committedAt.set(id, now);
    });
    const writeSeconds = (performance.now() - start) / 1000;
    // Done when the worker has consumed every listing written and committed its offsets (each
    // batch's offset only once its matches are queued).
    const waitUntil = Date.now() + 300_000;
    while ((receivedAt.size < total || (await lagOf(bus)) > 0) && Date.now() < waitUntil) await new Promise((r) => setTimeout(r, 200));
    if (receivedAt.size < total) throw new Error(`the worker consumed ${receivedAt.size} of ${total} listings within 5 minutes`);
    const lastQueued = Math.max(...queuedAt.values());
    const cpuNote = cpu(total, 'listing');
    const loadAfter = load();
    const ids = [...committedAt.keys()];
    const [matched] = await pool.query<RowDataPacket[]>('SELECT listing_id, COUNT(*) AS n FROM saved_search_matches WHERE listing_id IN (?) GROUP BY listing_id', [ids]);
    const [[emails]] = await pool.query<RowDataPacket[]>("SELECT COUNT(*) AS n FROM email_messages WHERE template = 'search_alert' AND id > ?", [emailsBefore!.id]);
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
    const takenSeconds = (lastQueued - start) / 1000;
    return {
      ...measure(`commit -> alert queued, ${label} (${SAVED_SEARCHES.toLocaleString('en-US')} saved searches, ${Math.round(ENDPOINT_SHARE * 100)}% of owners with a webhook endpoint; CDC, bus, percolator)`, 'listings', total, writeSeconds * 1000),
      note: `offered ${OFFERED_PER_SECOND}/s, written ${(total / writeSeconds).toFixed(0)}/s (in transactions of ${LISTINGS_PER_WRITE}), all queued within ${takenSeconds.toFixed(1)} s of the start `
        + `(${(total / takenSeconds).toFixed(0)} listings/s, ${(matches / takenSeconds).toFixed(0)} matches/s); `
        + `p50 ${percentile(lags, 0.5).toFixed(1)} ms, p99 ${percentile(lags, 0.99).toFixed(1)} ms, max ${lags[lags.length - 1]!.toFixed(1)} ms; `
        + `commit -> consumed p50 ${percentile(delivered, 0.5).toFixed(0)} / p99 ${percentile(delivered, 0.99).toFixed(0)} ms, consumed -> queued p50 ${percentile(handled, 0.5).toFixed(0)} / p99 ${percentile(handled, 0.99).toFixed(0)} ms; `
        + `${matched.length} listings matched ${matches} times, ${Number(emails!.n)} digests; percolator loaded in ${(loadMs / 1000).toFixed(1)} s; `
        + `${batchSteps(stages)}; ${cpuNote}; load average ${loadBefore} -> ${loadAfter}`,
    };
  };
  // First every search is due: each one's first match mails it at once (a start with searches
  // never mailed). Then the steady state: at 1,000 listings/s each search matches every few
  // seconds, so each is mailed every 15 minutes and its clock is anywhere in the last 15.
  const cold = await run('searches never mailed');
  await pool.query('UPDATE saved_searches SET last_emailed_at = NOW(6) - INTERVAL FLOOR(RAND(24) * ?) SECOND', [DIGEST_INTERVAL_MS / 1000]);
  // Those 100,000 changes go through change capture and the worker before the timing starts.
  const [[written]] = await pool.query<RowDataPacket[]>('SELECT @@gtid_binlog_pos AS gtid');
  const seqOf = (gtid: string | null | undefined) => Number(gtid?.split('-')[2] ?? 0);
  while (seqOf(reader.stats().position?.gtid) < seqOf(String(written!.gtid)) || (await lagOf(bus)) > 0) await new Promise((r) => setTimeout(r, 200));
  const steady = await run('steady state, each search mailed in the last 15 minutes');
  await worker.stop();
  await percolator.close();
  const catchUp = await backlogRate(server, pool, bus, reader, rng, users);
  await reader.stop();
  const alone = await queueingAlone(server, pool, rng, users);
  await bus.close();
  await pool.end();
  return [alone, catchUp, cold, steady];
}

/**
 * The queueing transaction apart from everything else (change capture stopped): listings written,
 * matched in memory, then queued directly in batches of 100 listings. The searches were mostly
 * mailed in the runs before, so most matches wait for a later digest, as in a steady state.
 */
async function queueingAlone(server: LocalMysqlServer, pool: Pool, rng: Random, users: number): Promise<BenchResult> {
  const count = 4000;
  const perBatch = 100;
  const percolator = new EmbeddedPercolator();
  await loadSavedSearches(pool, percolator);
  await learnListingWords(pool, percolator);
  const ids: number[] = [];
  for (let i = 0; i < count; i += 500) ids.push(...await writeListings(pool, rng, users, 500));
  const committedAtMs = Date.now();
  const [rows] = await pool.query<RowDataPacket[]>('SELECT * FROM listings WHERE id IN (?) ORDER BY id', [ids]);
  const documents = rows.map((row) => toDocument(row, null));
  const found = await percolator.match(documents);
  await percolator.close();
  const linkKey = await unsubscribeLinkKey(pool);
  const timings = noQueueTimings();
  const loadBefore = load();
  const cpu = cpuMeter(server);
  const started = performance.now();
  let matched = 0;
  for (let i = 0; i < documents.length; i += perBatch) {
    const batch = documents.slice(i, i + perBatch).flatMap((listing) => {
      const savedSearchIds = found.get(listing.id);
      return savedSearchIds ? [{ listing, committedAtMs, savedSearchIds }] : [];
    });
    matched += (await queueAlerts(pool, linkKey, batch, new Date(), timings)).matched;
  }
  const ms = performance.now() - started;
  return measure(`queueing transactions alone, ${perBatch} listings each (${SAVED_SEARCHES.toLocaleString('en-US')} saved searches)`, 'matches', matched, ms,
    `${count} listings, ${(count * 1000 / ms).toFixed(0)} listings/s; ${queueSteps(timings)}; ${cpu(matched, 'match')}; load average ${loadBefore} -> ${load()}`);
}

const lagOf = async (bus: EmbeddedBus) => (await bus.lag(SEARCH_ALERTS_GROUP)).reduce((sum, partition) => sum + partition.lag, 0);

/**
 * The worker's capacity apart from the writers: listings written while it is stopped (their
 * changes captured to the bus), then the time a new worker takes to match and queue that backlog,
 * from its first batch until its lag is zero. The searches were mostly mailed in the run before,
 * so most matches wait for a later digest, as they do in a steady state.
 */
async function backlogRate(server: LocalMysqlServer, pool: Pool, bus: EmbeddedBus, reader: CdcReader, rng: Random, users: number): Promise<BenchResult> {
  const backlog = 8000;
  await pacedWrites({ total: backlog / LISTINGS_PER_WRITE, ratePerSecond: 1_000_000, workers: WRITERS }, async () => {
    await writeListings(pool, rng, users, LISTINGS_PER_WRITE);
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
  const loadBefore = load();
  const cpu = cpuMeter(server);
  while ((await lagOf(bus)) > 0) await new Promise((r) => setTimeout(r, 50));
  const ms = performance.now() - firstBatchAt;
  const stages = worker.stages();
  const cpuNote = cpu(backlog, 'listing');
  await worker.stop();
  await percolator.close();
  return {
    ...measure(`alert queueing, a backlog of ${backlog.toLocaleString('en-US')} new listings (${SAVED_SEARCHES.toLocaleString('en-US')} saved searches)`, 'listings', backlog, ms),
    note: `${batchSteps(stages)}; ${cpuNote}; load average ${loadBefore} -> ${load()}`,
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
    const [alone, catchUp, cold, steady] = await commitToAlertQueued(server, dir);
    yield steady!;
    yield cold!;
    yield catchUp!;
    yield alone!;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
