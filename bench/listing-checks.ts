// Listing checks: how fast the worker drains a backlog of listing events (every rule's facts read
// from MySQL per listing), and commit-to-held latency while listings are written at 200 a second
// (MariaDB, change capture, the embedded bus, the rules, the transaction that holds a listing).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readChecks } from '../core/config/checks.js';
import { SettingsReader } from '../core/config/settings-reader.js';
import { silentLogger } from '../core/log.js';
import { createListing, insertListings } from '../marketplace/domain/listings.js';
import { withTransaction } from '../marketplace/domain/transaction.js';
import { createMysqlPool, parseMysqlUrl } from '../marketplace/mysql/connection.js';
import type { LocalMysqlServer } from '../marketplace/mysql/local-server.js';
import { sampleListing } from '../marketplace/sample-data/generate.js';
import { Random } from '../marketplace/sample-data/random.js';
import { seed } from '../marketplace/sample-data/seed.js';
import { migrate } from '../marketplace/schema/migrate.js';
import { EmbeddedBus } from '../pipelines/bus/embedded/index.js';
import { readTopic } from '../pipelines/bus/read-topic.js';
import { CdcReader } from '../pipelines/cdc/reader.js';
import { FileStateStore } from '../pipelines/cdc/reader-state.js';
import { TableFilter } from '../pipelines/cdc/topics.js';
import { LISTING_CHECKS_GROUP, ListingChecksWorker } from '../pipelines/sinks/listing-checks/listing-checks-worker.js';
import { percentile } from './observe.js';
import { pacedWrites } from './paced-writes.js';
import { measure, type BenchResult } from './table.js';

const quiet = () => ({ update() {}, finish() {} });
const USERS = 1000;
const BACKLOG = 10_000;

export async function* listingCheckBenches(server: LocalMysqlServer): AsyncGenerator<BenchResult> {
  const dir = mkdtempSync(join(tmpdir(), 'steveslist-bench-checks-'));
  const url = server.url('bench_listing_checks');
  await migrate(url);
  const pool = await createMysqlPool(url, { connectionLimit: 24 });
  const bus = await EmbeddedBus.open({ dir: join(dir, 'bus'), defaultPartitions: 4, segmentBytes: 64 << 20, fsync: 'always', fsyncIntervalMs: 100, retentionBytes: 1 << 40, retentionMs: 1e12 });
  const reader = CdcReader.start({
    url, bus, store: new FileStateStore(join(dir, 'cdc')), topicPrefix: 'bench',
    filter: new TableFilter({ database: parseMysqlUrl(url).database, include: [], exclude: [], excludeColumns: [] }),
    replicaServerId: 77_027, snapshotChunkRows: 5000, onMissingBinlog: 'fail', log: silentLogger(), progress: quiet,
  });
  const held = new Map<number, number>();
  let worker: ListingChecksWorker | undefined;
  try {
    await seed(pool, { users: USERS, listings: 0, progress: quiet });
    while (reader.stats().phase !== 'streaming') await new Promise((r) => setTimeout(r, 10));
    const rng = new Random(27);
    // The backlog: sample listings written now (so the burst window sees them), with their events.
    for (let i = 0; i < BACKLOG; i += 200) {
      const batch = Array.from({ length: 200 }, () => {
        const { createdAt: _ignored, ...listing } = sampleListing(rng, { id: rng.int(1, USERS) }, new Date());
        return listing;
      });
      await withTransaction(pool, (connection) => insertListings(connection, batch));
    }
    // Every event on the bus before the worker starts: the drain is the worker's alone.
    while ((await readTopic(bus, 'bench.events.listing')).length < BACKLOG) await new Promise((r) => setTimeout(r, 200));
    const config = readChecks(new SettingsReader({}, '/')).listings;
    worker = new ListingChecksWorker({
      bus, pool, topicPrefix: 'bench', log: silentLogger(), config,
      onDecision: (id, _rules, wasHeld) => { if (wasHeld && !held.has(id)) held.set(id, performance.now()); },
    });
    const started = performance.now();
    await worker.start();
    for (;;) {
      const lag = (await bus.lag(LISTING_CHECKS_GROUP)).reduce((sum, partition) => sum + partition.lag, 0);
      if (lag === 0) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    yield measure('listing checks: backlog of listing.created (4 rules, facts from MySQL)', 'events', BACKLOG, performance.now() - started);

    // Live: one listing in ten names a banned word and must be held.
    const committedAt = new Map<number, number>();
    const ratePerSecond = 200;
    const total = ratePerSecond * 8;
    let n = 0;
    const start = await pacedWrites({ total, ratePerSecond, workers: 8 }, async () => {
      const { createdAt: _ignored, ...listing } = sampleListing(rng, { id: rng.int(1, USERS) }, new Date());
      const banned = n++ % 10 === 0;
      const id = await createListing(pool, banned ? { ...listing, name: `${listing.name} (replica)` } : listing);
      if (banned) committedAt.set(id, performance.now());
    });
    const writeSeconds = (performance.now() - start) / 1000;
    const deadline = Date.now() + 60_000;
    while ([...committedAt.keys()].some((id) => !held.has(id)) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    const lags = [...committedAt].map(([id, at]) => (held.get(id) ?? Number.NaN) - at).sort((a, b) => a - b);
    if (lags.some(Number.isNaN)) throw new Error('a listing with a banned word was never held');
    yield {
      ...measure(`commit -> held (listings at ${ratePerSecond}/s, CDC, bus, rules)`, 'listings', total, writeSeconds * 1000),
      note: `p50 ${percentile(lags, 0.5).toFixed(1)} ms, p99 ${percentile(lags, 0.99).toFixed(1)} ms, max ${lags.at(-1)!.toFixed(1)} ms over ${lags.length} held listings`,
    };
  } finally {
    await worker?.stop();
    await reader.stop();
    await bus.close();
    await pool.end();
    rmSync(dir, { recursive: true, force: true });
  }
}
